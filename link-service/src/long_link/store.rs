//! Finding or creating a long link's row, from the click path.
//!
//! A long link has no row until a person first clicks it: the row is what clicks are
//! recorded against and what an install's attribution hands back. Creating it is a write
//! on the click path, so it is held to the click path's rules:
//! - concurrent first clicks on one long link make one insert (moka collapses them), and
//!   an insert that meets a row already there takes that row (another link service won);
//! - the write is fenced like any API write, so the shard's trigger tells every link
//!   service, whose negative entries for the code then go;
//! - rows are rationed per app (a token bucket, `HOPLINK_LONG_LINK_ROWS_PER_SEC`), since
//!   anyone can write a new long link;
//! - it never queues: when too many are in flight, the app is over its ration, the shard
//!   is failing or the write is slow, the click is answered from the parsed link and not
//!   recorded (counted).

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::DefaultClock;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use link_core::{AppId, Link, LinkCode};
use link_store::StoreError;
use link_store::cache::LinkCache;
use link_store::hot::WriteThrough;
use link_store::links::{self, NewLink};
use moka::future::Cache;
use prometheus::{IntCounter, IntCounterVec, Opts, Registry};
use shard_router::{AppRoute, RouterError, ShardHandle, fence};
use tokio::sync::Semaphore;

/// Long-link rows being created at once, per process. Each holds a shard connection for
/// a few milliseconds; a flood of new long links must not take the pool from the clicks'
/// other work.
const MAX_CONCURRENT_WRITES: usize = 8;

/// How long a created row is kept here: until the change notification has reached this
/// process and the link cache would find it.
const CREATED_TTL: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum Unsaved {
    #[error("too many long links are being created")]
    Busy,
    #[error("the app has had its ration of new long links for now")]
    Rationed,
    #[error("the app's shard is failing")]
    ShardFailing,
    #[error("creating the link timed out")]
    TimedOut,
    #[error(transparent)]
    Router(#[from] RouterError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct LongLinks {
    created: Cache<(AppId, LinkCode), Arc<Link>>,
    writes: Semaphore,
    ration: RateLimiter<AppId, DefaultKeyedStateStore<AppId>, DefaultClock>,
    timeout: Duration,
    write_through: WriteThrough,
    outcomes: Outcomes,
}

struct Outcomes {
    created: IntCounter,
    existing: IntCounter,
    unsaved: IntCounter,
    invalid: IntCounter,
}

impl LongLinks {
    /// `timeout` bounds one creation; the cache's origin timeout is the natural choice.
    /// `rows_per_sec` is each app's ration of new rows (burst ten times that).
    pub fn new(
        timeout: Duration,
        rows_per_sec: u32,
        write_through: WriteThrough,
        registry: &Registry,
    ) -> prometheus::Result<Self> {
        let rate = NonZeroU32::new(rows_per_sec).unwrap_or(NonZeroU32::MIN);
        let burst = rate.saturating_mul(NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN));
        let counter = IntCounterVec::new(
            Opts::new(
                "hoplink_long_links_total",
                "Long links met on the click path without a row yet: created, found already \
                 made by another process, answered unsaved (busy, shard failing, slow) or invalid.",
            ),
            &["outcome"],
        )?;
        registry.register(Box::new(counter.clone()))?;
        Ok(Self {
            created: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(CREATED_TTL)
                .build(),
            writes: Semaphore::new(MAX_CONCURRENT_WRITES),
            ration: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
            timeout,
            write_through,
            outcomes: Outcomes {
                created: counter.with_label_values(&["created"]),
                existing: counter.with_label_values(&["existing"]),
                unsaved: counter.with_label_values(&["unsaved"]),
                invalid: counter.with_label_values(&["invalid"]),
            },
        })
    }

    pub fn count_invalid(&self) {
        self.outcomes.invalid.inc();
    }

    /// The long link's row: the one another click or process made, or a new one.
    pub async fn find_or_create(
        &self,
        cache: &LinkCache,
        route: &AppRoute,
        shard: &ShardHandle,
        new: &NewLink,
        code: &LinkCode,
    ) -> Result<Arc<Link>, Arc<Unsaved>> {
        let key = (route.app_id, code.clone());
        let result = self
            .created
            .try_get_with(key, async {
                let link = self.create(cache, route, shard, new, code).await?;
                Ok::<_, Unsaved>(Arc::new(link))
            })
            .await;
        if result.is_err() {
            self.outcomes.unsaved.inc();
        }
        result
    }

    async fn create(
        &self,
        cache: &LinkCache,
        route: &AppRoute,
        shard: &ShardHandle,
        new: &NewLink,
        code: &LinkCode,
    ) -> Result<Link, Unsaved> {
        let _permit = self.writes.try_acquire().map_err(|_| Unsaved::Busy)?;
        if cache.shard_is_failing(&shard.id) {
            return Err(Unsaved::ShardFailing);
        }
        // Taken before the insert, so a row that turns out to exist already costs a token
        // too: simpler than giving it back, and such rows are rare (another process won).
        if self.ration.check_key(&route.app_id).is_err() {
            return Err(Unsaved::Rationed);
        }
        let (link, created) = tokio::time::timeout(self.timeout, insert(route, shard, new, code))
            .await
            .map_err(|_| Unsaved::TimedOut)??;
        if created {
            self.outcomes.created.inc();
            let write_through = self.write_through.clone();
            let copy = link.clone();
            tokio::spawn(async move { write_through.put_link(&copy).await });
        } else {
            self.outcomes.existing.inc();
        }
        // This process's negative entry goes now; other processes' go with the trigger's
        // notification.
        cache.invalidate_link(route.app_id, code.as_str()).await;
        Ok(link)
    }
}

/// Inserts the row in a fenced transaction, or takes the one already under the code.
async fn insert(
    route: &AppRoute,
    shard: &ShardHandle,
    new: &NewLink,
    code: &LinkCode,
) -> Result<(Link, bool), Unsaved> {
    let mut tx = fence::begin_app_write(shard.pool()?, route).await?;
    match links::insert(&mut tx, route.app_id, new).await {
        Ok(link) => {
            tx.commit().await.map_err(StoreError::from)?;
            Ok((link, true))
        }
        Err(StoreError::AliasTaken(_)) => {
            let existing = links::find_by_code(&mut *tx, route.app_id, code.as_str()).await?;
            existing
                .map(|link| (link, false))
                .ok_or(Unsaved::Store(StoreError::AliasTaken(code.clone())))
        }
        Err(error) => Err(error.into()),
    }
}
