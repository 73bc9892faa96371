//! Attribution look-ups on the app's shard: which click (and link) an install or open
//! came from. Each is one statement, so a match costs one round trip:
//!
//! - [`by_click_ids`]: the clicks the SDK named (Play install referrer, a URI-scheme or
//!   App Link URL's `link_click_id`), claimed if still unclaimed. Deterministic.
//! - [`by_code`]: the link a Universal Link / App Link URL names. Deterministic, no click.
//! - [`claim_by_fingerprint`]: the newest unclaimed human click with the device's
//!   fingerprint within its link's window, claimed. Probabilistic.
//!
//! Claims set `clicks.matched_at` (`... AND matched_at IS NULL`), so a click is claimed at
//! most once: a second install from the same fingerprint gets the next unclaimed click or
//! none. Concurrent claims skip each other's locked rows instead of waiting. Claiming
//! statements carry the app's epoch fence in the same statement (share lock on its
//! `app_configs` row), so no claim lands on a shard the app is leaving; a refused fence is
//! a 503.
//!
//! When the hot tier's `ClickIndex` arrives, only [`claim_by_fingerprint`] changes: its
//! candidates come from Aerospike and the claim is the same fenced `UPDATE` by id.

use chrono::{DateTime, Utc};
use link_core::fingerprint::Fingerprint;
use link_core::{AppId, ClickId};
use serde_json::{Map, Value};
use shard_router::AppRoute;
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};
use uuid::Uuid;

use crate::error::ApiError;

/// The link an install or open was attributed to, as its session data needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchedLink {
    pub id: i64,
    pub code: String,
    pub data: Map<String, Value>,
    pub channel: Option<String>,
    pub feature: Option<String>,
    pub campaign: Option<String>,
    pub stage: Option<String>,
    pub tags: Vec<String>,
    /// Branch's link type (0 standard, 1 one-time, 2 marketing).
    pub link_type: i16,
}

/// The click an install or open was attributed to.
#[derive(Clone, PartialEq, Eq)]
pub struct MatchedClick {
    pub id: ClickId,
    pub clicked_at: DateTime<Utc>,
    pub browser_id: Option<Uuid>,
    /// Whether this request claimed it (`false`: claimed earlier, by this device's
    /// previous session or another one).
    pub claimed: bool,
    /// The pairs the click appended to its link, form-encoded, as the click path stored
    /// them.
    pub query: Option<String>,
}

impl std::fmt::Debug for MatchedClick {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MatchedClick")
            .field("id", &self.id)
            .field("clicked_at", &self.clicked_at)
            .field("browser_id", &self.browser_id.map(|_| "<redacted>"))
            .field("claimed", &self.claimed)
            .finish()
    }
}

/// What probabilistic matching compares besides the fingerprint.
#[derive(Debug, Clone, Copy)]
pub struct Probe<'a> {
    pub fingerprint: &'a Fingerprint,
    /// Acceptable click OS major versions; `None` compares none.
    pub click_majors: Option<&'a [String]>,
    /// The device model; compared only with clicks that know theirs.
    pub model: Option<&'a str>,
}

/// The columns a [`MatchedLink`] is decoded from (`l` is `links`).
macro_rules! link_columns {
    () => {
        "l.id AS link_id, l.code, l.data, l.channel, l.feature, l.campaign, l.stage, \
         l.tags, l.link_type"
    };
}

/// The epoch fence as a CTE: a share lock on the app's config row for the statement,
/// present only when the route's epoch is current and the app is not being moved.
///
/// And `relaxed`: the claim's commit does not wait for its WAL to reach the disk
/// (`synchronous_commit` off for this transaction alone). A database crash can then forget
/// the last fraction of a second of claims, which only makes those clicks claimable again;
/// the open or install itself is recorded by the batcher, which never waited for the disk
/// either. The final `SELECT` reads `relaxed`, so the setting is made before the commit.
macro_rules! fence {
    () => {
        "fence AS MATERIALIZED (
    SELECT 1 FROM app_configs WHERE app_id = $1 AND epoch = $2 AND NOT fenced FOR SHARE
),
relaxed AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true) AS setting)"
    };
}

/// The fence's verdict, and the read that makes `relaxed` run.
macro_rules! fence_open {
    () => {
        "EXISTS (SELECT 1 FROM fence) AND EXISTS (SELECT 1 FROM relaxed) AS open"
    };
}

