# The pinned nightly that builds the release wasm with std rebuilt for size (-Zbuild-std with
# panic=immediate-abort drops std's panic and formatting machinery: BENCHMARKS.md, "Size
# techniques"). Sourced by setup.sh (installs it), build-pkg.sh and bench/floor/build.sh (use it). Tests
# of the wasm (wasm-pack test) stay on stable.
WASM_NIGHTLY=nightly-2026-05-20

# The environment of a size build, for `env "${WASM_SIZE_ENV[@]}" cargo|wasm-pack ...` with
# -Zbuild-std=std,panic_abort. The CARGO_PROFILE_RELEASE_* variables make Cargo.toml's release
# profile (the servers': speed, unwinding) one for size: opt-level z, LTO, one codegen unit,
# panic=abort. RUSTFLAGS replaces .cargo/config.toml's target rustflags, so the getrandom backend
# is repeated. -Zfmt-debug=none and -Zlocation-detail=none: no Debug output or panic locations in
# the wasm (nothing there prints Debug; panics abort without a message anyway).
WASM_SIZE_ENV=(
  CARGO_PROFILE_RELEASE_OPT_LEVEL=z CARGO_PROFILE_RELEASE_LTO=true CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1
  CARGO_PROFILE_RELEASE_PANIC=abort RUSTUP_TOOLCHAIN="$WASM_NIGHTLY"
  RUSTFLAGS='--cfg getrandom_backend="wasm_js" -Zunstable-options -Cpanic=immediate-abort -Zfmt-debug=none -Zlocation-detail=none'
)

# wasm-opt's flags (the npm `binaryen` package's). --low-memory-unused: rustc's wasm32 layout puts
# the stack first, growing down from 1 MiB, and the data above it, so the low 1 KiB is never
# addressed through a wrapped pointer + offset; binaryen may then fold constant offsets into
# loads/stores. --flatten --rereloop rebuilds the control flow before -Oz;
# --merge-similar-functions folds near-duplicate monomorphisations; --converge repeats -Oz until
# nothing shrinks (BENCHMARKS.md, "Size techniques").
WASM_OPT_SIZE=(
  --low-memory-unused --flatten --rereloop --merge-similar-functions -Oz --converge
  --strip-debug --strip-producers --strip-target-features
)
