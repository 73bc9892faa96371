//! [`LinkCache`]: the in-process read-through cache of links and app configs that stands
//! between the click path and the shards.
//!
//! # Layout
//! - `key.rs`: [`LinkKey`] and its borrowed twin, so hits never allocate.
//! - `entry.rs`: [`Cached`], a value (or its known absence) with its load time.
//! - `guard.rs`: per-shard load bound and circuit breaker.
//! - `invalidation.rs`: LISTEN on every shard for changed links and configs.
//! - `metrics.rs`: hit, miss, stale and origin-load counters.
//!
//! # Behaviour under flash crowds
//! - **Collapsing**: concurrent misses (or expiries) of one key run one origin load; the
//!   others wait for it and share the result (moka's per-key compute lock).
//! - **Prefresh**: an entry past 90% of its TTL is served and refreshed once in the
//!   background, so a hot key never expires under load.
//! - **Stale on error**: when a reload fails, the old value is served until it is
//!   `max_stale` old.
//! - **Negative caching**: unknown codes are cached as absent (shorter TTL), so floods of
//!   random codes do not reach Postgres.
//! - **Fail fast**: loads per shard are bounded and guarded by a breaker; a request that
//!   finds nothing cached and no admission gets [`CacheError`] at once, never a queue.
//! - **Invalidation**: shard notifications drop changed links within milliseconds; a load
//!   that raced an invalidation is stored as already expired, so it cannot outlive it.
//! - **Capacity** is in bytes (a weigher estimates each entry's footprint).
//!
//! The cache never decides what a click answers; it only says what the link is.

mod entry;
mod guard;
pub mod invalidation;
mod key;
mod metrics;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use foldhash::fast::RandomState;
use link_core::{AppId, Link, ShardId};
use moka::future::Cache;
use moka::ops::compute::{CompResult, Op};
use prometheus::Registry;
use serde::Deserialize;
use shard_router::app_config::StoredConfig;
use shard_router::{AppRoute, ShardHandle};

pub use entry::{Cached, Freshness};
pub use guard::{OriginGuard, Rejection};
pub use key::{LinkKey, LinkKeyRef};
pub use metrics::CacheMetrics;

use crate::error::StoreError;
use crate::origin::{BoxFuture, Origin};

/// Cache settings, from `HOPLINK_*` variables (defaults in brackets):
///
/// | variable | meaning |
/// |---|---|
/// | `HOPLINK_CACHE_MAX_BYTES` | memory for cached links and configs [268435456 = 256 MiB] |
/// | `HOPLINK_CACHE_TTL_SECS` | time a link or config is trusted without reloading [60] |
/// | `HOPLINK_CACHE_NEGATIVE_TTL_SECS` | time an unknown code is remembered as unknown [10] |
/// | `HOPLINK_CACHE_MAX_STALE_SECS` | longest a value is served when reloads fail [3600] |
/// | `HOPLINK_ORIGIN_CONCURRENCY` | concurrent origin loads per shard [32] |
/// | `HOPLINK_ORIGIN_TIMEOUT_MS` | origin load timeout on the click path [250] |
/// | `HOPLINK_ORIGIN_BREAKER_FAILURES` | consecutive failures that open a shard's breaker [3] |
/// | `HOPLINK_ORIGIN_BREAKER_COOLDOWN_MS` | time a breaker stays open before a probe [1000] |
#[derive(Debug, Clone, Deserialize)]
pub struct CacheConfig {
    #[serde(default = "defaults::max_bytes")]
    pub cache_max_bytes: u64,
    #[serde(default = "defaults::ttl")]
    pub cache_ttl_secs: u64,
    #[serde(default = "defaults::negative_ttl")]
    pub cache_negative_ttl_secs: u64,
    #[serde(default = "defaults::max_stale")]
    pub cache_max_stale_secs: u64,
    #[serde(default = "defaults::origin_concurrency")]
    pub origin_concurrency: usize,
    #[serde(default = "defaults::origin_timeout")]
    pub origin_timeout_ms: u64,
    #[serde(default = "defaults::breaker_failures")]
    pub origin_breaker_failures: u32,
    #[serde(default = "defaults::breaker_cooldown")]
    pub origin_breaker_cooldown_ms: u64,
}

