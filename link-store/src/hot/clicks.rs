//! [`ClickIndex`]: the recent clicks of a fingerprint, for probabilistic install and open
//! matching (the API asks "which clicks came from this device lately?").
//!
//! - [`PostgresClickIndex`] reads the `clicks` table the click pipeline writes anyway, by
//!   `clicks_fingerprint_idx`; `record` has nothing to do.
//! - [`HotClickIndex`] keeps the newest [`MAX_CANDIDATES`] clicks per (app, fingerprint) in
//!   one Aerospike record with the attribution window as its TTL, and falls back to
//!   Postgres when Aerospike fails or its breaker is open.
//!
//! While Aerospike is down, fingerprints are not recorded there (the clicks still reach
//! Postgres through the click pipeline, and look-ups fall back to Postgres as long as the
//! breaker is open); once it answers again, look-ups trust it, so the clicks of the outage
//! are matched only until it recovers. A miss in Aerospike is an answer ("no recent
//! click"), not a reason to ask Postgres: most installs are organic.
//!
//! Claims ([`ClickIndex::mark_matched`]) always go to Postgres, whose `matched_at` is the
//! record of which click an install used; the hot tier just forgets the claimed click.

use std::sync::Arc;
use std::time::Duration;

use aerospike::operations::{MapOrder, MapPolicy, MapReturnType, MapWriteFlags, maps};
use aerospike::{Bins, Key, RecordExistsAction, ResultCode, Value};
use chrono::{DateTime, Utc};
use link_core::fingerprint::Fingerprint;
use link_core::{AppId, ClickId};
use shard_router::fence::begin_app_write;
use shard_router::{Resolved, RouterError, ShardRouter};

use super::client::{HotClient, HotError, Op};
use super::metrics::Outcome;
use super::records::{BIN_CLICKS, key_bytes};
use crate::error::StoreError;
use crate::events::ClickEvent;
use crate::origin::BoxFuture;

/// Clicks kept (and returned) per fingerprint, newest first.
pub const MAX_CANDIDATES: usize = 10;

/// A click that an install or open may be matched to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClickCandidate {
    pub click_id: ClickId,
    pub link_id: i64,
    pub occurred_at: DateTime<Utc>,
    /// As the browser reported it (less reliable than an SDK's; compare loosely).
    pub os_version: Option<(u16, u16)>,
    pub device_model: Option<String>,
    /// The clicking browser's id cookie, when it had one: an install or open matched to
    /// this click marks that browser as having the app ([`super::BrowserState`]).
    pub browser_id: Option<uuid::Uuid>,
}

impl ClickCandidate {
    /// The candidate a click event makes.
    pub fn from_event(event: &ClickEvent) -> Self {
        Self {
            click_id: event.click_id,
            link_id: event.link_id,
            occurred_at: event.occurred_at,
            os_version: event.os_version,
            device_model: None,
            browser_id: event.browser_id,
        }
    }
}

pub trait ClickIndex: Send + Sync + 'static {
    /// Remembers `click` under its fingerprint for `ttl` (the attribution window: the
    /// link's `duration_secs`, else the app's `attribution_window_secs`). Never waits and
    /// never fails: the click path calls it.
    fn record(&self, app: AppId, fingerprint: &Fingerprint, click: &ClickCandidate, ttl: Duration);

    /// The unmatched human clicks of this fingerprint within `window`, newest first, at
    /// most [`MAX_CANDIDATES`].
    fn candidates<'a>(
        &'a self,
        app: AppId,
        fingerprint: &'a Fingerprint,
        window: Duration,
    ) -> BoxFuture<'a, Result<Vec<ClickCandidate>, StoreError>>;

    /// Claims a click for an install or open: `true` when this call claimed it, `false`
    /// when it was claimed before (or is not on the shard yet). A fenced write on the app's
    /// shard.
    fn mark_matched<'a>(
        &'a self,
        app: AppId,
        fingerprint: &'a Fingerprint,
        click: ClickId,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// [`ClickIndex::record`] for a click event, when it is a human click with a
    /// fingerprint.
    fn record_event(&self, event: &ClickEvent, ttl: Duration) {
        if let (false, Some(fingerprint)) = (event.is_bot, &event.fingerprint) {
            self.record(
                event.app_id,
                fingerprint,
                &ClickCandidate::from_event(event),
                ttl,
            );
        }
    }
}

