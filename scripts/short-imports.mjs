// Renames the wasm's imports from the JS glue (`__wbg_then_656f253a5dd7d8ea`, ...) to short names
// (`a`, `b`, ...), and their modules (`./canvas_oauth_bg.js`, `./snippets/...`) to `0`, `1`, ..., in
// both pkg/canvas_oauth_bg.wasm and pkg/canvas_oauth.js. The names carry
// wasm-bindgen's 16-hex-digit hashes, which gzip cannot compress, twice: in the wasm's import
// section and as keys of the glue's import object. Imports are private to the pair (not in the
// .d.ts); exports keep their names, since `InitOutput` in the .d.ts names them, except the
// closure-invoke exports, renamed in the .d.ts files too (below).
//
//   node scripts/short-imports.mjs pkg/canvas_oauth_bg.wasm pkg/canvas_oauth.js
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const [wasmPath, jsPath] = process.argv.slice(2);
const wasm = readFileSync(wasmPath);
let js = readFileSync(jsPath, "utf8");

function uleb(bytes, at) {
  let value = 0, shift = 0, byte;
  do {
    byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, at];
}
function toUleb(value) {
  const out = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value) byte |= 0x80;
    out.push(byte);
  } while (value);
  return Buffer.from(out);
}
const name = (bytes, at) => {
  const [len, start] = uleb(bytes, at);
  return [bytes.subarray(start, start + len).toString("utf8"), start + len];
};
const encodeName = (text) => Buffer.concat([toUleb(Buffer.byteLength(text)), Buffer.from(text)]);

const ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const shortName = (i) => {
  let out = ALPHABET[i % 52];
  for (i = Math.floor(i / 52); i > 0; i = Math.floor(i / 52)) out += ALPHABET[i % 52];
  return out;
};

// wasm-bindgen's closure-invoke exports are named after the closure's Rust signature with crate
// hashes (`wasm_bindgen_<hash>___convert__closures_____invoke___…`, up to 330 bytes): private to
// the glue like the imports, so they become `$0`, `$1`, ... (no Rust export starts with `$`).
const CLOSURE_EXPORT = /^wasm_bindgen_[0-9a-f]{16}___convert__closures_/;
const exportsRenamed = new Map();
function exportSection(body, end) {
  let [count, p] = uleb(wasm, body);
  const entries = [toUleb(count)];
  for (let i = 0; i < count; i++) {
    const [field, afterField] = name(wasm, p);
    const kind = wasm[afterField];
    const [, q] = uleb(wasm, afterField + 1);
    let field2 = field;
    if (kind === 0 && CLOSURE_EXPORT.test(field)) {
      field2 = `$${exportsRenamed.size}`;
      exportsRenamed.set(field, field2);
    }
    entries.push(encodeName(field2), wasm.subarray(afterField, q));
    p = q;
  }
  if (p !== end) throw new Error("export section not read to its end");
  const section = Buffer.concat(entries);
  return Buffer.concat([Buffer.from([7]), toUleb(section.length), section]);
}

if (wasm.readUInt32LE(0) !== 0x6d736100) throw new Error(`${wasmPath} is not a wasm module`);
const parts = [wasm.subarray(0, 8)];
const renamed = new Map();
const modules = new Map();
let at = 8;
while (at < wasm.length) {
  const id = wasm[at];
  const [size, body] = uleb(wasm, at + 1);
  const end = body + size;
  if (id === 7) {
    parts.push(exportSection(body, end));
    at = end;
    continue;
  }
  if (id !== 2) {
    parts.push(wasm.subarray(at, end));
    at = end;
    continue;
  }
  // The import section: count, then (module, field, kind, type) entries.
  let [count, p] = uleb(wasm, body);
  const entries = [toUleb(count)];
  for (let i = 0; i < count; i++) {
    const [module, afterModule] = name(wasm, p);
    const [field, afterField] = name(wasm, afterModule);
    // The descriptor: kind byte, then a type index (func), limits (memory/table) or type (global).
    let q = afterField;
    const kind = wasm[q++];
    if (kind === 0) [, q] = uleb(wasm, q);
    else if (kind === 1) { q++; const flags = wasm[q++]; [, q] = uleb(wasm, q); if (flags & 1) [, q] = uleb(wasm, q); }
    else if (kind === 2) { const flags = wasm[q++]; [, q] = uleb(wasm, q); if (flags & 1) [, q] = uleb(wasm, q); }
    else if (kind === 3) q += 2;
    else throw new Error(`import kind ${kind} not handled`);
    if (!modules.has(module)) modules.set(module, String(modules.size));
    let field2 = field;
    if (module === "./canvas_oauth_bg.js" && kind === 0) {
      field2 = renamed.get(field) ?? shortName(renamed.size);
      renamed.set(field, field2);
    }
    entries.push(encodeName(modules.get(module)), encodeName(field2), wasm.subarray(afterField, q));
    p = q;
  }
  if (p !== end) throw new Error("import section not read to its end");
  const section = Buffer.concat(entries);
  parts.push(Buffer.from([2]), toUleb(section.length), section);
  at = end;
}

// Each old name must be exactly one key of the glue's import object, or nothing is written.
for (const [from, to] of renamed) {
  const key = new RegExp(`(?<![\\w$])${from}(?![\\w$])`, "g");
  const hits = js.match(key)?.length ?? 0;
  if (hits !== 1) throw new Error(`${from} occurs ${hits} times in ${jsPath}, expected once`);
  js = js.replace(key, to);
}
// The modules are keys of the object `__wbg_get_imports` returns: `"./canvas_oauth_bg.js": import0`.
// A snippet module whose functions the wasm imports directly is a key once per such import, each
// a namespace of the same module: the first stays (renamed), the repeats go.
for (const [from, to] of modules) {
  const entry = new RegExp(`\\n\\s*${JSON.stringify(from).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: (import\\d+),`, "g");
  const hits = [...js.matchAll(entry)];
  if (hits.length === 0) throw new Error(`module ${from} is not a key of the import object in ${jsPath}`);
  let first = true;
  const dropped = [];
  js = js.replace(entry, (whole, namespace) => {
    if (!first) return dropped.push(namespace), "";
    first = false;
    return whole.replace(JSON.stringify(from), JSON.stringify(to));
  });
  // Each repeat's `import * as importN from "…"` goes with it: nothing else names importN.
  for (const namespace of dropped) {
    const line = new RegExp(`^import \\* as ${namespace} from [^\\n]*\\n`, "m");
    if (!line.test(js)) throw new Error(`no import statement for ${namespace} in ${jsPath}`);
    js = js.replace(line, "");
  }
}
// The renamed exports: the glue calls each as `wasm.<name>`; the .d.ts files beside it list them.
const typings = [jsPath.replace(/\.js$/, ".d.ts"), wasmPath.replace(/\.wasm$/, ".wasm.d.ts")].filter(existsSync);
const texts = typings.map((path) => readFileSync(path, "utf8"));
for (const [from, to] of [...exportsRenamed].sort((a, b) => b[0].length - a[0].length)) {
  const word = new RegExp(`(?<![\\w$])${from}(?![\\w$])`, "g");
  if (!js.includes(`wasm.${from}`)) throw new Error(`the glue does not call the export ${from}`);
  js = js.replace(word, to);
  texts.forEach((text, i) => (texts[i] = text.replace(word, to)));
}
writeFileSync(wasmPath, Buffer.concat(parts));
writeFileSync(jsPath, js);
typings.forEach((path, i) => writeFileSync(path, texts[i]));
console.log(`short-imports: renamed ${renamed.size} imports, ${modules.size} modules and ${exportsRenamed.size} closure exports`);