mod defaults {
    pub fn max_bytes() -> u64 {
        256 * 1024 * 1024
    }
    pub fn ttl() -> u64 {
        60
    }
    pub fn negative_ttl() -> u64 {
        10
    }
    pub fn max_stale() -> u64 {
        3600
    }
    pub fn origin_concurrency() -> usize {
        32
    }
    pub fn origin_timeout() -> u64 {
        250
    }
    pub fn breaker_failures() -> u32 {
        3
    }
    pub fn breaker_cooldown() -> u64 {
        1000
    }
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            cache_max_bytes: defaults::max_bytes(),
            cache_ttl_secs: defaults::ttl(),
            cache_negative_ttl_secs: defaults::negative_ttl(),
            cache_max_stale_secs: defaults::max_stale(),
            origin_concurrency: defaults::origin_concurrency(),
            origin_timeout_ms: defaults::origin_timeout(),
            origin_breaker_failures: defaults::breaker_failures(),
            origin_breaker_cooldown_ms: defaults::breaker_cooldown(),
        }
    }
}

/// Nothing usable is cached and the origin cannot be asked now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CacheError {
    /// The shard's load bound is reached.
    #[error("origin saturated")]
    Saturated,
    /// The shard failed, timed out, or its breaker is open.
    #[error("origin unavailable")]
    Unavailable,
}

#[derive(Clone, Copy)]
enum Kind {
    Link,
    Config,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Self::Link => "link",
            Self::Config => "config",
        }
    }
}

#[derive(Clone)]
pub struct LinkCache {
    inner: Arc<Inner>,
}

struct Inner {
    /// Hashed with foldhash, randomly seeded per cache: the key is hashed on every click,
    /// and foldhash does it in a fraction of SipHash's instructions. Codes are
    /// attacker-chosen (negative entries too), which the per-process seed answers, as in
    /// the User-Agent memo.
    links: Cache<LinkKey, Arc<Cached<Link>>, RandomState>,
    configs: Cache<AppId, Arc<Cached<StoredConfig>>, RandomState>,
    origin: Arc<dyn Origin>,
    guards: Mutex<HashMap<ShardId, Arc<OriginGuard>>>,
    /// Bumped by every invalidation; a load that spans a bump is stored as expired.
    generation: AtomicU64,
    ttl: Duration,
    negative_ttl: Duration,
    max_stale: Duration,
    origin_timeout: Duration,
    config: CacheConfig,
    metrics: CacheMetrics,
}

/// Config entries are few and small; a fixed slice of the budget keeps them from being
/// evicted by link churn.
const CONFIG_SHARE: u64 = 16;

impl LinkCache {
    pub fn new(
        config: &CacheConfig,
        origin: Arc<dyn Origin>,
        registry: &Registry,
    ) -> prometheus::Result<Self> {
        let max_stale = Duration::from_secs(
            config
                .cache_max_stale_secs
                .max(config.cache_ttl_secs)
                .max(1),
        );
        let links = Cache::builder()
            .max_capacity(config.cache_max_bytes - config.cache_max_bytes / CONFIG_SHARE)
            .weigher(|_: &LinkKey, value: &Arc<Cached<Link>>| value.weight)
            .time_to_live(max_stale)
            .support_invalidation_closures()
            .build_with_hasher(RandomState::default());
        let configs = Cache::builder()
            .max_capacity((config.cache_max_bytes / CONFIG_SHARE).max(1))
            .weigher(|_: &AppId, value: &Arc<Cached<StoredConfig>>| value.weight)
            .time_to_live(max_stale)
            .support_invalidation_closures()
            .build_with_hasher(RandomState::default());
        Ok(Self {
            inner: Arc::new(Inner {
                links,
                configs,
                origin,
                guards: Mutex::new(HashMap::new()),
                generation: AtomicU64::new(0),
                ttl: Duration::from_secs(config.cache_ttl_secs.max(1)),
                negative_ttl: Duration::from_secs(config.cache_negative_ttl_secs.max(1)),
                max_stale,
                origin_timeout: Duration::from_millis(config.origin_timeout_ms.max(1)),
                config: config.clone(),
                metrics: CacheMetrics::new(registry)?,
            }),
        })
    }

