//! Keeps a router's map fresh: LISTEN on the catalog's `hoplink_catalog` channel for
//! changes within milliseconds, and reload every poll interval as a backstop for anything
//! a notification missed (listener reconnects, a catalog restored from backup).

use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::router::{CatalogChange, ShardRouter};

pub const CHANNEL: &str = "hoplink_catalog";

/// Starts the refresher; it stops when `shutdown` is cancelled.
pub fn spawn(router: ShardRouter, shutdown: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(100);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                result = listen(&router, &shutdown) => match result {
                    Ok(()) => return,
                    Err(error) => {
                        tracing::warn!(%error, "catalog listener failed; retrying");
                    }
                },
            }
            // Poll while the listener is down so the map still converges.
            let _ = router.refresh().await;
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    })
}

/// Listens until shutdown (Ok) or a listener error (Err).
async fn listen(router: &ShardRouter, shutdown: &CancellationToken) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(router.catalog()).await?;
    listener.listen(CHANNEL).await?;
    // Anything may have changed while we were not listening.
    let _ = router.refresh().await;
    router.publish(CatalogChange::Resync);

    let mut poll = tokio::time::interval(router.poll_interval());
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    poll.tick().await;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            _ = poll.tick() => {
                let _ = router.refresh().await;
            }
            received = listener.try_recv() => match received? {
                Some(first) => {
                    let mut seen = Seen::default();
                    seen.note(first.payload());
                    // One admin transaction notifies once per table; reload once for all.
                    while let Ok(Ok(Some(next))) =
                        tokio::time::timeout(Duration::from_millis(2), listener.try_recv()).await
                    {
                        seen.note(next.payload());
                    }
                    if seen.routing {
                        let _ = router.refresh().await;
                    }
                    router.publish(seen.change());
                }
                // The connection dropped and sqlx reconnected: notifications were lost.
                None => {
                    let _ = router.refresh().await;
                    router.publish(CatalogChange::Resync);
                }
            },
        }
    }
}

/// Which kinds of catalog change a burst of notifications carried.
#[derive(Default)]
struct Seen {
    routing: bool,
    keys: bool,
}

impl Seen {
    fn note(&mut self, payload: &str) {
        match payload {
            "api_keys" => self.keys = true,
            // Routing tables, and anything unknown to be safe.
            _ => self.routing = true,
        }
    }

    fn change(&self) -> CatalogChange {
        match (self.routing, self.keys) {
            (true, false) => CatalogChange::Routing,
            (false, true) => CatalogChange::Keys,
            _ => CatalogChange::Resync,
        }
    }
}
