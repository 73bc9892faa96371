use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use link_core::client::{Browser, InAppBrowser, OsFamily, Platform};
use link_core::{AppConfig, AppId, ClickId, Country, ShardId};
use link_store::events::{ClickEvent, ClickRecorder, EventsConfig, start_click_pipeline};
use link_store::export::{ExportConfig, Exporter};
use link_store::links::{self, NewLink};
use shard_router::catalog::{apps, shards};
use shard_router::fence::begin_app_write;
use shard_router::testing::{ChaosProxy, TestDatabases, server_addr};
use shard_router::{PoolSettings, RouterConfig, ShardDsn, ShardRouter, migrate};
use sqlx::PgPool;
use tokio::task::JoinHandle;

/// A migrated catalog with shards `s1`, `s2`, ... (optionally the last one behind a
/// [`ChaosProxy`]), its router, and the registry the pipeline's metrics go to.
pub struct TestStore {
    pub router: ShardRouter,
    pub registry: prometheus::Registry,
    /// In front of shards, when asked for: (shard number from 1, its proxy).
    proxies: Vec<(usize, ChaosProxy)>,
    /// Straight to each shard database (never through the proxy), to check what was written.
    direct: Vec<PgPool>,
    /// Last, so the databases are dropped after every pool on them.
    _dbs: TestDatabases,
}

impl TestStore {
    pub async fn with_shards(shards: usize) -> Self {
        Self::build(shards, shards).await
    }

    /// `shards` shards, the last of which is reached through a proxy the test can cut.
    pub async fn with_proxied_last_shard(shards: usize) -> Self {
        Self::build(shards, shards - 1).await
    }

    /// `shards` shards, each reached through a proxy of its own ([`Self::shard_proxy`]).
    pub async fn with_proxied_shards(shards: usize) -> Self {
        Self::build(shards, 0).await
    }

    /// Shards from index `first_proxied` on are reached through a proxy.
    async fn build(shards: usize, first_proxied: usize) -> Self {
        let dbs = TestDatabases::create(shards).await;
        let router = router_for(&dbs.catalog_url);
        migrate::migrate_catalog(router.catalog())
            .await
            .expect("migrate catalog");
        router.refresh().await.expect("load empty map");
        let mut proxies = Vec::new();
        for (i, url) in dbs.shard_urls.iter().enumerate() {
            let url = if i >= first_proxied {
                let started = ChaosProxy::start(server_addr(url)).await;
                let proxied = started.proxied_url(url);
                proxies.push((i + 1, started));
                proxied
            } else {
                url.clone()
            };
            add_shard(&router, &format!("s{}", i + 1), &url).await;
        }
        let direct = dbs
            .shard_urls
            .iter()
            .map(|url| PgPool::connect_lazy(url).expect("shard URL"))
            .collect();
        Self {
            router,
            registry: prometheus::Registry::new(),
            proxies,
            direct,
            _dbs: dbs,
        }
    }

    /// The proxy of the last shard.
    pub fn proxy(&self) -> &ChaosProxy {
        &self
            .proxies
            .last()
            .expect("store built with a proxied shard")
            .1
    }

    /// The proxy of shard `n` (from 1).
    pub fn shard_proxy(&self, n: usize) -> &ChaosProxy {
        self.proxies
            .iter()
            .find_map(|(i, p)| (*i == n).then_some(p))
            .expect("shard built with a proxy")
    }

    /// Starts the click pipeline; once per store (its metrics go to `self.registry`).
    pub fn start(&self, config: &EventsConfig) -> (ClickRecorder, JoinHandle<()>) {
        start_click_pipeline(self.router.clone(), config, &self.registry, None)
            .expect("register metrics")
    }