/// Reads the shard's `clicks` table.
#[derive(Clone)]
pub struct PostgresClickIndex {
    router: ShardRouter,
}

const CANDIDATES_SQL: &str = "\
SELECT id, link_id, occurred_at, os_version, device_model, browser_id FROM clicks
WHERE app_id = $1 AND fingerprint = $2 AND NOT is_bot AND matched_at IS NULL
  AND occurred_at > now() - $3 * interval '1 millisecond'
ORDER BY occurred_at DESC
LIMIT 10";

const CLAIM_SQL: &str = "\
UPDATE clicks SET matched_at = now() WHERE app_id = $1 AND id = $2 AND matched_at IS NULL";

type CandidateRow = (
    uuid::Uuid,
    i64,
    DateTime<Utc>,
    Option<String>,
    Option<String>,
    Option<uuid::Uuid>,
);

impl std::fmt::Debug for PostgresClickIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PostgresClickIndex")
    }
}

impl PostgresClickIndex {
    pub fn new(router: ShardRouter) -> Self {
        Self { router }
    }

    async fn load(
        &self,
        app: AppId,
        fingerprint: &Fingerprint,
        window: Duration,
    ) -> Result<Vec<ClickCandidate>, StoreError> {
        let resolved = resolve(&self.router, app)?;
        let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
        let rows: Vec<CandidateRow> = sqlx::query_as(CANDIDATES_SQL)
            .bind(app.get())
            .bind(fingerprint.as_slice())
            .bind(window_ms as f64)
            .fetch_all(resolved.shard.pool()?)
            .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, link_id, occurred_at, os_version, model, browser_id)| ClickCandidate {
                    click_id: ClickId::from_uuid(id),
                    link_id,
                    occurred_at,
                    os_version: os_version.as_deref().and_then(parse_os_version),
                    device_model: model,
                    browser_id,
                },
            )
            .collect())
    }

    async fn claim(&self, app: AppId, click: ClickId) -> Result<bool, StoreError> {
        let resolved = resolve(&self.router, app)?;
        let mut tx = begin_app_write(resolved.shard.pool()?, &resolved.route).await?;
        let claimed = sqlx::query(CLAIM_SQL)
            .bind(app.get())
            .bind(click.as_uuid())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(claimed == 1)
    }
}

impl ClickIndex for PostgresClickIndex {
    /// The click pipeline already writes the click with its fingerprint.
    fn record(&self, _: AppId, _: &Fingerprint, _: &ClickCandidate, _: Duration) {}

    fn candidates<'a>(
        &'a self,
        app: AppId,
        fingerprint: &'a Fingerprint,
        window: Duration,
    ) -> BoxFuture<'a, Result<Vec<ClickCandidate>, StoreError>> {
        Box::pin(self.load(app, fingerprint, window))
    }

    fn mark_matched<'a>(
        &'a self,
        app: AppId,
        _: &'a Fingerprint,
        click: ClickId,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(self.claim(app, click))
    }
}

/// The hot tier's `clicks` set in front of [`PostgresClickIndex`].
#[derive(Clone, Debug)]
pub struct HotClickIndex {
    hot: HotClient,
    postgres: PostgresClickIndex,
}

impl HotClickIndex {
    pub fn new(hot: HotClient, router: ShardRouter) -> Self {
        Self {
            hot,
            postgres: PostgresClickIndex::new(router),
        }
    }

    fn key(&self, app: AppId, fingerprint: &Fingerprint) -> aerospike::Result<Key> {
        Key::new(
            self.hot.inner.namespace.as_str(),
            self.hot.inner.sets.clicks.as_str(),
            Value::Blob(key_bytes(app, fingerprint)),
        )
    }

