//! [`ShardRouter`]: the live routing state of one process.
//!
//! The map and the shard pools are swapped together as one [`Routes`] value (`arc-swap`):
//! readers never lock and never see a map whose shards have no pool. Pools are reused
//! across refreshes while a shard's URL is unchanged, and created lazily, so an unreachable
//! shard costs nothing until one of its apps is asked for.

use foldhash::{HashMap, HashMapExt};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use link_core::{AppId, ShardId};
use prometheus::{IntCounterVec, IntGauge, Opts, Registry};
use secrecy::ExposeSecret;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tokio::sync::broadcast;

use crate::catalog;
use crate::config::{PoolSettings, RouterConfig};
use crate::dsn::ShardDsn;
use crate::error::RouterError;
use crate::map::{AppRoute, ShardMap};

/// A shard's connection pools, or why there are none.
///
/// Two pools per shard: `pool` serves requests, `background` serves the tasks that run on
/// the process's main runtime (event batchers, change listeners). They must not share
/// connections: actix-web runs each HTTP worker on a runtime of its own, and a connection
/// opened on a worker's runtime dies with it, so a batcher draining after the workers
/// stopped would otherwise be handed dead connections.
#[derive(Debug, Clone)]
pub struct ShardHandle {
    pub id: ShardId,
    dsn: Option<ShardDsn>,
    pool: Result<PgPool, Arc<str>>,
    background: Result<PgPool, Arc<str>>,
}

impl ShardHandle {
    /// The URL the pool connects to (`None` when the catalog's URL does not parse).
    pub fn dsn(&self) -> Option<&ShardDsn> {
        self.dsn.as_ref()
    }

    /// The pool for request handlers.
    pub fn pool(&self) -> Result<&PgPool, RouterError> {
        self.pool.as_ref().map_err(|reason| self.unusable(reason))
    }

    /// The pool for background tasks on the main runtime (see the type's docs).
    pub fn background_pool(&self) -> Result<&PgPool, RouterError> {
        self.background
            .as_ref()
            .map_err(|reason| self.unusable(reason))
    }

    fn unusable(&self, reason: &Arc<str>) -> RouterError {
        RouterError::ShardUnavailable {
            shard: self.id.clone(),
            source: sqlx::Error::Configuration(reason.to_string().into()),
        }
    }
}

/// The map and its pools, swapped in together.
#[derive(Debug, Default)]
pub struct Routes {
    pub map: ShardMap,
    shards: HashMap<ShardId, ShardHandle>,
}

/// An app and the handle of the shard that holds it.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub route: AppRoute,
    pub shard: ShardHandle,
}

impl Routes {
    pub fn resolve_host(&self, host_header: &str) -> Option<(&AppRoute, &ShardHandle)> {
        let route = self.map.resolve_host(host_header)?;
        Some((route, self.shards.get(&route.shard)?))
    }

    pub fn app(&self, app_id: AppId) -> Option<(&AppRoute, &ShardHandle)> {
        let route = self.map.app(app_id)?;
        Some((route, self.shards.get(&route.shard)?))
    }

    pub fn shard(&self, id: &ShardId) -> Option<&ShardHandle> {
        self.shards.get(id)
    }

    pub fn shard_handles(&self) -> impl Iterator<Item = &ShardHandle> {
        self.shards.values()
    }
}

/// What changed in the catalog, for subscribers that cache catalog data of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogChange {
    /// Shards, apps or domains changed; the router has reloaded its map.
    Routing,
    /// API keys changed.
    Keys,
    /// Notifications may have been missed (the listener reconnected): drop everything.
    Resync,
}

#[derive(Clone)]
pub struct ShardRouter {
    inner: Arc<Inner>,
}

struct Inner {
    catalog: PgPool,
    routes: ArcSwap<Routes>,
    settings: PoolSettings,
    poll_interval: Duration,
    loaded: AtomicBool,
    changes: broadcast::Sender<CatalogChange>,
    // Serialises reloads so two notifications cannot race an older map over a newer one.
    refresh_lock: tokio::sync::Mutex<()>,
    metrics: RouterMetrics,
}

