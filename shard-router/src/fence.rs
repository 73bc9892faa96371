//! The epoch fence every shard write goes through.
//!
//! A router's map can be stale for up to a notification's delay. A write that trusted it
//! could land on the shard an app has just left. So each write transaction first takes a
//! share lock on the app's `app_configs` row and checks the epoch the router routed with
//! and that the row is not fenced; a move takes the row lock exclusively to fence it,
//! which waits for in-flight writes and blocks new ones.

use sqlx::{PgPool, Postgres, Transaction};

use crate::error::RouterError;
use crate::map::AppRoute;

/// Begins a transaction on the app's shard that is guaranteed to be writing to the app's
/// current home. Fails with [`RouterError::StaleRoute`] when the app has moved or is being
/// moved, and [`RouterError::UnknownApp`] when the shard does not hold the app.
pub async fn begin_app_write(
    pool: &PgPool,
    route: &AppRoute,
) -> Result<Transaction<'static, Postgres>, RouterError> {
    let mut tx = pool
        .begin()
        .await
        .map_err(RouterError::shard(&route.shard))?;
    let row: Option<(i64, bool)> =
        sqlx::query_as("SELECT epoch, fenced FROM app_configs WHERE app_id = $1 FOR SHARE")
            .bind(route.app_id.get())
            .fetch_optional(&mut *tx)
            .await
            .map_err(RouterError::shard(&route.shard))?;
    match row {
        Some((epoch, false)) if epoch == route.epoch => Ok(tx),
        Some(_) => Err(RouterError::StaleRoute(route.app_id)),
        None => Err(RouterError::UnknownApp(route.app_id)),
    }
}