    /// The link `code` of the app, `None` when it does not exist.
    pub async fn link(
        &self,
        route: &AppRoute,
        shard: &ShardHandle,
        code: &str,
    ) -> Result<Option<Arc<Link>>, CacheError> {
        let key = LinkKeyRef {
            app: route.app_id,
            code,
        };
        let cached = self.inner.links.get(&key).await;
        if let Some(entry) = &cached
            && let Some(hit) = self.serve_cached(Kind::Link, entry, || {
                self.refresh_link_in_background(route.app_id, shard, code)
            })
        {
            return Ok(hit);
        }
        let origin = &self.inner.origin;
        self.load_through(
            &self.inner.links,
            key.to_owned_key(),
            Kind::Link,
            &shard.id,
            || link_loader(origin.clone(), shard.clone(), route.app_id, code),
            link_weight,
            cached.is_some(),
        )
        .await
    }

    /// The app's config, `None` when its shard has no config row for it.
    pub async fn config(
        &self,
        route: &AppRoute,
        shard: &ShardHandle,
    ) -> Result<Option<Arc<StoredConfig>>, CacheError> {
        let app = route.app_id;
        let cached = self.inner.configs.get(&app).await;
        if let Some(entry) = &cached
            && let Some(hit) = self.serve_cached(Kind::Config, entry, || {
                self.refresh_config_in_background(app, shard)
            })
        {
            return Ok(hit);
        }
        let origin = &self.inner.origin;
        self.load_through(
            &self.inner.configs,
            app,
            Kind::Config,
            &shard.id,
            || config_loader(origin.clone(), shard.clone(), app),
            config_weight,
            cached.is_some(),
        )
        .await
    }

    /// Serves a cached entry unless it has expired; past the prefresh point it also starts
    /// the one background refresh of this entry.
    fn serve_cached<V>(
        &self,
        kind: Kind,
        entry: &Cached<V>,
        start_refresh: impl FnOnce(),
    ) -> Option<Option<Arc<V>>> {
        let ttl = self.ttl_of(entry.value.is_some());
        let result = match entry.freshness(Instant::now(), ttl) {
            Freshness::Fresh => "hit",
            Freshness::Prefresh => {
                if entry.claim_refresh() {
                    start_refresh();
                }
                "prefresh"
            }
            Freshness::Expired => return None,
        };
        let result = if entry.value.is_none() {
            "negative_hit"
        } else {
            result
        };
        self.count(kind, result);
        Some(entry.value.clone())
    }

