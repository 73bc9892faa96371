//! shard-router against real Postgres: each test on its own catalog and shard databases.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail loudly; a panic is the assertion"
)]

mod alternate_domains;
mod helpers;
mod map_refresh;
mod migrations;
mod placement;
mod unreachable_shard;
mod validation;
