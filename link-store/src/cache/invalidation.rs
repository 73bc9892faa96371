//! Keeps every link service's cache in step with the shards: one LISTEN connection per
//! shard on the `hoplink_links` channel, fed by triggers on `links` and `app_configs`
//! (and by explicit tag purges).
//!
//! Payloads: `link <app> <code>`, `config <app>`, `tag <app> <tag>`. When a listener
//! reconnects, notifications may have been missed, so that shard's apps are expired in
//! the cache: reloaded before they are served again, and still served stale if the
//! shard fails before the reload.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use link_core::{AppId, ShardId};
use shard_router::{ShardDsn, ShardHandle, ShardRouter};
use sqlx::postgres::PgListener;
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::LinkCache;
use crate::hot::HotOrigin;

pub const CHANNEL: &str = "hoplink_links";

/// What a notification invalidates: the in-process cache, and, with the hot tier on, the
/// hot origin's trust in its copy (so the reload reads Postgres and repairs Aerospike).
#[derive(Clone)]
pub struct Targets {
    pub cache: LinkCache,
    pub hot: Option<HotOrigin>,
}

/// Watches the shard map and runs one listener per shard until `shutdown`.
pub fn spawn(router: ShardRouter, targets: Targets, shutdown: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut changes = router.subscribe();
        let mut listeners: HashMap<ShardId, Listener> = HashMap::new();
        loop {
            sync_listeners(&router, &targets, &mut listeners, &shutdown);
            tokio::select! {
                () = shutdown.cancelled() => break,
                change = changes.recv() => if let Err(RecvError::Closed) = change { break },
            }
        }
        for (_, listener) in listeners.drain() {
            listener.stop.cancel();
            let _ = listener.task.await;
        }
    })
}

struct Listener {
    dsn: Option<ShardDsn>,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

/// Starts listeners for new shards (or changed URLs) and stops those of removed shards.
fn sync_listeners(
    router: &ShardRouter,
    targets: &Targets,
    listeners: &mut HashMap<ShardId, Listener>,
    shutdown: &CancellationToken,
) {
    let routes = router.routes();
    let current: HashMap<&ShardId, &ShardHandle> =
        routes.shard_handles().map(|h| (&h.id, h)).collect();
    listeners.retain(|id, listener| {
        let keep = current
            .get(id)
            .is_some_and(|handle| handle.dsn() == listener.dsn.as_ref());
        if !keep {
            listener.stop.cancel();
        }
        keep
    });
    for (id, handle) in current {
        if listeners.contains_key(id) || handle.pool().is_err() {
            continue;
        }
        let stop = shutdown.child_token();
        let task = tokio::spawn(listen_shard(
            router.clone(),
            (*handle).clone(),
            targets.clone(),
            stop.clone(),
        ));
        listeners.insert(
            id.clone(),
            Listener {
                dsn: handle.dsn().cloned(),
                stop,
                task,
            },
        );
    }
}

async fn listen_shard(
    router: ShardRouter,
    shard: ShardHandle,
    targets: Targets,
    stop: CancellationToken,
) {
    let mut backoff = Duration::from_millis(100);
    let mut first = true;
    loop {
        let result = tokio::select! {
            () = stop.cancelled() => return,
            result = listen_once(&router, &shard, &targets, &stop, first) => result,
        };
        match result {
            Ok(()) => return,
            Err(error) => {
                tracing::warn!(shard = %shard.id, %error, "shard change listener failed; retrying");
            }
        }
        first = false;
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

async fn listen_once(
    router: &ShardRouter,
    shard: &ShardHandle,
    targets: &Targets,
    stop: &CancellationToken,
    first: bool,
) -> Result<(), sqlx::Error> {
    let pool = shard
        .background_pool()
        .map_err(|e| sqlx::Error::Configuration(e.to_string().into()))?;
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    if !first {
        resync(router, shard, &targets.cache);
    }
    loop {
        tokio::select! {
            () = stop.cancelled() => return Ok(()),
            received = listener.try_recv() => match received? {
                Some(notification) => apply(targets, notification.payload()).await,
                // Reconnected by sqlx: what happened in between is unknown.
                None => resync(router, shard, &targets.cache),
            },
        }
    }
}

fn resync(router: &ShardRouter, shard: &ShardHandle, cache: &LinkCache) {
    let apps: HashSet<AppId> = router
        .routes()
        .map
        .apps()
        .filter(|route| route.shard == shard.id)
        .map(|route| route.app_id)
        .collect();
    tracing::info!(shard = %shard.id, apps = apps.len(), "change listener reconnected; reloading the shard's cached links before serving them");
    cache.expire_apps(&apps);
}

/// Applies one notification payload; malformed payloads are ignored (and logged).
pub async fn apply(targets: &Targets, payload: &str) {
    let cache = &targets.cache;
    let mut parts = payload.splitn(3, ' ');
    let kind = parts.next().unwrap_or_default();
    let app = parts.next().and_then(|a| a.parse::<AppId>().ok());
    let rest = parts.next();
    match (kind, app, rest) {
        ("link", Some(app), Some(code)) => {
            if let Some(hot) = &targets.hot {
                hot.link_changed(app, code);
            }
            cache.invalidate_link(app, code).await;
        }
        ("config", Some(app), None) => {
            if let Some(hot) = &targets.hot {
                hot.config_changed(app);
            }
            cache.invalidate_config(app).await;
        }
        ("tag", Some(app), Some(tag)) => {
            if let Some(hot) = &targets.hot {
                hot.links_changed(app);
            }
            cache.purge_tag(app, tag);
        }
        _ => tracing::warn!(
            payload_len = payload.len(),
            "ignoring malformed change notification"
        ),
    }
}
