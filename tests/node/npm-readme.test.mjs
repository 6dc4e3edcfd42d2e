// The package ships its own README (docs/npm-readme.md, copied by scripts/package-json.mjs), not the
// repository's, and that README links only by absolute URL (relative links would point into pkg/).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

const read = (path) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

test("pkg/README.md is docs/npm-readme.md, not the repository README", () => {
  const shipped = read("pkg/README.md");
  assert.equal(shipped, read("docs/npm-readme.md"));
  assert.notEqual(shipped, read("README.md"));
  assert.ok(JSON.parse(read("pkg/package.json")).files.includes("README.md"), "README.md is in the package's files");
});

test("the package README covers what an SPA developer needs", () => {
  const readme = read("docs/npm-readme.md");
  for (const heading of ["## Install", "## Sign-in and callback", "## React", "## Errors", "## Browser support", "## The relay"]) {
    assert.ok(readme.includes(`\n${heading}`), heading);
  }
  for (const bundler of ["**Vite**", "**webpack 5**", "**Plain ES modules"]) assert.ok(readme.includes(bundler), bundler);
  const { repository } = JSON.parse(read("pkg/package.json"));
  assert.ok(readme.includes(`${repository.url}/blob/HEAD/relay/README.md`), "links the relay README at the repository URL");
  assert.ok(readme.includes(`${repository.url}/blob/HEAD/examples/react/src/useCanvasAuth.js`), "links the React hook");
});
