//! [`ShardQueue`]: the events waiting for one shard, and that shard's retry state.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// First wait after a failed write; it doubles with each further failure up to
/// [`MAX_BACKOFF`], and resets on success.
const INITIAL_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// An event the batcher has taken from the channel.
pub(crate) struct Pending<E> {
    /// Order of arrival at the batcher, for flush requests.
    pub seq: u64,
    /// Write attempts the app's fence refused.
    pub stale_attempts: u8,
    /// A write that held this event failed after it may have committed, so the event may
    /// already be stored and must be written with the statement that skips stored rows.
    pub maybe_stored: bool,
    pub event: E,
}

impl<E> From<Pending<E>> for super::spool::Spooled<E> {
    fn from(pending: Pending<E>) -> Self {
        Self {
            maybe_stored: pending.maybe_stored,
            event: pending.event,
        }
    }
}

/// A batch being written: the batcher's number for the write, how many events, and the
/// oldest of them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InFlight {
    pub write: u64,
    pub len: usize,
    pub min_seq: u64,
}

pub(crate) struct ShardQueue<E> {
    /// Oldest first; a failed batch goes back to the front.
    pub queue: VecDeque<Pending<E>>,
    /// Batches being written, at most the pipeline's writers per shard.
    pub in_flight: Vec<InFlight>,
    /// Write what is queued as soon as possible (the interval passed, a batch filled up, a
    /// flush was asked for, or the pipeline is draining).
    pub due: bool,
    /// Consecutive failures' wait, and when the next attempt may start.
    pub backoff: Option<Duration>,
    pub retry_at: Option<Instant>,
    /// Failures in a row, for the recovery log line.
    pub failures: u32,
    /// The flush generation of the latest failed attempt: a flush asked for before that
    /// attempt started has had its attempt.
    pub failed_generation: u64,
}

impl<E> Default for ShardQueue<E> {
    fn default() -> Self {
        Self {
            queue: VecDeque::new(),
            in_flight: Vec::new(),
            due: false,
            backoff: None,
            retry_at: None,
            failures: 0,
            failed_generation: 0,
        }
    }
}

impl<E> ShardQueue<E> {
    /// Events this shard holds, queued or being written.
    pub fn held(&self) -> usize {
        self.queue.len() + self.in_flight.iter().map(|f| f.len).sum::<usize>()
    }

    pub fn is_idle(&self) -> bool {
        self.queue.is_empty() && self.in_flight.is_empty()
    }

    /// Whether a write should start now. With no write running, whatever is due goes; a
    /// further concurrent write (up to `writers`) only for a full batch, when the shard is
    /// falling behind, so a steady trickle still goes out as one transaction per interval.
    pub fn ready(&self, now: Instant, writers: usize, max_batch: usize) -> bool {
        let slot = self.in_flight.is_empty()
            || (self.in_flight.len() < writers && self.queue.len() >= max_batch);
        self.due && slot && !self.queue.is_empty() && self.retry_at.is_none_or(|at| at <= now)
    }

    /// When a queue that only waits for its backoff becomes ready.
    pub fn wakes_at(&self) -> Option<Instant> {
        if self.due && self.in_flight.is_empty() && !self.queue.is_empty() {
            self.retry_at
        } else {
            None
        }
    }

    /// Takes up to `max` of the oldest events for a write.
    pub fn take(&mut self, max: usize) -> Vec<Pending<E>> {
        let n = max.min(self.queue.len());
        let batch: Vec<_> = self.queue.drain(..n).collect();
        self.due = !self.queue.is_empty();
        batch
    }

    /// Whether it holds any event that arrived before `marker`.
    pub fn holds_before(&self, marker: u64) -> bool {
        self.in_flight.iter().any(|f| f.min_seq < marker)
            || self.queue.iter().any(|p| p.seq < marker)
    }

