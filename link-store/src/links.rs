//! Link rows on an app's shard.

use chrono::{DateTime, Utc};
use link_core::decision::controls::keys;
use link_core::{
    AppId, FieldError, Invalid, LabelParts, Link, LinkCode, LinkData, LinkLabels, LinkType,
    link_input,
};
use sqlx::postgres::PgRow;
use sqlx::{PgExecutor, Postgres, Row, Transaction};

use crate::error::StoreError;

/// What a new link is made of, already validated.
#[derive(Debug, Clone, Default)]
pub struct NewLink {
    /// A chosen code (alias); a random one is generated when `None`.
    pub alias: Option<LinkCode>,
    pub data: serde_json::Map<String, serde_json::Value>,
    pub channel: Option<String>,
    pub feature: Option<String>,
    pub campaign: Option<String>,
    pub stage: Option<String>,
    pub tags: Vec<String>,
    pub link_type: LinkType,
    pub duration_secs: Option<u32>,
    pub expires_at: Option<DateTime<Utc>>,
}

pub(crate) const LINK_COLUMNS: &str = "id, app_id, code, is_alias, data, channel, feature, \
     campaign, stage, tags, link_type, duration_secs, expires_at, version, created_at, \
     updated_at, deleted_at";

/// Inserts a link inside the caller's (fenced) transaction. A generated code that
/// collides is replaced and retried; an alias that collides is [`StoreError::AliasTaken`].
pub async fn insert(
    tx: &mut Transaction<'_, Postgres>,
    app_id: AppId,
    new: &NewLink,
) -> Result<Link, StoreError> {
    for _ in 0..5 {
        let code = new.alias.clone().unwrap_or_else(LinkCode::generate);
        sqlx::query("SAVEPOINT link_insert")
            .execute(&mut **tx)
            .await?;
        let sql = format!(
            "INSERT INTO links (app_id, code, is_alias, data, channel, feature, campaign, \
             stage, tags, link_type, duration_secs, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (app_id, code) DO NOTHING RETURNING {LINK_COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(app_id.get())
            .bind(code.as_str())
            .bind(new.alias.is_some())
            .bind(sqlx::types::Json(&new.data))
            .bind(&new.channel)
            .bind(&new.feature)
            .bind(&new.campaign)
            .bind(&new.stage)
            .bind(&new.tags)
            .bind(new.link_type.to_branch())
            .bind(
                new.duration_secs
                    .map(|d| i32::try_from(d).unwrap_or(i32::MAX)),
            )
            .bind(new.expires_at)
            .fetch_optional(&mut **tx)
            .await?;
        match row {
            Some(row) => return decode(&row),
            None if new.alias.is_some() => return Err(StoreError::AliasTaken(code)),
            None => {
                sqlx::query("ROLLBACK TO SAVEPOINT link_insert")
                    .execute(&mut **tx)
                    .await?;
            }
        }
    }
    Err(StoreError::Invalid(
        Invalid::new("could not generate a free code").at("code"),
    ))
}

/// A link by code, deleted or not (the caller decides what a deleted link answers).
pub async fn find_by_code<'e>(
    db: impl PgExecutor<'e>,
    app_id: AppId,
    code: &str,
) -> Result<Option<Link>, StoreError> {
    let sql = format!("SELECT {LINK_COLUMNS} FROM links WHERE app_id = $1 AND code = $2");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(app_id.get())
        .bind(code)
        .fetch_optional(db)
        .await?;
    row.map(|r| decode(&r)).transpose()
}

pub(crate) fn decode(row: &PgRow) -> Result<Link, StoreError> {
    let bad = |column: &str, e: Invalid| {
        StoreError::Shard(sqlx::Error::ColumnDecode {
            index: column.to_owned(),
            source: Box::new(e),
        })
    };
    let app_id: i64 = row.try_get("app_id")?;
    let code: String = row.try_get("code")?;
    let link_type: i16 = row.try_get("link_type")?;
    let duration: Option<i32> = row.try_get("duration_secs")?;
    let data: sqlx::types::Json<LinkData> = row.try_get("data")?;
    let channel: Option<String> = row.try_get("channel")?;
    let feature: Option<String> = row.try_get("feature")?;
    let campaign: Option<String> = row.try_get("campaign")?;
    let stage: Option<String> = row.try_get("stage")?;
    let tags: Vec<String> = row.try_get("tags")?;
    let labels = LinkLabels::new(LabelParts {
        channel: channel.as_deref(),
        feature: feature.as_deref(),
        campaign: campaign.as_deref(),
        stage: stage.as_deref(),
        tags: &tags,
    })
    .map_err(|e| bad("tags", e))?;
    Ok(Link {
        id: row.try_get("id")?,
        app_id: AppId::new(app_id).map_err(|e| bad("app_id", e))?,
        code: LinkCode::parse(&code).map_err(|e| bad("code", e))?,
        is_alias: row.try_get("is_alias")?,
        data: data.0,
        labels,
        link_type: LinkType::from_branch(i64::from(link_type)).map_err(|e| bad("link_type", e))?,
        duration_secs: duration.and_then(|d| u32::try_from(d).ok()),
        expires_at: row.try_get("expires_at")?,
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        deleted_at: row.try_get("deleted_at")?,
    })
}

