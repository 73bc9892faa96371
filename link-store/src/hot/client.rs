//! [`HotClient`]: a process's Aerospike clients (a shared one, and one per actix worker
//! runtime, see `local.rs`), wrapped in the rules every hot-tier call follows: a budget of
//! a few milliseconds and no retries, a circuit breaker, metrics, and connections made in
//! the background.
//!
//! Starting never waits for Aerospike and never fails because it is down: the client
//! starts disconnected (every call is skipped, so callers use Postgres) and a background
//! task keeps connecting, with growing delays, until the cluster answers. After that the
//! Aerospike client's own tend loop follows the cluster (nodes leaving, a full restart),
//! and the breaker's half-open probes notice when it answers again.

use std::future::Future;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::{Duration, Instant};

use aerospike::{Client, ClientPolicy, Expiration, ReadPolicy, ResultCode, WritePolicy};
use prometheus::Registry;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::breaker::{Breaker, BreakerState};
use super::config::{ConfigError, HotTierConfig};
use super::local::LocalClients;
use super::metrics::{HotMetrics, Outcome};
use super::records::Sets;

/// Connections kept open to every node, ready for the first requests.
const MIN_CONNECTIONS_PER_NODE: usize = 4;

/// Longest wait between two connection attempts.
const MAX_CONNECT_DELAY: Duration = Duration::from_secs(5);

/// Why the hot tier could not be set up at all.
#[derive(Debug, thiserror::Error)]
pub enum HotTierError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("hot-tier metrics could not be registered")]
    Metrics(#[from] prometheus::Error),
}

/// Why a hot-tier call gave no answer. Never shown to a client of Hoplink: every caller
/// falls back to Postgres (reads) or counts and moves on (writes).
#[derive(Debug)]
pub(crate) enum HotError {
    /// Not tried: the breaker is open.
    Open,
    /// Not tried: the client has not reached the cluster yet.
    Disconnected,
    Timeout,
    Failed(aerospike::Error),
}

/// Which budget a call gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Read,
    Write,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }
}

/// Cheap to clone; every clone shares the connection, breaker and metrics.
#[derive(Clone)]
pub struct HotClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    /// Connected in the background by the runtime that started the hot tier.
    client: OnceLock<Client>,
    /// Each actix worker's own client, once the shared one has reached the cluster.
    locals: Arc<LocalClients>,
    pub namespace: String,
    pub sets: Sets,
    read_policy: ReadPolicy,
    write_policy: WritePolicy,
    read_budget: Duration,
    write_budget: Duration,
    pub link_ttl: Expiration,
    pub browser_ttl: Expiration,
    breaker: Breaker,
    /// The breaker state last reported (gauge and log), to report each change once.
    reported_state: AtomicI64,
    pub metrics: HotMetrics,
    background: Arc<Semaphore>,
    stop: CancellationToken,
}

