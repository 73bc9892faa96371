//! Creating apps (placement included), listing them, and their domains.
//!
//! One of an app's domains may be its *alternate* domain: it serves the app's links (and
//! its apple-app-site-association) like the others, but short URLs are never built on
//! it. iOS opens a Universal Link only when a tap leads to another domain than the
//! page's own, so the iOS interstitial's "Open in app" button links there. An app has at
//! most one, and never only that one: making a domain alternate needs another domain for
//! the short URLs (removing domains may still leave it alone; the app then has no short
//! URLs until a domain is added).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use link_core::keys::KeyKind;
use link_core::{AppConfig, AppId, FieldError, Host, ShardId};
use serde::Serialize;
use sqlx::{Postgres, Transaction};

use crate::app_config;
use crate::catalog::keys::{self, IssuedKey};
use crate::error::{RouterError, unique_violation};
use crate::map::{ShardInfo, ShardState};
use crate::placement;
use crate::router::ShardRouter;

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_DOMAINS: usize = 50;

/// Serialises placement decisions across processes so concurrent creates see each
/// other's apps when counting (an arbitrary constant shared by every Hoplink process).
const PLACEMENT_LOCK: i64 = 0x686f_706c_0001;

#[derive(Debug, Clone)]
pub struct NewApp {
    pub name: String,
    /// Primary first; short URLs are built on the first.
    pub domains: Vec<Host>,
    /// Registered with `domains`, flagged alternate; needs at least one of `domains`
    /// beside it and must not be one of them.
    pub alternate_domain: Option<Host>,
    pub config: AppConfig,
    /// Place on this shard instead of the least loaded one.
    pub shard: Option<ShardId>,
}

#[derive(Debug)]
pub struct CreatedApp {
    pub app_id: AppId,
    pub name: String,
    pub shard: ShardId,
    /// Every domain of the app as [`AppSummary::domains`] lists them: the primary first,
    /// the alternate one (if any) last.
    pub domains: Vec<Host>,
    pub alternate_domain: Option<Host>,
    pub sdk_key: IssuedKey,
    pub secret_key: IssuedKey,
}