    /// Starts the click pipeline with the event stream export; returns the export's task
    /// too. Once per store.
    pub fn start_exporting(
        &self,
        config: &EventsConfig,
        export: &ExportConfig,
    ) -> (ClickRecorder, JoinHandle<()>, JoinHandle<()>) {
        let (exporter, export_task) = Exporter::start(export, &self.registry)
            .expect("export settings")
            .expect("export is on");
        let (recorder, batcher) =
            start_click_pipeline(self.router.clone(), config, &self.registry, Some(exporter))
                .expect("register metrics");
        (recorder, batcher, export_task)
    }

    /// A link of `app` with labels, created through the fenced write path; returns its
    /// id and code.
    pub async fn create_labelled_link(&self, app: AppId, new: &NewLink) -> (i64, String) {
        let resolved = self.router.app(app).expect("app is routed");
        let pool = resolved.shard.pool().expect("shard pool");
        let mut tx = begin_app_write(pool, &resolved.route)
            .await
            .expect("fenced transaction");
        let link = links::insert(&mut tx, app, new).await.expect("insert link");
        tx.commit().await.expect("commit link");
        (link.id, link.code.as_str().to_owned())
    }

    pub async fn create_app(&self, name: &str, shard: &str) -> AppId {
        let new = apps::NewApp {
            name: name.to_owned(),
            domains: Vec::new(),
            alternate_domain: None,
            config: AppConfig::default(),
            shard: Some(ShardId::parse(shard).expect("shard id")),
        };
        apps::create(&self.router, new)
            .await
            .expect("create app")
            .app_id
    }

    /// A link of `app`, created through the fenced write path; returns its id.
    pub async fn create_link(&self, app: AppId) -> i64 {
        let resolved = self.router.app(app).expect("app is routed");
        let pool = resolved.shard.pool().expect("shard pool");
        let mut tx = begin_app_write(pool, &resolved.route)
            .await
            .expect("fenced transaction");
        let link = links::insert(&mut tx, app, &NewLink::default())
            .await
            .expect("insert link");
        tx.commit().await.expect("commit link");
        link.id
    }

    /// The pool of shard `s<n>` (1-based), bypassing any proxy.
    pub fn shard(&self, n: usize) -> &PgPool {
        &self.direct[n - 1]
    }

    pub async fn click_count(&self, shard: usize, app: AppId) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM clicks WHERE app_id = $1")
            .bind(app.get())
            .fetch_one(self.shard(shard))
            .await
            .expect("count clicks")
    }

    /// `link_stats_daily` rows of `app`, in key order.
    pub async fn rollups(&self, shard: usize, app: AppId) -> Vec<Rollup> {
        sqlx::query_as(
            "SELECT day, link_id, platform, clicks, bot_views FROM link_stats_daily \
             WHERE app_id = $1 ORDER BY day, link_id, platform",
        )
        .bind(app.get())
        .fetch_all(self.shard(shard))
        .await
        .expect("read rollups")
    }

    /// Sum of (clicks, bot_views) over every rollup row of `app`.
    pub async fn rollup_totals(&self, shard: usize, app: AppId) -> (i64, i64) {
        self.rollups(shard, app)
            .await
            .iter()
            .fold((0, 0), |(c, b), r| (c + r.3, b + r.4))
    }

    /// Sets the app's epoch on its shard (not in the catalog), as a move would leave it.
    pub async fn set_shard_epoch(&self, shard: usize, app: AppId, epoch: i64) {
        sqlx::query("UPDATE app_configs SET epoch = $2 WHERE app_id = $1")
            .bind(app.get())
            .bind(epoch)
            .execute(self.shard(shard))
            .await
            .expect("set shard epoch");
    }

    /// A metric's value from the registry's text exposition; series that carry every one of
    /// `labels` are summed (0 when there is none).
    pub fn metric(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        registry_metric(&self.registry, name, labels)
    }

    pub fn dropped(&self, reason: &str) -> u64 {
        self.metric(
            "hoplink_events_dropped_total",
            &[("kind", "click"), ("reason", reason)],
        ) as u64
    }

    pub fn written(&self) -> u64 {
        self.metric("hoplink_events_written_total", &[("kind", "click")]) as u64
    }
}