impl HotClient {
    /// Checks the config, registers the metrics on `registry` and starts connecting in the
    /// background. Returns `Ok(None)` when the hot tier is not configured. Must be called
    /// inside a Tokio runtime; returns at once.
    pub fn start(
        config: &HotTierConfig,
        registry: &Registry,
    ) -> Result<Option<Self>, HotTierError> {
        if !config.enabled() {
            return Ok(None);
        }
        let seeds = config.seeds()?;
        let metrics = HotMetrics::register(registry)?;
        let ms = |d: Duration| u32::try_from(d.as_millis()).unwrap_or(u32::MAX);

        let mut read_policy = ReadPolicy::default();
        read_policy.base_policy.total_timeout = ms(config.read_timeout());
        read_policy.base_policy.socket_timeout = ms(config.read_timeout());
        read_policy.base_policy.max_retries = 0;
        let mut write_policy = WritePolicy::default();
        write_policy.base_policy.total_timeout = ms(config.write_timeout());
        write_policy.base_policy.socket_timeout = ms(config.write_timeout());
        write_policy.base_policy.max_retries = 0;

        let link_ttl = match config.aerospike_link_ttl_secs {
            0 => Expiration::Never,
            secs => Expiration::Seconds(secs),
        };
        let policy = ClientPolicy {
            timeout: ms(config.connect_timeout()),
            fail_if_not_connected: true,
            // Opened with each node, so the first click-path reads do not pay for connecting.
            min_conns_per_node: MIN_CONNECTIONS_PER_NODE,
            ..ClientPolicy::default()
        };
        let stop = CancellationToken::new();
        let inner = Arc::new(Inner {
            client: OnceLock::new(),
            locals: LocalClients::new(
                seeds.clone(),
                policy.clone(),
                config.connect_timeout(),
                stop.clone(),
                metrics.worker_clients.clone(),
            ),
            namespace: config.aerospike_namespace.trim().to_owned(),
            sets: Sets::new(&config.aerospike_set_prefix),
            read_policy,
            write_policy,
            read_budget: config.read_timeout(),
            write_budget: config.write_timeout(),
            link_ttl,
            browser_ttl: Expiration::Seconds(config.aerospike_browser_ttl_secs.max(1)),
            breaker: Breaker::new(config.aerospike_breaker_failures, config.cool_down()),
            reported_state: AtomicI64::new(BreakerState::Closed.gauge()),
            metrics,
            background: Arc::new(Semaphore::new(
                config.aerospike_max_background_writes.max(1),
            )),
            stop,
        });
        tokio::spawn(connect(
            Arc::downgrade(&inner),
            seeds,
            policy,
            config.connect_timeout(),
        ));
        Ok(Some(Self { inner }))
    }

    /// Whether the client has reached the cluster (it may still be failing since).
    pub fn is_connected(&self) -> bool {
        self.inner.client.get().is_some()
    }

    /// Waits up to `within` for the first connection; for tests and tools.
    pub async fn wait_connected(&self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while !self.is_connected() {
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        true
    }

    pub fn breaker_state(&self) -> BreakerState {
        self.inner.breaker.state()
    }

    /// Stops connecting and closes the connections (at shutdown).
    pub async fn close(&self) {
        self.inner.stop.cancel();
        if let Some(client) = self.inner.client.get()
            && let Err(error) = client.close().await
        {
            tracing::debug!(%error, "closing the Aerospike client failed");
        }
        self.inner.locals.close_all().await;
    }

    pub(crate) fn read_policy(&self) -> &ReadPolicy {
        &self.inner.read_policy
    }

    /// The write policy every write starts from (budget, no retries, no TTL).
    pub(crate) fn write_policy(&self) -> WritePolicy {
        self.inner.write_policy.clone()
    }

    /// Runs one operation under the breaker and the op's budget, and counts it. `outcome`
    /// names a successful result (hit, miss, written, stale).
    pub(crate) async fn call<T, F, Fut>(
        &self,
        set: &'static str,
        op: Op,
        outcome: fn(&T) -> Outcome,
        run: F,
    ) -> Result<T, HotError>
    where
        F: FnOnce(Client) -> Fut,
        Fut: Future<Output = aerospike::Result<T>>,
    {
        let inner = &self.inner;
        let Some(shared) = inner.client.get() else {
            inner
                .metrics
                .count(set, op.as_str(), Outcome::SkippedDisconnected);
            return Err(HotError::Disconnected);
        };
        let Some(permit) = inner.breaker.admit() else {
            inner.metrics.count(set, op.as_str(), Outcome::SkippedOpen);
            self.report_state(None);
            return Err(HotError::Open);
        };
        let client = inner.locals.get().unwrap_or_else(|| shared.clone());
        let budget = match op {
            Op::Read => inner.read_budget,
            Op::Write => inner.write_budget,
        };
        let started = Instant::now();
        // The client enforces the budget itself; this is the backstop (a connection being
        // opened, a scheduler stall) so that no call ever outlives it by much.
        let result = tokio::time::timeout(budget + Duration::from_millis(1), run(client)).await;
        inner
            .metrics
            .seconds
            .with_label_values(&[op.as_str()])
            .observe(started.elapsed().as_secs_f64());
        let (result, counted) = match result {
            Ok(Ok(value)) => {
                let counted = outcome(&value);
                permit.succeeded();
                (Ok(value), counted)
            }
            Ok(Err(error))
                if error.is_client_timeout() || error.matches(&[ResultCode::Timeout]) =>
            {
                permit.failed();
                (Err(HotError::Timeout), Outcome::Timeout)
            }
            Ok(Err(error)) => {
                permit.failed();
                (Err(HotError::Failed(error)), Outcome::Error)
            }
            Err(_) => {
                permit.failed();
                (Err(HotError::Timeout), Outcome::Timeout)
            }
        };
        inner.metrics.count(set, op.as_str(), counted);
        self.report_state(result.as_ref().err());
        result
    }

    /// Updates the breaker gauge and logs a change of state, once per change.
    fn report_state(&self, cause: Option<&HotError>) {
        let state = self.inner.breaker.state();
        let now = state.gauge();
        let before = self.inner.reported_state.swap(now, Ordering::AcqRel);
        if before == now {
            return;
        }
        self.inner.metrics.breaker_state.set(now);
        match state {
            BreakerState::Closed => {
                self.inner
                    .metrics
                    .transitions
                    .with_label_values(&["closed"])
                    .inc();
                tracing::info!("Aerospike hot tier answers again; breaker closed");
            }
            BreakerState::Open if before == BreakerState::Closed.gauge() => {
                self.inner
                    .metrics
                    .transitions
                    .with_label_values(&["open"])
                    .inc();
                let cause = match cause {
                    Some(HotError::Failed(error)) => error.to_string(),
                    Some(HotError::Timeout) => "timeout".to_owned(),
                    _ => "failures".to_owned(),
                };
                tracing::warn!(%cause, "Aerospike hot tier failing; breaker open, Postgres serves");
            }
            BreakerState::Open | BreakerState::HalfOpen => {}
        }
    }

    /// Runs `work` in the background unless too many background writes are in flight
    /// (then it is dropped and counted). Never waits.
    pub(crate) fn spawn_background<Fut>(&self, work: impl FnOnce(HotClient) -> Fut)
    where
        Fut: Future<Output = ()> + Send + 'static,
    {
        match self.inner.background.clone().try_acquire_owned() {
            Ok(permit) => {
                let task = work(self.clone());
                tokio::spawn(async move {
                    task.await;
                    drop(permit);
                });
            }
            Err(_) => self
                .inner
                .metrics
                .dropped
                .with_label_values(&["busy"])
                .inc(),
        }
    }
}

impl std::fmt::Debug for HotClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HotClient")
            .field("namespace", &self.inner.namespace)
            .field("connected", &self.is_connected())
            .field("breaker", &self.breaker_state())
            .finish()
    }
}

