use std::collections::HashMap;

use shard_router::catalog::apps;

use crate::helpers::{TestCatalog, new_app};

#[tokio::test]
async fn new_apps_spread_over_active_shards() {
    let t = TestCatalog::with_shards(2).await;
    let mut per_shard: HashMap<String, usize> = HashMap::new();
    for i in 0..6 {
        let app = t
            .create_app(&format!("app {i}"), &[&format!("a{i}.example")])
            .await;
        *per_shard.entry(app.shard.to_string()).or_default() += 1;
    }
    assert_eq!(per_shard.get("s1"), Some(&3));
    assert_eq!(per_shard.get("s2"), Some(&3));
}

#[tokio::test]
async fn concurrent_creates_still_spread_evenly() {
    let t = TestCatalog::with_shards(2).await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let router = t.router.clone();
        tasks.push(tokio::spawn(async move {
            apps::create(
                &router,
                new_app(&format!("app {i}"), &[&format!("c{i}.example")]),
            )
            .await
            .expect("create")
            .shard
            .to_string()
        }));
    }
    let mut per_shard: HashMap<String, usize> = HashMap::new();
    for task in tasks {
        *per_shard.entry(task.await.expect("task")).or_default() += 1;
    }
    assert_eq!(per_shard.values().copied().collect::<Vec<_>>(), vec![4, 4]);
}

#[tokio::test]
async fn weights_and_states_steer_placement() {
    let t = TestCatalog::with_shards(2).await;
    sqlx::query("UPDATE shards SET weight = 300 WHERE id = 's2'")
        .execute(t.router.catalog())
        .await
        .expect("weight");
    let mut on_s2 = 0;
    for i in 0..8 {
        if t.create_app(&format!("w{i}"), &[]).await.shard.as_str() == "s2" {
            on_s2 += 1;
        }
    }
    assert_eq!(on_s2, 6, "s2 has three times s1's weight");

    sqlx::query("UPDATE shards SET state = 'draining' WHERE id = 's2'")
        .execute(t.router.catalog())
        .await
        .expect("drain");
    for i in 0..3 {
        assert_eq!(
            t.create_app(&format!("d{i}"), &[]).await.shard.as_str(),
            "s1"
        );
    }
}

#[tokio::test]
async fn the_new_app_row_lands_on_its_shard_only() {
    let t = TestCatalog::with_shards(2).await;
    let app = t.create_app("Acme", &["go.acme.app"]).await;
    let routes = t.router.routes();
    for handle in routes.shard_handles() {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM app_configs WHERE app_id = $1")
            .bind(app.app_id.get())
            .fetch_one(handle.pool().expect("pool"))
            .await
            .expect("count");
        assert_eq!(n, i64::from(handle.id == app.shard), "shard {}", handle.id);
    }
}