    /// The slow path. A key nothing is cached for is loaded once for all concurrent callers
    /// (moka's `try_get_with`: the waiters are all woken by the one load). An expired entry
    /// is reloaded under the key's compute lock, which lets a failed reload fall back to
    /// the stale value.
    #[allow(
        clippy::too_many_arguments,
        reason = "one call site per cache; a struct would only rename them"
    )]
    async fn load_through<K, V>(
        &self,
        cache: &Cache<K, Arc<Cached<V>>, RandomState>,
        key: K,
        kind: Kind,
        shard: &ShardId,
        make_loader: impl Fn() -> Loader<V>,
        weigh: fn(&V) -> u32,
        existed: bool,
    ) -> Result<Option<Arc<V>>, CacheError>
    where
        K: std::hash::Hash + Eq + Clone + Send + Sync + 'static,
        V: Send + Sync + 'static,
    {
        if !existed {
            let ran = std::sync::atomic::AtomicBool::new(false);
            let loaded = cache
                .try_get_with(key.clone(), async {
                    ran.store(true, Ordering::Relaxed);
                    let (value, loaded_at) = self.load_guarded(kind, shard, make_loader()).await?;
                    let weight = value.as_ref().map_or(64, weigh);
                    Ok::<_, CacheError>(Cached::new(value, weight, loaded_at))
                })
                .await;
            match loaded {
                Ok(entry) => {
                    let ttl = self.ttl_of(entry.value.is_some());
                    if entry.freshness(Instant::now(), ttl) != Freshness::Expired {
                        let first = ran.load(Ordering::Relaxed);
                        self.count(kind, if first { "miss" } else { "collapsed" });
                        return Ok(entry.value.clone());
                    }
                    // An entry that expired meanwhile: reload it below.
                }
                Err(error) => {
                    self.count(kind, "unavailable");
                    return Err(*error);
                }
            }
        }
        let loader = make_loader();
        let mut outcome = "collapsed";
        let mut failure = None;
        let computed = cache
            .entry(key)
            .and_try_compute_with(|existing| {
                let outcome = &mut outcome;
                let failure = &mut failure;
                async move {
                    let now = Instant::now();
                    if let Some(e) = &existing {
                        let ttl = self.ttl_of(e.value().value.is_some());
                        if e.value().freshness(now, ttl) != Freshness::Expired {
                            // Someone loaded it while we waited for the key.
                            return Ok(Op::Nop);
                        }
                    }
                    match self.load_guarded(kind, shard, loader).await {
                        Ok((value, loaded_at)) => {
                            *outcome = if existing.is_some() {
                                "reloaded"
                            } else {
                                "miss"
                            };
                            let weight = value.as_ref().map_or(64, weigh);
                            Ok(Op::Put(Cached::new(value, weight, loaded_at)))
                        }
                        Err(error) => {
                            let stale = existing.is_some_and(|e| {
                                now.saturating_duration_since(e.value().loaded_at)
                                    < self.inner.max_stale
                            });
                            if stale {
                                *outcome = "stale";
                                Ok(Op::Nop)
                            } else {
                                *failure = Some(error);
                                Err(error)
                            }
                        }
                    }
                }
            })
            .await;
        match computed {
            Ok(
                CompResult::Inserted(e) | CompResult::ReplacedWith(e) | CompResult::Unchanged(e),
            ) => {
                self.count(kind, outcome);
                Ok(e.into_value().value.clone())
            }
            Ok(CompResult::StillNone(_) | CompResult::Removed(_)) => {
                self.count(kind, "unavailable");
                Err(CacheError::Unavailable)
            }
            Err(error) => {
                self.count(kind, "unavailable");
                Err(failure.unwrap_or(error))
            }
        }
    }

    /// One origin load, admitted by the shard's guard and bounded by the timeout. Returns
    /// the value and the load time to store (already expired if an invalidation raced it).
    async fn load_guarded<V>(
        &self,
        kind: Kind,
        shard: &ShardId,
        loader: Loader<V>,
    ) -> Result<(Option<V>, Instant), CacheError> {
        let guard = self.guard(shard);
        let admission = match guard.admit() {
            Ok(admission) => admission,
            Err(Rejection::Saturated) => {
                self.count_load(kind, "saturated");
                return Err(CacheError::Saturated);
            }
            Err(Rejection::Open) => {
                self.count_load(kind, "breaker_open");
                return Err(CacheError::Unavailable);
            }
        };
        let generation = self.inner.generation.load(Ordering::Acquire);
        match tokio::time::timeout(self.inner.origin_timeout, loader()).await {
            Ok(Ok(value)) => {
                guard.succeeded(admission);
                self.count_load(
                    kind,
                    if value.is_some() {
                        "found"
                    } else {
                        "not_found"
                    },
                );
                let now = Instant::now();
                let loaded_at = if self.inner.generation.load(Ordering::Acquire) == generation {
                    now
                } else {
                    now.checked_sub(self.inner.max_stale).unwrap_or(now)
                };
                Ok((value, loaded_at))
            }
            // One unreadable link must not open the breaker of its whole shard.
            Ok(Err(error)) if error.is_unreadable_row() => {
                guard.succeeded(admission);
                self.count_load(kind, "unreadable");
                tracing::warn!(shard = %shard, kind = kind.label(), error = %shard_router::error::chain(&error), "a stored row could not be read");
                Err(CacheError::Unavailable)
            }
            Ok(Err(error)) => {
                guard.failed(admission, false);
                self.count_load(kind, "error");
                tracing::warn!(shard = %shard, kind = kind.label(), error = %shard_router::error::chain(&error), "origin load failed");
                Err(CacheError::Unavailable)
            }
            Err(_) => {
                guard.failed(admission, true);
                self.count_load(kind, "timeout");
                tracing::warn!(shard = %shard, kind = kind.label(), "origin load timed out");
                Err(CacheError::Unavailable)
            }
        }
    }

    fn refresh_link_in_background(&self, app: AppId, shard: &ShardHandle, code: &str) {
        let cache = self.clone();
        let shard_id = shard.id.clone();
        let key = LinkKey {
            app,
            code: code.into(),
        };
        let loader = link_loader(self.inner.origin.clone(), shard.clone(), app, code);
        tokio::spawn(async move {
            if let Ok((value, loaded_at)) = cache.load_guarded(Kind::Link, &shard_id, loader).await
            {
                let weight = value.as_ref().map_or(64, link_weight);
                cache
                    .inner
                    .links
                    .insert(key, Cached::new(value, weight, loaded_at))
                    .await;
            }
        });
    }

    fn refresh_config_in_background(&self, app: AppId, shard: &ShardHandle) {
        let cache = self.clone();
        let shard_id = shard.id.clone();
        let loader = config_loader(self.inner.origin.clone(), shard.clone(), app);
        tokio::spawn(async move {
            if let Ok((value, loaded_at)) =
                cache.load_guarded(Kind::Config, &shard_id, loader).await
            {
                let weight = value.as_ref().map_or(64, config_weight);
                cache
                    .inner
                    .configs
                    .insert(app, Cached::new(value, weight, loaded_at))
                    .await;
            }
        });
    }

    fn guard(&self, shard: &ShardId) -> Arc<OriginGuard> {
        let mut guards = self.inner.guards.lock().unwrap_or_else(|p| p.into_inner());
        guards
            .entry(shard.clone())
            .or_insert_with(|| {
                Arc::new(OriginGuard::new(
                    self.inner.config.origin_concurrency,
                    self.inner.config.origin_breaker_failures,
                    Duration::from_millis(self.inner.config.origin_breaker_cooldown_ms),
                ))
            })
            .clone()
    }

    /// Whether the shard's breaker is open (its uncached links cannot load now).
    pub fn shard_is_failing(&self, shard: &ShardId) -> bool {
        self.guard(shard).is_open()
    }

    fn ttl_of(&self, found: bool) -> Duration {
        if found {
            self.inner.ttl
        } else {
            self.inner.negative_ttl
        }
    }

    fn count(&self, kind: Kind, result: &str) {
        let metrics = &self.inner.metrics;
        match (kind, result) {
            (Kind::Link, "hit") => return metrics.link_hits.inc(),
            (Kind::Config, "hit") => return metrics.config_hits.inc(),
            _ => {}
        }
        self.inner
            .metrics
            .requests
            .with_label_values(&[kind.label(), result])
            .inc();
    }

    fn count_load(&self, kind: Kind, outcome: &str) {
        self.inner
            .metrics
            .origin_loads
            .with_label_values(&[kind.label(), outcome])
            .inc();
    }

    fn bump_generation(&self, cause: &str) {
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
        self.inner
            .metrics
            .invalidations
            .with_label_values(&[cause])
            .inc();
    }

    /// Drops one link (changed, deleted or newly created where a negative entry may sit).
    pub async fn invalidate_link(&self, app: AppId, code: &str) {
        self.bump_generation("link");
        self.inner.links.invalidate(&LinkKeyRef { app, code }).await;
    }

    pub async fn invalidate_config(&self, app: AppId) {
        self.bump_generation("config");
        self.inner.configs.invalidate(&app).await;
    }

    /// Drops every cached link of `app` that carries `tag`.
    pub fn purge_tag(&self, app: AppId, tag: &str) {
        self.bump_generation("tag");
        let tag = tag.to_owned();
        let purge = self.inner.links.invalidate_entries_if(move |key, entry| {
            key.app == app
                && entry
                    .value
                    .as_ref()
                    .is_some_and(|link| link.labels.has_tag(&tag))
        });
        if let Err(error) = purge {
            // Only possible without invalidation-closure support, which the builder enables.
            tracing::error!(%error, "tag purge could not be registered; dropping all links");
            self.inner.links.invalidate_all();
        }
    }

    /// Expires every link and config of the given apps (their shard's notifications may
    /// have been missed): each is reloaded before it is served again. They are kept, not
    /// dropped, so that if the shard fails again before they are reloaded they are still
    /// served stale: a shard that flaps must not leave its links with nothing cached.
    pub fn expire_apps(&self, apps: &std::collections::HashSet<AppId>) {
        self.bump_generation("resync");
        for (key, entry) in self.inner.links.iter() {
            if apps.contains(&key.app) {
                entry.mark_expired();
            }
        }
        for (app, entry) in self.inner.configs.iter() {
            if apps.contains(&app) {
                entry.mark_expired();
            }
        }
    }

    /// Drops everything (a notification channel was lost and changes may be missed).
    pub fn invalidate_all(&self) {
        self.bump_generation("all");
        self.inner.links.invalidate_all();
        self.inner.configs.invalidate_all();
    }

    /// Updates the size gauges; called by the metrics endpoint's owner periodically.
    pub fn report_sizes(&self) {
        let m = &self.inner.metrics;
        m.entries
            .with_label_values(&["link"])
            .set(i64::try_from(self.inner.links.entry_count()).unwrap_or(i64::MAX));
        m.entries
            .with_label_values(&["config"])
            .set(i64::try_from(self.inner.configs.entry_count()).unwrap_or(i64::MAX));
        m.weighted_bytes
            .with_label_values(&["link"])
            .set(i64::try_from(self.inner.links.weighted_size()).unwrap_or(i64::MAX));
        m.weighted_bytes
            .with_label_values(&["config"])
            .set(i64::try_from(self.inner.configs.weighted_size()).unwrap_or(i64::MAX));
    }

    /// Runs moka's pending housekeeping (tests and size reports want exact counts).
    pub async fn sync(&self) {
        self.inner.links.run_pending_tasks().await;
        self.inner.configs.run_pending_tasks().await;
    }
}

