use anyhow::bail;
use chrono::Utc;
use link_store::retention;
use serde::Serialize;

use crate::cli::ClicksCommand;
use crate::output;

/// One shard's outcome; a shard that fails does not stop the others.
#[derive(Debug, Serialize)]
struct PruneReport {
    shard: String,
    ok: bool,
    deleted: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

pub async fn run(cmd: ClicksCommand) -> anyhow::Result<()> {
    match cmd {
        ClicksCommand::Prune {
            older_than_days,
            batch_size,
            catalog,
        } => {
            let Some(before) = retention::cutoff(Utc::now(), older_than_days) else {
                bail!(
                    "--older-than-days must be at least {}: younger clicks may still be matched \
                     to an install",
                    retention::MIN_RETENTION_DAYS
                );
            };
            let router = super::router(&catalog).await?;
            let routes = router.routes();
            let mut shards: Vec<_> = routes.shard_handles().collect();
            shards.sort_by(|a, b| a.id.cmp(&b.id));
            let mut failed = 0;
            for shard in shards {
                let result = match shard.pool() {
                    Ok(pool) => retention::prune_clicks(pool, before, batch_size)
                        .await
                        .map_err(anyhow::Error::from),
                    Err(e) => Err(e.into()),
                };
                failed += usize::from(result.is_err());
                output::json(&PruneReport {
                    shard: shard.id.to_string(),
                    ok: result.is_ok(),
                    deleted: *result.as_ref().unwrap_or(&0),
                    detail: result.err().map(|e| format!("{e:#}")),
                });
            }
            if failed > 0 {
                bail!("{failed} shard(s) could not be pruned");
            }
        }
    }
    Ok(())
}
