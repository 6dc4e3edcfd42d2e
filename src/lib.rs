//! canvas-oauth for the browser: the JavaScript API of `shared/design.md`, compiled to wasm.
//! Thin bindings: protocol logic lives in `canvas-oauth-core`.

mod api;
mod auth;
mod config;
mod error;
mod flows;
mod free;
mod js;
mod relay;
mod session;
mod tabs;
mod types;

pub use api::Pages;
pub use auth::CanvasAuth;
pub use error::js_error;
pub use free::{create_state, parse_callback, pkce_challenge};
