// `npm run bench`: builds what is needed, runs the three benchmarks one after another (each
// bounded), prints them, and rewrites the results between the markers in BENCHMARKS.md.
//   node bench/run.mjs [--no-build] [--only size,browser,relay] [--no-write]
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync, existsSync, mkdirSync } from "node:fs";
import os from "node:os";

const root = new URL("../", import.meta.url).pathname;
const here = new URL("./", import.meta.url).pathname;
const argv = process.argv.slice(2);
const only = argv.includes("--only") ? argv[argv.indexOf("--only") + 1].split(",") : ["size", "browser", "relay"];
const env = { ...process.env, PATH: `${process.env.HOME}/.cargo/bin:${process.env.PATH}` };
const sh = (cmd, args, opts = {}) => execFileSync(cmd, args, { cwd: root, env, stdio: ["ignore", "inherit", "inherit"], ...opts });

// Dev dependencies of bench/ (esbuild, playwright-core and the libraries compared).
if (!existsSync(`${here}node_modules/oauth4webapi`) || !existsSync(`${here}node_modules/playwright-core`)) {
  sh("npm", ["install", "--prefix", here, "--no-audit", "--no-fund"]);
}
// twiggy for the size breakdown (bench/size.mjs), from crates.io like the other Rust tools.
if (only.includes("size") && spawnSync("twiggy", ["--version"], { env }).status !== 0) {
  console.error("installing twiggy (cargo install)");
  sh("cargo", ["install", "--quiet", "twiggy"]);
}
if (!argv.includes("--no-build")) {
  if (only.includes("size") || only.includes("browser")) {
    if (!existsSync(`${root}node_modules/.bin/wasm-opt`)) sh("npm", ["install", "--no-audit", "--no-fund"]);
    if (only.includes("size")) {
      console.error("building the floor (bench/floor/build.sh)");
      sh("bash", ["bench/floor/build.sh"]);
    }
    console.error("building pkg/ (npm run build)");
    try {
      sh("bash", ["scripts/build-pkg.sh"]);
    } catch {
      if (!existsSync(`${root}pkg/canvas_oauth_bg.wasm`)) throw new Error("npm run build failed and there is no pkg/");
      console.error("WARNING: npm run build failed; measuring the pkg/ that is there");
    }
  }
  if (only.includes("relay")) {
    console.error("building the relay and the stand-in in release");
    sh("cargo", ["build", "--release", "--quiet", "-p", "canvas-oauth-relay", "-p", "canvas-standin", "--bins"]);
  }
}

const { measureSize, printSize } = await import("./size.mjs");
const { measureBrowser, printBrowser } = await import("./browser.mjs");
const { measureRelay, printRelay, goalsRelay } = await import("./relay.mjs");

const cpu = readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.*)$/m)?.[1] ?? os.cpus()[0]?.model ?? "unknown";
const machine = {
  date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  nproc: execFileSync("nproc", { encoding: "utf8" }).trim(),
  cpu,
  memGiB: (os.totalmem() / 2 ** 30).toFixed(1),
  load: os.loadavg().map((x) => x.toFixed(2)).join(" "),
  node: process.version,
  kernel: os.release(),
  commit: execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim(),
  dirty: execFileSync("git", ["status", "--porcelain", "--", "src", "core", "relay", "standin", "Cargo.toml"], { cwd: root, encoding: "utf8" }).trim() !== "",
};

const results = { machine };
mkdirSync(`${root}target/bench`, { recursive: true });
if (only.includes("size")) { results.size = measureSize(); printSize(results.size); }
if (only.includes("browser")) { results.browser = await measureBrowser(); printBrowser(results.browser); }
if (only.includes("relay")) { results.relay = await measureRelay(); printRelay(results.relay); }
results.loadAfter = os.loadavg().map((x) => x.toFixed(2)).join(" ");
writeFileSync(`${root}target/bench/results.json`, JSON.stringify(results, null, 2));

if (!argv.includes("--no-write") && only.length === 3) {
  const file = `${root}BENCHMARKS.md`;
  const text = readFileSync(file, "utf8");
  const start = "<!-- results:start -->";
  const end = "<!-- results:end -->";
  if (!text.includes(start) || !text.includes(end)) throw new Error("BENCHMARKS.md has no results markers");
  const updated = text.slice(0, text.indexOf(start) + start.length) + "\n" + render(results) + text.slice(text.indexOf(end));
  writeFileSync(file, updated);
  console.error("\nrewrote the results in BENCHMARKS.md (raw numbers: target/bench/results.json)");
}
process.exit(0);