/// Connects until it succeeds, the client is dropped, or it is closed.
async fn connect(inner: Weak<Inner>, seeds: String, policy: ClientPolicy, timeout: Duration) {
    let mut delay = Duration::from_millis(100);
    let mut attempts: u32 = 0;
    loop {
        let Some(stop) = inner.upgrade().map(|i| i.stop.clone()) else {
            return;
        };
        // A tend cycle is a few round trips per node; give it several connect timeouts.
        let attempt = tokio::time::timeout(timeout * 5, Client::new(&policy, &seeds));
        let result = tokio::select! {
            () = stop.cancelled() => return,
            result = attempt => result,
        };
        attempts += 1;
        match result {
            Ok(Ok(client)) => {
                let Some(inner) = inner.upgrade() else {
                    let _ = client.close().await;
                    return;
                };
                inner.metrics.connected.set(1);
                if inner.client.set(client).is_err() {
                    tracing::error!("Aerospike client connected twice");
                }
                tracing::info!(attempts, "connected to the Aerospike hot tier");
                return;
            }
            Ok(Err(error)) if attempts == 1 => {
                tracing::warn!(%error, "cannot reach the Aerospike hot tier; Postgres serves until it answers (retrying in the background)");
            }
            Err(_) if attempts == 1 => {
                tracing::warn!(
                    "connecting to the Aerospike hot tier timed out; Postgres serves until it answers (retrying in the background)"
                );
            }
            Ok(Err(error)) => tracing::debug!(%error, attempts, "Aerospike still unreachable"),
            Err(_) => tracing::debug!(attempts, "Aerospike connection attempt timed out"),
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 2).min(MAX_CONNECT_DELAY);
    }
}
