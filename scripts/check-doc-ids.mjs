// Checks that the repository explains itself (run by scripts/test.sh; no dependencies):
// - every rule or finding ID the code cites (L7, R3, S13; ranges such as L2–L6) is defined in
//   docs/ (a table row `| L7 |` or a heading `### S13 ...`);
// - every Canvas section cited (`§2.3`, `canvas.md §7.6`; not RFC sections) exists in docs/canvas.md;
// - every `*.md` file a source file names exists in the repository (nothing under `shared/`);
// - every relative link in a Markdown file resolves to a file (and heading) inside the repository,
//   and the npm README (docs/npm-readme.md, shipped in pkg/) links only by absolute URL.
// A file holding deliberate bad references (the self-test) says so on a line: check-doc-ids: ignore-file.
// Usage: node scripts/check-doc-ids.mjs [root]. Exits 1 with `file:line: problem` lines.
import { readdirSync, readFileSync, existsSync, statSync } from "node:fs";
import { join, relative, resolve, dirname, sep } from "node:path";
import { fileURLToPath } from "node:url";

const SKIP_DIRS = new Set([".git", "node_modules", "target", "pkg", "dist", "test-results", "corpus", "artifacts"]);
const EXTENSIONS = /\.(rs|js|mjs|cjs|ts|sh|py|md|json|toml|html|css|yml|yaml)$/;
const SKIP_FILES = /(^|\/)(package-lock\.json|Cargo\.lock)$/;
/** The npm package's README: shipped inside pkg/, so relative links would point nowhere. */
export const NPM_README = "docs/npm-readme.md";
const IGNORE_FILE = "check-doc-ids:" + " ignore-file"; // split, so this file is still checked

function listFiles(root, dir = root, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name) && !entry.name.startsWith("target-")) listFiles(root, join(dir, entry.name), out);
    } else if (EXTENSIONS.test(entry.name)) {
      const rel = relative(root, join(dir, entry.name)).split(sep).join("/");
      if (!SKIP_FILES.test(rel)) out.push(rel);
    }
  }
  return out;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function anchors(markdown) {
  const seen = new Map();
  const out = new Set();
  for (const line of withoutFences(markdown)) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = m[1].toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

/** The lines of a Markdown text with fenced code blocks blanked (line numbers kept). */
function withoutFences(markdown) {
  let inFence = false;
  return markdown.split("\n").map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      inFence = !inFence;
      return "";
    }
    return inFence ? "" : line;
  });
}

/** IDs defined in docs/*.md: `| L7 |` table rows and `### S13 ...` headings. */
function definedIds(docs) {
  const ids = new Set();
  for (const text of docs.values()) {
    for (const line of text.split("\n")) {
      const m = /^\|\s*\**([LRSK]\d{1,2})\**\s*\|/.exec(line) ?? /^#{2,6}\s+([LRSK]\d{1,2})\b/.exec(line);
      if (m) ids.add(m[1]);
    }
  }
  return ids;
}

/** Sections of docs/canvas.md: numbered headings (`### 2.3 ...`) and list items (`- **7.6** ...`). */
function canvasSections(text) {
  const sections = new Set();
  for (const line of text.split("\n")) {
    const m = /^#{2,6}\s+(\d+(?:\.\d+)*)\.?\s/.exec(line) ?? /^\s*[-*]\s+\*\*(\d+\.\d+)\*\*/.exec(line);
    if (m) sections.add(m[1]);
  }
  return sections;
}

// An ID, or a range of them with the letter repeated ("L2–L6", "S11-S14").
const ID = /\b([LRSK])(\d{1,2})\b(?:\s*[–-]\s*\1(\d{1,2})\b)?/g;
// A document name or a § reference, in the order they appear on a line. A § belongs to the document
// named last before it on that line; with none, it is a Canvas section.
const DOC_OR_SECTION =
  /(RFC\s?\d+|WHATWG\s+\w+|draft-[\w-]+|ASVS|OWASP|(?:[\w./-]*\/)?[\w-]+\.md)|§\s?(\d+(?:\.\d+)*)(?:\s?[–-]\s?(\d+(?:\.\d+)*))?/g;
