//! API keys in the catalog: created hashed, looked up by prefix, revoked, rotated.

use chrono::{DateTime, Utc};
use link_core::AppId;
use link_core::keys::{KeyHash, KeyKind, NewKey, PlainKey};
use serde::Serialize;
use sqlx::{PgExecutor, PgPool, Postgres, Transaction};

use crate::error::{RouterError, unique_violation};

/// A key as listed: never the key itself.
#[derive(Debug, Clone, Serialize)]
pub struct KeyInfo {
    pub id: i64,
    pub app_id: AppId,
    pub kind: KeyKind,
    pub prefix: String,
    pub label: Option<String>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A freshly created key; `key` is shown once.
#[derive(Debug)]
pub struct IssuedKey {
    pub info: KeyInfo,
    pub key: PlainKey,
}

/// What authenticating a presented key found.
#[derive(Debug, Clone)]
pub struct StoredKey {
    pub id: i64,
    pub app_id: AppId,
    pub kind: KeyKind,
    pub hash: KeyHash,
    pub revoked: bool,
}

/// Creates a key inside the caller's transaction. Prefix collisions (one in 2^47 per
/// pair) are retried with a fresh key.
pub async fn create_in(
    tx: &mut Transaction<'_, Postgres>,
    app_id: AppId,
    kind: KeyKind,
    label: Option<&str>,
) -> Result<IssuedKey, RouterError> {
    for _ in 0..3 {
        let key = NewKey::generate(kind);
        sqlx::query("SAVEPOINT key_insert")
            .execute(&mut **tx)
            .await
            .map_err(RouterError::CatalogUnavailable)?;
        let row: Result<(i64, DateTime<Utc>), sqlx::Error> = sqlx::query_as(
            "INSERT INTO api_keys (app_id, kind, prefix, key_hash, label) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id, created_at",
        )
        .bind(app_id.get())
        .bind(kind.as_str())
        .bind(&key.prefix)
        .bind(key.hash.as_bytes())
        .bind(label)
        .fetch_one(&mut **tx)
        .await;
        match row {
            Ok((id, created_at)) => {
                return Ok(IssuedKey {
                    info: KeyInfo {
                        id,
                        app_id,
                        kind,
                        prefix: key.prefix,
                        label: label.map(str::to_owned),
                        created_at,
                        revoked_at: None,
                    },
                    key: key.secret,
                });
            }
            Err(e) if unique_violation(&e) == Some("api_keys_prefix_key") => {
                sqlx::query("ROLLBACK TO SAVEPOINT key_insert")
                    .execute(&mut **tx)
                    .await
                    .map_err(RouterError::CatalogUnavailable)?;
            }
            Err(e) => return Err(RouterError::CatalogUnavailable(e)),
        }
    }
    Err(RouterError::InconsistentCatalog(
        "could not generate a unique key prefix".into(),
    ))
}

pub async fn create(
    catalog: &PgPool,
    app_id: AppId,
    kind: KeyKind,
    label: Option<&str>,
) -> Result<IssuedKey, RouterError> {
    let mut tx = catalog
        .begin()
        .await
        .map_err(RouterError::CatalogUnavailable)?;
    ensure_app(&mut *tx, app_id).await?;
    let key = create_in(&mut tx, app_id, kind, label).await?;
    tx.commit().await.map_err(RouterError::CatalogUnavailable)?;
    Ok(key)
}

/// Revokes every active key of the given kinds and issues one new key of each, in one
/// transaction: afterwards exactly the new keys work.
pub async fn rotate(
    catalog: &PgPool,
    app_id: AppId,
    kinds: &[KeyKind],
) -> Result<Vec<IssuedKey>, RouterError> {
    let mut tx = catalog
        .begin()
        .await
        .map_err(RouterError::CatalogUnavailable)?;
    ensure_app(&mut *tx, app_id).await?;
    let mut issued = Vec::with_capacity(kinds.len());
    for kind in kinds {
        sqlx::query(
            "UPDATE api_keys SET revoked_at = now() \
             WHERE app_id = $1 AND kind = $2 AND revoked_at IS NULL",
        )
        .bind(app_id.get())
        .bind(kind.as_str())
        .execute(&mut *tx)
        .await
        .map_err(RouterError::CatalogUnavailable)?;
        issued.push(create_in(&mut tx, app_id, *kind, Some("rotated")).await?);
    }
    tx.commit().await.map_err(RouterError::CatalogUnavailable)?;
    Ok(issued)
}

/// Revokes one key of an app. `Ok(false)` when the app has no such active key.
pub async fn revoke(catalog: &PgPool, app_id: AppId, key_id: i64) -> Result<bool, RouterError> {
    let done = sqlx::query(
        "UPDATE api_keys SET revoked_at = now() \
         WHERE id = $1 AND app_id = $2 AND revoked_at IS NULL",
    )
    .bind(key_id)
    .bind(app_id.get())
    .execute(catalog)
    .await
    .map_err(RouterError::CatalogUnavailable)?;
    Ok(done.rows_affected() == 1)
}

pub async fn list(catalog: &PgPool, app_id: AppId) -> Result<Vec<KeyInfo>, RouterError> {
    let rows: Vec<KeyRow> = sqlx::query_as(
        "SELECT id, kind, prefix, label, created_at, revoked_at FROM api_keys \
             WHERE app_id = $1 ORDER BY id",
    )
    .bind(app_id.get())
    .fetch_all(catalog)
    .await
    .map_err(RouterError::CatalogUnavailable)?;
    rows.into_iter()
        .map(
            |KeyRow {
                 id,
                 kind,
                 prefix,
                 label,
                 created_at,
                 revoked_at,
             }| {
                Ok(KeyInfo {
                    id,
                    app_id,
                    kind: KeyKind::parse(&kind)
                        .map_err(|e| RouterError::InconsistentCatalog(e.to_string()))?,
                    prefix,
                    label,
                    created_at,
                    revoked_at,
                })
            },
        )
        .collect()
}

/// Finds the key a client presented by its prefix. The caller verifies the hash.
pub async fn find_by_prefix(
    catalog: &PgPool,
    prefix: &str,
) -> Result<Option<StoredKey>, RouterError> {
    let row: Option<(i64, i64, String, Vec<u8>, bool)> = sqlx::query_as(
        "SELECT id, app_id, kind, key_hash, revoked_at IS NOT NULL FROM api_keys WHERE prefix = $1",
    )
    .bind(prefix)
    .fetch_optional(catalog)
    .await
    .map_err(RouterError::CatalogUnavailable)?;
    let Some((id, app_id, kind, hash, revoked)) = row else {
        return Ok(None);
    };
    let bad = |what: &str| RouterError::InconsistentCatalog(format!("api key {id}: bad {what}"));
    Ok(Some(StoredKey {
        id,
        app_id: AppId::new(app_id).map_err(|_| bad("app id"))?,
        kind: KeyKind::parse(&kind).map_err(|_| bad("kind"))?,
        hash: KeyHash::from_bytes(&hash).ok_or_else(|| bad("hash"))?,
        revoked,
    }))
}

async fn ensure_app<'e>(db: impl PgExecutor<'e>, app_id: AppId) -> Result<(), RouterError> {
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM apps WHERE id = $1)")
        .bind(app_id.get())
        .fetch_one(db)
        .await
        .map_err(RouterError::CatalogUnavailable)?;
    if exists {
        Ok(())
    } else {
        Err(RouterError::UnknownApp(app_id))
    }
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    id: i64,
    kind: String,
    prefix: String,
    label: Option<String>,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

