//! Clicks recorded on a healthy deployment: rows, rollups, routing, batching, overflow.

use std::time::{Duration, Instant};

use link_core::client::Platform;
use link_core::{AppId, Country};
use link_store::events::{ClickEvent, EventsConfig, FlushReport, ShardEvent};

use crate::helpers::{TestStore, at, click, config, day, detailed_click};

#[tokio::test]
async fn recorded_clicks_become_raw_rows_and_daily_rollups() {
    let t = TestStore::with_shards(1).await;
    let app = t.create_app("rollups", "s1").await;
    let (first, second) = (t.create_link(app).await, t.create_link(app).await);
    let (recorder, _batcher) = t.start(&config(10_000));

    let late = at("2025-03-01T23:59:59Z");
    let next_day = at("2025-03-02T00:00:01Z");
    let detailed = detailed_click(app, first, late, "coupon=A+B&utm_source=push");
    recorder.record(detailed.clone());
    let ios = |occurred_at| click(app, first, occurred_at).on(Platform::Ios);
    recorder.record(ios(late));
    recorder.record(ios(late).bot());
    recorder.record(ios(next_day));
    recorder.record(click(app, first, late));
    recorder.record(click(app, first, late));
    recorder.record(click(app, first, late).bot());
    recorder.record(click(app, second, next_day).on(Platform::Desktop));

    assert_eq!(recorder.flush().await, Ok(FlushReport { pending: 0 }));
    assert_eq!(t.click_count(1, app).await, 8);
    assert_eq!(t.written(), 8);

    let row: ClickRow = sqlx::query_as(
        "SELECT app_id, link_id, occurred_at, platform, os, os_version, browser, in_app, \
         is_bot, fingerprint, browser_id, country, query FROM clicks WHERE id = $1",
    )
    .bind(detailed.click_id.as_uuid())
    .fetch_one(t.shard(1))
    .await
    .expect("the detailed click");
    assert_eq!(
        row,
        ClickRow {
            app_id: app.get(),
            link_id: first,
            occurred_at: late,
            platform: "ios".into(),
            os: "ios".into(),
            os_version: Some("17.4".into()),
            browser: Some("web_view".into()),
            in_app: Some("instagram".into()),
            is_bot: false,
            fingerprint: Some(vec![7; 32]),
            browser_id: detailed.browser_id,
            country: Some("DE".into()),
            query: Some("coupon=A+B&utm_source=push".into()),
        }
    );

    // Days are UTC dates; bots are bot views, never clicks.
    assert_eq!(
        t.rollups(1, app).await,
        vec![
            (day("2025-03-01"), first, "android".into(), 2, 1),
            (day("2025-03-01"), first, "ios".into(), 2, 1),
            (day("2025-03-02"), first, "ios".into(), 1, 0),
            (day("2025-03-02"), second, "desktop".into(), 1, 0),
        ]
    );

    // A second batch adds to the same rollup rows.
    recorder.record(click(app, first, late));
    recorder.flush().await.expect("flush");
    let rollups = t.rollups(1, app).await;
    assert_eq!(
        rollups[0],
        (day("2025-03-01"), first, "android".into(), 3, 1)
    );
}

#[tokio::test]
async fn each_app_s_clicks_land_on_its_own_shard() {
    let t = TestStore::with_shards(2).await;
    let one = t.create_app("one", "s1").await;
    let two = t.create_app("two", "s2").await;
    let (link_one, link_two) = (t.create_link(one).await, t.create_link(two).await);
    let (recorder, _batcher) = t.start(&config(10_000));

    let now = chrono::Utc::now();
    for i in 0..10 {
        // Interleaved, so both shards' events share batches of the channel.
        recorder.record(click(one, link_one, now));
        if i % 2 == 0 {
            recorder.record(click(two, link_two, now));
        }
    }
    recorder.flush().await.expect("flush");

    let per_app = |shard| {
        sqlx::query_as::<_, (i64, i64)>("SELECT app_id, count(*) FROM clicks GROUP BY app_id")
            .fetch_all(t.shard(shard))
    };
    assert_eq!(
        per_app(1).await.expect("clicks per app"),
        vec![(one.get(), 10)]
    );
    assert_eq!(
        per_app(2).await.expect("clicks per app"),
        vec![(two.get(), 5)]
    );
    assert_eq!(t.rollup_totals(1, one).await, (10, 0));
    assert_eq!(t.rollup_totals(2, two).await, (5, 0));
}

