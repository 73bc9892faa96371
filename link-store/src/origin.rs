//! Where the cache loads from on a miss. Postgres (the app's shard) is the source of
//! truth; a hot tier can sit in front of it by implementing the same trait.

use std::future::Future;
use std::pin::Pin;

use link_core::{AppId, Link};
use shard_router::ShardHandle;
use shard_router::app_config::{self, StoredConfig};

use crate::error::StoreError;
use crate::links;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Loads links and app configs for the cache. `Ok(None)` means "does not exist" and is
/// cached as such; `Err` means "cannot tell right now".
pub trait Origin: Send + Sync + 'static {
    fn load_link<'a>(
        &'a self,
        shard: &'a ShardHandle,
        app: AppId,
        code: &'a str,
    ) -> BoxFuture<'a, Result<Option<Link>, StoreError>>;

    fn load_config<'a>(
        &'a self,
        shard: &'a ShardHandle,
        app: AppId,
    ) -> BoxFuture<'a, Result<Option<StoredConfig>, StoreError>>;
}

/// Reads straight from the app's shard.
#[derive(Debug, Clone, Default)]
pub struct PostgresOrigin;

impl Origin for PostgresOrigin {
    fn load_link<'a>(
        &'a self,
        shard: &'a ShardHandle,
        app: AppId,
        code: &'a str,
    ) -> BoxFuture<'a, Result<Option<Link>, StoreError>> {
        Box::pin(async move { links::find_by_code(shard.pool()?, app, code).await })
    }

    fn load_config<'a>(
        &'a self,
        shard: &'a ShardHandle,
        app: AppId,
    ) -> BoxFuture<'a, Result<Option<StoredConfig>, StoreError>> {
        Box::pin(async move { Ok(app_config::load(shard.pool()?, app).await?) })
    }
}
