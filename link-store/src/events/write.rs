//! One batch write: a single transaction on one shard that fences every app of the batch
//! in one statement, then writes the events of the apps that passed.
//!
//! Runs as a task of its own, so a slow or dead shard never holds up the batcher or the
//! other shards' writes.

use foldhash::{HashMap, HashSet};
use std::time::{Duration, Instant};

use link_core::ShardId;
use shard_router::{RouterError, ShardHandle, ShardRouter};
use sqlx::PgConnection;
use tokio_util::sync::CancellationToken;

use crate::export::Exporter;
use crate::export::record::ExportedLink;

use super::kind::ShardEvent;
use super::queue::Pending;

/// A write that takes longer than this is abandoned and retried. A commit may have landed
/// meanwhile; writing the batch again is safe (see [`ShardEvent::write_batch`]).
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// Share-locks the apps' config rows (in app order, so every writer locks alike) for the
/// rest of the transaction: a move that fences an app waits for this write, and a write
/// after the fence sees it.
const FENCE: &str = "SELECT app_id, epoch, fenced FROM app_configs \
                     WHERE app_id = ANY($1) ORDER BY app_id FOR SHARE";

/// The code and labels of a batch's links, for the exported records.
const EXPORTED_LINKS: &str = "SELECT id, code, channel, feature, campaign FROM links \
                              WHERE id = ANY($1)";

pub(crate) struct WriteJob<E> {
    pub shard: ShardHandle,
    pub router: ShardRouter,
    pub batch: Vec<Pending<E>>,
    /// The epoch each app of the batch was routed with, by app id.
    pub epochs: HashMap<i64, i64>,
    /// The batcher's flush generation when the job started.
    pub generation: u64,
    /// Where the written events are exported, when export is on.
    pub export: Option<Exporter>,
    /// Cancelled when the pipeline stops: the write gives its batch back at once.
    pub stop: CancellationToken,
}

pub(crate) struct WriteDone<E> {
    pub shard: ShardId,
    pub generation: u64,
    pub elapsed: Duration,
    pub result: WriteResult<E>,
}

pub(crate) enum WriteResult<E> {
    /// Committed. `stale` are the events of apps that failed the fence; the map has been
    /// refreshed since, so the batcher can route them again.
    Written {
        written: usize,
        stale: Vec<Pending<E>>,
    },
    /// Nothing was written (or the outcome is unknown); the whole batch comes back.
    Failed {
        batch: Vec<Pending<E>>,
        error: WriteError,
    },
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum WriteError {
    #[error(transparent)]
    Router(#[from] RouterError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("the write did not finish within {0:?}")]
    Timeout(Duration),
    #[error("the pipeline stopped during the write")]
    Stopped,
}

impl WriteError {
    /// True when the shard refused the data itself, so the same batch would fail again.
    pub fn is_permanent(&self) -> bool {
        match self {
            // Class 22 is a data exception, 23 an integrity constraint violation.
            Self::Database(sqlx::Error::Database(db)) => db
                .code()
                .is_some_and(|code| code.starts_with("22") || code.starts_with("23")),
            Self::Database(sqlx::Error::Encode(_)) => true,
            Self::Router(_) | Self::Database(_) | Self::Timeout(_) | Self::Stopped => false,
        }
    }
}

pub(crate) async fn run<E: ShardEvent>(job: WriteJob<E>) -> WriteDone<E> {
    let started = Instant::now();
    let WriteJob {
        shard,
        router,
        batch,
        epochs,
        generation,
        export,
        stop,
    } = job;
    // A stop abandons the attempt (its outcome is then unknown, as after a timeout).
    let attempt = tokio::select! {
        biased;
        attempt = tokio::time::timeout(
            WRITE_TIMEOUT,
            fenced_write(&shard, &epochs, &batch, export.as_ref()),
        ) => attempt.unwrap_or(Err(WriteError::Timeout(WRITE_TIMEOUT))),
        () = stop.cancelled() => Err(WriteError::Stopped),
    };
    let result = match attempt {
        Ok((open, links)) => {
            let (passed, stale): (Vec<_>, Vec<_>) = batch
                .into_iter()
                .partition(|p| open.contains(&p.event.app_id().get()));
            // Only now: the stream never carries an event the shard does not hold.
            if let Some(exporter) = &export {
                exporter.submit(passed.iter().map(|p| &p.event), &links);
            }
            if !stale.is_empty() {
                // The router logs a failed reload; the batcher then retries on the old map,
                // and gives up after a few attempts.
                let _ = router.refresh().await;
            }
            WriteResult::Written {
                written: passed.len(),
                stale,
            }
        }
        Err(error) => WriteResult::Failed { batch, error },
    };
    WriteDone {
        shard: shard.id,
        generation,
        elapsed: started.elapsed(),
        result,
    }
}

/// Writes the events of every app that passes the fence and returns those apps; with an
/// export, also the written events' links as this transaction sees them.
async fn fenced_write<E: ShardEvent>(
    shard: &ShardHandle,
    epochs: &HashMap<i64, i64>,
    batch: &[Pending<E>],
    export: Option<&Exporter>,
) -> Result<(HashSet<i64>, HashMap<i64, ExportedLink>), WriteError> {
    let mut tx = shard.background_pool()?.begin().await?;
    let app_ids: Vec<i64> = epochs.keys().copied().collect();
    let rows: Vec<(i64, i64, bool)> = sqlx::query_as(FENCE)
        .bind(&app_ids)
        .fetch_all(&mut *tx)
        .await?;
    // An app without a row here has left this shard; one whose epoch differs has moved
    // since our map was loaded; a fenced one is being moved right now.
    let open: HashSet<i64> = rows
        .into_iter()
        .filter(|(app, epoch, fenced)| !fenced && epochs.get(app) == Some(epoch))
        .map(|(app, _, _)| app)
        .collect();
    let events: Vec<&E> = batch
        .iter()
        .filter(|p| open.contains(&p.event.app_id().get()))
        .map(|p| &p.event)
        .collect();
    let mut links = HashMap::default();
    if !events.is_empty() {
        let replay = batch.iter().any(|p| p.maybe_stored);
        E::write_batch(&mut tx, &events, replay).await?;
        if export.is_some() {
            links = exported_links(&mut tx, &events).await?;
        }
    }
    tx.commit().await?;
    Ok((open, links))
}

/// The id, code and labels of the links `events` are about.
async fn exported_links<E: ShardEvent>(
    conn: &mut PgConnection,
    events: &[&E],
) -> Result<HashMap<i64, ExportedLink>, sqlx::Error> {
    let mut link_ids: Vec<i64> = events.iter().filter_map(|e| e.link_id()).collect();
    link_ids.sort_unstable();
    link_ids.dedup();
    if link_ids.is_empty() {
        return Ok(HashMap::default());
    }
    let rows = sqlx::query_as::<_, ExportedLink>(EXPORTED_LINKS)
        .bind(&link_ids)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.into_iter().map(|link| (link.id, link)).collect())
}
