//! link-store against real Postgres: each test on its own catalog and shard databases.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail loudly; a panic is the assertion"
)]

mod helpers;
mod hot_support;

mod clicks;
mod export;
mod hot_bench;
mod hot_contract;
mod hot_expiry;
mod hot_links;
mod hot_outage;
mod shard_outage;
mod shutdown;
mod spool;
mod stale_route;
mod writer_bench;