/// (day, link_id, platform, clicks, bot_views)
pub type Rollup = (NaiveDate, i64, String, i64, i64);

/// A test config: defaults, with the given flush interval.
pub fn config(flush_interval_ms: u64) -> EventsConfig {
    EventsConfig {
        events_flush_interval_ms: flush_interval_ms,
        ..EventsConfig::default()
    }
}

/// A human click from Chrome on Android.
pub fn click(app: AppId, link_id: i64, occurred_at: DateTime<Utc>) -> ClickEvent {
    ClickEvent {
        click_id: ClickId::generate(),
        app_id: app,
        link_id,
        occurred_at,
        platform: Platform::Android,
        os: OsFamily::Android,
        os_version: None,
        browser: Browser::ChromeFamily,
        in_app: None,
        is_bot: false,
        fingerprint: None,
        browser_id: None,
        country: None,
        counted: true,
        uses_up_link: false,
        query: None,
    }
}

/// A click from Instagram's in-app browser on an iPhone in Germany, with fingerprint,
/// browser id and the given carried query: every optional field set.
pub fn detailed_click(
    app: AppId,
    link_id: i64,
    occurred_at: DateTime<Utc>,
    query: &str,
) -> ClickEvent {
    ClickEvent {
        platform: Platform::Ios,
        os: OsFamily::Ios,
        os_version: Some((17, 4)),
        browser: Browser::WebView,
        in_app: Some(InAppBrowser::Instagram),
        fingerprint: Some([7; 32]),
        browser_id: Some(uuid::Uuid::new_v4()),
        country: Country::parse("de"),
        query: Some(query.into()),
        ..click(app, link_id, occurred_at)
    }
}

/// `n` Android clicks on `link_id`, a second apart from `from`.
pub fn clicks_from(app: AppId, link_id: i64, from: &str, n: i64) -> Vec<ClickEvent> {
    (0..n)
        .map(|i| click(app, link_id, at(from) + chrono::Duration::seconds(i)))
        .collect()
}

pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .expect("timestamp")
        .with_timezone(&Utc)
}

pub fn day(ymd: &str) -> NaiveDate {
    NaiveDate::parse_from_str(ymd, "%Y-%m-%d").expect("date")
}

/// A benchmark's size setting from the environment, or `default`.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Polls `check` until it holds or `within` passes; returns whether it held.
pub async fn eventually<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn router_for(catalog_url: &str) -> ShardRouter {
    let mut config = RouterConfig::new(catalog_url);
    // A cut shard fails a write attempt quickly, so outage tests stay short.
    config.shard_pool.shard_acquire_timeout_ms = 500;
    ShardRouter::new(&config).expect("router")
}

async fn add_shard(router: &ShardRouter, name: &str, url: &str) {
    shards::add(
        router,
        ShardId::parse(name).expect("shard id"),
        ShardDsn::parse(url).expect("dsn"),
        shards::DEFAULT_WEIGHT,
        &PoolSettings::default(),
    )
    .await
    .expect("add shard");
}

/// The sum of `name`'s series in `registry` that carry all of `labels`.
pub fn registry_metric(
    registry: &prometheus::Registry,
    name: &str,
    labels: &[(&str, &str)],
) -> f64 {
    let text = prometheus::TextEncoder::new()
        .encode_to_string(&registry.gather())
        .expect("encode metrics");
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.rsplit_once(' '))
        .filter(|(series, _)| {
            let (series_name, series_labels) = series.split_once('{').unwrap_or((series, ""));
            series_name == name
                && labels
                    .iter()
                    .all(|(k, v)| series_labels.contains(&format!("{k}=\"{v}\"")))
        })
        .map(|(_, value)| value.parse::<f64>().expect("metric value"))
        .sum()
}
