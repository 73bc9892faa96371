//! The epoch fence: a batch never writes an app whose shard says it has moved (or is being
//! moved), and follows the map once the catalog agrees with the shard.

use link_store::events::FlushReport;

use crate::helpers::{TestStore, click, config};

#[tokio::test]
async fn clicks_of_an_app_its_shard_refuses_are_dropped_as_stale() {
    let t = TestStore::with_shards(1).await;
    let moved = t.create_app("moved", "s1").await;
    let fenced = t.create_app("fenced", "s1").await;
    let settled = t.create_app("settled", "s1").await;
    let links = [
        t.create_link(moved).await,
        t.create_link(fenced).await,
        t.create_link(settled).await,
    ];
    let (recorder, _batcher) = t.start(&config(10_000));

    // As a move leaves them: one app's epoch bumped on the shard without the catalog
    // knowing yet, another fenced mid-move.
    t.set_shard_epoch(1, moved, 2).await;
    sqlx::query("UPDATE app_configs SET fenced = true WHERE app_id = $1")
        .bind(fenced.get())
        .execute(t.shard(1))
        .await
        .expect("fence app");

    let now = chrono::Utc::now();
    for _ in 0..4 {
        recorder.record(click(moved, links[0], now));
        recorder.record(click(fenced, links[1], now));
        recorder.record(click(settled, links[2], now));
    }
    assert_eq!(recorder.flush().await, Ok(FlushReport { pending: 0 }));

    assert_eq!(t.dropped("stale_route"), 8);
    assert_eq!(t.click_count(1, moved).await, 0);
    assert_eq!(t.click_count(1, fenced).await, 0);
    assert_eq!(t.rollup_totals(1, moved).await, (0, 0));
    // The other app in the same batches is written regardless.
    assert_eq!(t.click_count(1, settled).await, 4);
    assert_eq!(t.rollup_totals(1, settled).await, (4, 0));
}

#[tokio::test]
async fn clicks_follow_a_new_epoch_once_the_map_is_refreshed() {
    let t = TestStore::with_shards(1).await;
    let app = t.create_app("bumped", "s1").await;
    let link = t.create_link(app).await;
    let (recorder, _batcher) = t.start(&config(10_000));

    // The catalog and the shard agree on a new epoch; this process's map still has the old
    // one (nothing refreshes it but the pipeline).
    sqlx::query("UPDATE apps SET epoch = 2 WHERE id = $1")
        .bind(app.get())
        .execute(t.router.catalog())
        .await
        .expect("bump catalog epoch");
    t.set_shard_epoch(1, app, 2).await;
    assert_eq!(t.router.app(app).expect("routed").route.epoch, 1);

    let now = chrono::Utc::now();
    for _ in 0..5 {
        recorder.record(click(app, link, now));
    }
    assert_eq!(recorder.flush().await, Ok(FlushReport { pending: 0 }));

    assert_eq!(t.click_count(1, app).await, 5);
    assert_eq!(t.rollup_totals(1, app).await, (5, 0));
    assert_eq!(t.dropped("stale_route"), 0);
    assert_eq!(t.router.app(app).expect("routed").route.epoch, 2);
}

#[tokio::test]
async fn clicks_recorded_while_an_app_is_moved_land_on_its_new_shard() {
    let t = TestStore::with_shards(2).await;
    let app = t.create_app("moving", "s1").await;
    let link = t.create_link(app).await;
    let (recorder, _batcher) = t.start(&config(20));

    // The move fences the app on its old shard...
    sqlx::query("UPDATE app_configs SET fenced = true WHERE app_id = $1")
        .bind(app.get())
        .execute(t.shard(1))
        .await
        .expect("fence app");
    let now = chrono::Utc::now();
    for _ in 0..5 {
        recorder.record(click(app, link, now));
    }
    // ...the pipeline's first attempts are refused meanwhile...
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(t.click_count(1, app).await, 0);

    // ...then the app's config is on the new shard and the catalog flips to it.
    sqlx::query("INSERT INTO app_configs (app_id, epoch) VALUES ($1, 2)")
        .bind(app.get())
        .execute(t.shard(2))
        .await
        .expect("copy app config");
    sqlx::query("UPDATE apps SET shard_id = 's2', epoch = 2 WHERE id = $1")
        .bind(app.get())
        .execute(t.router.catalog())
        .await
        .expect("flip the catalog");

    assert_eq!(recorder.flush().await, Ok(FlushReport { pending: 0 }));
    assert_eq!(t.click_count(2, app).await, 5);
    assert_eq!(t.rollup_totals(2, app).await, (5, 0));
    assert_eq!(t.click_count(1, app).await, 0);
    assert_eq!(t.dropped("stale_route"), 0);
}
