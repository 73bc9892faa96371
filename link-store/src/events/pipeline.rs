//! The batcher: one task per event kind that owns every queued event. It takes events off
//! the channel, routes each to its app's shard queue, and starts one write task per shard
//! when that shard's queue is due. All state lives in this task, so nothing is locked; the
//! only awaits are on the channel, the clock and finished writes.

use foldhash::{HashMap, HashMapExt};
use std::collections::BTreeMap;
use std::time::Instant;

use link_core::ShardId;
use shard_router::ShardRouter;
use shard_router::router::Routes;
use tokio::sync::{mpsc, oneshot};
use tokio::task::{JoinError, JoinHandle, JoinSet};
use tokio::time::{Duration, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::config::EventsConfig;
use super::kind::ShardEvent;
use super::metrics::{DropReason, EventMetrics, KindMetrics};
use super::queue::{InFlight, Pending, ShardQueue};
use super::recorder::{Buffer, FlushReport, Msg, Recorder};
use super::spool::{LoadFilter, Loaded, Spool, SpoolError, Spooled};
use super::write::{self, WriteDone, WriteError, WriteJob, WriteResult};
use crate::export::Exporter;

/// Write attempts an app's fence may refuse before its events are dropped as
/// `stale_route`. The map is refreshed after each refusal and the retries are spaced out
/// ([`STALE_FIRST_DELAY`], doubling: about 3 s in all), so that clicks recorded while a
/// move has the app fenced (until it flips the catalog) are written to the new shard.
const MAX_STALE_ATTEMPTS: u8 = 6;
const STALE_FIRST_DELAY: Duration = Duration::from_millis(100);

/// Starts the pipeline of one event kind: returns its recorder and the batcher task, which
/// ends once every clone of the recorder is dropped and what it held is written (or the
/// drain deadline has passed). With an `export`, what the pipeline writes is also
/// published there. With `events_spool_dir` it opens the kind's spool first, which fails
/// when the directory cannot be used or another process holds it. Must be called inside a
/// Tokio runtime.
pub fn start_pipeline<E: ShardEvent>(
    router: ShardRouter,
    config: &EventsConfig,
    metrics: &EventMetrics,
    export: Option<Exporter>,
) -> Result<(Recorder<E>, JoinHandle<()>), SpoolError> {
    let metrics = metrics.kind(E::KIND);
    let spool = match &config.events_spool_dir {
        Some(dir) => Some(Spool::open(
            dir,
            config.events_spool_max_bytes,
            config.max_batch(),
            &metrics,
        )?),
        None => None,
    };
    // The channel carries flush requests only; a few slots are plenty.
    let (tx, rx) = mpsc::channel(64);
    let buffer = Buffer::new(config.queue_capacity(), config.max_batch());
    let recorder = Recorder::new(buffer.clone(), tx, &metrics);
    let batcher = Batcher {
        router,
        rx,
        buffer,
        metrics,
        max_batch: config.max_batch(),
        writers: config.shard_writers(E::SHARD_WRITERS),
        max_pending: config.max_pending(),
        flush_interval: config.flush_interval(),
        drain_deadline: config.drain_deadline(),
        shards: HashMap::new(),
        writes: JoinSet::new(),
        tasks: HashMap::new(),
        next_write: 0,
        next_seq: 0,
        generation: 0,
        waiters: Vec::new(),
        parked: Vec::new(),
        export,
        spool,
        spill: Vec::new(),
        replays: Vec::new(),
        stop: CancellationToken::new(),
    };
    Ok((recorder, tokio::spawn(batcher.run())))
}

/// A spool file read back: the sequence numbers its events were given, and how many of
/// them are neither written nor dropped yet.
struct Replay {
    file: u64,
    seqs: std::ops::Range<u64>,
    outstanding: usize,
    /// Some of its events left memory unwritten and the file went back to the spool, to be
    /// read again: it is not deleted when the rest are written.
    returned: bool,
}

/// A caller of [`Recorder::flush`] waiting for the events that arrived before its request.
struct FlushWaiter {
    /// Events with a lower sequence number arrived before the request.
    marker: u64,
    generation: u64,
    reply: oneshot::Sender<FlushReport>,
}

struct Batcher<E> {
    router: ShardRouter,
    rx: mpsc::Receiver<Msg<E>>,
    buffer: std::sync::Arc<Buffer<E>>,
    metrics: KindMetrics,
    max_batch: usize,
    /// Concurrent batch writes per shard.
    writers: usize,
    max_pending: usize,
    flush_interval: Duration,
    drain_deadline: Duration,
    shards: HashMap<ShardId, ShardQueue<E>>,
    writes: JoinSet<WriteDone<E>>,
    /// Which shard and write each running write task is, to clear its in-flight record
    /// (also for a task that panicked), and the sequence numbers of the spooled events in
    /// its batch.
    tasks: HashMap<tokio::task::Id, (ShardId, u64, Vec<u64>)>,
    next_write: u64,
    next_seq: u64,
    /// Counts flush requests; a write remembers the value it started under.
    generation: u64,
    waiters: Vec<FlushWaiter>,
    /// Events of apps whose fence refused them, waiting to be routed again.
    parked: Vec<(Instant, Pending<E>)>,
    export: Option<Exporter>,
    spool: Option<Spool<E>>,
    /// Events over `max_pending` on their way to the spool, sent a batch at a time, with
    /// the shard each was bound for.
    spill: Vec<(Option<ShardId>, Spooled<E>)>,
    /// Spool files whose events are being written; each is deleted once all are.
    replays: Vec<Replay>,
    /// Cancelled at the deadline: running writes hand their batches back.
    stop: CancellationToken,
}

impl<E: ShardEvent> Batcher<E> {
    async fn run(mut self) {
        let mut ticker = tokio::time::interval(self.flush_interval);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut inbox = Vec::with_capacity(self.max_batch);
        // Set once every recorder is gone: from then on, write everything until done or
        // until this instant.
        let mut drain_until: Option<Instant> = None;
        loop {
            let wake = self.next_wake(drain_until);
            tokio::select! {
                received = self.rx.recv_many(&mut inbox, 64), if drain_until.is_none() => {
                    // Events recorded before a flush request are in the buffer: take them
                    // first, so the flush is ordered after them.
                    self.take_buffer(&mut inbox);
                    if received == 0 {
                        drain_until = Some(Instant::now() + self.drain_deadline);
                    }
                    self.accept(&mut inbox);
                }
                () = self.buffer.wake.notified(), if drain_until.is_none() => {
                    self.take_buffer(&mut inbox);
                    self.accept(&mut inbox);
                }
                _ = ticker.tick() => {
                    self.take_buffer(&mut inbox);
                    self.accept(&mut inbox);
                    self.mark_due();
                    self.send_spill();
                }
                loaded = loaded(&mut self.spool) => self.accept_loaded(loaded),
                Some(joined) = self.writes.join_next_with_id() => self.finished(joined, DropReason::WriteFailed),
                () = sleep_until(wake), if wake.is_some() => {}
            }
            if let Some(deadline) = drain_until {
                if self.is_idle() || Instant::now() >= deadline {
                    break;
                }
                self.mark_due();
            }
            self.unpark();
            self.start_writes();
            if drain_until.is_none() {
                self.load_spooled();
            }
            self.metrics.pending.set(self.held() as i64);
            self.answer_flushes();
        }
        self.stop().await;
    }

    /// Moves the recorders' buffer into `inbox`, ahead of the control messages there.
    fn take_buffer(&self, inbox: &mut Vec<Msg<E>>) {
        let events = self.buffer.take();
        if events.is_empty() {
            return;
        }
        let controls = std::mem::take(inbox);
        inbox.reserve(events.len() + controls.len());
        inbox.extend(events.into_iter().map(Msg::Event));
        inbox.extend(controls);
    }

    /// Routes buffered events and control messages, in order.
    fn accept(&mut self, inbox: &mut Vec<Msg<E>>) {
        let routes = self.router.routes();
        for msg in inbox.drain(..) {
            match msg {
                Msg::Event(event) => {
                    let seq = self.next_seq;
                    self.next_seq += 1;
                    let pending = Pending {
                        seq,
                        stale_attempts: 0,
                        maybe_stored: false,
                        event,
                    };
                    self.route(pending, &routes, false);
                }
                Msg::Flush(reply) => self.request_flush(reply),
            }
        }
        self.metrics.queue_depth.set(self.buffer.len() as i64);
        self.enforce_limit();
    }

    /// Queues an event on its app's shard, or drops it when the map does not know the app.
    fn route(&mut self, pending: Pending<E>, routes: &Routes, due: bool) {
        let Some((route, _)) = routes.app(pending.event.app_id()) else {
            self.metrics.dropped(DropReason::UnknownApp).inc();
            self.settle(pending.seq);
            return;
        };
        // Look up before inserting, so the common case does not clone the shard id.
        if !self.shards.contains_key(&route.shard) {
            self.shards
                .insert(route.shard.clone(), ShardQueue::default());
        }
        if let Some(queue) = self.shards.get_mut(&route.shard) {
            queue.queue.push_back(pending);
            queue.due |= due || queue.queue.len() >= self.max_batch;
        }
    }

    fn request_flush(&mut self, reply: oneshot::Sender<FlushReport>) {
        self.generation += 1;
        self.waiters.push(FlushWaiter {
            marker: self.next_seq,
            generation: self.generation,
            reply,
        });
        // An explicit flush writes now, and tries a failing shard now too.
        for queue in self.shards.values_mut() {
            if !queue.queue.is_empty() {
                queue.due = true;
                queue.retry_at = None;
            }
        }
    }

    fn mark_due(&mut self) {
        for queue in self.shards.values_mut() {
            queue.due |= !queue.queue.is_empty();
        }
    }

    /// Starts writes on every shard that is due and has a free writer and is not backing
    /// off.
    fn start_writes(&mut self) {
        let now = Instant::now();
        let (writers, max_batch) = (self.writers, self.max_batch);
        let ready: Vec<ShardId> = self
            .shards
            .iter()
            .filter(|(_, queue)| queue.ready(now, writers, max_batch))
            .map(|(id, _)| id.clone())
            .collect();
        if ready.is_empty() {
            return;
        }
        let routes = self.router.routes();
        let mut moved = Vec::new();
        for id in ready {
            while self.start_write(&id, &routes, now, &mut moved) {}
        }
        for pending in moved {
            self.route(pending, &routes, true);
        }
    }

    /// Starts one write on shard `id` if it is ready; returns whether it did. Events of
    /// apps that moved away go to `moved`.
    fn start_write(
        &mut self,
        id: &ShardId,
        routes: &Routes,
        now: Instant,
        moved: &mut Vec<Pending<E>>,
    ) -> bool {
        let (writers, max_batch) = (self.writers, self.max_batch);
        let Some(queue) = self.shards.get_mut(id) else {
            return false;
        };
        if !queue.ready(now, writers, max_batch) {
            return false;
        }
        let taken = queue.take(max_batch);
        let Some(handle) = routes.shard(id) else {
            // The shard left the map: its apps live elsewhere now.
            moved.extend(taken);
            return true;
        };
        // Check each app against the current map: it may have moved since it was queued.
        let mut epochs = HashMap::new();
        let mut unknown = Vec::new();
        let mut batch = Vec::with_capacity(taken.len());
        for pending in taken {
            let app = pending.event.app_id();
            if epochs.contains_key(&app.get()) {
                batch.push(pending);
                continue;
            }
            match routes.app(app) {
                Some((route, _)) if route.shard == *id => {
                    epochs.insert(app.get(), route.epoch);
                    batch.push(pending);
                }
                Some(_) => moved.push(pending),
                None => {
                    self.metrics.dropped(DropReason::UnknownApp).inc();
                    unknown.push(pending.seq);
                }
            }
        }
        let Some(min_seq) = batch.iter().map(|p| p.seq).min() else {
            for seq in unknown {
                self.settle(seq);
            }
            return true;
        };
        let replayed: Vec<u64> = if self.replays.is_empty() {
            Vec::new()
        } else {
            batch
                .iter()
                .map(|p| p.seq)
                .filter(|&seq| self.replays.iter().any(|r| r.seqs.contains(&seq)))
                .collect()
        };
        self.next_write += 1;
        let write = self.next_write;
        queue.in_flight.push(InFlight {
            write,
            len: batch.len(),
            min_seq,
        });
        let job = WriteJob {
            shard: handle.clone(),
            router: self.router.clone(),
            batch,
            epochs,
            generation: self.generation,
            export: self.export.clone(),
            stop: self.stop.clone(),
        };
        let task = self.writes.spawn(write::run(job));
        self.tasks.insert(task.id(), (id.clone(), write, replayed));
        for seq in unknown {
            self.settle(seq);
        }
        true
    }

    /// Applies the outcome of a write task. `lost_as` is the reason counted for the events
    /// of a task that panicked or was aborted.
    fn finished(
        &mut self,
        joined: Result<(tokio::task::Id, WriteDone<E>), JoinError>,
        lost_as: DropReason,
    ) {
        let (done, write, replayed) = match joined {
            Ok((task, done)) => match self.tasks.remove(&task) {
                Some((_, write, replayed)) => (done, Some(write), replayed),
                None => (done, None, Vec::new()),
            },
            Err(error) => {
                let Some((id, write, replayed)) = self.tasks.remove(&error.id()) else {
                    return;
                };
                let lost = self
                    .shards
                    .get_mut(&id)
                    .and_then(|queue| queue.end_write(write))
                    .map_or(0, |f| f.len);
                self.metrics.drop_n(lost_as, lost);
                for seq in replayed {
                    self.settle(seq);
                }
                if error.is_panic() {
                    tracing::error!(kind = E::KIND, lost, "event write task panicked");
                }
                return;
            }
        };
        let Some(queue) = self.shards.get_mut(&done.shard) else {
            return;
        };
        if let Some(write) = write {
            queue.end_write(write);
        }
        match done.result {
            WriteResult::Written { written, stale } => {
                // A batch of refused apps only committed an empty transaction.
                if written > 0 {
                    self.metrics.written.inc_by(written as u64);
                    self.metrics.batches.inc();
                    self.metrics
                        .flush_seconds
                        .observe(done.elapsed.as_secs_f64());
                }
                if queue.failures > 0 {
                    tracing::info!(kind = E::KIND, shard = %done.shard, failures = queue.failures, "event writes to shard recovered");
                }
                queue.succeeded();
                // Refused events come back to be routed again: not settled yet.
                for seq in replayed {
                    if !stale.iter().any(|p| p.seq == seq) {
                        self.settle(seq);
                    }
                }
                self.park_stale(stale);
            }
            WriteResult::Failed { batch, error } if error.is_permanent() => {
                self.metrics.write_errors.inc();
                self.metrics.drop_n(DropReason::Rejected, batch.len());
                tracing::error!(kind = E::KIND, shard = %done.shard, events = batch.len(), %error, "shard rejected an event batch; dropping it");
                for pending in &batch {
                    self.settle(pending.seq);
                }
            }
            WriteResult::Failed {
                batch,
                error: WriteError::Stopped,
            } => queue.failed(batch, done.generation, true),
            WriteResult::Failed { batch, error } => {
                self.metrics.write_errors.inc();
                // A flush asked for while this attempt ran gets an attempt of its own now.
                let retry_now = self.waiters.iter().any(|w| w.generation > done.generation);
                tracing::warn!(kind = E::KIND, shard = %done.shard, events = batch.len(), failures = queue.failures + 1, %error, "event batch write failed; will retry");
                queue.failed(batch, done.generation, retry_now);
                self.enforce_limit();
            }
        }
    }

    /// Parks the events of apps whose fence refused them, to be routed again (on the map
    /// the write task refreshed) after a delay, or gives up on them after
    /// [`MAX_STALE_ATTEMPTS`].
    fn park_stale(&mut self, stale: Vec<Pending<E>>) {
        if stale.is_empty() {
            return;
        }
        let now = Instant::now();
        let mut dropped = 0;
        for mut pending in stale {
            pending.stale_attempts += 1;
            if pending.stale_attempts >= MAX_STALE_ATTEMPTS {
                dropped += 1;
                self.settle(pending.seq);
            } else {
                let delay = STALE_FIRST_DELAY * 2u32.pow(u32::from(pending.stale_attempts) - 1);
                self.parked.push((now + delay, pending));
            }
        }
        if dropped > 0 {
            self.metrics.drop_n(DropReason::StaleRoute, dropped);
            tracing::warn!(
                kind = E::KIND,
                events = dropped,
                "dropping events of apps whose shard kept refusing writes (moved or moving)"
            );
        }
    }

    /// Routes the parked events whose delay is over.
    fn unpark(&mut self) {
        if self.parked.is_empty() {
            return;
        }
        let now = Instant::now();
        let ready: Vec<_> = self.parked.extract_if(.., |(at, _)| *at <= now).collect();
        if ready.is_empty() {
            return;
        }
        let routes = self.router.routes();
        for (_, pending) in ready {
            self.route(pending, &routes, true);
        }
    }

    /// Keeps what the batcher holds within `max_pending` by dropping the oldest events of
    /// the shards that hold the most, failing shards first.
    fn enforce_limit(&mut self) {
        let mut excess = self.held().saturating_sub(self.max_pending);
        while excess > 0 {
            let Some((shard, queue)) = self
                .shards
                .iter_mut()
                .filter(|(_, q)| !q.queue.is_empty())
                .max_by_key(|(_, q)| (q.backoff.is_some(), q.queue.len()))
            else {
                break;
            };
            let n = excess.min(queue.queue.len());
            excess -= n;
            if self.spool.is_none() {
                queue.queue.drain(..n);
                self.metrics.drop_n(DropReason::WriteFailed, n);
                continue;
            }
            for pending in queue.queue.drain(..n) {
                // An event read back is still in its file: put the file back instead of
                // spooling the event again.
                match self
                    .replays
                    .iter_mut()
                    .find(|r| r.seqs.contains(&pending.seq))
                {
                    Some(replay) => {
                        replay.outstanding -= 1;
                        if !replay.returned
                            && let Some(spool) = &self.spool
                        {
                            spool.give_back(replay.file);
                        }
                        replay.returned = true;
                    }
                    None => self
                        .spill
                        .push((Some(shard.clone()), Spooled::from(pending))),
                }
            }
        }
        // A file given back whose events have all left memory: nothing waits on it.
        self.replays.retain(|r| r.outstanding > 0);
        if self.spill.len() >= self.max_batch {
            self.send_spill();
        }
    }

    fn send_spill(&mut self) {
        if let Some(spool) = &self.spool
            && !self.spill.is_empty()
        {
            store_by_shard(spool, std::mem::take(&mut self.spill));
        }
    }

    /// Asks the spool for its oldest file when there is room for it and the shard it
    /// names could start writing it at once, so events read back are not spooled again at
    /// once and a shard whose failure has not shown yet does not fill memory with its files.
    fn load_spooled(&mut self) {
        let room = self.held() + self.spill.len() + self.max_batch <= self.max_pending;
        if !room || !self.spool.as_ref().is_some_and(Spool::may_load) {
            return;
        }
        // A shard that holds nothing (it left the map, say) keeps no one waiting.
        let backing_off = |q: &ShardQueue<E>| q.backoff.is_some() && !q.is_idle();
        let full = self.writers * self.max_batch;
        let filter = LoadFilter {
            closed: self
                .shards
                .iter()
                .filter(|(_, q)| backing_off(q) || q.held() >= full)
                .map(|(shard, _)| shard.clone())
                .collect(),
            unnamed: !self.shards.values().any(backing_off),
        };
        if let Some(spool) = &mut self.spool
            && spool.can_load(&filter)
        {
            spool.request_load(filter);
        }
    }

    /// Routes events read back from the spool; they are written at once, and the file is
    /// deleted once all of them are.
    fn accept_loaded(&mut self, loaded: Option<Loaded<E>>) {
        let Some(Loaded { file, events }) = loaded else {
            return;
        };
        if events.is_empty() {
            if let Some(spool) = &self.spool {
                spool.done(file);
            }
            return;
        }
        // Debug: a long catch-up reads a file every few milliseconds; the counters tell.
        tracing::debug!(
            kind = E::KIND,
            file,
            events = events.len(),
            "writing events read back from the spool"
        );
        let first = self.next_seq;
        self.next_seq += events.len() as u64;
        self.replays.push(Replay {
            file,
            seqs: first..self.next_seq,
            outstanding: events.len(),
            returned: false,
        });
        let routes = self.router.routes();
        for (seq, spooled) in (first..).zip(events) {
            let pending = Pending {
                seq,
                stale_attempts: 0,
                maybe_stored: spooled.maybe_stored,
                event: spooled.event,
            };
            self.route(pending, &routes, true);
        }
        self.enforce_limit();
    }

    /// The event numbered `seq` was written or dropped; a spool file it came from is
    /// deleted once that holds for all of its events.
    fn settle(&mut self, seq: u64) {
        let Some(i) = self.replays.iter().position(|r| r.seqs.contains(&seq)) else {
            return;
        };
        let replay = &mut self.replays[i];
        replay.outstanding = replay.outstanding.saturating_sub(1);
        if replay.outstanding > 0 {
            return;
        }
        let replay = self.replays.swap_remove(i);
        if !replay.returned
            && let Some(spool) = &self.spool
        {
            spool.done(replay.file);
        }
    }

    fn answer_flushes(&mut self) {
        if self.waiters.is_empty() {
            return;
        }
        let (shards, parked) = (&self.shards, &self.parked);
        let complete: Vec<FlushWaiter> = self
            .waiters
            .extract_if(.., |w| {
                parked.iter().all(|(_, p)| p.seq >= w.marker)
                    && shards
                        .values()
                        .all(|q| q.failed_generation >= w.generation || !q.holds_before(w.marker))
            })
            .collect();
        if complete.is_empty() {
            return;
        }
        let report = FlushReport {
            pending: self.held(),
        };
        for waiter in complete {
            // The caller may have given up waiting; nothing to do then.
            let _ = waiter.reply.send(report);
        }
    }

    fn next_wake(&self, drain_until: Option<Instant>) -> Option<Instant> {
        self.shards
            .values()
            .filter_map(ShardQueue::wakes_at)
            .chain(self.parked.iter().map(|(at, _)| *at))
            .chain(drain_until)
            .min()
    }

    fn held(&self) -> usize {
        self.parked.len() + self.shards.values().map(ShardQueue::held).sum::<usize>()
    }

    fn is_idle(&self) -> bool {
        self.writes.is_empty()
            && self.parked.is_empty()
            && self.shards.values().all(ShardQueue::is_idle)
    }

    /// Abandons writes still running at the deadline and spools or reports what was not
    /// written.
    async fn stop(mut self) {
        // Writes give their batches back; one that committed first still counts.
        self.stop.cancel();
        while let Some(joined) = self.writes.join_next_with_id().await {
            self.finished(joined, DropReason::Shutdown);
        }
        let mut spooled = 0;
        if let Some(spool) = self.spool.take() {
            let mut left = std::mem::take(&mut self.spill);
            // A parked event's app had no usable route: its file names no shard.
            let parked = std::mem::take(&mut self.parked)
                .into_iter()
                .map(|(_, p)| (None, p));
            let queued = self
                .shards
                .iter_mut()
                .flat_map(|(shard, q)| q.queue.drain(..).map(|p| (Some(shard.clone()), p)));
            // Events read back stay in their files, which the writer thread leaves on disk
            // (as it does one whose load is still under way): the next start reads them.
            let mut kept = 0;
            for (shard, pending) in parked.chain(queued) {
                if self.replays.iter().any(|r| r.seqs.contains(&pending.seq)) {
                    kept += 1;
                } else {
                    left.push((shard, Spooled::from(pending)));
                }
            }
            spooled = left.len() + kept;
            if spooled > 0 {
                tracing::warn!(kind = E::KIND, events = left.len(), read_back = kept, dir = %spool.dir().display(), "event pipeline stopped with events it could not write; spooling them (and leaving the files read back) for the next start");
            }
            store_by_shard(&spool, left);
            spool.close().await;
        }
        let lost = self.held();
        self.metrics.drop_n(DropReason::Shutdown, lost);
        self.metrics.pending.set(0);
        self.answer_flushes();
        for waiter in self.waiters.drain(..) {
            let _ = waiter.reply.send(FlushReport {
                pending: lost + spooled,
            });
        }
        if lost > 0 {
            tracing::warn!(
                kind = E::KIND,
                lost,
                "event pipeline stopped with events it could not write before the drain deadline"
            );
        } else if spooled == 0 {
            tracing::info!(
                kind = E::KIND,
                "event pipeline stopped; every event was written"
            );
        }
    }
}

/// Hands `events` to the spool in one group per shard, each in the order given, so each
/// file waits only for the shard its events were bound for.
fn store_by_shard<E: ShardEvent>(spool: &Spool<E>, events: Vec<(Option<ShardId>, Spooled<E>)>) {
    let mut groups: BTreeMap<Option<ShardId>, Vec<Spooled<E>>> = BTreeMap::new();
    for (shard, spooled) in events {
        groups.entry(shard).or_default().push(spooled);
    }
    for (shard, events) in groups {
        spool.store(shard, events);
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// The next answer of the spool's loads; never, without a spool or once its thread is gone.
async fn loaded<E: ShardEvent>(spool: &mut Option<Spool<E>>) -> Option<Loaded<E>> {
    match spool {
        Some(spool) => match spool.loaded().await {
            Some(answer) => answer,
            None => std::future::pending().await,
        },
        None => std::future::pending().await,
    }
}
