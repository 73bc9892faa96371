//! Hoplink's API service: the Branch-compatible SDK API and the developer API.
//!
//! # Layout
//! - [`config`]: [`ApiServiceConfig`] from `HOPLINK_*`.
//! - [`startup`]: [`Application`]: state, routes, OpenAPI; bind, serve, drain.
//! - [`error`]: [`error::ApiError`] and its one mapping to `application/problem+json`.
//! - [`auth`]: SDK keys, secret keys, the admin token.
//! - [`ratelimit`]: per-key token buckets.
//! - [`links`]: link creation, update and deletion shared by both APIs.
//! - [`qr`]: QR codes of short URLs, drawn as SVG or PNG.
//! - [`query`]: reading optional query-string values.
//! - [`sdk`]: `/v1/*` and `/v2/event/*` for app SDKs.
//! - [`developer`]: `/api/v1/*` for developers and operators.
//! - [`openapi`]: the OpenAPI document's frame.
//! - [`state`]: what handlers share.

pub mod auth;
pub mod config;
pub mod developer;
pub mod error;
pub mod links;
pub mod openapi;
pub mod qr;
pub mod query;
pub mod ratelimit;
pub mod routes;
pub mod sdk;
pub mod startup;
pub mod state;

pub use config::ApiServiceConfig;
pub use startup::{Application, StartupError};
