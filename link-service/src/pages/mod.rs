//! Server-rendered pages of the click path: the interstitial that opens the app, the Open
//! Graph preview for link-preview bots, the check that tells an iPad from a Mac, and the
//! error pages.
//!
//! Rendering is pure: each function takes what the decision produced (or an error kind)
//! and returns a [`Page`] (status, body, and the Content-Security-Policy to send with it).
//! The HTTP layer only copies those into a response.
//!
//! Pages must never: load anything external (no fonts, images of ours, scripts or styles
//! from elsewhere); contain inline script or style other than the constants in `assets`,
//! which the CSP allows by hash; put link data anywhere without the escaping of its
//! context (`escape`); or exceed [`MAX_PAGE_BYTES`], whatever the link data holds.
//!
//! # Layout
//! - `escape`: HTML text/attribute escaping and URL checks; budgeted truncation.
//! - `assets`: the inline CSS and the interstitial's script.
//! - `csp`: policies built from the hashes of those blocks.
//! - `interstitial`, `preview`, `device_check`, `error`: one renderer each.

mod assets;
mod csp;
mod device_check;
mod error;
mod escape;
mod interstitial;
mod preview;

pub use device_check::render_device_check;
pub use error::{ErrorPage, render_error};
pub use interstitial::render_interstitial;
pub use preview::render_preview;

/// Every page stays below this, even with maximal link data (one TCP window, and cheap to
/// render under a flood).
pub const MAX_PAGE_BYTES: usize = 8 * 1024;

/// The `Content-Type` of every page.
pub const CONTENT_TYPE: &str = "text/html; charset=utf-8";

/// The `Cache-Control` of every page: answers vary by User-Agent (a preview for bots, a
/// redirect for people) and interstitials carry a per-click id, so no shared cache may
/// keep them.
pub const CACHE_CONTROL: &str = "no-store";

/// A rendered page and the headers that must go with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub status: u16,
    pub body: String,
    /// The `Content-Security-Policy` header value for this body.
    pub csp: &'static str,
}

/// The start of every page: doctype, language, charset and viewport.
const HEAD_START: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">";

#[cfg(test)]
mod tests;
