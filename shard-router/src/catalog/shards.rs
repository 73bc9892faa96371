//! Registering and listing shards.

use std::time::Duration;

use link_core::{FieldError, ShardId};
use serde::Serialize;
use sqlx::postgres::PgPoolOptions;

use crate::config::PoolSettings;
use crate::dsn::ShardDsn;
use crate::error::{RouterError, unique_violation};
use crate::migrate;
use crate::router::ShardRouter;

#[derive(Debug, Clone, Serialize)]
pub struct ShardSummary {
    pub id: ShardId,
    /// Without password.
    pub dsn: String,
    pub state: String,
    pub weight: i32,
    pub apps: i64,
}

pub const DEFAULT_WEIGHT: i32 = 100;

/// Registers a shard: checks it is reachable and is not the catalog, migrates it, then
/// adds it to the catalog. Nothing is written to the catalog unless every step succeeded.
pub async fn add(
    router: &ShardRouter,
    id: ShardId,
    dsn: ShardDsn,
    weight: i32,
    pool_settings: &PoolSettings,
) -> Result<ShardSummary, RouterError> {
    if !(1..=10_000).contains(&weight) {
        return Err(FieldError::new("weight", "must be between 1 and 10000").into());
    }
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM shards WHERE id = $1)")
        .bind(id.as_str())
        .fetch_one(router.catalog())
        .await
        .map_err(RouterError::CatalogUnavailable)?;
    if exists {
        return Err(RouterError::ShardExists(id));
    }

    // A short-lived pool just for the checks and the migration.
    let connect_timeout = Duration::from_millis(pool_settings.shard_connect_timeout_ms.max(100));
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(connect_timeout)
        .connect_lazy_with(dsn.connect_options().application_name("hoplink-admin"));
    let probe = sqlx::query_scalar::<_, bool>(
        "SELECT to_regclass('public.app_domains') IS NOT NULL AND to_regclass('public.shards') IS NOT NULL",
    )
    .fetch_one(&pool)
    .await
    .map_err(RouterError::shard(&id))?;
    if probe {
        pool.close().await;
        return Err(FieldError::new(
            "dsn",
            "this database holds a Hoplink catalog; a shard needs a database of its own",
        )
        .into());
    }
    let migrated = migrate::migrate_shard(&pool, id.as_str()).await;
    pool.close().await;
    migrated?;

    let inserted = sqlx::query("INSERT INTO shards (id, dsn, weight) VALUES ($1, $2, $3)")
        .bind(id.as_str())
        .bind(dsn.expose())
        .bind(weight)
        .execute(router.catalog())
        .await;
    match inserted {
        Ok(_) => {}
        Err(e) if unique_violation(&e).is_some() => return Err(RouterError::ShardExists(id)),
        Err(e) => return Err(RouterError::CatalogUnavailable(e)),
    }
    router.refresh().await?;
    Ok(ShardSummary {
        id,
        dsn: dsn.redacted(),
        state: "active".into(),
        weight,
        apps: 0,
    })
}

pub async fn list(router: &ShardRouter) -> Result<Vec<ShardSummary>, RouterError> {
    let rows: Vec<(String, String, String, i32, i64)> = sqlx::query_as(
        "SELECT s.id, s.dsn, s.state, s.weight, count(a.id) \
         FROM shards s LEFT JOIN apps a ON a.shard_id = s.id \
         GROUP BY s.id ORDER BY s.id",
    )
    .fetch_all(router.catalog())
    .await
    .map_err(RouterError::CatalogUnavailable)?;
    rows.into_iter()
        .map(|(id, dsn, state, weight, apps)| {
            let id = ShardId::parse(&id)
                .map_err(|e| RouterError::InconsistentCatalog(format!("shard {id:?}: {e}")))?;
            let dsn = ShardDsn::parse(&dsn)
                .map(|d| d.redacted())
                .unwrap_or_else(|e| format!("<invalid: {e}>"));
            Ok(ShardSummary {
                id,
                dsn,
                state,
                weight,
                apps,
            })
        })
        .collect()
}
