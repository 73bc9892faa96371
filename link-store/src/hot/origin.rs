//! [`HotOrigin`], the cache's origin with the hot tier in front of Postgres, and
//! [`WriteThrough`], how the API keeps the hot tier current.
//!
//! Read path (a `LinkCache` miss): Aerospike first; a usable copy is the answer. On a miss
//! (or a record it cannot use) Postgres answers and the loaded value is written back
//! (repaired) in the background, with the version check, so the caller never waits for the
//! repair and a repair can never overwrite a newer copy. When Aerospike fails or its
//! breaker is open, Postgres answers and nothing is repaired.
//!
//! Right after a change notification, the write-through of the change may not have landed
//! yet (it follows the Postgres commit by a few milliseconds, and may fail), so a reload
//! that trusts Aerospike could cache the old version. [`HotOrigin::link_changed`] and
//! [`HotOrigin::config_changed`] (called from the invalidation path) make the next loads of
//! that key read Postgres for [`CHANGED_WINDOW`] and repair the hot tier from it: every
//! link service that sees a change also heals the hot tier.

use std::time::Duration;

use link_core::{AppId, Link};
use shard_router::ShardHandle;
use shard_router::app_config::StoredConfig;

use super::client::{HotClient, HotError};
use super::links::{HotRead, LinkWrite, WriteOutcome};
use crate::error::StoreError;
use crate::origin::{BoxFuture, Origin, PostgresOrigin};

/// How long after a change notification a key is loaded from Postgres.
pub const CHANGED_WINDOW: Duration = Duration::from_secs(5);

/// Retries of a failed write-through, in the background: the waits before each attempt.
const RETRY_DELAYS: [Duration; 3] = [
    Duration::from_millis(200),
    Duration::from_secs(1),
    Duration::from_secs(5),
];

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ChangedKey {
    Link(AppId, Box<str>),
    /// Every link of the app (a tag purge names no codes).
    AppLinks(AppId),
    Config(AppId),
}

/// Read-through Aerospike, then Postgres, with repair. Cheap to clone.
#[derive(Clone)]
pub struct HotOrigin {
    hot: HotClient,
    postgres: PostgresOrigin,
    changed: moka::sync::Cache<ChangedKey, ()>,
}

impl HotOrigin {
    pub fn new(hot: HotClient) -> Self {
        Self {
            hot,
            postgres: PostgresOrigin,
            changed: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(CHANGED_WINDOW)
                .build(),
        }
    }

    /// Postgres changed this link (a change notification arrived): load it from Postgres
    /// for a few seconds, repairing the hot tier.
    pub fn link_changed(&self, app: AppId, code: &str) {
        self.changed.insert(ChangedKey::Link(app, code.into()), ());
    }

    /// A tag purge: any link of the app may have changed; see [`HotOrigin::link_changed`].
    pub fn links_changed(&self, app: AppId) {
        self.changed.insert(ChangedKey::AppLinks(app), ());
    }

    /// Postgres changed this app's config; see [`HotOrigin::link_changed`].
    pub fn config_changed(&self, app: AppId) {
        self.changed.insert(ChangedKey::Config(app), ());
    }

    pub fn client(&self) -> &HotClient {
        &self.hot
    }

    async fn link(
        &self,
        shard: &ShardHandle,
        app: AppId,
        code: &str,
    ) -> Result<Option<Link>, StoreError> {
        let changed = self.changed.contains_key(&ChangedKey::AppLinks(app))
            || self
                .changed
                .contains_key(&ChangedKey::Link(app, code.into()));
        let repair = if changed {
            Some(LinkWrite::Live)
        } else {
            match self.hot.get_link(app, code).await {
                Ok(HotRead::Found(link)) => return Ok(Some(link)),
                Ok(HotRead::Missing) => Some(LinkWrite::Live),
                Ok(HotRead::Unusable) => Some(LinkWrite::Overwrite),
                Err(error) => {
                    self.fell_back("link", &error);
                    None
                }
            }
        };
        let loaded = self.postgres.load_link(shard, app, code).await?;
        if let (Some(mode), Some(link)) = (repair, &loaded) {
            let link = link.clone();
            self.hot.spawn_background(move |hot| async move {
                // Counted by the client; a failed repair is retried by the next miss.
                let _ = hot.put_link(&link, mode).await;
            });
        }
        Ok(loaded)
    }