    async fn load(
        &self,
        app: AppId,
        fingerprint: &Fingerprint,
        window: Duration,
    ) -> Result<Vec<ClickCandidate>, StoreError> {
        let read = match self.key(app, fingerprint) {
            Ok(key) => self.read(key).await,
            Err(error) => Err(HotError::Failed(error)),
        };
        match read {
            Ok(entries) => {
                let since = Utc::now() - chrono::Duration::from_std(window).unwrap_or_default();
                let mut candidates: Vec<ClickCandidate> = entries
                    .into_iter()
                    .filter(|c| c.occurred_at > since)
                    .collect();
                candidates.sort_by_key(|c| std::cmp::Reverse(c.occurred_at));
                candidates.truncate(MAX_CANDIDATES);
                Ok(candidates)
            }
            Err(_) => {
                self.hot.inner.metrics.fallback("clicks");
                self.postgres.load(app, fingerprint, window).await
            }
        }
    }

    async fn read(&self, key: Key) -> Result<Vec<ClickCandidate>, HotError> {
        let outcome = |entries: &Option<Vec<ClickCandidate>>| {
            if entries.is_some() {
                Outcome::Hit
            } else {
                Outcome::Miss
            }
        };
        let entries = self
            .hot
            .call("clicks", Op::Read, outcome, |client| async move {
                match client
                    .get(self.hot.read_policy(), &key, Bins::from([BIN_CLICKS]))
                    .await
                {
                    Ok(record) => Ok(record.bins.get(BIN_CLICKS).map(decode_entries)),
                    Err(e) if e.matches(&[ResultCode::KeyNotFoundError]) => Ok(None),
                    Err(e) => Err(e),
                }
            })
            .await?;
        Ok(entries.unwrap_or_default())
    }
}

impl ClickIndex for HotClickIndex {
    fn record(&self, app: AppId, fingerprint: &Fingerprint, click: &ClickCandidate, ttl: Duration) {
        let Ok(key) = self.key(app, fingerprint) else {
            return;
        };
        let entry = encode_entry(click);
        let id = Value::Blob(click.click_id.as_uuid().as_bytes().to_vec());
        let ttl = u32::try_from(ttl.as_secs()).unwrap_or(u32::MAX).max(1);
        self.hot.spawn_background(move |hot| async move {
            let mut policy = hot.write_policy();
            policy.record_exists_action = RecordExistsAction::Update;
            policy.expiration = aerospike::Expiration::Seconds(ttl);
            let map = MapPolicy::new(MapOrder::KeyOrdered, MapWriteFlags::DEFAULT);
            let ops = [
                maps::put(&map, BIN_CLICKS, id, entry),
                // Entries rank by their first element, the click time: keep the newest.
                maps::remove_by_rank_range_from(
                    BIN_CLICKS,
                    -(MAX_CANDIDATES as i64),
                    MapReturnType::NONE.inverted(),
                ),
            ];
            let _ = hot
                .call(
                    "clicks",
                    Op::Write,
                    |_| Outcome::Written,
                    |client| async move { client.operate(&policy, &key, &ops).await.map(drop) },
                )
                .await;
        });
    }

    fn candidates<'a>(
        &'a self,
        app: AppId,
        fingerprint: &'a Fingerprint,
        window: Duration,
    ) -> BoxFuture<'a, Result<Vec<ClickCandidate>, StoreError>> {
        Box::pin(self.load(app, fingerprint, window))
    }

    fn mark_matched<'a>(
        &'a self,
        app: AppId,
        fingerprint: &'a Fingerprint,
        click: ClickId,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            // Postgres decides; the hot copy is forgotten only once the claim succeeded
            // (a click not yet flushed to the shard must stay findable for a retry).
            if !self.postgres.claim(app, click).await? {
                return Ok(false);
            }
            if let Ok(key) = self.key(app, fingerprint) {
                let id = Value::Blob(click.as_uuid().as_bytes().to_vec());
                self.hot.spawn_background(move |hot| async move {
                    let mut policy = hot.write_policy();
                    policy.record_exists_action = RecordExistsAction::UpdateOnly;
                    policy.expiration = aerospike::Expiration::DontUpdate;
                    let ops = [maps::remove_by_key(BIN_CLICKS, id, MapReturnType::NONE)];
                    let _ = hot
                        .call(
                            "clicks",
                            Op::Write,
                            |_| Outcome::Written,
                            |client| async move {
                                match client.operate(&policy, &key, &ops).await {
                                    Err(e) if e.matches(&[ResultCode::KeyNotFoundError]) => Ok(()),
                                    other => other.map(drop),
                                }
                            },
                        )
                        .await;
                });
            }
            Ok(true)
        })
    }
}