// A Markdown file named in text (not inside a URL or a longer path).
const MD_NAME = /(?<![\w/.:-])((?:\.\.?\/)*[\w.-]+(?:\/[\w.-]+)*\.md)\b/g;
const LINK = /!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)|^\s*\[[^\]]+\]:\s*(\S+)/g;

export function checkRepo(root) {
  root = resolve(root);
  const files = listFiles(root);
  const problems = [];
  const docs = new Map(files.filter((f) => /^docs\/[^/]+\.md$/.test(f)).map((f) => [f, readFileSync(join(root, f), "utf8")]));
  const ids = definedIds(docs);
  const canvas = docs.get("docs/canvas.md");
  const sections = canvas ? canvasSections(canvas) : new Set();
  if (ids.size === 0) problems.push("docs/security.md: defines no rule IDs");
  if (sections.size === 0) problems.push("docs/canvas.md: missing, or defines no numbered sections");
  const anchorCache = new Map();
  const anchorsOf = (file) => {
    if (!anchorCache.has(file)) anchorCache.set(file, anchors(readFileSync(file, "utf8")));
    return anchorCache.get(file);
  };
  const insideRoot = (abs) => abs === root || abs.startsWith(root + sep);

  for (const file of files) {
    const text = readFileSync(join(root, file), "utf8");
    if (text.includes(IGNORE_FILE)) continue;
    const lines = text.split("\n");
    const isMarkdown = file.endsWith(".md");
    const linkLines = isMarkdown ? withoutFences(text) : [];
    lines.forEach((line, i) => {
      const at = `${file}:${i + 1}`;
      for (const m of line.matchAll(ID)) {
        const [letter, from, to] = [m[1], Number(m[2]), Number(m[3] ?? m[2])];
        for (let n = from; n <= Math.max(from, to); n++) {
          if (!ids.has(letter + n)) problems.push(`${at}: ${letter}${n} is cited but not defined in docs/`);
        }
      }
      let doc = null;
      for (const m of line.matchAll(DOC_OR_SECTION)) {
        if (m[1]) {
          doc = m[1];
          continue;
        }
        if (doc && !/(^|\/)canvas(-oauth2)?\.md$/.test(doc)) continue;
        for (const s of [m[2], m[3]].filter(Boolean)) {
          if (!sections.has(s)) problems.push(`${at}: Canvas section §${s} is not in docs/canvas.md`);
        }
      }
      for (const m of line.matchAll(MD_NAME)) {
        const name = m[1];
        if (/(^|\/)shared\//.test(name)) {
          problems.push(`${at}: ${name} is outside the repository`);
          continue;
        }
        const candidates = [resolve(root, dirname(file), name), resolve(root, name), resolve(root, "docs", name)];
        // pkg/ is generated by `npm run build` (this check runs before it, and on a clean clone).
        const generated = (c) => insideRoot(c) && relative(root, c).split(sep)[0] === "pkg";
        if (!candidates.some((c) => insideRoot(c) && (existsSync(c) || generated(c)))) {
          problems.push(`${at}: ${name} names no file in the repository`);
        }
      }
      if (!isMarkdown) return;
      for (const m of linkLines[i].matchAll(LINK)) {
        const target = m[1] ?? m[2];
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        if (file === NPM_README && !target.startsWith("#")) {
          problems.push(`${at}: ${target}: the npm README ships in pkg/, link by absolute URL`);
          continue;
        }
        const [path, anchor] = target.split("#");
        const abs = path ? resolve(root, dirname(file), decodeURIComponent(path)) : join(root, file);
        if (!insideRoot(abs)) {
          problems.push(`${at}: ${target} points outside the repository`);
        } else if (!existsSync(abs)) {
          problems.push(`${at}: ${target} does not exist`);
        } else if (anchor && abs.endsWith(".md") && statSync(abs).isFile() && !anchorsOf(abs).has(anchor)) {
          problems.push(`${at}: ${target}: no such heading`);
        }
      }
    });
  }
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "..");
  const problems = checkRepo(root);
  if (problems.length) {
    console.error(problems.join("\n"));
    console.error(`check-doc-ids: ${problems.length} problem(s): define the ID or section in docs/, or fix the reference`);
    process.exit(1);
  }
  console.log("check-doc-ids: every cited ID and Canvas section is defined in docs/, every link stays in the repository");
}
