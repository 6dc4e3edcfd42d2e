//! canvas-oauth for the browser: the JavaScript API of `docs/npm-readme.md`, compiled to wasm.
//! Thin bindings: protocol logic lives in `canvas-oauth-core`.

mod api;
mod auth;
mod client;
mod config;
mod error;
mod flows;
mod free;
mod graphql;
mod io;
mod js;
mod options;
mod persist;
mod popup;
mod random;
mod refresh;
mod relay;
mod session;
mod signin;
mod tabs;
mod throttle;
mod types;

pub use api::Pages;
pub use auth::CanvasAuth;
pub use error::js_error;
pub use free::{create_state, parse_callback, pkce_challenge};

/// talc instead of std's dlmalloc: 1.45 KB gzip smaller (BENCHMARKS.md, "Size techniques"). Its
/// constructor refuses (at compile time) any target but single-threaded wasm.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
