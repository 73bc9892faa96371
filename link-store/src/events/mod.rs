//! Event recording: clicks (and later installs, opens and SDK events) queued in memory and
//! written in batches to each app's shard, as raw rows plus daily rollups.
//!
//! The click path calls [`Recorder::record`], which never waits: a full queue drops the
//! event and counts it. One batcher task per event kind routes events to their app's shard
//! and writes each shard's events in one transaction, at most every
//! `events_flush_interval_ms` or as soon as `events_max_batch` are waiting. Each write runs
//! as a task of its own, so a shard that is slow or down never holds up the others. A shard
//! takes up to `events_shard_writers` writes at once (clicks 2, the other kinds 1), and a
//! write beyond the first only starts for a full batch: one shard's writes go in parallel
//! only when a single writer falls behind. Every kind's rows are inserts, or upserts that
//! add up or keep the greater value, locking rows in key order, so the order in which
//! batches commit does not matter.
//!
//! - **Fence**: the transaction share-locks the `app_configs` rows of all its apps in one
//!   statement and writes only the apps whose epoch matches the map and that are not
//!   fenced. The others' events are routed again after a map refresh, with growing delays
//!   (about 3 s in all, so a move's fence-to-flip window loses nothing), then dropped as
//!   `stale_route`.
//! - **Failures**: a failed batch goes back to the front of its shard's queue and is
//!   retried with backoff (100 ms doubling to 5 s); what is held is bounded by
//!   `events_max_pending`, beyond which the oldest are dropped (`write_failed`). Writing a
//!   batch twice is harmless: its events are marked as maybe stored, and a kind writes
//!   such a batch with a statement that skips stored rows and counts only what it added
//!   (a batch of new clicks goes in by binary `COPY` instead).
//! - **Shutdown**: when every recorder is dropped the batcher writes what it holds,
//!   retrying until `events_drain_deadline_ms`, logs how many events it could not write,
//!   and ends.
//! - **Spool**: with `events_spool_dir`, the events the two points above would drop go to
//!   files instead, and are written from there once their shards take writes, by this
//!   process or the next one on that directory ([`spool`]).
//!
//! - **Export**: with an [`Exporter`], each committed batch is also handed to the event
//!   stream export ([`crate::export`]), with its links' codes and labels read in the same
//!   transaction.
//!
//! Nothing here logs IP addresses, cookies, keys or device identifiers.
//!
//! # Configuration
//! [`EventsConfig`], flattened into a service's config:
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `HOPLINK_EVENTS_QUEUE_CAPACITY` | `65536` | events queued in memory per kind; beyond it new events are dropped |
//! | `HOPLINK_EVENTS_MAX_BATCH` | `5000` | events per shard transaction (at most 10000); a full batch is written at once |
//! | `HOPLINK_EVENTS_SHARD_WRITERS` | clicks `2`, others `1` | batches written to one shard at once (at most 16), each on a connection of the shard's background pool |
//! | `HOPLINK_EVENTS_FLUSH_INTERVAL_MS` | `200` | longest wait for a batch to fill |
//! | `HOPLINK_EVENTS_MAX_PENDING` | `100000` | events held for failing or lagging shards; the oldest beyond it are dropped |
//! | `HOPLINK_EVENTS_DRAIN_DEADLINE_MS` | `10000` | how long shutdown keeps writing and retrying |
//! | `HOPLINK_EVENTS_SPOOL_DIR` | unset | a directory of this process's own where events beyond `MAX_PENDING` and those unwritten at shutdown are kept and written later ([`spool`]); unset, they are dropped |
//! | `HOPLINK_EVENTS_SPOOL_MAX_BYTES` | `1073741824` | the spool's bound per event kind; beyond it events are dropped (`spool_full`) |
//!
//! # Metrics
//! All labelled `kind` (`click`, ...): `hoplink_events_written_total`,
//! `hoplink_events_batches_written_total`, `hoplink_events_write_errors_total`,
//! `hoplink_events_dropped_total` (also `reason`: `queue_full`, `closed`, `unknown_app`,
//! `stale_route`, `write_failed`, `rejected`, `shutdown`, `spool_full`, `spool_error`),
//! `hoplink_events_queue_depth`, `hoplink_events_pending`, the histogram
//! `hoplink_events_flush_duration_seconds`, and for the spool
//! `hoplink_events_spooled_total`, `hoplink_events_replayed_total` and
//! `hoplink_events_spool_bytes`.
//!
//! # Layout
//! - [`config`]: the settings, [`EventsConfig`].
//! - [`kind`]: [`ShardEvent`], what an event kind provides (its app, its batch insert).
//! - [`click`]: [`ClickEvent`] and its batch insert.
//! - [`recorder`]: [`Recorder`] (and [`ClickRecorder`]), the non-blocking handle.
//! - `pipeline.rs`: the batcher task, [`start_pipeline`].
//! - `queue.rs`: one shard's waiting events and retry state.
//! - `write.rs`: one fenced batch transaction, run as its own task.
//! - [`spool`]: events kept on disk, and the file format.
//! - [`metrics`]: the pipeline's metric families, [`EventMetrics`].

pub mod browser_apps;
pub mod click;
pub mod config;
mod copy_rows;
pub mod install;
pub mod kind;
pub mod metrics;
pub mod open;
mod pipeline;
mod queue;
pub mod recorder;
pub mod sdk_event;
pub mod session;
pub mod spool;
mod write;

pub use click::ClickEvent;
pub use config::EventsConfig;
pub use install::InstallEvent;
pub use kind::ShardEvent;
pub use metrics::EventMetrics;
pub use open::OpenEvent;
pub use pipeline::start_pipeline;
pub use recorder::{ClickRecorder, FlushReport, PipelineClosed, Recorder};
pub use sdk_event::{SdkEvent, SdkEventCategory};
pub use session::{MatchType, SessionStart};
pub use spool::SpoolError;

use shard_router::ShardRouter;
use tokio::task::JoinHandle;

use crate::export::Exporter;

/// Why a pipeline could not start.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("could not register the event metrics")]
    Metrics(#[from] prometheus::Error),
    #[error(transparent)]
    Spool(#[from] SpoolError),
}

/// Registers the event metrics on `registry` and starts the click pipeline, exporting
/// what it writes to `export` when given. A service that records several kinds registers
/// [`EventMetrics`] once and calls [`start_pipeline`] per kind instead.
pub fn start_click_pipeline(
    router: ShardRouter,
    config: &EventsConfig,
    registry: &prometheus::Registry,
    export: Option<Exporter>,
) -> Result<(ClickRecorder, JoinHandle<()>), PipelineError> {
    let metrics = EventMetrics::register(registry)?;
    Ok(start_pipeline(router, config, &metrics, export)?)
}
