//! Who is calling: SDK keys, secret keys and the admin token.
//!
//! Keys are found by their visible prefix (one indexed catalog row), then compared by
//! hash in constant time. Found keys are cached for a minute and the cache is dropped on
//! every catalog key change (LISTEN/NOTIFY through the router), so a revoked key stops
//! working within milliseconds on every instance. Every handler works on the app its key
//! belongs to: another app's data is simply not reachable through it.

use std::sync::Arc;
use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::http::header;
use link_core::AppId;
use link_core::keys::{KeyKind, prefix_of};
use moka::future::Cache;
use secrecy::{ExposeSecret, SecretString};
use shard_router::ShardRouter;
use shard_router::catalog::keys::{self, StoredKey};
use shard_router::router::CatalogChange;
use subtle::ConstantTimeEq;
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::error::ApiError;

/// An authenticated caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub key_id: i64,
    pub app_id: AppId,
    pub kind: KeyKind,
}

#[derive(Clone)]
pub struct KeyStore {
    router: ShardRouter,
    /// prefix -> the stored key, or `None` for "no such prefix" (cached too, so a flood
    /// of made-up keys does not reach the catalog).
    found: Cache<Box<str>, Option<Arc<StoredKey>>>,
    admin_token: Option<SecretString>,
}

impl KeyStore {
    pub fn new(router: ShardRouter, admin_token: Option<SecretString>) -> Self {
        Self {
            router,
            found: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(Duration::from_secs(60))
                .build(),
            admin_token,
        }
    }

    /// Drops cached keys whenever the catalog's keys change; stops on `shutdown`.
    pub fn spawn_invalidation(&self, shutdown: CancellationToken) -> JoinHandle<()> {
        let found = self.found.clone();
        let mut changes = self.router.subscribe();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    change = changes.recv() => match change {
                        Ok(CatalogChange::Keys | CatalogChange::Resync) | Err(RecvError::Lagged(_)) => {
                            found.invalidate_all();
                        }
                        Ok(CatalogChange::Routing) => {}
                        Err(RecvError::Closed) => return,
                    },
                }
            }
        })
    }

    /// Authenticates a presented key of any kind.
    pub async fn authenticate(&self, presented: &str) -> Result<Caller, ApiError> {
        let presented = presented.trim();
        let Some((kind, prefix)) = prefix_of(presented) else {
            return Err(ApiError::Unauthorized);
        };
        let router = self.router.clone();
        let owned_prefix: Box<str> = prefix.into();
        let stored = self
            .found
            .try_get_with(owned_prefix.clone(), async move {
                keys::find_by_prefix(router.catalog(), &owned_prefix)
                    .await
                    .map(|found| found.map(Arc::new))
            })
            .await
            .map_err(|e| ApiError::from(clone_router_error(&e)))?;
        match stored {
            Some(key) if !key.revoked && key.kind == kind && key.hash.matches(presented) => {
                Ok(Caller {
                    key_id: key.id,
                    app_id: key.app_id,
                    kind: key.kind,
                })
            }
            _ => Err(ApiError::Unauthorized),
        }
    }

    /// Authenticates an SDK call: Branch SDKs send `branch_key`, which may be the SDK
    /// key (or, from servers, the secret key).
    pub async fn sdk(&self, branch_key: Option<&str>) -> Result<Caller, ApiError> {
        self.authenticate(branch_key.ok_or(ApiError::Unauthorized)?)
            .await
    }

    /// Authenticates the developer API: `Authorization: Bearer secret_live_...`.
    pub async fn secret(&self, req: &HttpRequest) -> Result<Caller, ApiError> {
        let caller = self
            .authenticate(bearer(req).ok_or(ApiError::Unauthorized)?)
            .await?;
        if caller.kind != KeyKind::Secret {
            return Err(ApiError::Forbidden(
                "the developer API needs a secret key; SDK keys only reach SDK endpoints",
            ));
        }
        Ok(caller)
    }

    /// Checks `Authorization: Bearer <HOPLINK_ADMIN_TOKEN>` in constant time.
    pub fn admin(&self, req: &HttpRequest) -> Result<(), ApiError> {
        let Some(expected) = &self.admin_token else {
            return Err(ApiError::Forbidden(
                "the admin API is disabled (HOPLINK_ADMIN_TOKEN is not set)",
            ));
        };
        let presented = bearer(req).ok_or(ApiError::Unauthorized)?;
        let matches: bool = presented
            .as_bytes()
            .ct_eq(expected.expose_secret().as_bytes())
            .into();
        if matches {
            Ok(())
        } else {
            Err(ApiError::Unauthorized)
        }
    }
}

fn bearer(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// moka hands loader errors out as `Arc`s; keep the classification, drop the source.
fn clone_router_error(error: &shard_router::RouterError) -> shard_router::RouterError {
    if error.is_unavailable() {
        shard_router::RouterError::CatalogUnavailable(sqlx::Error::PoolTimedOut)
    } else {
        shard_router::RouterError::InconsistentCatalog(error.to_string())
    }
}
