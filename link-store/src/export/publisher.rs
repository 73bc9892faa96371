//! The exporter's task: connects to NATS, makes sure the stream exists, and publishes the
//! queue's front in rounds, waiting for the stream's acknowledgements. A round that fails
//! goes back to the front of the queue and is retried after a growing pause; the stream's
//! duplicate window absorbs what a failed round had in fact stored.

use std::future::{Future, IntoFuture};
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::context::PublishErrorKind;
use async_nats::jetstream::{self, message::PublishMessage, stream};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::metrics::ExportDrop;
use super::{ExportConfig, ExportMessage, Shared};

/// Messages published before their acknowledgements are awaited together.
const ROUND: usize = 512;
/// The wait for a round's acknowledgements and for stream requests.
const ACK_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the stream remembers message ids, so a resent event is stored once.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

pub(crate) struct Settings {
    servers: Vec<async_nats::ServerAddr>,
    stream: String,
    subjects: String,
    max_age: Duration,
    drain_deadline: Duration,
    ca_file: Option<std::path::PathBuf>,
}

impl Settings {
    pub fn new(servers: Vec<async_nats::ServerAddr>, config: &ExportConfig) -> Self {
        Self {
            servers,
            stream: config.export_stream.clone(),
            subjects: format!("{}.>", config.export_subject_prefix),
            max_age: config.max_age(),
            drain_deadline: config.drain_deadline(),
            ca_file: config.export_nats_ca_file.clone(),
        }
    }
}

pub(crate) async fn run(settings: Settings, shared: Arc<Shared>, mut closed: mpsc::Receiver<()>) {
    let mut drain_until: Option<Instant> = None;
    // With `retry_on_initial_connect` this returns at once and the client keeps trying
    // in the background; only an unusable address fails here, and the config check has
    // already refused those.
    let client = super::config::client_options(&settings.servers, settings.ca_file.as_deref())
        .name("hoplink-export")
        .retry_on_initial_connect()
        .connection_timeout(Duration::from_secs(2))
        .max_reconnects(None)
        .connect(settings.servers.clone())
        .await;
    let client = match client {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "event export: cannot connect; nothing will be exported");
            let _ = closed.recv().await;
            give_up(&shared);
            return;
        }
    };
    let mut js = jetstream::new(client);
    js.set_timeout(ACK_TIMEOUT);
    let mut stream_ready = false;
    let mut failures: u32 = 0;
    loop {
        if shared.is_empty() {
            if drain_until.is_some() {
                break;
            }
            tokio::select! {
                () = shared.wake.notified() => {}
                _ = closed.recv() => drain_until = Some(Instant::now() + settings.drain_deadline),
            }
            continue;
        }
        let publishing = stream_ready;
        let attempt = if publishing {
            let round = shared.take(ROUND);
            let attempt = publish_round(&js, &round);
            let outcome = bounded(&mut closed, &mut drain_until, &settings, attempt).await;
            if outcome.is_none() {
                // Cut short by the drain deadline: whether these were stored is unknown.
                let events = round.iter().map(|m| m.events).sum();
                shared.metrics.dropped(ExportDrop::Shutdown, events);
            }
            outcome.map(|acked| settle(&shared, round, acked))
        } else {
            let attempt = ensure_stream(&js, &settings);
            let ready = bounded(&mut closed, &mut drain_until, &settings, attempt).await;
            stream_ready = matches!(ready, Some(Ok(())));
            ready
        };
        match attempt {
            // The stream is there; the failure count (and pause) resets only once a
            // round is acknowledged.
            Some(Ok(())) if !publishing => {}
            Some(Ok(())) => {
                if failures > 0 {
                    tracing::info!(failures, "event export: publishing again");
                }
                failures = 0;
                shared.metrics.healthy.set(1);
            }
            Some(Err(error)) => {
                failures += 1;
                // A server that came back without its stream (a fresh store) answers
                // publishes with "no responders": check the stream again first.
                stream_ready = false;
                shared.metrics.errors.inc();
                shared.metrics.healthy.set(0);
                // The first failure of a run and then every doubling: an outage is
                // reported without a line every few seconds.
                if failures.is_power_of_two() {
                    tracing::warn!(%error, failures, "event export: NATS did not take events; retrying");
                }
                let pause = FIRST_BACKOFF
                    .saturating_mul(1 << failures.min(16).saturating_sub(1))
                    .min(MAX_BACKOFF);
                let until = Instant::now() + pause;
                let until = drain_until.map_or(until, |deadline| until.min(deadline));
                tokio::select! {
                    () = tokio::time::sleep_until(until) => {}
                    _ = closed.recv(), if drain_until.is_none() => {
                        drain_until = Some(Instant::now() + settings.drain_deadline);
                    }
                }
            }
            // The drain deadline passed mid-attempt.
            None => {}
        }
        if drain_until.is_some_and(|deadline| Instant::now() >= deadline) {
            break;
        }
    }
    give_up(&shared);
}