impl ShardRouter {
    /// Sets up the catalog pool without connecting; call [`ShardRouter::refresh`] to load
    /// the map. Fails only on configuration that can never work.
    pub fn new(config: &RouterConfig) -> Result<Self, RouterError> {
        let dsn = ShardDsn::parse(config.catalog_url.expose_secret())
            .map_err(|e| e.at("HOPLINK_CATALOG_URL"))?;
        let catalog = PgPoolOptions::new()
            .max_connections(config.catalog_max_connections.max(1))
            .acquire_timeout(Duration::from_secs(5))
            .connect_lazy_with(dsn.connect_options().application_name("hoplink-catalog"));
        let (changes, _) = broadcast::channel(64);
        Ok(Self {
            inner: Arc::new(Inner {
                catalog,
                routes: ArcSwap::from_pointee(Routes::default()),
                settings: config.shard_pool.clone(),
                poll_interval: config.map_poll_interval(),
                loaded: AtomicBool::new(false),
                changes,
                refresh_lock: tokio::sync::Mutex::new(()),
                metrics: RouterMetrics::new(),
            }),
        })
    }

    /// Creates the router and loads the map, failing if the catalog cannot be read. For
    /// tools; services start with [`ShardRouter::new`] and report readiness instead.
    pub async fn connect(config: &RouterConfig) -> Result<Self, RouterError> {
        let router = Self::new(config)?;
        router.refresh().await?;
        Ok(router)
    }

    pub fn catalog(&self) -> &PgPool {
        &self.inner.catalog
    }

    /// The current routes. Cheap (an atomic load); hold the guard only briefly.
    pub fn routes(&self) -> arc_swap::Guard<Arc<Routes>> {
        self.inner.routes.load()
    }

    pub fn resolve_host(&self, host_header: &str) -> Option<Resolved> {
        let routes = self.routes();
        let (route, shard) = routes.resolve_host(host_header)?;
        Some(Resolved {
            route: route.clone(),
            shard: shard.clone(),
        })
    }

    pub fn app(&self, app_id: AppId) -> Option<Resolved> {
        let routes = self.routes();
        let (route, shard) = routes.app(app_id)?;
        Some(Resolved {
            route: route.clone(),
            shard: shard.clone(),
        })
    }

    /// Whether a map has been loaded at least once.
    pub fn is_loaded(&self) -> bool {
        self.inner.loaded.load(Ordering::Acquire)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<CatalogChange> {
        self.inner.changes.subscribe()
    }

    pub(crate) fn publish(&self, change: CatalogChange) {
        // No subscribers is fine.
        let _ = self.inner.changes.send(change);
    }

    pub fn poll_interval(&self) -> Duration {
        self.inner.poll_interval
    }

    /// Checks the catalog answers within `timeout`.
    pub async fn ping_catalog(&self, timeout: Duration) -> bool {
        let ping = sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&self.inner.catalog);
        matches!(tokio::time::timeout(timeout, ping).await, Ok(Ok(1)))
    }

    /// Reloads the map from the catalog, validates it and swaps it in with its pools. On
    /// any failure the previous map stays in use.
    pub async fn refresh(&self) -> Result<(), RouterError> {
        let _serial = self.inner.refresh_lock.lock().await;
        let started = Instant::now();
        let result = self.load_and_swap().await;
        let outcome = if result.is_ok() { "ok" } else { "error" };
        self.inner
            .metrics
            .refreshes
            .with_label_values(&[outcome])
            .inc();
        match &result {
            Ok(()) => tracing::debug!(
                elapsed_ms = started.elapsed().as_millis() as u64,
                "shard map reloaded"
            ),
            Err(error) => {
                tracing::warn!(%error, "shard map reload failed; keeping the previous map")
            }
        }
        result
    }