type Loader<V> = Box<dyn FnOnce() -> BoxFuture<'static, Result<Option<V>, StoreError>> + Send>;

fn link_loader(
    origin: Arc<dyn Origin>,
    shard: ShardHandle,
    app: AppId,
    code: &str,
) -> Loader<Link> {
    let code: Box<str> = code.into();
    Box::new(move || Box::pin(async move { origin.load_link(&shard, app, &code).await }))
}

fn config_loader(origin: Arc<dyn Origin>, shard: ShardHandle, app: AppId) -> Loader<StoredConfig> {
    Box::new(move || Box::pin(async move { origin.load_config(&shard, app).await }))
}

/// Memory a cached link holds beyond its own blocks: moka's records for the entry (its
/// table bucket, entry info, access- and write-order nodes, the key's `Arc`) and our
/// `Cached` wrapper. Calibrated so that the weigher's total tracks the RSS growth measured
/// by `hoplink-bench suite --only hot` with the binaries' allocator, mimalloc
/// (docs/benchmarks.md).
const LINK_ENTRY_OVERHEAD: usize = 480;

/// What the allocator spends per block beyond the bytes asked for: mimalloc keeps no
/// header, so this is its size-class rounding, on average.
const BLOCK_OVERHEAD: usize = 8;

/// Approximate memory of a cached link, in bytes: what the capacity is set in.
fn link_weight(link: &Link) -> u32 {
    let block = |bytes: usize| {
        if bytes == 0 {
            0
        } else {
            bytes + BLOCK_OVERHEAD
        }
    };
    // A code longer than `CompactString` keeps inline sits on the heap twice: in the
    // link and in the key.
    let code = link.code.as_str().len();
    let code_blocks = if code > 24 { 2 * block(code) } else { 0 };
    let bytes = LINK_ENTRY_OVERHEAD
        + block(std::mem::size_of::<Link>())
        + code_blocks
        + link.data.heap_bytes()
        + link.labels.heap_bytes()
        // Data and labels: two blocks each.
        + 4 * BLOCK_OVERHEAD;
    u32::try_from(bytes).unwrap_or(u32::MAX)
}

fn config_weight(_: &StoredConfig) -> u32 {
    1024
}
