//! Hoplink's API service: the Branch-compatible SDK API and the developer API.
//!
//! # Layout
//! - [`config`]: [`ApiServiceConfig`] from `HOPLINK_*`.
//! - [`startup`]: [`Application`]: bind, serve, drain.

pub mod config;
pub mod startup;

pub use config::ApiServiceConfig;
pub use startup::{Application, StartupError};