    async fn load_and_swap(&self) -> Result<(), RouterError> {
        let rows = catalog::load_rows(&self.inner.catalog).await?;
        let map = ShardMap::build(rows).map_err(RouterError::InconsistentCatalog)?;
        let previous = self.inner.routes.load_full();
        let mut shards = HashMap::new();
        for info in map.shards() {
            let reusable = previous
                .shards
                .get(&info.id)
                .filter(|h| h.dsn.as_ref() == info.dsn.as_ref().ok());
            let handle = match (reusable, &info.dsn) {
                (Some(existing), _) => existing.clone(),
                (None, Ok(dsn)) => ShardHandle {
                    id: info.id.clone(),
                    dsn: Some(dsn.clone()),
                    pool: Ok(self.shard_pool(dsn)),
                    background: Ok(background_pool(dsn.connect_options(), &self.inner.settings)),
                },
                (None, Err(reason)) => {
                    let reason: Arc<str> = format!("invalid shard URL in catalog: {reason}").into();
                    ShardHandle {
                        id: info.id.clone(),
                        dsn: None,
                        pool: Err(reason.clone()),
                        background: Err(reason),
                    }
                }
            };
            shards.insert(info.id.clone(), handle);
        }
        // Pools of shards that left the map (or changed URL) close once no request holds
        // them any more.
        for (id, old) in &previous.shards {
            let kept = shards.get(id).is_some_and(|h| h.dsn == old.dsn);
            if !kept {
                for pool in [&old.pool, &old.background].into_iter().flatten() {
                    let pool = pool.clone();
                    tokio::spawn(async move { pool.close().await });
                }
            }
        }
        self.inner.metrics.apps.set(map.app_count() as i64);
        self.inner.metrics.shards.set(shards.len() as i64);
        self.inner.routes.store(Arc::new(Routes { map, shards }));
        self.inner.loaded.store(true, Ordering::Release);
        Ok(())
    }

    fn shard_pool(&self, dsn: &ShardDsn) -> PgPool {
        shard_pool(dsn.connect_options(), &self.inner.settings)
    }

    pub fn register_metrics(&self, registry: &Registry) -> prometheus::Result<()> {
        self.inner.metrics.register(registry)
    }
}

/// A lazily connecting, bounded pool for one shard.
pub fn shard_pool(options: PgConnectOptions, settings: &PoolSettings) -> PgPool {
    let statement_timeout = settings.shard_statement_timeout_ms.to_string();
    let options = options
        .application_name("hoplink")
        .options([("statement_timeout", statement_timeout.as_str())]);
    PgPoolOptions::new()
        .max_connections(settings.shard_max_connections.max(1))
        .min_connections(0)
        .acquire_timeout(Duration::from_millis(
            settings.shard_acquire_timeout_ms.max(1),
        ))
        .idle_timeout(Some(Duration::from_secs(600)))
        .connect_lazy_with(options)
}

/// A small lazily connecting pool for one shard's background tasks.
pub fn background_pool(options: PgConnectOptions, settings: &PoolSettings) -> PgPool {
    let statement_timeout = settings.shard_statement_timeout_ms.to_string();
    let options = options
        .application_name("hoplink-background")
        .options([("statement_timeout", statement_timeout.as_str())]);
    PgPoolOptions::new()
        .max_connections(settings.shard_background_connections.max(1))
        .min_connections(0)
        .acquire_timeout(Duration::from_millis(
            settings.shard_acquire_timeout_ms.max(1),
        ))
        .idle_timeout(Some(Duration::from_secs(600)))
        .connect_lazy_with(options)
}

#[derive(Clone)]
struct RouterMetrics {
    refreshes: IntCounterVec,
    apps: IntGauge,
    shards: IntGauge,
}

impl RouterMetrics {
    fn new() -> Self {
        Self {
            refreshes: IntCounterVec::new(
                Opts::new(
                    "hoplink_shard_map_refreshes_total",
                    "Shard map reloads by outcome.",
                ),
                &["outcome"],
            )
            .expect("constant metric definition"),
            apps: IntGauge::new("hoplink_shard_map_apps", "Apps in the loaded shard map.")
                .expect("constant metric definition"),
            shards: IntGauge::new(
                "hoplink_shard_map_shards",
                "Shards in the loaded shard map.",
            )
            .expect("constant metric definition"),
        }
    }

    fn register(&self, registry: &Registry) -> prometheus::Result<()> {
        registry.register(Box::new(self.refreshes.clone()))?;
        registry.register(Box::new(self.apps.clone()))?;
        registry.register(Box::new(self.shards.clone()))
    }
}
