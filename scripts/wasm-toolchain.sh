# The pinned nightly that builds the release wasm with std rebuilt for size (-Zbuild-std with
# panic=immediate-abort drops std's panic and formatting machinery: BENCHMARKS.md, "Size
# techniques"). Sourced by setup.sh (installs it) and build-pkg.sh (uses it). Tests of the wasm
# (wasm-pack test) stay on stable.
WASM_NIGHTLY=nightly-2026-05-20
