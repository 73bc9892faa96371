//! Schema migrations for the catalog and every shard.
//!
//! sqlx's migrator holds a Postgres advisory lock for the whole run, so two processes
//! migrating the same database at once serialise, and the second finds nothing to do.

use sqlx::PgPool;
use sqlx::migrate::Migrator;

use crate::error::RouterError;
use crate::router::ShardRouter;

pub static CATALOG: Migrator = sqlx::migrate!("../migrations/catalog");
pub static SHARD: Migrator = sqlx::migrate!("../migrations/shard");

pub async fn migrate_catalog(catalog: &PgPool) -> Result<(), RouterError> {
    CATALOG
        .run(catalog)
        .await
        .map_err(|source| RouterError::Migration {
            target: "catalog".to_owned(),
            source,
        })
}

pub async fn migrate_shard(pool: &PgPool, name: &str) -> Result<(), RouterError> {
    SHARD
        .run(pool)
        .await
        .map_err(|source| RouterError::Migration {
            target: format!("shard {name}"),
            source,
        })
}

/// What `hoplink migrate` did to each database.
#[derive(Debug, serde::Serialize)]
pub struct MigrationReport {
    pub target: String,
    pub ok: bool,
    pub detail: Option<String>,
}

/// Migrates the catalog, reloads the map, then migrates every shard it lists. A shard that
/// fails does not stop the others: its failure is in the report (`ok: false`); only a
/// catalog failure is an `Err`.
pub async fn migrate_all(router: &ShardRouter) -> Result<Vec<MigrationReport>, RouterError> {
    migrate_catalog(router.catalog()).await?;
    router.refresh().await?;
    let mut report = vec![MigrationReport {
        target: "catalog".into(),
        ok: true,
        detail: None,
    }];
    let routes = router.routes();
    let mut handles: Vec<_> = routes.shard_handles().collect();
    handles.sort_by(|a, b| a.id.cmp(&b.id));
    for handle in handles {
        let result = match handle.pool() {
            Ok(pool) => migrate_shard(pool, handle.id.as_str()).await,
            Err(e) => Err(e),
        };
        report.push(MigrationReport {
            target: format!("shard {}", handle.id),
            ok: result.is_ok(),
            detail: result.err().map(|e| crate::error::chain(&e)),
        });
    }
    Ok(report)
}
