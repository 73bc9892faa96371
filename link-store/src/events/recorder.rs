//! [`Recorder`]: the handle request handlers record events with.

use prometheus::{IntCounter, IntGauge};
use tokio::sync::{mpsc, oneshot};

use super::kind::ShardEvent;
use super::metrics::{DropReason, KindMetrics};

/// What travels from recorders to the batcher. Flush requests share the events' channel so
/// that a flush is ordered after every event recorded before it.
pub(crate) enum Msg<E> {
    Event(E),
    Flush(oneshot::Sender<FlushReport>),
}

/// Records events of one kind. Cloning is cheap (a channel sender and two counters); the
/// pipeline stops, after draining, once every clone is dropped.
pub struct Recorder<E: ShardEvent> {
    tx: mpsc::Sender<Msg<E>>,
    queue_full: IntCounter,
    closed: IntCounter,
    queue_depth: IntGauge,
}

/// The recorder of click events.
pub type ClickRecorder = Recorder<super::ClickEvent>;

/// What a completed [`Recorder::flush`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlushReport {
    /// Events the pipeline still held when the flush completed: those whose write attempt
    /// failed (they wait for a retry), plus any recorded after the flush was asked for.
    pub pending: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the event pipeline has stopped")]
pub struct PipelineClosed;

impl<E: ShardEvent> Recorder<E> {
    pub(crate) fn new(tx: mpsc::Sender<Msg<E>>, metrics: &KindMetrics) -> Self {
        Self {
            tx,
            queue_full: metrics.dropped(DropReason::QueueFull).clone(),
            closed: metrics.dropped(DropReason::Closed).clone(),
            queue_depth: metrics.queue_depth.clone(),
        }
    }

    /// Queues an event for writing. Never waits: when the queue is full the event is
    /// dropped and counted, because a redirect must not wait for analytics.
    pub fn record(&self, event: E) {
        match self.tx.try_send(Msg::Event(event)) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.queue_full.inc();
                // The batcher sets the depth when it runs; when it is behind, say so here.
                self.queue_depth.set(self.tx.max_capacity() as i64);
            }
            Err(mpsc::error::TrySendError::Closed(_)) => self.closed.inc(),
        }
    }

    /// Writes everything recorded before this call now, without waiting for the flush
    /// interval, and returns once each of those events is written, given up on, or has
    /// failed a write attempt started after this call (a shard that is down is tried once,
    /// whatever its retry backoff). For tests and orderly hand-overs, never the click path.
    pub async fn flush(&self) -> Result<FlushReport, PipelineClosed> {
        let (reply, report) = oneshot::channel();
        self.tx
            .send(Msg::Flush(reply))
            .await
            .map_err(|_| PipelineClosed)?;
        report.await.map_err(|_| PipelineClosed)
    }
}

// By hand: a derive would demand `E: Clone`, which the handle does not need.
impl<E: ShardEvent> Clone for Recorder<E> {
    fn clone(&self) -> Self {
        Self {
            tx: self.tx.clone(),
            queue_full: self.queue_full.clone(),
            closed: self.closed.clone(),
            queue_depth: self.queue_depth.clone(),
        }
    }
}

impl<E: ShardEvent> std::fmt::Debug for Recorder<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("kind", &E::KIND)
            .field("queued", &(self.tx.max_capacity() - self.tx.capacity()))
            .finish()
    }
}
