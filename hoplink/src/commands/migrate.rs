use anyhow::bail;
use shard_router::{RouterConfig, ShardRouter, migrate};

use crate::cli::CatalogArgs;
use crate::output;

/// `hoplink migrate`: the catalog first (a fresh catalog has no map to load yet), then
/// every shard; one JSON line per database.
pub async fn run(args: &CatalogArgs) -> anyhow::Result<()> {
    let router = ShardRouter::new(&RouterConfig::new(args.catalog_url.as_str()))?;
    let report = migrate::migrate_all(&router).await?;
    for line in &report {
        output::json(line);
    }
    let failed = report.iter().filter(|r| !r.ok).count();
    if failed > 0 {
        bail!("{failed} shard(s) could not be migrated");
    }
    Ok(())
}
