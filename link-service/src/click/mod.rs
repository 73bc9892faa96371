//! The click path: `GET`/`HEAD /{code}` on a link domain, and long links (`/a/{key}?…`,
//! or `/?…` with link parameters).
//!
//! # Layout
//! - `handler.rs`: host -> app -> link + config -> client -> decision -> response.
//! - `respond.rs`: decisions and errors as HTTP responses.
//! - `browser_id.rs`: the signed browser-id cookie.
//! - `device.rs`: telling an iPad from a Mac when Safari claims a Mac.
//! - `installed.rs`: whether the app is known installed for a browser.
//! - `metrics.rs`: click-path counters and latency.
//!
//! Nothing here awaits anything but the cache: click recording is a non-blocking
//! enqueue, and a shard that cannot answer yields the app's fallback or a 503 at once.

pub mod browser_id;
mod device;
mod handler;
pub mod installed;
pub mod metrics;
pub mod respond;

pub use handler::{click, config_for_host, long, request_host, root};