    /// Forgets a finished write and returns what it held.
    pub fn end_write(&mut self, write: u64) -> Option<InFlight> {
        let at = self.in_flight.iter().position(|f| f.write == write)?;
        Some(self.in_flight.swap_remove(at))
    }

    pub fn succeeded(&mut self) {
        self.backoff = None;
        self.retry_at = None;
        self.failures = 0;
    }

    /// Puts a failed batch back in front, in its order, and schedules the retry (`now` for
    /// a retry that must not wait).
    pub fn failed(&mut self, batch: Vec<Pending<E>>, generation: u64, retry_now: bool) {
        for mut pending in batch.into_iter().rev() {
            pending.maybe_stored = true;
            self.queue.push_front(pending);
        }
        let backoff = self
            .backoff
            .map_or(INITIAL_BACKOFF, |b| (b * 2).min(MAX_BACKOFF));
        self.backoff = Some(backoff);
        self.retry_at = (!retry_now).then(|| Instant::now() + backoff);
        self.failures = self.failures.saturating_add(1);
        self.failed_generation = self.failed_generation.max(generation);
        self.due = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(seq: u64) -> Pending<()> {
        Pending {
            seq,
            stale_attempts: 0,
            maybe_stored: false,
            event: (),
        }
    }

    #[test]
    fn a_failed_batch_returns_to_the_front_in_order_and_backs_off() {
        let mut q = ShardQueue::default();
        q.queue.extend((0..5).map(pending));
        q.due = true;
        let batch = q.take(3);
        assert_eq!(batch.iter().map(|p| p.seq).collect::<Vec<_>>(), [0, 1, 2]);
        q.queue.push_back(pending(5));
        q.failed(batch, 1, false);
        assert_eq!(
            q.queue.iter().map(|p| p.seq).collect::<Vec<_>>(),
            [0, 1, 2, 3, 4, 5]
        );
        // Only the failed attempt's events may have been stored.
        assert_eq!(
            q.queue.iter().map(|p| p.maybe_stored).collect::<Vec<_>>(),
            [true, true, true, false, false, false]
        );
        assert_eq!(q.backoff, Some(INITIAL_BACKOFF));
        assert!(!q.ready(Instant::now(), 1, 3), "waits for the backoff");
        assert!(q.wakes_at().is_some());

        for _ in 0..10 {
            let batch = q.take(6);
            q.failed(batch, 1, true);
        }
        assert_eq!(q.backoff, Some(MAX_BACKOFF));
        assert!(
            q.ready(Instant::now(), 1, 3),
            "a retry asked for now does not wait"
        );
        q.succeeded();
        assert_eq!(q.backoff, None);
    }

    #[test]
    fn a_second_writer_starts_only_for_a_full_batch() {
        let now = Instant::now();
        let mut q = ShardQueue::default();
        q.queue.extend((0..3).map(pending));
        q.due = true;
        assert!(q.ready(now, 2, 5), "an idle shard writes what is due");
        q.in_flight.push(InFlight {
            write: 1,
            len: 5,
            min_seq: 0,
        });
        assert!(
            !q.ready(now, 2, 5),
            "a partial batch waits for the running write"
        );
        q.queue.extend((3..5).map(pending));
        assert!(q.ready(now, 2, 5), "a full batch gets the second writer");
        assert!(!q.ready(now, 1, 5), "unless there is only one");
        q.in_flight.push(InFlight {
            write: 2,
            len: 5,
            min_seq: 5,
        });
        assert!(!q.ready(now, 2, 5), "both writers busy");
        assert_eq!(q.held(), 15);
    }

    #[test]
    fn holds_before_sees_queued_and_in_flight_events() {
        let mut q: ShardQueue<()> = ShardQueue::default();
        assert!(!q.holds_before(10));
        q.queue.push_back(pending(12));
        assert!(!q.holds_before(10));
        q.in_flight.push(InFlight {
            write: 1,
            len: 2,
            min_seq: 4,
        });
        assert!(q.holds_before(10));
        assert_eq!(q.held(), 3);
    }
}
