//! One module per command group. Each parses its arguments into domain types first, so
//! bad input is refused before anything touches a database.

pub mod apps;
pub mod events;
pub mod keys;
pub mod migrate;
pub mod prune;
pub mod shards;
pub mod spool;

use shard_router::{RouterConfig, ShardRouter};

use crate::cli::CatalogArgs;

/// A router with its map loaded, or the reason the catalog cannot be read.
pub async fn router(args: &CatalogArgs) -> anyhow::Result<ShardRouter> {
    Ok(ShardRouter::connect(&RouterConfig::new(args.catalog_url.as_str())).await?)
}