/// A partial update with Branch's merge semantics: `data` keys are merged into the
/// stored data (a `null` value removes the key); each other field is replaced when
/// present (`Some(None)` clears it) and kept when absent.
#[derive(Debug, Clone, Default)]
pub struct LinkPatch {
    pub data: Option<serde_json::Map<String, serde_json::Value>>,
    pub channel: Option<Option<String>>,
    pub feature: Option<Option<String>>,
    pub campaign: Option<Option<String>>,
    pub stage: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub link_type: Option<LinkType>,
    pub duration_secs: Option<Option<u32>>,
    pub expires_at: Option<Option<DateTime<Utc>>>,
}

impl LinkPatch {
    /// The link as it would be after this patch.
    pub fn apply_to(&self, link: &Link) -> Result<Link, FieldError> {
        let mut next = link.clone();
        if let Some(data) = &self.data {
            let mut merged = link.data.to_map();
            for (key, value) in data {
                if value.is_null() {
                    merged.remove(key);
                } else {
                    merged.insert(key.clone(), value.clone());
                }
            }
            next.data = LinkData::from_map(&merged).map_err(|e| e.at("data"))?;
        }
        let old = &link.labels;
        let kept_tags;
        next.labels = LinkLabels::new(LabelParts {
            channel: patched(&self.channel, old.channel()),
            feature: patched(&self.feature, old.feature()),
            campaign: patched(&self.campaign, old.campaign()),
            stage: patched(&self.stage, old.stage()),
            tags: match &self.tags {
                Some(tags) => tags,
                None => {
                    kept_tags = old.tags_vec();
                    &kept_tags
                }
            },
        })
        .map_err(|e| e.at("tags"))?;
        if let Some(link_type) = self.link_type {
            next.link_type = link_type;
        }
        match self.duration_secs {
            Some(duration) => next.duration_secs = duration,
            // Data that sets `$match_duration` sets the window, as at creation.
            None if self
                .data
                .as_ref()
                .is_some_and(|d| d.contains_key(keys::MATCH_DURATION)) =>
            {
                next.duration_secs = link_input::match_duration(&next.data.to_map())?;
            }
            None => {}
        }
        if let Some(expires_at) = self.expires_at {
            next.expires_at = expires_at;
        }
        Ok(next)
    }
}

/// A label after a patch: replaced (or cleared) when the patch names it, else kept.
fn patched<'a>(patch: &'a Option<Option<String>>, kept: Option<&'a str>) -> Option<&'a str> {
    match patch {
        Some(value) => value.as_deref(),
        None => kept,
    }
}

/// Locks and returns a live (not deleted) link for update inside the caller's
/// transaction.
pub async fn lock_live(
    tx: &mut Transaction<'_, Postgres>,
    app_id: AppId,
    code: &str,
) -> Result<Option<Link>, StoreError> {
    let sql = format!(
        "SELECT {LINK_COLUMNS} FROM links WHERE app_id = $1 AND code = $2 AND deleted_at IS NULL FOR UPDATE"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(app_id.get())
        .bind(code)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|r| decode(&r)).transpose()
}

