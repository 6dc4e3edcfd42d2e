//! canvas-oauth for the browser: the JavaScript API of `shared/design.md`, compiled to wasm.
//! Thin bindings: protocol logic lives in `canvas-oauth-core`.

mod api;
mod auth;
mod client;
mod config;
mod error;
mod flows;
mod free;
mod js;
mod options;
mod random;
mod refresh;
mod relay;
mod session;
mod signin;
mod tabs;
mod types;

pub use api::Pages;
pub use auth::CanvasAuth;
pub use error::js_error;
pub use free::{create_state, parse_callback, pkce_challenge};