const BY_CLICK_IDS: &str = concat!(
    "WITH ",
    fence!(),
    ",
found AS MATERIALIZED (
    SELECT c.id AS click_id, c.occurred_at AS clicked_at, c.browser_id, c.matched_at, c.query, ",
    link_columns!(),
    "
    FROM clicks c
    JOIN links l ON l.id = c.link_id AND l.app_id = c.app_id
    WHERE c.app_id = $1 AND c.id = ANY($3) AND l.deleted_at IS NULL
      AND EXISTS (SELECT 1 FROM fence)
),
claimed AS (
    UPDATE clicks SET matched_at = now()
    WHERE app_id = $1 AND matched_at IS NULL
      AND id IN (SELECT click_id FROM found WHERE matched_at IS NULL)
    RETURNING id
)
SELECT ",
    fence_open!(),
    ", found.*, claimed.id IS NOT NULL AS claimed
FROM (SELECT 1) AS one
LEFT JOIN found ON true
LEFT JOIN claimed ON claimed.id = found.click_id"
);

/// The window is the link's `duration_secs`, else the app's `attribution_window_secs`;
/// the 90-day bound (the longest either may be) lets the index range scan stop early.
///
/// Only the newest 10 unclaimed clicks of the fingerprint that pass the click's own
/// filters are candidates, as in the hot tier (`link_store::hot::clicks::MAX_CANDIDATES`).
/// The bound keeps the plan a short walk down the fingerprint index. With the link join
/// and its window in the same query, a fingerprint shared by many clicks (a carrier NAT,
/// or a load test from one address) made Postgres read all of them and sort: 1.5 s for
/// 860,000 clicks under three fingerprints, against 0.4 ms this way.
const BY_FINGERPRINT: &str = concat!(
    "WITH ",
    fence!(),
    ",
candidate AS MATERIALIZED (
    SELECT c.id
    FROM (
        SELECT id FROM clicks
        WHERE app_id = $1 AND fingerprint = $3 AND NOT is_bot AND matched_at IS NULL
          AND occurred_at > now() - interval '90 days'
          AND ($4::text[] IS NULL OR os_version IS NULL
               OR split_part(os_version, '.', 1) = ANY($4::text[]))
          AND ($5::text IS NULL OR device_model IS NULL OR device_model = $5::text)
        ORDER BY occurred_at DESC
        LIMIT 10
    ) recent
    JOIN clicks c ON c.id = recent.id
    JOIN links l ON l.id = c.link_id AND l.app_id = c.app_id
    WHERE c.matched_at IS NULL
      AND c.occurred_at > now() - make_interval(secs => coalesce(l.duration_secs,
              (SELECT attribution_window_secs FROM app_configs WHERE app_id = $1)))
      AND l.deleted_at IS NULL
      AND EXISTS (SELECT 1 FROM fence)
    ORDER BY c.occurred_at DESC
    LIMIT 1
    FOR UPDATE OF c SKIP LOCKED
),
claimed AS (
    UPDATE clicks c SET matched_at = now()
    FROM candidate
    WHERE c.id = candidate.id AND c.matched_at IS NULL
    RETURNING c.id, c.link_id, c.occurred_at, c.browser_id, c.query
)
SELECT ",
    fence_open!(),
    ", claimed.id AS click_id,
       claimed.occurred_at AS clicked_at, claimed.browser_id, claimed.query, true AS claimed, ",
    link_columns!(),
    "
FROM (SELECT 1) AS one
LEFT JOIN claimed ON true
LEFT JOIN links l ON l.id = claimed.link_id"
);

const BY_CODE: &str = concat!(
    "SELECT ",
    link_columns!(),
    " FROM links l WHERE l.app_id = $1 AND l.code = $2 AND l.deleted_at IS NULL"
);

/// The presented click ids of the app that exist and point at a live link, claiming the
/// unclaimed ones, in the order of `ids` (the caller's priority).
pub async fn by_click_ids(
    pool: &PgPool,
    route: &AppRoute,
    ids: &[ClickId],
) -> Result<Vec<(MatchedClick, MatchedLink)>, ApiError> {
    let uuids: Vec<Uuid> = ids.iter().map(ClickId::as_uuid).collect();
    let rows = sqlx::query(BY_CLICK_IDS)
        .bind(route.app_id.get())
        .bind(route.epoch)
        .bind(&uuids)
        .fetch_all(pool)
        .await?;
    let mut found = Vec::with_capacity(rows.len());
    for row in &rows {
        fenced(row, route.app_id)?;
        if let Some(hit) = decode_hit(row)? {
            found.push(hit);
        }
    }
    found.sort_by_key(|(click, _)| ids.iter().position(|id| *id == click.id));
    Ok(found)
}

/// The live link of the app with this code.
pub async fn by_code(
    pool: &PgPool,
    app: AppId,
    code: &str,
) -> Result<Option<MatchedLink>, ApiError> {
    let row = sqlx::query(BY_CODE)
        .bind(app.get())
        .bind(code)
        .fetch_optional(pool)
        .await?;
    row.map(|r| decode_link(&r)).transpose()
}