function render(r) {
  const n = (x) => Math.round(x).toLocaleString("en-US");
  const met = (ok) => (ok ? "**met**" : "**not met**");
  const { size: s, browser: b, relay: rl, machine: m } = r;
  const rg = goalsRelay(rl);
  const L = [];
  L.push(`Run on ${m.date}: ${m.nproc} cores (\`nproc\`), ${m.cpu}, ${m.memGiB} GiB memory, Linux ${m.kernel}, Node ${m.node},`);
  L.push(`Chromium ${b.chromium}, ${rl.nginxVersion.replace(/^nginx version: /, "")}, ${rl.wrkVersion.split(" [")[0]}. Load average before / after: ${m.load} / ${r.loadAfter}`);
  L.push("(the machine is shared with engineers compiling Rust; everything, load generator included, runs on the same cores).");
  L.push(`Code: commit ${m.commit}${m.dirty ? " plus uncommitted changes in src/, core/, relay/ or standin/ (the work tree is shared)" : ""}.`);
  L.push("");
  L.push("### Goals");
  L.push("");
  L.push("| goal | measured | ratio | status |");
  L.push("|---|---|---|---|");
  L.push(`| size ≤ 17,667 B gzip (oidc-client-ts UserManager) | ${n(s.ours.gzip)} B | ${(s.ours.gzip / 17_667).toFixed(2)}× the goal | ${met(s.ours.gzip <= 17_667)} |`);
  L.push(`| stretch: size ≤ 10,797 B gzip | ${n(s.ours.gzip)} B | ${(s.ours.gzip / 10_797).toFixed(2)}× the goal | ${met(s.ours.gzip <= 10_797)} |`);
  L.push(`| starting a sign-in ≥ 2× oauth4webapi | ${n(b.start.ours)} vs ${n(b.start.oauth4webapi)} ops/s | ${(b.start.ours / b.start.oauth4webapi).toFixed(2)}× | ${met(b.start.ours >= 2 * b.start.oauth4webapi)} |`);
  L.push(`| validating a callback ≥ 2× oauth4webapi | ${n(b.callback.ours)} vs ${n(b.callback.oauth4webapi)} ops/s | ${(b.callback.ours / b.callback.oauth4webapi).toFixed(2)}× | ${met(b.callback.ours >= 2 * b.callback.oauth4webapi)} |`);
  L.push(`| module init ≤ 10 ms median | ${b.init.ours.toFixed(2)} ms (oauth4webapi ${b.init.oauth4webapi.toFixed(2)} ms) | ${(b.init.ours / 10).toFixed(2)}× the goal | ${met(b.init.ours <= 10)} |`);
  for (const g of rg.goals) L.push(`| ${g.goal.replace("<=", "≤").replace(">=", "≥").replace("->", "→")} | ${g.measured} | | ${met(g.met)} |`);
  L.push("");
  L.push("### 1. Size (gzip -9)");
  L.push("");
  L.push("| package | raw B | gzip B | ours ÷ it |");
  L.push("|---|---:|---:|---:|");
  for (const row of [s.ours, ...s.others]) L.push(`| ${row.name}${row.entry ? ` (\`${row.entry}\`)` : ""} | ${n(row.raw)} | ${n(row.gzip)} | ${(s.ours.gzip / row.gzip).toFixed(2)} |`);
  L.push("");
  L.push(`Ours: wasm ${n(s.ours.parts.wasm.raw)} B raw / ${n(s.ours.parts.wasm.gzip)} B gzip + JS glue ${n(s.ours.parts.glue.raw)} B / ${n(s.ours.parts.glue.gzip)} B.`);
  if (s.floor) {
    L.push("");
    L.push(`The floor (\`bench/floor\`, "The floor" below): core's decisions alone, one export each, no driver: ${n(s.floor.gzip)} B gzip (wasm ${n(s.floor.wasm)} + glue ${n(s.floor.glue)}).`);
  }
  if (s.breakdown) {
    L.push("");
    L.push(`Where the wasm bytes go (twiggy \`top\` on a names-preserving build of the same code, uncompressed; ${n(s.breakdown.total)} B without the ${n(s.breakdown.namesBytes)} B name section):`);
    L.push("");
    L.push("| group | bytes | share | items |");
    L.push("|---|---:|---:|---:|");
    for (const g of s.breakdown.groups) L.push(`| ${g.name} | ${n(g.bytes)} | ${(100 * g.bytes / s.breakdown.total).toFixed(1)}% | ${g.items} |`);
    L.push("");
    L.push("Top items:");
    L.push("");
    L.push("| bytes | item |");
    L.push("|---:|---|");
    for (const it of s.breakdown.top.slice(0, 20)) L.push(`| ${n(it.bytes)} | \`${it.name.replace(/\|/g, "\\|")}\` |`);
  }
  L.push("");
  L.push(`### 2. Browser speed (medians of ${b.rounds} interleaved ${b.batchMs} ms batches; init: ${b.initSamples} fresh pages each)`);
  L.push("");
  L.push("| benchmark | canvas-oauth | oauth4webapi | ours ÷ theirs |");
  L.push("|---|---:|---:|---:|");
  L.push(`| (a) start a sign-in, ops/s | ${n(b.start.ours)} | ${n(b.start.oauth4webapi)} | ${(b.start.ours / b.start.oauth4webapi).toFixed(2)}× |`);
  L.push(`| (a′) same, ours with no pending flows to prune (informational) | ${n(b.start.oursEmpty)} | | ${(b.start.oursEmpty / b.start.oauth4webapi).toFixed(2)}× |`);
  L.push(`| (b) validate a callback, ops/s | ${n(b.callback.ours)} | ${n(b.callback.oauth4webapi)} | ${(b.callback.ours / b.callback.oauth4webapi).toFixed(2)}× |`);
  L.push(`| (c) module init, median ms (lower is better) | ${b.init.ours.toFixed(2)} | ${b.init.oauth4webapi.toFixed(2)} | ${(b.init.ours / b.init.oauth4webapi).toFixed(2)}× the time |`);
  if (b.init.oursPreload !== undefined) L.push(`| (c′) module init, the wasm fetched with the import (\`<link rel="preload">\`), median ms | ${b.init.oursPreload.toFixed(2)} | ${b.init.oauth4webapi.toFixed(2)} | ${(b.init.oursPreload / b.init.oauth4webapi).toFixed(2)}× the time |`);
  if (b.init.oursEmbedded !== undefined) L.push(`| (c″) module init, the wasm inside the JS module as base64 (an experiment, not shipped: one module of ${n(b.embedded.gzip)} B gzip), median ms | ${b.init.oursEmbedded.toFixed(2)} | ${b.init.oauth4webapi.toFixed(2)} | ${(b.init.oursEmbedded / b.init.oauth4webapi).toFixed(2)}× the time |`);
  L.push("");
  const ph = b.init.phases;
  if (b.init.empty !== undefined) L.push(`A one-line module takes ${b.init.empty.toFixed(2)} ms in this harness (a fresh context, nothing cached): what any import costs. Above that, oauth4webapi adds ${(b.init.oauth4webapi - b.init.empty).toFixed(2)} ms and we add ${(b.init.ours - b.init.empty).toFixed(2)} ms.`);
  L.push(`Init p90 ours ${b.init.oursP90.toFixed(2)} ms. Ours step by step (medians, separate samples, non-streaming): import of the glue ${ph.importGlue.toFixed(2)} ms, fetch of the wasm ${ph.fetchWasm.toFixed(2)} ms, \`WebAssembly.compile\` ${ph.compile.toFixed(2)} ms, instantiate (\`initSync\`) ${ph.instantiate.toFixed(2)} ms.`);
  L.push(`Served uncompressed: ours ${n(b.served.oursJs)} B JS + ${n(b.served.oursWasm)} B wasm, oauth4webapi ${n(b.served.o4wJs)} B JS.`);
  L.push("");
  L.push(`### 3. Relay: POST /refresh (wrk -t${rl.threads}; per target and connection count ${rl.duration} s in ${rl.rounds} interleaved rounds, medians; ${n(rl.grants)} distinct sealed cookies round-robin)`);
  L.push("");
  L.push("| run (target@connections) | req/s | p50 ms | p99 ms | errors | upstream ÷ answered | proxy CPU µs/req | stand-in CPU µs/req | relay peak RSS |");
  L.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const [label, x] of Object.entries(rl.runs)) {
    L.push(`| ${label} | ${n(x.rps)} | ${(x.p50_us / 1000).toFixed(2)} | ${(x.p99_us / 1000).toFixed(2)} | ${x.errors} | ${x.upstreamPerAnswered.toFixed(2)} | ${x.proxyCpuUsPerReq == null ? "" : x.proxyCpuUsPerReq.toFixed(0)} | ${x.standinCpuUsPerReq.toFixed(0)} | ${x.hwmKB ? `${(x.hwmKB / 1024).toFixed(1)} MB` : ""} |`);
  }
  L.push("");
  for (const line of rg.lines.slice(rg.goals.length)) L.push(`- ${line}`);
  L.push(`- Relay RSS: ${(rl.relayIdle.rssKB / 1024).toFixed(1)} MB idle after start, ${(rl.relayAfterMint.rssKB / 1024).toFixed(1)} MB after minting the cookies.`);
  L.push(`- Peak RSS (VmHWM): relay ${(rl.relayMem.hwmKB / 1024).toFixed(1)} MB, relay with in-flight cap 1024 ${(rl.relay2Mem.hwmKB / 1024).toFixed(1)} MB, nginx ${(rl.nginxMem.hwmKB / 1024).toFixed(1)} MB (master + workers), stand-in ${(rl.standinMem.hwmKB / 1024).toFixed(1)} MB.`);
  if (rl.replicas) {
    const x = (k) => rl.runs[k].rps;
    L.push(`- 3 replicas sharing one Redis behind nginx round-robin (same 2 cores): ${n(x("replicas3-redis@64"))} req/s at 64 connections (${(x("replicas3-redis@64") / x("relay@64")).toFixed(2)}× one relay), ${n(x("replicas3-redis@1000"))} at 1,000 (${(x("replicas3-redis@1000") / x("relay@1000")).toFixed(2)}×); peak RSS per replica ${rl.replicas.replicaMem.map((m) => `${(m.hwmKB / 1024).toFixed(1)} MB`).join(", ")}, redis-server ${(rl.replicas.redisMem.hwmKB / 1024).toFixed(1)} MB (${rl.replicas.redisVersion.split(" ").slice(0, 3).join(" ")}).`);
  }
  L.push("");
  return L.join("\n");
}