#[tokio::test]
async fn a_burst_larger_than_max_batch_is_written_in_full() {
    let t = TestStore::with_shards(1).await;
    let app = t.create_app("burst", "s1").await;
    let link = t.create_link(app).await;
    let config = EventsConfig {
        events_max_batch: 100,
        // Long enough that only full batches (and the final flush) trigger writes.
        events_flush_interval_ms: 60_000,
        ..EventsConfig::default()
    };
    let (recorder, _batcher) = t.start(&config);

    let now = chrono::Utc::now();
    for _ in 0..2_550 {
        recorder.record(click(app, link, now));
    }
    // Full batches are written without waiting for the interval or a flush.
    assert!(
        crate::helpers::eventually(Duration::from_secs(10), || async {
            t.click_count(1, app).await >= 2_500
        })
        .await,
        "full batches were not written on their own"
    );
    recorder.flush().await.expect("flush");

    assert_eq!(t.click_count(1, app).await, 2_550);
    assert_eq!(t.rollup_totals(1, app).await, (2_550, 0));
    let batches = t.metric("hoplink_events_batches_written_total", &[("kind", "click")]);
    assert!(
        batches >= 26.0,
        "{batches} batches for 2550 events of at most 100"
    );
    assert_eq!(t.dropped("queue_full"), 0);
}

#[tokio::test]
async fn a_second_writer_takes_a_full_batch_while_the_first_write_waits() {
    let t = TestStore::with_shards(1).await;
    let app = t.create_app("writers", "s1").await;
    let link = t.create_link(app).await;
    let config = EventsConfig {
        events_max_batch: 50,
        events_shard_writers: Some(2),
        // Only full batches (and the final flush) start writes.
        events_flush_interval_ms: 60_000,
        ..EventsConfig::default()
    };
    let (recorder, _batcher) = t.start(&config);
    let shard = t.shard(1);

    // Another transaction holds the rollup row of the first day, so the write of that
    // day's clicks stops at its rollup until it lets go.
    sqlx::query(
        "INSERT INTO link_stats_daily (app_id, day, link_id, platform) \
         VALUES ($1, '2025-03-01', $2, 'android')",
    )
    .bind(app.get())
    .bind(link)
    .execute(shard)
    .await
    .expect("rollup row");
    let mut blocker = shard.begin().await.expect("begin");
    sqlx::query("SELECT 1 FROM link_stats_daily WHERE app_id = $1 FOR UPDATE")
        .bind(app.get())
        .execute(&mut *blocker)
        .await
        .expect("lock the rollup row");

    for _ in 0..50 {
        recorder.record(click(app, link, at("2025-03-01T12:00:00Z")));
    }
    let waiting_on_lock = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(shard)
        .await
        .expect("pg_stat_activity")
            == 1
    };
    assert!(
        crate::helpers::eventually(Duration::from_secs(10), waiting_on_lock).await,
        "the first batch's write never reached the locked rollup row"
    );

    // The next full batch (another day) does not queue behind it.
    for _ in 0..50 {
        recorder.record(click(app, link, at("2025-03-02T12:00:00Z")));
    }
    let second_day = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM clicks WHERE app_id = $1 AND occurred_at >= '2025-03-02'",
        )
        .bind(app.get())
        .fetch_one(shard)
        .await
        .expect("count")
            == 50
    };
    assert!(
        crate::helpers::eventually(Duration::from_secs(10), second_day).await,
        "the second batch waited for the first"
    );
    assert_eq!(
        t.click_count(1, app).await,
        50,
        "the first is still waiting"
    );

    blocker.rollback().await.expect("let go");
    assert_eq!(recorder.flush().await, Ok(FlushReport { pending: 0 }));
    assert_eq!(t.click_count(1, app).await, 100);
    assert_eq!(t.rollup_totals(1, app).await, (100, 0));
    assert_eq!(t.written(), 100);
}