/// Claims the newest unclaimed click this device probably made. The one function to swap
/// for a hot-tier `ClickIndex` (see the module docs).
pub async fn claim_by_fingerprint(
    pool: &PgPool,
    route: &AppRoute,
    probe: Probe<'_>,
) -> Result<Option<(MatchedClick, MatchedLink)>, ApiError> {
    let row = sqlx::query(BY_FINGERPRINT)
        .bind(route.app_id.get())
        .bind(route.epoch)
        .bind(probe.fingerprint.as_slice())
        .bind(probe.click_majors)
        .bind(probe.model)
        .fetch_one(pool)
        .await?;
    fenced(&row, route.app_id)?;
    decode_hit(&row)
}

/// [`claim_by_fingerprint`] with candidates from the hot tier's click index (Aerospike),
/// newest first and filtered as the SQL version filters them (OS major, model); the first
/// one this request claims on the shard wins. The window is the index's record TTL (the
/// click's link window), so it is not checked again here.
pub async fn claim_by_hot_fingerprint(
    pool: &PgPool,
    route: &AppRoute,
    clicks: &dyn link_store::hot::ClickIndex,
    probe: Probe<'_>,
    window: std::time::Duration,
) -> Result<Option<(MatchedClick, MatchedLink)>, ApiError> {
    for attempt in 0..2 {
        let candidates = clicks
            .candidates(route.app_id, probe.fingerprint, window)
            .await?;
        let newest = candidates.first().map(|c| c.occurred_at);
        if let Some(hit) = claim_first(pool, route, clicks, &probe, candidates).await? {
            return Ok(Some(hit));
        }
        // The hot tier learns of a click at once, the shard within the click batcher's
        // flush interval: a click made a moment ago may not be claimable yet.
        let fresh = newest.is_some_and(|at| chrono::Utc::now() - at < chrono::Duration::seconds(2));
        if attempt == 0 && fresh {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        } else {
            break;
        }
    }
    Ok(None)
}

/// Claims the first acceptable candidate, newest first.
async fn claim_first(
    pool: &PgPool,
    route: &AppRoute,
    clicks: &dyn link_store::hot::ClickIndex,
    probe: &Probe<'_>,
    candidates: Vec<link_store::hot::ClickCandidate>,
) -> Result<Option<(MatchedClick, MatchedLink)>, ApiError> {
    for candidate in candidates {
        let os_ok = match (probe.click_majors, candidate.os_version) {
            (Some(majors), Some((major, _))) => majors.iter().any(|m| *m == major.to_string()),
            _ => true,
        };
        let model_ok = match (probe.model, candidate.device_model.as_deref()) {
            (Some(mine), Some(theirs)) => mine == theirs,
            _ => true,
        };
        if !os_ok || !model_ok {
            continue;
        }
        if !clicks
            .mark_matched(route.app_id, probe.fingerprint, candidate.click_id)
            .await?
        {
            continue;
        }
        // Claimed: read it back with its link (by id, as the deterministic path does).
        if let Some((mut click, link)) = by_click_ids(pool, route, &[candidate.click_id])
            .await?
            .into_iter()
            .next()
        {
            click.claimed = true;
            return Ok(Some((click, link)));
        }
    }
    Ok(None)
}

/// A refused fence: the app is being moved, or our map is behind. Retrying shortly works.
fn fenced(row: &PgRow, app: AppId) -> Result<(), ApiError> {
    if row.try_get::<bool, _>("open")? {
        Ok(())
    } else {
        tracing::warn!(app_id = %app, "attribution refused by the app's fence (moving or stale route)");
        Err(ApiError::Unavailable)
    }
}

fn decode_hit(row: &PgRow) -> Result<Option<(MatchedClick, MatchedLink)>, ApiError> {
    let Some(click_id) = row.try_get::<Option<Uuid>, _>("click_id")? else {
        return Ok(None);
    };
    let click = MatchedClick {
        id: ClickId::from_uuid(click_id),
        clicked_at: row.try_get("clicked_at")?,
        browser_id: row.try_get("browser_id")?,
        claimed: row.try_get("claimed")?,
        query: row.try_get("query")?,
    };
    Ok(Some((click, decode_link(row)?)))
}

fn decode_link(row: &PgRow) -> Result<MatchedLink, ApiError> {
    let data: sqlx::types::Json<Map<String, Value>> = row.try_get("data")?;
    Ok(MatchedLink {
        id: row.try_get("link_id")?,
        code: row.try_get("code")?,
        data: data.0,
        channel: row.try_get("channel")?,
        feature: row.try_get("feature")?,
        campaign: row.try_get("campaign")?,
        stage: row.try_get("stage")?,
        tags: row.try_get("tags")?,
        link_type: row.try_get("link_type")?,
    })
}
