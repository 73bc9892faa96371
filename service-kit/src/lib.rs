//! Plumbing shared by the link and API services, so both answer operators the same way.
//!
//! # Layout
//! - [`telemetry`]: the tracing subscriber (plain or JSON logs).
//! - [`shutdown`]: a cancellation token fired by SIGINT or SIGTERM.
//! - [`forwarded`]: client address and scheme behind trusted proxies.
//! - [`health`]: `/healthz` (alive) and `/readyz` (catalog reachable, map loaded).
//! - [`metrics`]: the Prometheus `/metrics` endpoint over a registry the service owns.
//! - [`server`]: [`server::HttpService`]: bind, serve, drain on shutdown.
//!
//! Nothing here knows about links or apps.

pub mod forwarded;
pub mod health;
pub mod metrics;
pub mod server;
pub mod shutdown;
pub mod telemetry;
