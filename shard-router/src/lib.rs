//! The catalog (control plane) and per-app routing to Postgres shards.
//!
//! # Layout
//! - [`map`]: [`ShardMap`], the routing table, built and validated from catalog rows. Pure.
//! - [`placement`]: which shard a new app goes to. Pure.
//! - [`dsn`]: [`ShardDsn`], a parsed Postgres URL that never prints its password.
//! - [`config`]: [`RouterConfig`], the catalog URL and pool limits, from `HOPLINK_*`.
//! - [`router`]: [`ShardRouter`], the live map (swapped atomically) and one pool per shard.
//! - [`refresh`]: keeps the map fresh (LISTEN/NOTIFY plus polling).
//! - [`migrate`]: migrations for the catalog and every shard.
//! - [`catalog`]: catalog reads and the admin operations (shards, apps, domains, keys).
//! - [`app_config`]: the shard-side `app_configs` row of an app.
//! - [`fence`]: the epoch check every shard write transaction starts with.
//! - [`error`]: [`RouterError`], the router's error enum.
//!
//! Resolving host -> app -> pool reads only memory; this crate never puts a database
//! round trip on the click path.

pub mod app_config;
pub mod catalog;
pub mod config;
pub mod dsn;
pub mod error;
pub mod fence;
pub mod map;
pub mod migrate;
pub mod placement;
pub mod refresh;
pub mod router;
#[cfg(feature = "testing")]
pub mod testing;

pub use config::{PoolSettings, RouterConfig};
pub use dsn::ShardDsn;
pub use error::RouterError;
pub use map::{AppRoute, AppState, ShardInfo, ShardMap, ShardState};
pub use router::{Resolved, ShardHandle, ShardRouter};