/// Writes `next` (a locked link after [`LinkPatch::apply_to`]) and bumps its version.
pub async fn save(tx: &mut Transaction<'_, Postgres>, next: &Link) -> Result<Link, StoreError> {
    let sql = format!(
        "UPDATE links SET data = $3, channel = $4, feature = $5, campaign = $6, stage = $7, \
         tags = $8, link_type = $9, duration_secs = $10, expires_at = $11, \
         version = version + 1, updated_at = now() \
         WHERE app_id = $1 AND code = $2 RETURNING {LINK_COLUMNS}"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(next.app_id.get())
        .bind(next.code.as_str())
        .bind(sqlx::types::Json(&next.data))
        .bind(next.labels.channel())
        .bind(next.labels.feature())
        .bind(next.labels.campaign())
        .bind(next.labels.stage())
        .bind(next.labels.tags_vec())
        .bind(next.link_type.to_branch())
        .bind(
            next.duration_secs
                .map(|d| i32::try_from(d).unwrap_or(i32::MAX)),
        )
        .bind(next.expires_at)
        .fetch_one(&mut **tx)
        .await?;
    decode(&row)
}

/// Soft-deletes a live link; `None` when there is none. The row stays (clicks keep
/// pointing at it, and the code is not reused) and answers 410.
pub async fn soft_delete(
    tx: &mut Transaction<'_, Postgres>,
    app_id: AppId,
    code: &str,
) -> Result<Option<Link>, StoreError> {
    let sql = format!(
        "UPDATE links SET deleted_at = now(), version = version + 1, updated_at = now() \
         WHERE app_id = $1 AND code = $2 AND deleted_at IS NULL RETURNING {LINK_COLUMNS}"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(app_id.get())
        .bind(code)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|r| decode(&r)).transpose()
}

/// Filters and cursor of a link listing (newest first).
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub tag: Option<String>,
    pub campaign: Option<String>,
    pub channel: Option<String>,
    pub feature: Option<String>,
    pub include_deleted: bool,
    /// Only links with an id below this (the last id of the previous page).
    pub before_id: Option<i64>,
    pub limit: u32,
}

/// One page of [`list`].
#[derive(Debug)]
pub struct ListPage {
    pub links: Vec<Link>,
    /// Rows the page read, readable or not: a full page has `limit` of them.
    pub scanned: usize,
    /// Id of the last row read, for the next page's cursor.
    pub last_id: Option<i64>,
}

/// A page of the app's links, newest first. A row that cannot be read (data stored before
/// a check existed, a hand edit) is logged and left out, so it cannot take the whole
/// listing down with it; the cursor still moves past it.
pub async fn list<'e>(
    db: impl PgExecutor<'e>,
    app_id: AppId,
    filter: &ListFilter,
) -> Result<ListPage, StoreError> {
    let sql = format!(
        "SELECT {LINK_COLUMNS} FROM links WHERE app_id = $1 \
         AND ($2::text IS NULL OR tags @> ARRAY[$2::text]) \
         AND ($3::text IS NULL OR campaign = $3) \
         AND ($4::text IS NULL OR channel = $4) \
         AND ($5::text IS NULL OR feature = $5) \
         AND ($6 OR deleted_at IS NULL) \
         AND ($7::bigint IS NULL OR id < $7) \
         ORDER BY id DESC LIMIT $8"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(app_id.get())
        .bind(&filter.tag)
        .bind(&filter.campaign)
        .bind(&filter.channel)
        .bind(&filter.feature)
        .bind(filter.include_deleted)
        .bind(filter.before_id)
        .bind(i64::from(filter.limit.clamp(1, 1000)))
        .fetch_all(db)
        .await?;
    let mut page = ListPage {
        links: Vec::with_capacity(rows.len()),
        scanned: rows.len(),
        last_id: None,
    };
    for row in &rows {
        page.last_id = row.try_get("id").ok();
        match decode(row) {
            Ok(link) => page.links.push(link),
            Err(error) => tracing::error!(
                app_id = app_id.get(),
                link_id = ?page.last_id,
                %error,
                "left an unreadable link row out of a listing"
            ),
        }
    }
    Ok(page)
}

/// Codes of the app's live links carrying `tag` (for purges), at most `limit`.
pub async fn codes_with_tag<'e>(
    db: impl PgExecutor<'e>,
    app_id: AppId,
    tag: &str,
    limit: i64,
) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT code FROM links WHERE app_id = $1 AND tags @> ARRAY[$2::text] AND deleted_at IS NULL LIMIT $3",
    )
    .bind(app_id.get())
    .bind(tag)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Tells every link service to drop the app's cached links carrying `tag` (the payload