#[derive(Debug, Clone, Serialize)]
pub struct AppSummary {
    pub app_id: AppId,
    pub name: String,
    pub shard: ShardId,
    pub state: String,
    pub epoch: i64,
    /// Every domain of the app: the others in the order they were added (the first is
    /// the primary one), then the alternate one.
    pub domains: Vec<String>,
    pub alternate_domain: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub fn validate_name(name: &str) -> Result<String, FieldError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(FieldError::new("name", "must not be empty"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(FieldError::new("name", "must be at most 200 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(FieldError::new(
            "name",
            "must not contain control characters",
        ));
    }
    Ok(name.to_owned())
}

/// Creates an app on the least loaded active shard (or the one asked for), with its
/// domains, one SDK key and one secret key.
///
/// The catalog transaction stays open while the shard row is written, and commits last:
/// if the shard write fails nothing is committed anywhere; if the catalog commit fails
/// the shard row is removed again.
pub async fn create(router: &ShardRouter, new: NewApp) -> Result<CreatedApp, RouterError> {
    let name = validate_name(&new.name)?;
    // Keep the caller's order (the first domain is the primary one), without repeats.
    let mut domains: Vec<Host> = Vec::with_capacity(new.domains.len());
    for host in new.domains {
        if !domains.contains(&host) {
            domains.push(host);
        }
    }
    if let Some(alternate) = &new.alternate_domain {
        if domains.is_empty() {
            return Err(FieldError::new(
                "alternate_domain",
                "needs a primary domain in domains beside it (short URLs are never built on the alternate domain)",
            )
            .into());
        }
        if domains.contains(alternate) {
            return Err(FieldError::new(
                "alternate_domain",
                format!("{alternate} is also in domains; the alternate domain must be another one"),
            )
            .into());
        }
    }
    if domains.len() + usize::from(new.alternate_domain.is_some()) > MAX_DOMAINS {
        return Err(FieldError::new("domains", "at most 50 domains per app").into());
    }
    new.config.validate()?;

    let mut tx = router
        .catalog()
        .begin()
        .await
        .map_err(RouterError::CatalogUnavailable)?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(PLACEMENT_LOCK)
        .execute(&mut *tx)
        .await
        .map_err(RouterError::CatalogUnavailable)?;

    let shard = choose_shard(&mut tx, new.shard).await?;
    let (app_id, epoch): (i64, i64) =
        sqlx::query_as("INSERT INTO apps (name, shard_id) VALUES ($1, $2) RETURNING id, epoch")
            .bind(&name)
            .bind(shard.as_str())
            .fetch_one(&mut *tx)
            .await
            .map_err(RouterError::CatalogUnavailable)?;
    let app_id = AppId::new(app_id).map_err(|e| RouterError::InconsistentCatalog(e.to_string()))?;
    for host in &domains {
        insert_domain(&mut tx, app_id, host, false).await?;
    }
    if let Some(host) = &new.alternate_domain {
        insert_domain(&mut tx, app_id, host, true).await?;
        domains.push(host.clone());
    }
    let sdk_key = keys::create_in(&mut tx, app_id, KeyKind::Sdk, Some("default")).await?;
    let secret_key = keys::create_in(&mut tx, app_id, KeyKind::Secret, Some("default")).await?;

    let pool = shard_pool_for(router, &shard).await?;
    app_config::insert(&pool, app_id, epoch, &new.config)
        .await
        .map_err(RouterError::shard(&shard))?;
    if let Err(e) = tx.commit().await {
        if let Err(cleanup) = app_config::delete(&pool, app_id).await {
            tracing::warn!(%app_id, error = %cleanup, "could not remove the shard row of an app whose creation failed");
        }
        return Err(RouterError::CatalogUnavailable(e));
    }
    // Make the new app routable by this process at once; others follow the notification.
    let _ = router.refresh().await;
    Ok(CreatedApp {
        app_id,
        name,
        shard,
        domains,
        alternate_domain: new.alternate_domain,
        sdk_key,
        secret_key,
    })
}

async fn choose_shard(
    tx: &mut Transaction<'_, Postgres>,
    wanted: Option<ShardId>,
) -> Result<ShardId, RouterError> {
    let rows: Vec<(String, String, String, i32, i64)> = sqlx::query_as(
        "SELECT s.id, s.dsn, s.state, s.weight, count(a.id) \
         FROM shards s LEFT JOIN apps a ON a.shard_id = s.id GROUP BY s.id",
    )
    .fetch_all(&mut **tx)
    .await
    .map_err(RouterError::CatalogUnavailable)?;
    let mut shards = Vec::with_capacity(rows.len());
    let mut counts = HashMap::with_capacity(rows.len());
    for (id, dsn, state, weight, apps) in rows {
        let Ok(id) = ShardId::parse(&id) else {
            continue;
        };
        let Some(state) = ShardState::parse(&state) else {
            continue;
        };
        counts.insert(id.clone(), u64::try_from(apps).unwrap_or(0));
        shards.push(ShardInfo {
            id,
            dsn: crate::dsn::ShardDsn::parse(&dsn).map_err(|e| e.to_string()),
            state,
            weight: u32::try_from(weight).unwrap_or(1),
        });
    }
    match wanted {
        Some(id) => match shards.iter().find(|s| s.id == id) {
            None => Err(RouterError::UnknownShard(id)),
            Some(s) if s.state != ShardState::Active => Err(RouterError::ShardNotActive(id)),
            Some(_) => Ok(id),
        },
        None => placement::place(&shards, &counts).ok_or(RouterError::NoActiveShard),
    }
}

/// The pool of a shard that may have been added after this router last loaded its map.
async fn shard_pool_for(
    router: &ShardRouter,
    shard: &ShardId,
) -> Result<sqlx::PgPool, RouterError> {
    if router.routes().shard(shard).is_none() {
        router.refresh().await?;
    }
    let routes = router.routes();
    let handle = routes
        .shard(shard)
        .ok_or_else(|| RouterError::UnknownShard(shard.clone()))?;
    handle.pool().cloned()
}

async fn insert_domain(
    tx: &mut Transaction<'_, Postgres>,
    app_id: AppId,
    host: &Host,
    alternate: bool,
) -> Result<(), RouterError> {
    let inserted =
        sqlx::query("INSERT INTO app_domains (host, app_id, alternate) VALUES ($1, $2, $3)")
            .bind(host.as_str())
            .bind(app_id.get())
            .bind(alternate)
            .execute(&mut **tx)
            .await;
    match inserted {
        Ok(_) => Ok(()),
        Err(e) if unique_violation(&e) == Some("app_domains_pkey") => {
            Err(RouterError::DomainTaken(host.clone()))
        }
        Err(e) => Err(RouterError::CatalogUnavailable(e)),
    }
}

/// Locks the app's row, serialising changes to its domains; `UnknownApp` when there is
/// none. Returns the app's domains as `(host, alternate)`.
async fn lock_domains(
    tx: &mut Transaction<'_, Postgres>,
    app_id: AppId,
) -> Result<Vec<(String, bool)>, RouterError> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM apps WHERE id = $1 FOR UPDATE")
        .bind(app_id.get())
        .fetch_optional(&mut **tx)
        .await
        .map_err(RouterError::CatalogUnavailable)?;
    if found.is_none() {
        return Err(RouterError::UnknownApp(app_id));
    }
    sqlx::query_as("SELECT host, alternate FROM app_domains WHERE app_id = $1")
        .bind(app_id.get())
        .fetch_all(&mut **tx)
        .await
        .map_err(RouterError::CatalogUnavailable)
}