#[tokio::test]
async fn a_full_queue_drops_new_clicks_without_blocking() {
    let t = TestStore::with_shards(1).await;
    let app = t.create_app("overflow", "s1").await;
    let link = t.create_link(app).await;
    let config = EventsConfig {
        events_queue_capacity: 8,
        ..EventsConfig::default()
    };
    let (recorder, _batcher) = t.start(&config);

    // This test runs on a single-threaded runtime and records without yielding, so the
    // batcher cannot take anything off the queue meanwhile.
    let now = chrono::Utc::now();
    let started = Instant::now();
    for _ in 0..1_000 {
        recorder.record(click(app, link, now));
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_millis(500),
        "recording took {elapsed:?}"
    );
    assert_eq!(t.dropped("queue_full"), 992);
    assert_eq!(
        t.metric("hoplink_events_queue_depth", &[("kind", "click")]),
        8.0
    );

    recorder.flush().await.expect("flush");
    assert_eq!(t.click_count(1, app).await, 8);
    assert_eq!(
        t.metric("hoplink_events_queue_depth", &[("kind", "click")]),
        0.0
    );
}

#[tokio::test]
async fn clicks_of_an_app_missing_from_the_map_are_dropped_and_counted() {
    let t = TestStore::with_shards(1).await;
    let app = t.create_app("known", "s1").await;
    let link = t.create_link(app).await;
    let (recorder, _batcher) = t.start(&config(10_000));

    let stranger = AppId::new(987_654).expect("app id");
    let now = chrono::Utc::now();
    recorder.record(click(stranger, 1, now));
    recorder.record(click(stranger, 1, now));
    recorder.record(click(app, link, now));
    recorder.flush().await.expect("flush");

    assert_eq!(t.dropped("unknown_app"), 2);
    assert_eq!(t.click_count(1, app).await, 1);
}

#[derive(Debug, PartialEq, sqlx::FromRow)]
struct ClickRow {
    app_id: i64,
    link_id: i64,
    occurred_at: chrono::DateTime<chrono::Utc>,
    platform: String,
    os: String,
    os_version: Option<String>,
    browser: Option<String>,
    in_app: Option<String>,
    is_bot: bool,
    fingerprint: Option<Vec<u8>>,
    browser_id: Option<uuid::Uuid>,
    country: Option<String>,
    query: Option<String>,
}

/// The two batch statements: a fresh batch is a plain insert, so a click stored already
/// fails it as a whole; a replay skips stored clicks and counts only the new ones.
#[tokio::test]
async fn a_replayed_batch_adds_only_the_clicks_not_yet_stored() {
    let t = TestStore::with_shards(1).await;
    let app = t.create_app("replay", "s1").await;
    let link = t.create_link(app).await;
    let now = chrono::Utc::now();
    let stored = [
        click(app, link, now).from("br"),
        click(app, link, now).bot(),
    ];
    write(&t, stored.iter().collect(), false)
        .await
        .expect("fresh batch");
    assert_eq!(t.rollup_totals(1, app).await, (1, 1));
    let unknown = || (String::new(), 0, 1);
    assert_eq!(
        country_rollups(&t, app).await,
        [unknown(), ("BR".into(), 1, 0)]
    );

    let mut new = click(app, link, now).from("br");
    new.query = Some("coupon=X".into());
    let again: Vec<&ClickEvent> = stored.iter().chain([&new]).collect();
    let error = write(&t, again.clone(), false)
        .await
        .expect_err("a fresh insert of stored clicks must fail");
    let code = error.as_database_error().and_then(|e| e.code());
    assert_eq!(code.as_deref(), Some("23505"), "{error}");
    assert_eq!(
        t.click_count(1, app).await,
        2,
        "the failed batch left nothing"
    );

    write(&t, again, true).await.expect("replayed batch");
    assert_eq!(t.click_count(1, app).await, 3);
    let query: Option<String> = sqlx::query_scalar("SELECT query FROM clicks WHERE id = $1")
        .bind(new.click_id.as_uuid())
        .fetch_one(t.shard(1))
        .await
        .expect("the replayed click");
    assert_eq!(
        query.as_deref(),
        Some("coupon=X"),
        "the replay keeps the query"
    );
    assert_eq!(
        t.rollup_totals(1, app).await,
        (2, 1),
        "only the new click counted"
    );
    assert_eq!(
        country_rollups(&t, app).await,
        [unknown(), ("BR".into(), 2, 0)],
        "by country too"
    );
}

