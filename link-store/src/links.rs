//! Link rows on an app's shard.

use chrono::{DateTime, Utc};
use link_core::{AppId, Invalid, Link, LinkCode, LinkType};
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
    let data: sqlx::types::Json<serde_json::Map<String, serde_json::Value>> =
        row.try_get("data")?;
    Ok(Link {
        id: row.try_get("id")?,
        app_id: AppId::new(app_id).map_err(|e| bad("app_id", e))?,
        code: LinkCode::parse(&code).map_err(|e| bad("code", e))?,
        is_alias: row.try_get("is_alias")?,
        data: data.0,
        channel: row.try_get("channel")?,
        feature: row.try_get("feature")?,
        campaign: row.try_get("campaign")?,
        stage: row.try_get("stage")?,
        tags: row.try_get("tags")?,
        link_type: LinkType::from_branch(i64::from(link_type)).map_err(|e| bad("link_type", e))?,
        duration_secs: duration.and_then(|d| u32::try_from(d).ok()),
        expires_at: row.try_get("expires_at")?,
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        deleted_at: row.try_get("deleted_at")?,
    })
}