/// Runs `attempt`; if the exporter is told to stop meanwhile, the drain deadline starts
/// and the attempt gets no longer than that. `None` when the deadline cut it short.
async fn bounded<T>(
    closed: &mut mpsc::Receiver<()>,
    drain_until: &mut Option<Instant>,
    settings: &Settings,
    attempt: impl Future<Output = T>,
) -> Option<T> {
    tokio::pin!(attempt);
    loop {
        let deadline = *drain_until;
        tokio::select! {
            out = &mut attempt => return Some(out),
            _ = closed.recv(), if deadline.is_none() => {
                *drain_until = Some(Instant::now() + settings.drain_deadline);
            }
            () = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                return None;
            }
        }
    }
}

/// Counts what is left at the end as dropped at shutdown, and logs it.
fn give_up(shared: &Shared) {
    let left: u64 = shared.take(usize::MAX).iter().map(|m| m.events).sum();
    shared.metrics.dropped(ExportDrop::Shutdown, left);
    if left > 0 {
        tracing::warn!(
            events = left,
            "event export: stopped with events unpublished"
        );
    }
}

type AttemptError = Box<dyn std::error::Error + Send + Sync>;

/// Creates the stream unless it exists. An existing stream is left as its operator set
/// it up.
async fn ensure_stream(js: &jetstream::Context, settings: &Settings) -> Result<(), AttemptError> {
    let config = stream::Config {
        name: settings.stream.clone(),
        subjects: vec![settings.subjects.clone()],
        max_age: settings.max_age,
        duplicate_window: DUPLICATE_WINDOW,
        ..Default::default()
    };
    js.get_or_create_stream(config).await?;
    Ok(())
}

/// What became of one message of a round.
enum Outcome {
    Stored,
    /// Not stored; worth sending again.
    Retry(AttemptError),
    /// Never storable: over the server's `max_payload`.
    TooLarge,
}

/// Publishes `round` and waits for the acknowledgements.
async fn publish_round(js: &jetstream::Context, round: &[ExportMessage]) -> Vec<Outcome> {
    let mut outcomes: Vec<Option<Outcome>> = Vec::with_capacity(round.len());
    let mut acks = Vec::with_capacity(round.len());
    let mut refused: Option<AttemptError> = None;
    for message in round {
        let publish = PublishMessage::build()
            .payload(message.payload.clone())
            .message_id(&message.id);
        match js.send_publish(message.subject.clone(), publish).await {
            Ok(ack) => {
                outcomes.push(None);
                acks.push(ack.into_future());
            }
            Err(error) if error.kind() == PublishErrorKind::MaxPayloadExceeded => {
                tracing::error!(%error, bytes = message.payload.len(), "event export: a record is over the server's max_payload; dropped");
                outcomes.push(Some(Outcome::TooLarge));
            }
            Err(error) => {
                refused = Some(error.into());
                break;
            }
        }
    }
    let mut acked = futures_util::future::join_all(acks).await.into_iter();
    let mut outcomes: Vec<Outcome> = outcomes
        .into_iter()
        .map(|outcome| {
            outcome.unwrap_or_else(|| match acked.next() {
                Some(Ok(_)) => Outcome::Stored,
                Some(Err(error)) => Outcome::Retry(error.into()),
                None => Outcome::Retry("no acknowledgement".into()),
            })
        })
        .collect();
    // The messages from a refused publish on were never sent.
    if let Some(error) = refused {
        outcomes.push(Outcome::Retry(error));
    }
    while outcomes.len() < round.len() {
        outcomes.push(Outcome::Retry(
            "not sent after an earlier publish failed".into(),
        ));
    }
    outcomes
}

/// Counts a round's stored and refused events and puts the others back at the queue's
/// front: `Err` with the first failure when any is to be sent again.
fn settle(
    shared: &Shared,
    round: Vec<ExportMessage>,
    outcomes: Vec<Outcome>,
) -> Result<(), AttemptError> {
    let mut published: Vec<(&'static str, u64)> = Vec::new();
    let mut failed: Vec<ExportMessage> = Vec::new();
    let mut first_error: Option<AttemptError> = None;
    for (message, outcome) in round.into_iter().zip(outcomes) {
        match outcome {
            Outcome::Stored => match published.iter_mut().find(|(kind, _)| *kind == message.kind) {
                Some((_, count)) => *count += message.events,
                None => published.push((message.kind, message.events)),
            },
            Outcome::TooLarge => shared.metrics.dropped(ExportDrop::TooLarge, message.events),
            Outcome::Retry(error) => {
                first_error.get_or_insert(error);
                failed.push(message);
            }
        }
    }
    for (kind, count) in published {
        shared.metrics.published(kind, count);
    }
    match first_error {
        None => Ok(()),
        Some(error) => {
            shared.put(failed, true);
            Err(error)
        }
    }
}