/// What [`revoke_keeping_a_secret`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    Revoked,
    /// The app has no such active key.
    NotFound,
    /// The key is the app's last active secret key: revoking it would lock the app out of
    /// the developer API, so it was kept.
    LastSecretKey,
}

/// Revokes one key of an app unless it is the app's last active secret key. Key changes
/// of one app are serialised on its catalog row, so two concurrent revocations cannot
/// both remove "the other" secret key.
pub async fn revoke_keeping_a_secret(
    catalog: &PgPool,
    app_id: AppId,
    key_id: i64,
) -> Result<Revoked, RouterError> {
    let mut tx = catalog
        .begin()
        .await
        .map_err(RouterError::CatalogUnavailable)?;
    let app: Option<i64> = sqlx::query_scalar("SELECT id FROM apps WHERE id = $1 FOR UPDATE")
        .bind(app_id.get())
        .fetch_optional(&mut *tx)
        .await
        .map_err(RouterError::CatalogUnavailable)?;
    if app.is_none() {
        return Err(RouterError::UnknownApp(app_id));
    }
    let kind: Option<String> = sqlx::query_scalar(
        "SELECT kind FROM api_keys WHERE id = $1 AND app_id = $2 AND revoked_at IS NULL",
    )
    .bind(key_id)
    .bind(app_id.get())
    .fetch_optional(&mut *tx)
    .await
    .map_err(RouterError::CatalogUnavailable)?;
    let Some(kind) = kind else {
        return Ok(Revoked::NotFound);
    };
    if kind == KeyKind::Secret.as_str() {
        let active: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM api_keys WHERE app_id = $1 AND kind = 'secret' AND revoked_at IS NULL",
        )
        .bind(app_id.get())
        .fetch_one(&mut *tx)
        .await
        .map_err(RouterError::CatalogUnavailable)?;
        if active <= 1 {
            return Ok(Revoked::LastSecretKey);
        }
    }
    sqlx::query("UPDATE api_keys SET revoked_at = now() WHERE id = $1")
        .bind(key_id)
        .execute(&mut *tx)
        .await
        .map_err(RouterError::CatalogUnavailable)?;
    tx.commit().await.map_err(RouterError::CatalogUnavailable)?;
    Ok(Revoked::Revoked)
}
