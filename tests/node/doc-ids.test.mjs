// scripts/check-doc-ids.mjs: it passes on this repository, and it fails on each kind of broken
// reference (a fixture repository written to a temporary directory). Its fixtures cite broken
// references on purpose, so the check itself skips this file: check-doc-ids: ignore-file
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkRepo, anchors } from "../../scripts/check-doc-ids.mjs";

const SECURITY = "# Rules\n\n| ID | Rule |\n|---|---|\n| L1 | one |\n| L2 | two |\n\n### S2 A finding\n";
const CANVAS = "# Canvas\n\n## 2. Auth\n\n### 2.3 Matching\n\n## 7. Surprises\n\n- **7.6** refresh kills the old token\n";

function fixture(files) {
  const root = mkdtempSync(join(tmpdir(), "doc-ids-"));
  const all = { "docs/security.md": SECURITY, "docs/canvas.md": CANVAS, ...files };
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  try {
    return checkRepo(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test("this repository passes", () => {
  assert.deepEqual(checkRepo(fileURLToPath(new URL("../../", import.meta.url))), []);
});

test("defined IDs, ranges, Canvas sections and links pass; lookalikes are not IDs", () => {
  const src = [
    "//! Callback rules (L1, L1–L2; docs/security.md S2). PKCE S256, not an ID; nor is R2D2 or aL1.",
    "// Canvas kills the old token (docs/canvas.md §7.6); redirect matching (§2.3); RFC 6749 §4.1.2, §10.12.",
    "// See README.md and security.md.",
  ].join("\n");
  const readme = "# Repo\n\n[rules](docs/security.md#s2-a-finding), [canvas](docs/canvas.md#23-matching), [web](https://example.com/x.md)\n";
  assert.deepEqual(fixture({ "src/lib.rs": src, "README.md": readme }), []);
});

test("an undefined ID fails, with file and line", () => {
  const problems = fixture({ "src/lib.rs": "fn a() {}\n// checked here (L9)\n" });
  assert.deepEqual(problems, ["src/lib.rs:2: L9 is cited but not defined in docs/"]);
});

test("every ID inside a cited range must be defined", () => {
  const problems = fixture({ "relay/x.rs": "// rules L1–L3, S1-S2\n" });
  assert.deepEqual(problems, [
    "relay/x.rs:1: L3 is cited but not defined in docs/",
    "relay/x.rs:1: S1 is cited but not defined in docs/",
  ]);
});

test("an unknown Canvas section fails; RFC sections are not Canvas sections", () => {
  const problems = fixture({ "x.mjs": "// RFC 9700 §9.9 is fine; canvas.md §2.4 and §8 are not\n" });
  assert.deepEqual(problems, [
    "x.mjs:1: Canvas section §2.4 is not in docs/canvas.md",
    "x.mjs:1: Canvas section §8 is not in docs/canvas.md",
  ]);
});

test("references outside the repository fail", () => {
  const problems = fixture({
    "a.rs": "//! protocol v1 (`shared/design.md`)\n// see design.md\n",
    "README.md": "[design](../shared/design.md) [gone](docs/nothing.md) [anchor](docs/canvas.md#no-such)\n",
  });
  assert.deepEqual(problems, [
    "README.md:1: ../shared/design.md is outside the repository",
    "README.md:1: docs/nothing.md names no file in the repository",
    "README.md:1: ../shared/design.md points outside the repository",
    "README.md:1: docs/nothing.md does not exist",
    "README.md:1: docs/canvas.md#no-such: no such heading",
    "a.rs:1: shared/design.md is outside the repository",
    "a.rs:2: design.md names no file in the repository",
  ]);
});

test("names of generated files in pkg/ pass before the package is built", () => {
  const problems = fixture({ "scripts/x.mjs": "// writes ../pkg/README.md\n", "tests/t.mjs": "// reads pkg/README.md and pkgs/README.md\n" });
  assert.deepEqual(problems, ["tests/t.mjs:1: pkgs/README.md names no file in the repository"]);
});

test("the npm README links by absolute URL only", () => {
  const problems = fixture({ "docs/npm-readme.md": "# pkg\n\n[relay](../relay/README.md)\n", "relay/README.md": "# relay\n" });
  assert.deepEqual(problems, ["docs/npm-readme.md:3: ../relay/README.md: the npm README ships in pkg/, link by absolute URL"]);
});

test("anchors follow GitHub's slugs", () => {
  const slugs = anchors('# A b\n## 6.3 How "x" works\n### 3.5 grant_type=client_credentials\n## A b\n```\n# not a heading\n```\n');
  assert.deepEqual([...slugs], ["a-b", "63-how-x-works", "35-grant_typeclient_credentials", "a-b-1"]);
});
