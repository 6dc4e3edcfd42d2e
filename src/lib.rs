//! canvas-oauth for the browser: the JavaScript API of `shared/design.md`, compiled to wasm.
//! Thin bindings: protocol logic lives in `canvas-oauth-core`.

mod error;
mod free;

pub use error::js_error;
pub use free::{create_state, parse_callback, pkce_challenge};
