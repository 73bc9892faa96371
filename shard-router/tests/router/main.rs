//! shard-router against real Postgres: each test on its own catalog and shard databases.

mod helpers;
mod map_refresh;
mod migrations;
mod placement;
mod unreachable_shard;
mod validation;
