//! Hoplink's link service: the click path.
//!
//! # Layout
//! - [`config`]: [`LinkServiceConfig`] from `HOPLINK_*`.
//! - [`startup`]: [`Application`]: bind, serve, drain.
//! - [`pages`]: server-rendered HTML (interstitial, preview, errors).

pub mod config;
pub mod pages;
pub mod startup;

pub use config::LinkServiceConfig;
pub use startup::{Application, StartupError};
