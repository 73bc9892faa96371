//! [`Recorder`]: the handle request handlers record events with.
//!
//! Events go into a shared buffer under a short lock, without waking the batcher: waking
//! another runtime's task costs a syscall and two context switches, more than the rest of
//! a click. The batcher takes the whole buffer on its flush tick, or early when the buffer
//! holds a full batch (the one event that fills it sends the wake-up). The channel only
//! carries flush requests, and tells the batcher, by closing, that every recorder is gone.

use std::sync::{Arc, Mutex};

use prometheus::{IntCounter, IntGauge};
use tokio::sync::{Notify, mpsc, oneshot};

use super::kind::ShardEvent;
use super::metrics::{DropReason, KindMetrics};

/// What the batcher handles, in order: buffered events, then flush requests.
pub(crate) enum Msg<E> {
    Event(E),
    Flush(oneshot::Sender<FlushReport>),
}

/// The buffer recorders fill and the batcher empties.
pub(crate) struct Buffer<E> {
    events: Mutex<Vec<E>>,
    capacity: usize,
    /// Buffer length that wakes the batcher early (a full batch).
    wake_at: usize,
    pub(crate) wake: Notify,
}

impl<E> Buffer<E> {
    pub(crate) fn new(capacity: usize, wake_at: usize) -> Arc<Self> {
        Arc::new(Self {
            events: Mutex::new(Vec::with_capacity(wake_at.min(capacity))),
            capacity,
            wake_at: wake_at.clamp(1, capacity.max(1)),
            wake: Notify::new(),
        })
    }

    /// Takes everything buffered (the batcher's side).
    pub(crate) fn take(&self) -> Vec<E> {
        let mut events = self.events.lock().unwrap_or_else(|p| p.into_inner());
        let fresh = Vec::with_capacity(events.len().min(self.wake_at));
        std::mem::replace(&mut *events, fresh)
    }

    pub(crate) fn len(&self) -> usize {
        self.events.lock().map_or(0, |e| e.len())
    }
}

/// Records events of one kind. Cloning is cheap (two pointers and two counters); the
/// pipeline stops, after draining, once every clone is dropped.
pub struct Recorder<E: ShardEvent> {
    buffer: Arc<Buffer<E>>,
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
    pub(crate) fn new(
        buffer: Arc<Buffer<E>>,
        tx: mpsc::Sender<Msg<E>>,
        metrics: &KindMetrics,
    ) -> Self {
        Self {
            buffer,
            tx,
            queue_full: metrics.dropped(DropReason::QueueFull).clone(),
            closed: metrics.dropped(DropReason::Closed).clone(),
            queue_depth: metrics.queue_depth.clone(),
        }
    }

    /// Queues an event for writing. Never waits: when the buffer is full the event is
    /// dropped and counted, because a redirect must not wait for analytics.
    pub fn record(&self, event: E) {
        if self.tx.is_closed() {
            self.closed.inc();
            return;
        }
        let filled = {
            let mut events = self.buffer.events.lock().unwrap_or_else(|p| p.into_inner());
            if events.len() >= self.buffer.capacity {
                drop(events);
                self.queue_full.inc();
                // The batcher sets the depth when it runs; when it is behind, say so here.
                self.queue_depth.set(self.buffer.capacity as i64);
                return;
            }
            events.push(event);
            events.len() == self.buffer.wake_at
        };
        if filled {
            self.buffer.wake.notify_one();
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
            buffer: self.buffer.clone(),
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
            .field("queued", &self.buffer.len())
            .finish()
    }
}
