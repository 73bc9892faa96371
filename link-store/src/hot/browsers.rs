//! [`BrowserState`]: which browsers are known to have an app installed, for the iOS
//! decision on the click path (installed -> interstitial that tries the app; else -> App
//! Store). Set by the API when an SDK open is matched to a click from that browser.
//!
//! - [`PostgresBrowserState`]: the shard's `browser_apps` table (upserted; a row older than
//!   the TTL counts as not installed).
//! - [`HotBrowserState`]: the hot tier's `browsers` set with the same TTL, in front of the
//!   table. Marks go to both (the table is what survives the hot tier); look-ups read
//!   Aerospike and ask Postgres only when Aerospike fails or its breaker is open. A miss
//!   in Aerospike is a "no": most browsers on the click path have never opened the app.
//!
//! `is_installed` is on the click path: it has a short budget and answers `false` on any
//! failure, never an error and never a long wait. A shard that keeps failing it is skipped
//! for a cool-down (per-shard breaker).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aerospike::{Bin, Key, RecordExistsAction, Value};
use link_core::{AppId, ShardId};
use shard_router::ShardRouter;
use shard_router::fence::begin_app_write;
use uuid::Uuid;

use super::breaker::Breaker;
use super::clicks::resolve;
use super::client::{HotClient, Op};
use super::config::HotTierConfig;
use super::metrics::Outcome;
use super::records::{BIN_INSTALLED, key_bytes};
use crate::error::StoreError;
use crate::origin::BoxFuture;

pub trait BrowserState: Send + Sync + 'static {
    /// Remembers that `browser` has the app (an SDK open was matched to a click from it).
    fn mark_installed(&self, app: AppId, browser: Uuid) -> BoxFuture<'_, Result<(), StoreError>>;

    /// Whether `browser` is known to have the app. `false` on any failure or timeout.
    fn is_installed(&self, app: AppId, browser: Uuid) -> BoxFuture<'_, bool>;
}

/// The shard's `browser_apps` table.
#[derive(Clone)]
pub struct PostgresBrowserState {
    router: ShardRouter,
    ttl: Duration,
    timeout: Duration,
    breakers: Arc<Mutex<HashMap<ShardId, Arc<Breaker>>>>,
    breaker_failures: u32,
    cool_down: Duration,
}

const UPSERT_SQL: &str = "\
INSERT INTO browser_apps AS b (app_id, browser_id) VALUES ($1, $2)
ON CONFLICT (app_id, browser_id) DO UPDATE SET last_seen_at = now()";

const LOOKUP_SQL: &str = "\
SELECT EXISTS (SELECT 1 FROM browser_apps WHERE app_id = $1 AND browser_id = $2
               AND last_seen_at > now() - $3 * interval '1 second')";

impl PostgresBrowserState {
    pub fn new(router: ShardRouter, config: &HotTierConfig) -> Self {
        Self {
            router,
            ttl: config.browser_ttl(),
            timeout: config.browser_lookup_timeout(),
            breakers: Arc::default(),
            breaker_failures: config.aerospike_breaker_failures,
            cool_down: config.cool_down(),
        }
    }

    async fn mark(&self, app: AppId, browser: Uuid) -> Result<(), StoreError> {
        let resolved = resolve(&self.router, app)?;
        let mut tx = begin_app_write(resolved.shard.pool()?, &resolved.route).await?;
        sqlx::query(UPSERT_SQL)
            .bind(app.get())
            .bind(browser)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn lookup(&self, app: AppId, browser: Uuid) -> bool {
        let Some(resolved) = self.router.app(app) else {
            return false;
        };
        let Ok(pool) = resolved.shard.pool() else {
            return false;
        };
        let breaker = self.breaker(&resolved.shard.id);
        let Some(permit) = breaker.admit() else {
            return false;
        };
        let query = sqlx::query_scalar::<_, bool>(LOOKUP_SQL)
            .bind(app.get())
            .bind(browser)
            .bind(self.ttl.as_secs_f64())
            .fetch_one(pool);
        match tokio::time::timeout(self.timeout, query).await {
            Ok(Ok(installed)) => {
                permit.succeeded();
                installed
            }
            Ok(Err(error)) => {
                permit.failed();
                tracing::debug!(error = %shard_router::error::chain(&error), "browser look-up failed; answering not installed");
                false
            }
            Err(_) => {
                permit.failed();
                false
            }
        }
    }

    fn breaker(&self, shard: &ShardId) -> Arc<Breaker> {
        let mut breakers = self.breakers.lock().unwrap_or_else(|p| p.into_inner());
        breakers
            .entry(shard.clone())
            .or_insert_with(|| Arc::new(Breaker::new(self.breaker_failures, self.cool_down)))
            .clone()
    }
}

impl BrowserState for PostgresBrowserState {
    fn mark_installed(&self, app: AppId, browser: Uuid) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(self.mark(app, browser))
    }

    fn is_installed(&self, app: AppId, browser: Uuid) -> BoxFuture<'_, bool> {
        Box::pin(self.lookup(app, browser))
    }
}

impl std::fmt::Debug for PostgresBrowserState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresBrowserState")
            .field("ttl", &self.ttl)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// The hot tier's `browsers` set in front of [`PostgresBrowserState`].
#[derive(Clone, Debug)]
pub struct HotBrowserState {
    hot: HotClient,
    postgres: PostgresBrowserState,
}

impl HotBrowserState {
    pub fn new(hot: HotClient, router: ShardRouter, config: &HotTierConfig) -> Self {
        Self {
            hot,
            postgres: PostgresBrowserState::new(router, config),
        }
    }

    fn key(&self, app: AppId, browser: Uuid) -> aerospike::Result<Key> {
        Key::new(
            self.hot.inner.namespace.as_str(),
            self.hot.inner.sets.browsers.as_str(),
            Value::Blob(key_bytes(app, browser.as_bytes())),
        )
    }

    async fn mark(&self, app: AppId, browser: Uuid) -> Result<(), StoreError> {
        if let Ok(key) = self.key(app, browser) {
            let mut policy = self.hot.write_policy();
            policy.record_exists_action = RecordExistsAction::Replace;
            policy.expiration = self.hot.inner.browser_ttl;
            let bins = [Bin::new(BIN_INSTALLED, Value::Int(1))];
            let hot = self.hot.call(
                "browsers",
                Op::Write,
                |_| Outcome::Written,
                |client| async move { client.put(&policy, &key, &bins).await },
            );
            // Both at once; the table is the durable record, so its result is the answer.
            let (_, durable) = tokio::join!(hot, self.postgres.mark(app, browser));
            return durable;
        }
        self.postgres.mark(app, browser).await
    }

    async fn lookup(&self, app: AppId, browser: Uuid) -> bool {
        let Ok(key) = self.key(app, browser) else {
            return false;
        };
        let outcome = |found: &bool| if *found { Outcome::Hit } else { Outcome::Miss };
        let found = self
            .hot
            .call("browsers", Op::Read, outcome, |client| async move {
                client.exists(self.hot.read_policy(), &key).await
            })
            .await;
        match found {
            Ok(installed) => installed,
            Err(_) => {
                self.hot.inner.metrics.fallback("browser");
                self.postgres.lookup(app, browser).await
            }
        }
    }
}

impl BrowserState for HotBrowserState {
    fn mark_installed(&self, app: AppId, browser: Uuid) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(self.mark(app, browser))
    }

    fn is_installed(&self, app: AppId, browser: Uuid) -> BoxFuture<'_, bool> {
        Box::pin(self.lookup(app, browser))
    }
}