    async fn config(
        &self,
        shard: &ShardHandle,
        app: AppId,
    ) -> Result<Option<StoredConfig>, StoreError> {
        let repair = if self.changed.contains_key(&ChangedKey::Config(app)) {
            Some(false)
        } else {
            match self.hot.get_config(app).await {
                Ok(HotRead::Found(config)) => return Ok(Some(config)),
                Ok(HotRead::Missing) => Some(false),
                Ok(HotRead::Unusable) => Some(true),
                Err(error) => {
                    self.fell_back("config", &error);
                    None
                }
            }
        };
        let loaded = self.postgres.load_config(shard, app).await?;
        if let (Some(overwrite), Some(config)) = (repair, &loaded) {
            let config = config.clone();
            self.hot.spawn_background(move |hot| async move {
                let _ = hot.put_config(app, &config, overwrite).await;
            });
        }
        Ok(loaded)
    }

    fn fell_back(&self, what: &str, error: &HotError) {
        self.hot.inner.metrics.fallback(what);
        if let HotError::Failed(error) = error {
            tracing::debug!(what, %error, "hot tier read failed; loading from Postgres");
        }
    }
}

impl Origin for HotOrigin {
    fn load_link<'a>(
        &'a self,
        shard: &'a ShardHandle,
        app: AppId,
        code: &'a str,
    ) -> BoxFuture<'a, Result<Option<Link>, StoreError>> {
        Box::pin(self.link(shard, app, code))
    }

    fn load_config<'a>(
        &'a self,
        shard: &'a ShardHandle,
        app: AppId,
    ) -> BoxFuture<'a, Result<Option<StoredConfig>, StoreError>> {
        Box::pin(self.config(shard, app))
    }
}

impl std::fmt::Debug for HotOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HotOrigin").field("hot", &self.hot).finish()
    }
}

/// Writes changed links and configs to the hot tier after their Postgres commit. Does
/// nothing when the hot tier is off; never returns an error: a write that fails is counted
/// and retried a few times in the background ([`RETRY_DELAYS`]), and link services repair
/// what is still missing on their next miss or change notification.
#[derive(Clone, Debug, Default)]
pub struct WriteThrough {
    hot: Option<HotClient>,
}

impl WriteThrough {
    pub fn new(hot: Option<HotClient>) -> Self {
        Self { hot }
    }

    pub fn disabled() -> Self {
        Self { hot: None }
    }

    pub fn is_enabled(&self) -> bool {
        self.hot.is_some()
    }

    /// A created or updated link, as committed (with its new version).
    pub async fn put_link(&self, link: &Link) -> WriteOutcome {
        self.link(link, LinkWrite::Live).await
    }

    /// A deleted link, as committed: `deleted_at` set, its version as stored. Leaves a
    /// tombstone that no write of that version or older can replace, and that the click
    /// path answers from (410) without asking Postgres.
    pub async fn delete_link(&self, link: &Link) -> WriteOutcome {
        self.link(link, LinkWrite::Tombstone).await
    }

    /// An app's config after an update (with its new version).
    pub async fn put_config(&self, app: AppId, config: &StoredConfig) -> WriteOutcome {
        let Some(hot) = &self.hot else {
            return WriteOutcome::Disabled;
        };
        match hot.put_config(app, config, false).await {
            Ok(written) => outcome(written),
            Err(_) => {
                let config = config.clone();
                hot.spawn_background(move |hot| async move {
                    for delay in RETRY_DELAYS {
                        tokio::time::sleep(delay).await;
                        if hot.put_config(app, &config, false).await.is_ok() {
                            return;
                        }
                    }
                    hot.gave_up("config");
                });
                WriteOutcome::Failed
            }
        }
    }

    async fn link(&self, link: &Link, mode: LinkWrite) -> WriteOutcome {
        let Some(hot) = &self.hot else {
            return WriteOutcome::Disabled;
        };
        match hot.put_link(link, mode).await {
            Ok(written) => outcome(written),
            Err(_) => {
                let link = link.clone();
                hot.spawn_background(move |hot| async move {
                    for delay in RETRY_DELAYS {
                        tokio::time::sleep(delay).await;
                        if hot.put_link(&link, mode).await.is_ok() {
                            return;
                        }
                    }
                    hot.gave_up("link");
                });
                WriteOutcome::Failed
            }
        }
    }
}

fn outcome(written: bool) -> WriteOutcome {
    if written {
        WriteOutcome::Written
    } else {
        WriteOutcome::Stale
    }
}

impl HotClient {
    fn gave_up(&self, what: &str) {
        self.inner
            .metrics
            .dropped
            .with_label_values(&["gave_up"])
            .inc();
        tracing::warn!(
            what,
            "write-through to the hot tier failed after retries; link services repair it on their next miss or change notification"
        );
    }
}
