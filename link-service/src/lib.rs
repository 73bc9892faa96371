//! Hoplink's link service: the click path.
//!
//! # Layout
//! - [`config`]: [`LinkServiceConfig`] from `HOPLINK_*`.
//! - [`startup`]: [`Application`]: state, routes, background tasks; bind, serve, drain.
//! - [`click`]: `GET`/`HEAD /{code}`: the redirect, interstitial or preview.
//! - [`long_link`]: links written out in their URL's query, made into rows on a click.
//! - [`well_known`]: Apple and Android association files per host.
//! - [`pages`]: server-rendered HTML (interstitial, preview, errors).
//! - [`state`]: what handlers share.

pub mod click;
pub mod config;
pub mod long_link;
pub mod pages;
pub mod startup;
pub mod state;
pub mod well_known;

pub use config::LinkServiceConfig;
pub use startup::{Application, StartupError};