/// Flags `host` as the app's alternate domain, clearing the flag on the previous one
/// (the role moves). The unique index allows one alternate per app, so the old flag is
/// cleared first.
async fn move_alternate(
    tx: &mut Transaction<'_, Postgres>,
    app_id: AppId,
    host: &Host,
) -> Result<(), RouterError> {
    sqlx::query(
        "UPDATE app_domains SET alternate = false WHERE app_id = $1 AND alternate AND host <> $2",
    )
    .bind(app_id.get())
    .bind(host.as_str())
    .execute(&mut **tx)
    .await
    .map_err(RouterError::CatalogUnavailable)?;
    sqlx::query("UPDATE app_domains SET alternate = true WHERE app_id = $1 AND host = $2")
        .bind(app_id.get())
        .bind(host.as_str())
        .execute(&mut **tx)
        .await
        .map_err(RouterError::CatalogUnavailable)?;
    Ok(())
}

fn no_primary_left() -> FieldError {
    FieldError::new(
        "alternate",
        "the app needs another, non-alternate domain for its short URLs; add one first",
    )
}

/// Adds a domain to an existing app; `alternate` makes it the app's alternate domain
/// (taking the role from the previous one), which needs another domain to remain.
pub async fn add_domain(
    router: &ShardRouter,
    app_id: AppId,
    host: &Host,
    alternate: bool,
) -> Result<(), RouterError> {
    let mut tx = router
        .catalog()
        .begin()
        .await
        .map_err(RouterError::CatalogUnavailable)?;
    let current = lock_domains(&mut tx, app_id).await?;
    if current.len() >= MAX_DOMAINS {
        return Err(FieldError::new("host", "at most 50 domains per app").into());
    }
    // The previous alternate domain, if any, becomes an ordinary one: any domain at all
    // is left for the short URLs.
    if alternate && current.is_empty() {
        return Err(no_primary_left().into());
    }
    insert_domain(&mut tx, app_id, host, false).await?;
    if alternate {
        move_alternate(&mut tx, app_id, host).await?;
    }
    tx.commit().await.map_err(RouterError::CatalogUnavailable)?;
    let _ = router.refresh().await;
    Ok(())
}

