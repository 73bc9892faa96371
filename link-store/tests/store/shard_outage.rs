//! A shard that goes down: recording carries on, nothing is lost within the bounds, nothing
//! is written twice, and the other shards are not held up.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use link_store::events::{EventsConfig, FlushReport};

use crate::helpers::{TestStore, click, config, eventually};

#[tokio::test]
async fn clicks_recorded_during_an_outage_are_written_once_it_ends() {
    let t = TestStore::with_proxied_last_shard(1).await;
    let app = t.create_app("outage", "s1").await;
    let link = t.create_link(app).await;
    let (recorder, _batcher) = t.start(&config(50));

    t.proxy().cut();
    let now = chrono::Utc::now();
    let started = Instant::now();
    let mut recorded = HashSet::new();
    for i in 0..60 {
        let mut event = click(app, link, now);
        event.is_bot = i % 4 == 0;
        recorded.insert(event.click_id.as_uuid());
        recorder.record(event);
    }
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "recording waited for the shard"
    );

    // Every attempt fails; the events stay held for a retry.
    assert_eq!(recorder.flush().await, Ok(FlushReport { pending: 60 }));
    assert_eq!(t.click_count(1, app).await, 0);
    assert!(t.metric("hoplink_events_write_errors_total", &[("kind", "click")]) >= 1.0);
    assert_eq!(
        t.metric("hoplink_events_pending", &[("kind", "click")]),
        60.0
    );

    t.proxy().restore();
    assert_eq!(recorder.flush().await, Ok(FlushReport { pending: 0 }));
    let ids: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT id FROM clicks WHERE app_id = $1")
        .bind(app.get())
        .fetch_all(t.shard(1))
        .await
        .expect("click ids");
    assert_eq!(ids.len(), 60, "each click exactly once");
    assert_eq!(ids.into_iter().collect::<HashSet<_>>(), recorded);
    assert_eq!(t.rollup_totals(1, app).await, (45, 15));
    assert_eq!(t.written(), 60);
    assert_eq!(t.dropped("write_failed"), 0);

    // A later flush finds nothing to write again.
    assert_eq!(recorder.flush().await, Ok(FlushReport { pending: 0 }));
    assert_eq!(t.rollup_totals(1, app).await, (45, 15));
}

#[tokio::test]
async fn a_stuck_shard_write_does_not_hold_up_the_other_shards() {
    let t = TestStore::with_shards(2).await;
    let healthy = t.create_app("healthy", "s1").await;
    let stuck = t.create_app("stuck", "s2").await;
    let (healthy_link, stuck_link) = (t.create_link(healthy).await, t.create_link(stuck).await);
    let (recorder, _batcher) = t.start(&config(20));

    // Lock the app's config row as a move's fence does: the batch on s2 waits for it
    // (until the shard's statement timeout, 5 s).
    let mut fence = t.shard(2).begin().await.expect("begin");
    sqlx::query("SELECT 1 FROM app_configs WHERE app_id = $1 FOR UPDATE")
        .bind(stuck.get())
        .execute(&mut *fence)
        .await
        .expect("lock the app row");

    let now = chrono::Utc::now();
    // The stuck shard's events first, so its write is under way before the others.
    for _ in 0..20 {
        recorder.record(click(stuck, stuck_link, now));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    for _ in 0..20 {
        recorder.record(click(healthy, healthy_link, now));
    }
    assert!(
        eventually(Duration::from_secs(3), || async {
            t.click_count(1, healthy).await == 20
        })
        .await,
        "the healthy shard's clicks waited for the stuck shard"
    );
    // Written while the stuck shard's write was still waiting, not after it gave up.
    assert_eq!(
        t.metric("hoplink_events_write_errors_total", &[("kind", "click")]),
        0.0
    );
    assert_eq!(t.click_count(2, stuck).await, 0);

    // The fence lifts without a move: the waiting write goes through.
    fence.rollback().await.expect("release the lock");
    assert_eq!(recorder.flush().await, Ok(FlushReport { pending: 0 }));
    assert_eq!(t.click_count(2, stuck).await, 20);
    assert_eq!(t.dropped("stale_route"), 0);
}

#[tokio::test]
async fn held_clicks_beyond_max_pending_are_dropped_oldest_first() {
    let t = TestStore::with_proxied_last_shard(1).await;
    let app = t.create_app("bounded", "s1").await;
    let link = t.create_link(app).await;
    let config = EventsConfig {
        events_max_batch: 10,
        events_max_pending: 100,
        events_flush_interval_ms: 20,
        ..EventsConfig::default()
    };
    let (recorder, _batcher) = t.start(&config);

    t.proxy().cut();
    let now = chrono::Utc::now();
    let mut ids = Vec::new();
    for _ in 0..250 {
        let event = click(app, link, now);
        ids.push(event.click_id.as_uuid());
        recorder.record(event);
    }
    assert_eq!(recorder.flush().await, Ok(FlushReport { pending: 100 }));
    assert_eq!(t.dropped("write_failed"), 150);

    t.proxy().restore();
    assert_eq!(recorder.flush().await, Ok(FlushReport { pending: 0 }));
    let written: HashSet<uuid::Uuid> =
        sqlx::query_scalar("SELECT id FROM clicks WHERE app_id = $1")
            .bind(app.get())
            .fetch_all(t.shard(1))
            .await
            .expect("click ids")
            .into_iter()
            .collect();
    assert_eq!(written.len(), 100);
    // The newest were kept. (A batch that was being written when the limit was reached
    // is kept too, so the exact cut-off depends on timing.)
    assert!(ids[160..].iter().all(|id| written.contains(id)));
    assert!(ids[10..150].iter().all(|id| !written.contains(id)));
}
