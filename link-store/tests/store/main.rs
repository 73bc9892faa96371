//! link-store against real Postgres: each test on its own catalog and shard databases.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail loudly; a panic is the assertion"
)]

mod helpers;

mod clicks;
mod shard_outage;
mod shutdown;
mod stale_route;