pub(crate) fn resolve(router: &ShardRouter, app: AppId) -> Result<Resolved, StoreError> {
    router
        .app(app)
        .ok_or(StoreError::Router(RouterError::UnknownApp(app)))
}

/// `[occurred_us, link_id, os_version, model, browser_id]`; the time first, so rank is
/// time order.
fn encode_entry(click: &ClickCandidate) -> Value {
    Value::List(vec![
        Value::Int(click.occurred_at.timestamp_micros()),
        Value::Int(click.link_id),
        click.os_version.map_or(Value::Nil, |(major, minor)| {
            Value::String(format!("{major}.{minor}"))
        }),
        click.device_model.clone().map_or(Value::Nil, Value::String),
        click
            .browser_id
            .map_or(Value::Nil, |id| Value::Blob(id.as_bytes().to_vec())),
    ])
}

fn decode_entries(bin: &Value) -> Vec<ClickCandidate> {
    let pairs: Vec<(&Value, &Value)> = match bin {
        Value::HashMap(map) => map.iter().collect(),
        Value::OrderedMap(map) => map.iter().collect(),
        Value::SortedMap(map) => map.iter().collect(),
        Value::KeyValueList(pairs) => pairs.iter().map(|(k, v)| (k, v)).collect(),
        _ => Vec::new(),
    };
    pairs
        .into_iter()
        .filter_map(|(id, entry)| decode_entry(id, entry))
        .collect()
}

fn decode_entry(id: &Value, entry: &Value) -> Option<ClickCandidate> {
    let (Value::Blob(id), Value::List(fields)) = (id, entry) else {
        return None;
    };
    let click_id = ClickId::from_uuid(uuid::Uuid::from_slice(id).ok()?);
    let (Some(Value::Int(us)), Some(Value::Int(link_id))) = (fields.first(), fields.get(1)) else {
        return None;
    };
    let text = |i: usize| match fields.get(i) {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    Some(ClickCandidate {
        click_id,
        link_id: *link_id,
        occurred_at: DateTime::from_timestamp_micros(*us)?,
        os_version: text(2).as_deref().and_then(parse_os_version),
        device_model: text(3),
        browser_id: match fields.get(4) {
            Some(Value::Blob(id)) => uuid::Uuid::from_slice(id).ok(),
            _ => None,
        },
    })
}

/// `"17.4"` -> `(17, 4)`; a bare major version is `(major, 0)`.
fn parse_os_version(raw: &str) -> Option<(u16, u16)> {
    let mut parts = raw.split('.');
    let major = parts.next()?.trim().parse().ok()?;
    let minor = parts.next().map_or(Some(0), |m| m.trim().parse().ok())?;
    Some((major, minor))
}

/// Shared handle, as services hold it.
pub type SharedClickIndex = Arc<dyn ClickIndex>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_through_aerospike_values() {
        let click = ClickCandidate {
            click_id: ClickId::generate(),
            link_id: 12,
            occurred_at: DateTime::from_timestamp_millis(1_750_000_000_123).unwrap(),
            os_version: Some((17, 4)),
            device_model: Some("iPhone15,2".into()),
            browser_id: Some(uuid::Uuid::new_v4()),
        };
        let id = Value::Blob(click.click_id.as_uuid().as_bytes().to_vec());
        let bare = ClickCandidate {
            os_version: None,
            device_model: None,
            browser_id: None,
            ..click.clone()
        };
        assert_eq!(decode_entry(&id, &encode_entry(&click)), Some(click));
        assert_eq!(decode_entry(&id, &encode_entry(&bare)), Some(bare));
        assert_eq!(decode_entry(&Value::Int(1), &Value::Nil), None);
    }

    #[test]
    fn os_versions_parse_leniently() {
        assert_eq!(parse_os_version("17.4"), Some((17, 4)));
        assert_eq!(parse_os_version("14"), Some((14, 0)));
        assert_eq!(parse_os_version("17.4.1"), Some((17, 4)));
        assert_eq!(parse_os_version("x"), None);
    }
}