/// Makes `host` the app's alternate domain (taking the role from the previous one) or
/// an ordinary one again. `Ok(false)` when the app has no such domain. Refused (field
/// `alternate`) when the app would be left without a non-alternate domain.
pub async fn set_alternate(
    router: &ShardRouter,
    app_id: AppId,
    host: &Host,
    alternate: bool,
) -> Result<bool, RouterError> {
    let mut tx = router
        .catalog()
        .begin()
        .await
        .map_err(RouterError::CatalogUnavailable)?;
    let current = lock_domains(&mut tx, app_id).await?;
    let Some(&(_, was)) = current.iter().find(|(h, _)| h == host.as_str()) else {
        return Ok(false);
    };
    if was == alternate {
        return Ok(true);
    }
    if alternate {
        // Once `host` takes the role, every other domain is an ordinary one.
        if current.len() < 2 {
            return Err(no_primary_left().into());
        }
        move_alternate(&mut tx, app_id, host).await?;
    } else {
        sqlx::query("UPDATE app_domains SET alternate = false WHERE app_id = $1 AND host = $2")
            .bind(app_id.get())
            .bind(host.as_str())
            .execute(&mut *tx)
            .await
            .map_err(RouterError::CatalogUnavailable)?;
    }
    tx.commit().await.map_err(RouterError::CatalogUnavailable)?;
    let _ = router.refresh().await;
    Ok(true)
}

/// Removes a domain from an app. `Ok(false)` when the app has no such domain.
pub async fn remove_domain(
    router: &ShardRouter,
    app_id: AppId,
    host: &Host,
) -> Result<bool, RouterError> {
    let done = sqlx::query("DELETE FROM app_domains WHERE host = $1 AND app_id = $2")
        .bind(host.as_str())
        .bind(app_id.get())
        .execute(router.catalog())
        .await
        .map_err(RouterError::CatalogUnavailable)?;
    if done.rows_affected() == 1 {
        let _ = router.refresh().await;
    }
    Ok(done.rows_affected() == 1)
}

pub async fn list(router: &ShardRouter) -> Result<Vec<AppSummary>, RouterError> {
    list_where(router, None).await
}

pub async fn get(router: &ShardRouter, app_id: AppId) -> Result<AppSummary, RouterError> {
    list_where(router, Some(app_id))
        .await?
        .pop()
        .ok_or(RouterError::UnknownApp(app_id))
}

async fn list_where(
    router: &ShardRouter,
    app_id: Option<AppId>,
) -> Result<Vec<AppSummary>, RouterError> {
    let rows: Vec<AppRow> = sqlx::query_as(
        "SELECT a.id, a.name, a.shard_id, a.state, a.epoch, \
                coalesce(array_agg(d.host ORDER BY d.alternate, d.seq) FILTER (WHERE d.host IS NOT NULL), '{}') AS domains, \
                min(d.host) FILTER (WHERE d.alternate) AS alternate_domain, \
                a.created_at \
         FROM apps a LEFT JOIN app_domains d ON d.app_id = a.id \
         WHERE $1::bigint IS NULL OR a.id = $1 \
         GROUP BY a.id ORDER BY a.id",
    )
    .bind(app_id.map(AppId::get))
    .fetch_all(router.catalog())
    .await
    .map_err(RouterError::CatalogUnavailable)?;
    rows.into_iter()
        .map(
            |AppRow {
                 id,
                 name,
                 shard_id: shard,
                 state,
                 epoch,
                 domains,
                 alternate_domain,
                 created_at,
             }| {
                let bad = |e: link_core::Invalid| {
                    RouterError::InconsistentCatalog(format!("app {id}: {e}"))
                };
                Ok(AppSummary {
                    app_id: AppId::new(id).map_err(bad)?,
                    name,
                    shard: ShardId::parse(&shard).map_err(bad)?,
                    state,
                    epoch,
                    domains,
                    alternate_domain,
                    created_at,
                })
            },
        )
        .collect()
}

#[derive(sqlx::FromRow)]
struct AppRow {
    id: i64,
    name: String,
    shard_id: String,
    state: String,
    epoch: i64,
    domains: Vec<String>,
    alternate_domain: Option<String>,
    created_at: DateTime<Utc>,
}

/// Renames an app (the name is validated with [`validate_name`]).
pub async fn rename(router: &ShardRouter, app_id: AppId, name: &str) -> Result<(), RouterError> {
    let name = validate_name(name)?;
    let done = sqlx::query("UPDATE apps SET name = $2, updated_at = now() WHERE id = $1")
        .bind(app_id.get())
        .bind(&name)
        .execute(router.catalog())
        .await
        .map_err(RouterError::CatalogUnavailable)?;
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(RouterError::UnknownApp(app_id))
    }
}
