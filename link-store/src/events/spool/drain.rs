//! Writing out a spool whose process is gone (`hoplink spool drain`): a pod scaled away, a
//! host retired, a volume moved off a dead machine. A pipeline started on the directory
//! with nothing recorded into it only reads files back; it runs until no file is left or
//! the deadline passes, and what it could not write stays in its files.

use std::path::Path;
use std::time::{Duration, Instant};

use shard_router::ShardRouter;

use super::{SpoolStock, stock};
use crate::events::config::EventsConfig;
use crate::events::kind::ShardEvent;
use crate::events::metrics::EventMetrics;
use crate::events::{PipelineError, start_pipeline};

/// How often the directory is looked at while the pipeline writes.
const POLL: Duration = Duration::from_millis(100);
/// How often a long drain says how far it is.
const PROGRESS: Duration = Duration::from_secs(10);

/// What a drain of one kind did.
#[derive(Debug, Clone)]
pub struct DrainReport {
    pub before: SpoolStock,
    pub after: SpoolStock,
    /// Events written to their shards (some may have been there already: a file read
    /// again skips stored rows, and those do not count).
    pub written: u64,
    /// Events given up on, by reason: an app deleted since, data its shard refuses.
    pub dropped: Vec<(&'static str, u64)>,
}

/// Writes the `E` events spooled under `root` to their shards, until none is left or
/// `deadline`. Fails when the directory cannot be used or a process holds it.
pub async fn drain<E: ShardEvent>(
    router: ShardRouter,
    root: &Path,
    metrics: &EventMetrics,
    deadline: Instant,
) -> Result<DrainReport, PipelineError> {
    let before = stock(root, E::KIND)?;
    let counters = metrics.kind(E::KIND);
    let (written_at_start, dropped_at_start) = (counters.written.get(), counters.dropped_counts());
    if before.files == 0 {
        return Ok(DrainReport {
            after: before.clone(),
            before,
            written: 0,
            dropped: Vec::new(),
        });
    }
    let config = EventsConfig {
        events_spool_dir: Some(root.to_owned()),
        // Once the deadline has passed, what is read back stays in its files: a short
        // last try is enough.
        events_drain_deadline_ms: 1_000,
        ..EventsConfig::default()
    };
    let (recorder, batcher) = start_pipeline::<E>(router, &config, metrics, None)?;
    let mut progress_at = Instant::now() + PROGRESS;
    let watched = loop {
        match stock(root, E::KIND) {
            Ok(now) if now.files == 0 => break Ok(()),
            Ok(now) if Instant::now() >= progress_at => {
                tracing::info!(
                    kind = E::KIND,
                    files = now.files,
                    events = now.events,
                    "draining the event spool"
                );
                progress_at += PROGRESS;
            }
            Ok(_) => {}
            Err(error) => break Err(error),
        }
        if Instant::now() >= deadline {
            break Ok(());
        }
        tokio::time::sleep(POLL).await;
    };
    drop(recorder);
    if let Err(error) = batcher.await {
        tracing::error!(kind = E::KIND, %error, "the spool drain's pipeline failed");
    }
    watched?;
    let dropped = counters
        .dropped_counts()
        .into_iter()
        .zip(dropped_at_start)
        .map(|((reason, n), (_, at_start))| (reason, n - at_start))
        .filter(|&(_, n)| n > 0)
        .collect();
    Ok(DrainReport {
        after: stock(root, E::KIND)?,
        before,
        written: counters.written.get() - written_at_start,
        dropped,
    })
}
