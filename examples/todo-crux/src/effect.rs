//! The effects the core asks of its shell.

// The `effect` macro adds undocumented `is_*`, `into_*` and (for tests) `expect_*` methods and
// an FFI twin of the enum; they are Crux's, documented in crux_core.
#![allow(missing_docs)]

use crux_core::macros::effect;
use crux_core::render::RenderOperation;
use crux_http::protocol::HttpRequest;
use crux_time::TimeRequest;

/// What the core asks the shell to do: redraw from the view model, make an HTTP request and
/// hand back its answer, or tell it when a duration has passed (or that a timer was cleared).
#[effect]
pub enum Effect {
    /// Draw [`App::view`](crux_core::App::view) again: something shown changed.
    Render(RenderOperation),
    /// An HTTP request (crux_http's protocol: method, URL, headers, body).
    Http(HttpRequest),
    /// A timer (crux_time's protocol): `NotifyAfter` a duration, or `Clear` one asked before.
    Timer(TimeRequest),
}
