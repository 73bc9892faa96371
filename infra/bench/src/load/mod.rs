//! The load generator: HTTP/1.1 keep-alive connections on tokio + hyper, driving a
//! pre-generated, seeded request plan.
//!
//! # Layout
//! - `plan.rs`: [`Plan`], the request sequence (built once from a seed, so runs repeat).
//! - `conn.rs`: one client connection (connect, send, reconnect on failure).
//! - `closed.rs`: closed loop, a fixed number of connections each sending back to back.
//! - `open.rs`: open loop at a fixed rate, latency measured from each request's
//!   *intended* send time, so a stalled server cannot hide its queue (coordinated
//!   omission).
//! - `burst.rs`: N connections released together, for flash crowds.
//! - `stats.rs`: [`RunStats`]: counts by status, transport errors, an HdrHistogram.

mod burst;
mod closed;
mod conn;
mod open;
mod plan;
pub mod stats;

pub use burst::burst;
pub use closed::closed_loop;
pub use open::open_loop;
pub use plan::{Plan, Planned};
pub use stats::RunStats;
