//! The catalog database: routing rows for the map, and the admin operations that change
//! them. Every write here runs in one catalog transaction, so a rejected request leaves
//! the catalog exactly as it was.

pub mod apps;
pub mod keys;
pub mod shards;

use sqlx::PgPool;

use crate::error::RouterError;
use crate::map::CatalogRows;

/// Reads shards, apps and domains from one snapshot, so the three lists agree.
pub async fn load_rows(catalog: &PgPool) -> Result<CatalogRows, RouterError> {
    let mut tx = catalog
        .begin()
        .await
        .map_err(RouterError::CatalogUnavailable)?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await
        .map_err(RouterError::CatalogUnavailable)?;
    let shards = sqlx::query_as("SELECT id, dsn, state, weight FROM shards")
        .fetch_all(&mut *tx)
        .await
        .map_err(RouterError::CatalogUnavailable)?;
    let apps = sqlx::query_as("SELECT id, shard_id, state, epoch FROM apps")
        .fetch_all(&mut *tx)
        .await
        .map_err(RouterError::CatalogUnavailable)?;
    let domains = sqlx::query_as("SELECT host, app_id, alternate FROM app_domains ORDER BY seq")
        .fetch_all(&mut *tx)
        .await
        .map_err(RouterError::CatalogUnavailable)?;
    tx.commit().await.map_err(RouterError::CatalogUnavailable)?;
    Ok(CatalogRows {
        shards,
        apps,
        domains,
    })
}