/// the cache invalidation listener understands).
pub async fn notify_tag_purge<'e>(
    db: impl PgExecutor<'e>,
    app_id: AppId,
    tag: &str,
) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_notify('hoplink_links', 'tag ' || $1 || ' ' || $2)")
        .bind(app_id.get())
        .bind(tag)
        .execute(db)
        .await?;
    Ok(())
}

/// Inserts many links with one statement inside the caller's (fenced) transaction. Each
/// item carries its code (an alias, or a generated code the caller made unique within the
/// batch). A code that is already taken is skipped, not an error: the result holds only
/// the inserted links, in no particular order, so the caller can tell which were taken.
pub async fn insert_many(
    tx: &mut Transaction<'_, Postgres>,
    app_id: AppId,
    items: &[(LinkCode, &NewLink)],
) -> Result<Vec<Link>, StoreError> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let n = items.len();
    let mut codes = Vec::with_capacity(n);
    let mut aliases = Vec::with_capacity(n);
    let mut data = Vec::with_capacity(n);
    let mut channels = Vec::with_capacity(n);
    let mut features = Vec::with_capacity(n);
    let mut campaigns = Vec::with_capacity(n);
    let mut stages = Vec::with_capacity(n);
    // Tags differ in length per link and Postgres arrays must be rectangular, so each
    // link's tags travel as a JSON array.
    let mut tags = Vec::with_capacity(n);
    let mut types = Vec::with_capacity(n);
    let mut durations = Vec::with_capacity(n);
    let mut expiries = Vec::with_capacity(n);
    for (code, new) in items {
        codes.push(code.as_str().to_owned());
        aliases.push(new.alias.is_some());
        data.push(serde_json::Value::Object(new.data.clone()).to_string());
        channels.push(new.channel.clone());
        features.push(new.feature.clone());
        campaigns.push(new.campaign.clone());
        stages.push(new.stage.clone());
        tags.push(serde_json::Value::from(new.tags.clone()).to_string());
        types.push(new.link_type.to_branch());
        durations.push(
            new.duration_secs
                .map(|d| i32::try_from(d).unwrap_or(i32::MAX)),
        );
        expiries.push(new.expires_at);
    }
    let sql = format!(
        "INSERT INTO links (app_id, code, is_alias, data, channel, feature, campaign, stage, \
         tags, link_type, duration_secs, expires_at) \
         SELECT $1, r.code, r.is_alias, r.data::jsonb, r.channel, r.feature, r.campaign, \
                r.stage, \
                ARRAY(SELECT t.tag FROM jsonb_array_elements_text(r.tags::jsonb) \
                      WITH ORDINALITY AS t(tag, n) ORDER BY t.n), \
                r.link_type, r.duration_secs, r.expires_at \
         FROM unnest($2::text[], $3::bool[], $4::text[], $5::text[], $6::text[], $7::text[], \
                     $8::text[], $9::text[], $10::int2[], $11::int4[], $12::timestamptz[]) \
              WITH ORDINALITY AS r(code, is_alias, data, channel, feature, campaign, stage, \
                                   tags, link_type, duration_secs, expires_at, n) \
         ORDER BY r.n \
         ON CONFLICT (app_id, code) DO NOTHING RETURNING {LINK_COLUMNS}"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(app_id.get())
        .bind(codes)
        .bind(aliases)
        .bind(data)
        .bind(channels)
        .bind(features)
        .bind(campaigns)
        .bind(stages)
        .bind(tags)
        .bind(types)
        .bind(durations)
        .bind(expiries)
        .fetch_all(&mut **tx)
        .await?;
    rows.iter().map(decode).collect()
}

/// The app's links with these codes, deleted or not, in no particular order.
pub async fn find_by_codes<'e>(
    db: impl PgExecutor<'e>,
    app_id: AppId,
    codes: &[&str],
) -> Result<Vec<Link>, StoreError> {
    let sql =
        format!("SELECT {LINK_COLUMNS} FROM links WHERE app_id = $1 AND code = ANY($2::text[])");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(app_id.get())
        .bind(codes)
        .fetch_all(db)
        .await?;
    rows.iter().map(decode).collect()
}

/// How many live links of the app carry `tag`.
pub async fn count_live_with_tag<'e>(
    db: impl PgExecutor<'e>,
    app_id: AppId,
    tag: &str,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM links WHERE app_id = $1 AND tags @> ARRAY[$2::text] AND deleted_at IS NULL",
    )
    .bind(app_id.get())
    .bind(tag)
    .fetch_one(db)
    .await?)
}