/// `$deeplink_no_attribution` clicks: raw rows for matching, nothing in the rollups, by
/// either batch statement.
#[tokio::test]
async fn uncounted_clicks_are_stored_but_left_out_of_the_rollups() {
    let t = TestStore::with_shards(1).await;
    let app = t.create_app("uncounted", "s1").await;
    let link = t.create_link(app).await;
    let now = chrono::Utc::now();
    let fresh = [
        click(app, link, now).from("de"),
        click(app, link, now).from("de").uncounted(),
        click(app, link, now).bot().uncounted(),
    ];
    write(&t, fresh.iter().collect(), false)
        .await
        .expect("fresh batch");
    assert_eq!(t.click_count(1, app).await, 3);
    assert_eq!(t.rollup_totals(1, app).await, (1, 0));
    assert_eq!(country_rollups(&t, app).await, [("DE".into(), 1, 0)]);

    let new = [
        click(app, link, now).from("de").uncounted(),
        click(app, link, now).from("de"),
    ];
    let replay: Vec<&ClickEvent> = fresh.iter().chain(&new).collect();
    write(&t, replay, true).await.expect("replayed batch");
    assert_eq!(t.click_count(1, app).await, 5);
    assert_eq!(t.rollup_totals(1, app).await, (2, 0));
    assert_eq!(country_rollups(&t, app).await, [("DE".into(), 2, 0)]);
}

/// `(country, clicks, bot_views)` of the app's `link_country_daily` rows, by country.
async fn country_rollups(t: &TestStore, app: AppId) -> Vec<(String, i64, i64)> {
    sqlx::query_as(
        "SELECT country, sum(clicks)::bigint, sum(bot_views)::bigint FROM link_country_daily \
         WHERE app_id = $1 GROUP BY country ORDER BY country",
    )
    .bind(app.get())
    .fetch_all(t.shard(1))
    .await
    .expect("country rollups")
}

/// One batch statement in a transaction of its own, committed when it succeeds.
async fn write(t: &TestStore, events: Vec<&ClickEvent>, replay: bool) -> Result<(), sqlx::Error> {
    let mut tx = t.shard(1).begin().await.expect("begin");
    ClickEvent::write_batch(&mut tx, &events, replay).await?;
    tx.commit().await
}

/// Small builders for test clicks.
trait ClickEventExt: Sized {
    fn on(self, platform: Platform) -> Self;
    fn bot(self) -> Self;
    fn from(self, country: &str) -> Self;
    fn uncounted(self) -> Self;
}

impl ClickEventExt for link_store::events::ClickEvent {
    fn on(mut self, platform: Platform) -> Self {
        self.platform = platform;
        self
    }

    fn bot(mut self) -> Self {
        self.is_bot = true;
        self
    }

    fn from(mut self, country: &str) -> Self {
        self.country = Country::parse(country);
        self
    }

    fn uncounted(mut self) -> Self {
        self.counted = false;
        self
    }
}
