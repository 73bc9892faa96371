//! Stopping: the batcher ends once every recorder is gone, after writing what it holds, or
//! at the drain deadline when a shard will not take it.

use std::time::{Duration, Instant};

use link_store::events::EventsConfig;

use crate::helpers::{TestStore, click, config};

#[tokio::test]
async fn dropping_every_recorder_drains_what_was_recorded() {
    let t = TestStore::with_shards(2).await;
    let one = t.create_app("one", "s1").await;
    let two = t.create_app("two", "s2").await;
    let (link_one, link_two) = (t.create_link(one).await, t.create_link(two).await);
    // Nothing is written on a timer during the test: only the drain can write.
    let (recorder, batcher) = t.start(&config(600_000));
    let handler_copy = recorder.clone();

    let now = chrono::Utc::now();
    for _ in 0..150 {
        recorder.record(click(one, link_one, now));
        handler_copy.record(click(two, link_two, now));
    }
    drop(recorder);
    drop(handler_copy);
    tokio::time::timeout(Duration::from_secs(10), batcher)
        .await
        .expect("batcher ends after draining")
        .expect("batcher did not panic");

    assert_eq!(t.click_count(1, one).await, 150);
    assert_eq!(t.click_count(2, two).await, 150);
    assert_eq!(t.rollup_totals(1, one).await, (150, 0));
    assert_eq!(t.rollup_totals(2, two).await, (150, 0));
    assert_eq!(t.dropped("shutdown"), 0);
    assert_eq!(
        t.metric("hoplink_events_pending", &[("kind", "click")]),
        0.0
    );
}

#[tokio::test]
async fn shutdown_gives_up_at_the_drain_deadline_while_a_shard_is_down() {
    let t = TestStore::with_proxied_last_shard(1).await;
    let app = t.create_app("down", "s1").await;
    let link = t.create_link(app).await;
    let config = EventsConfig {
        events_drain_deadline_ms: 300,
        events_flush_interval_ms: 20,
        ..EventsConfig::default()
    };
    let (recorder, batcher) = t.start(&config);

    t.proxy().cut();
    let now = chrono::Utc::now();
    for _ in 0..25 {
        recorder.record(click(app, link, now));
    }
    let started = Instant::now();
    drop(recorder);
    tokio::time::timeout(Duration::from_secs(5), batcher)
        .await
        .expect("batcher ends at the drain deadline")
        .expect("batcher did not panic");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(250),
        "gave up early: {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_secs(2),
        "overran the deadline: {elapsed:?}"
    );

    assert_eq!(t.dropped("shutdown"), 25);
    t.proxy().restore();
    assert_eq!(t.click_count(1, app).await, 0);
}
