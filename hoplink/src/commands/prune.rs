//! `clicks prune` and `sessions prune`: raw rows past a retention, deleted shard by shard.

use anyhow::bail;
use chrono::Utc;
use link_store::retention::{self, RawTable};
use serde::Serialize;

use crate::cli::{ClicksCommand, PruneArgs, SessionsCommand};
use crate::output;

/// One shard's outcome for one table; a shard that fails does not stop the others.
#[derive(Debug, Serialize)]
struct PruneReport {
    shard: String,
    /// Named when a command prunes more than one table.
    #[serde(skip_serializing_if = "Option::is_none")]
    table: Option<&'static str>,
    ok: bool,
    deleted: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

pub async fn clicks(cmd: ClicksCommand) -> anyhow::Result<()> {
    let ClicksCommand::Prune(args) = cmd;
    prune(&args, &[RawTable::Clicks]).await
}

pub async fn sessions(cmd: SessionsCommand) -> anyhow::Result<()> {
    let SessionsCommand::Prune(args) = cmd;
    prune(&args, &RawTable::SESSIONS).await
}

async fn prune(args: &PruneArgs, tables: &[RawTable]) -> anyhow::Result<()> {
    let PruneArgs {
        older_than_days,
        batch_size,
        ref catalog,
    } = *args;
    let Some(before) = retention::cutoff(Utc::now(), older_than_days) else {
        bail!(
            "--older-than-days must be at least {}, a day beyond the longest attribution \
             window: a younger click may still be matched to an install",
            retention::MIN_RETENTION_DAYS
        );
    };
    let router = super::router(catalog).await?;
    let routes = router.routes();
    let mut shards: Vec<_> = routes.shard_handles().collect();
    shards.sort_by(|a, b| a.id.cmp(&b.id));
    let mut failed = 0;
    for shard in shards {
        for &table in tables {
            let result = match shard.pool() {
                Ok(pool) => retention::prune(pool, table, before, batch_size)
                    .await
                    .map_err(anyhow::Error::from),
                Err(e) => Err(e.into()),
            };
            failed += usize::from(result.is_err());
            output::json(&PruneReport {
                shard: shard.id.to_string(),
                table: (tables.len() > 1).then(|| table.name()),
                ok: result.is_ok(),
                deleted: *result.as_ref().unwrap_or(&0),
                detail: result.err().map(|e| format!("{e:#}")),
            });
        }
    }
    if failed > 0 {
        bail!("{failed} shard table(s) could not be pruned");
    }
    Ok(())
}
