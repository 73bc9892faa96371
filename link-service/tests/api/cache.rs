use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::Barrier;

use crate::helpers::*;

#[tokio::test]
async fn a_cold_link_hit_by_200_concurrent_clicks_loads_once() {
    let t = TestApp::spawn().await;
    t.create_link(
        t.app_id,
        "flash",
        json!({"$desktop_url": "https://acme.test/flash"}),
        &[],
    )
    .await;
    // Warm the app config so only the link is cold.
    t.get(HOST, "/not-this-one", DESKTOP).await;
    let before = t
        .metric("hoplink_origin_loads_total", &[r#"kind="link""#])
        .await;

    let barrier = Arc::new(Barrier::new(200));
    let mut tasks = Vec::new();
    for _ in 0..200 {
        let (client, base, barrier) = (t.client.clone(), t.base.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            client
                .get(format!("{base}/flash"))
                .header("host", HOST)
                .header("user-agent", DESKTOP)
                .send()
                .await
                .map(|r| r.status().as_u16())
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), 302);
    }
    let loads = t
        .metric("hoplink_origin_loads_total", &[r#"kind="link""#])
        .await
        - before;
    assert_eq!(
        loads, 1.0,
        "200 concurrent misses must make exactly one origin load"
    );
}

#[tokio::test]
async fn a_changed_link_is_served_changed_within_a_second() {
    let t = TestApp::spawn().await;
    t.create_link(
        t.app_id,
        "live",
        json!({"$desktop_url": "https://acme.test/v1"}),
        &[],
    )
    .await;
    assert_eq!(
        location(&t.get(HOST, "/live", DESKTOP).await),
        "https://acme.test/v1"
    );

    let started = Instant::now();
    sqlx::query("UPDATE links SET data = '{\"$desktop_url\": \"https://acme.test/v2\"}', version = version + 1 WHERE app_id = $1 AND code = 'live'")
        .bind(t.app_id.get())
        .execute(&t.shard_pool(t.app_id))
        .await
        .unwrap();
    let changed = wait_until(Duration::from_secs(1), || async {
        location(&t.get(HOST, "/live", DESKTOP).await) == "https://acme.test/v2"
    })
    .await;
    assert!(changed, "change not served within 1 s");
    eprintln!("change served after {:?}", started.elapsed());

    // Soft delete -> 410.
    sqlx::query("UPDATE links SET deleted_at = now() WHERE app_id = $1 AND code = 'live'")
        .bind(t.app_id.get())
        .execute(&t.shard_pool(t.app_id))
        .await
        .unwrap();
    assert!(
        wait_until(Duration::from_secs(1), || async {
            t.get(HOST, "/live", DESKTOP).await.status() == 410
        })
        .await
    );
}

#[tokio::test]
async fn unknown_codes_are_cached_as_absent_until_created() {
    let t = TestApp::spawn().await;
    t.get(HOST, "/warm", DESKTOP).await; // config
    let before = t
        .metric(
            "hoplink_origin_loads_total",
            &[r#"kind="link""#, r#"outcome="not_found""#],
        )
        .await;
    for _ in 0..20 {
        assert_eq!(t.get(HOST, "/ghost", DESKTOP).await.status(), 404);
    }
    let loads = t
        .metric(
            "hoplink_origin_loads_total",
            &[r#"kind="link""#, r#"outcome="not_found""#],
        )
        .await
        - before;
    assert_eq!(
        loads, 1.0,
        "repeated unknown code reached the shard {loads} times"
    );
    assert!(
        t.metric(
            "hoplink_cache_requests_total",
            &[r#"result="negative_hit""#]
        )
        .await
            >= 19.0
    );

    // Creating it invalidates the negative entry.
    t.create_link(t.app_id, "ghost", json!({}), &[]).await;
    assert!(
        wait_until(Duration::from_secs(1), || async {
            t.get(HOST, "/ghost", DESKTOP).await.status() == 302
        })
        .await
    );
}

#[tokio::test]
async fn purging_a_tag_drops_every_cached_link_with_it() {
    let t = TestApp::spawn().await;
    for code in ["m1", "m2"] {
        t.create_link(
            t.app_id,
            code,
            json!({"$desktop_url": "https://acme.test/old"}),
            &["match-7"],
        )
        .await;
    }
    t.create_link(
        t.app_id,
        "keep",
        json!({"$desktop_url": "https://acme.test/old"}),
        &["other"],
    )
    .await;
    for code in ["m1", "m2", "keep"] {
        assert_eq!(
            location(&t.get(HOST, &format!("/{code}"), DESKTOP).await),
            "https://acme.test/old"
        );
    }
    // Change all three without notifications (as a bulk import would), then purge the tag.
    let pool = t.shard_pool(t.app_id);
    let mut conn = pool.acquire().await.unwrap();
    sqlx::query("SET session_replication_role = replica")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE links SET data = '{\"$desktop_url\": \"https://acme.test/new\"}' WHERE app_id = $1",
    )
    .bind(t.app_id.get())
    .execute(&mut *conn)
    .await
    .unwrap();
    sqlx::query("RESET session_replication_role")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("SELECT pg_notify('hoplink_links', 'tag ' || $1 || ' match-7')")
        .bind(t.app_id.get())
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    for code in ["m1", "m2"] {
        let path = format!("/{code}");
        assert!(
            wait_until(Duration::from_secs(1), || async {
                location(&t.get(HOST, &path, DESKTOP).await) == "https://acme.test/new"
            })
            .await,
            "{code} not purged"
        );
    }
    assert_eq!(
        location(&t.get(HOST, "/keep", DESKTOP).await),
        "https://acme.test/old",
        "untagged link kept"
    );
}

/// Origin loads for one pass of desktop clicks over `codes`.
async fn loads_for_pass(t: &TestApp, codes: &[String]) -> f64 {
    let before = t
        .metric("hoplink_origin_loads_total", &[r#"kind="link""#])
        .await;
    for code in codes {
        assert_eq!(
            t.get(HOST, &format!("/{code}"), DESKTOP).await.status(),
            302
        );
    }
    t.metric("hoplink_origin_loads_total", &[r#"kind="link""#])
        .await
        - before
}

#[tokio::test]
async fn the_cache_holds_links_by_the_memory_they_take_not_by_their_count() {
    // 96 KiB in all: 90 KiB for links, room for about 90 small links or 10 large ones.
    let t = TestApp::spawn_with(Options {
        configure: Some(|c| c.cache.cache_max_bytes = 96 * 1024),
        ..Options::default()
    })
    .await;
    let blob = "x".repeat(8_000);
    let small: Vec<String> = (0..60).map(|i| format!("small{i}")).collect();
    let large: Vec<String> = (0..60).map(|i| format!("large{i}")).collect();
    for code in &small {
        let data = json!({"$desktop_url": format!("https://acme.test/{code}")});
        t.create_link(t.app_id, code, data, &[]).await;
    }
    for code in &large {
        let data = json!({"$desktop_url": format!("https://acme.test/{code}"), "blob": blob});
        t.create_link(t.app_id, code, data, &[]).await;
    }
    t.get(HOST, "/warm-the-config", DESKTOP).await;

    assert_eq!(loads_for_pass(&t, &small).await, 60.0);
    assert_eq!(
        loads_for_pass(&t, &small).await,
        0.0,
        "60 small links (about 60 KB) fit in 90 KiB"
    );

    assert_eq!(loads_for_pass(&t, &large).await, 60.0);
    // Let moka's housekeeping (run on later operations) settle the evictions.
    tokio::time::sleep(Duration::from_millis(600)).await;
    t.get(HOST, "/warm-the-config", DESKTOP).await;
    let reloads = loads_for_pass(&t, &large).await;
    assert!(
        reloads >= 40.0,
        "60 links of 8 KB cannot stay in 90 KiB; only {reloads} of them were reloaded"
    );
}
