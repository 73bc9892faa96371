use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn an_unreachable_shard_serves_cached_links_and_fails_fast_for_the_rest() {
    let t = TestApp::spawn_with(Options {
        proxy_first_shard: true,
        ..Options::default()
    })
    .await;
    t.create_link(
        t.app_id,
        "cached",
        json!({"$desktop_url": "https://acme.test/cached"}),
        &[],
    )
    .await;
    t.create_link(
        t.app_id,
        "cold",
        json!({"$desktop_url": "https://acme.test/cold"}),
        &[],
    )
    .await;
    t.create_link(
        t.other_app_id,
        "elsewhere",
        json!({"$desktop_url": "https://other.test/x"}),
        &[],
    )
    .await;
    assert_eq!(
        location(&t.get(HOST, "/cached", DESKTOP).await),
        "https://acme.test/cached"
    );

    t.proxy.as_ref().unwrap().cut();

    // Cached links keep redirecting.
    for _ in 0..5 {
        assert_eq!(
            location(&t.get(HOST, "/cached", DESKTOP).await),
            "https://acme.test/cached"
        );
    }
    // The first uncached look-up may wait for the origin timeout; after that the breaker is
    // open and uncached links get the app's fallback at once.
    let first = t.get(HOST, "/cold", DESKTOP).await;
    assert_eq!(first.status(), 302);
    assert_eq!(location(&first), "https://acme.test/");
    for code in ["cold", "cold2", "cold3"] {
        let started = Instant::now();
        let response = t.get(HOST, &format!("/{code}"), DESKTOP).await;
        let took = started.elapsed();
        assert_eq!(response.status(), 302, "{code}");
        assert_eq!(location(&response), "https://acme.test/");
        assert!(took < Duration::from_millis(100), "{code} took {took:?}");
    }
    // The other shard's app is unaffected.
    assert_eq!(
        location(&t.get(OTHER_HOST, "/elsewhere", DESKTOP).await),
        "https://other.test/x"
    );

    // Recovery once the shard is back (after the breaker's cool-down).
    t.proxy.as_ref().unwrap().restore();
    let recovered = wait_until(Duration::from_secs(5), || async {
        location(&t.get(HOST, "/cold", DESKTOP).await) == "https://acme.test/cold"
    })
    .await;
    assert!(
        recovered,
        "uncached link not served after the shard came back"
    );
}

#[tokio::test]
async fn without_a_cached_config_or_fallback_the_answer_is_503_with_retry_after() {
    let t = TestApp::spawn_with(Options {
        proxy_first_shard: true,
        ..Options::default()
    })
    .await;
    t.proxy.as_ref().unwrap().cut();
    let response = t.get(HOST, "/anything", DESKTOP).await;
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn an_unreadable_link_gets_the_fallback_and_does_not_open_its_shards_breaker() {
    let t = TestApp::spawn().await;
    t.create_link(t.app_id, "broken", json!({}), &[]).await;
    t.create_link(
        t.app_id,
        "fine",
        json!({"$desktop_url": "https://acme.test/fine"}),
        &[],
    )
    .await;
    // Postgres accepts this number and writes it back as 309 digits, which serde_json
    // cannot read: the row exists and cannot be loaded. The API refuses such data now;
    // rows written before, or by hand, remain possible.
    sqlx::query(
        r#"UPDATE links SET data = '{"n": 1.7976931348623157e308}' WHERE app_id = $1 AND code = 'broken'"#,
    )
    .bind(t.app_id.get())
    .execute(&t.shard_pool(t.app_id))
    .await
    .unwrap();

    // Well past the breaker's threshold of consecutive failures.
    for _ in 0..6 {
        let response = t.get(HOST, "/broken", DESKTOP).await;
        assert_eq!(response.status(), 302);
        assert_eq!(location(&response), "https://acme.test/");
    }
    // An uncached link on the same shard still loads.
    assert_eq!(
        location(&t.get(HOST, "/fine", DESKTOP).await),
        "https://acme.test/fine"
    );
    assert!(
        t.metric(
            "hoplink_origin_loads_total",
            &[r#"kind="link""#, r#"outcome="unreadable""#]
        )
        .await
            >= 6.0
    );
}

#[tokio::test]
async fn a_shard_that_fails_again_after_a_reconnect_still_has_its_links_served_stale() {
    let t = TestApp::spawn_with(Options {
        proxy_first_shard: true,
        ..Options::default()
    })
    .await;
    t.create_link(
        t.app_id,
        "flap",
        json!({"$desktop_url": "https://acme.test/before"}),
        &[],
    )
    .await;
    assert_eq!(
        location(&t.get(HOST, "/flap", DESKTOP).await),
        "https://acme.test/before"
    );
    let resyncs = || async {
        t.metric("hoplink_cache_invalidations_total", &[r#"cause="resync""#])
            .await
    };
    let stale = || async {
        t.metric(
            "hoplink_cache_requests_total",
            &[r#"cache="link""#, r#"result="stale""#],
        )
        .await
    };
    assert_eq!(resyncs().await, 0.0);

    // The link changes while this service's change listener is cut off: it misses the
    // notification.
    let proxy = t.proxy.as_ref().unwrap();
    proxy.cut();
    let direct = sqlx::PgPool::connect(&t._dbs.shard_urls[0]).await.unwrap();
    sqlx::query(
        "UPDATE links SET data = '{\"$desktop_url\": \"https://acme.test/after\"}', \
         version = version + 1 WHERE app_id = $1 AND code = 'flap'",
    )
    .bind(t.app_id.get())
    .execute(&direct)
    .await
    .unwrap();

    // The shard comes back just long enough for the listener to reconnect, then fails again
    // before anyone asks for the link.
    proxy.restore();
    assert!(
        wait_until(Duration::from_secs(10), || async { resyncs().await >= 1.0 }).await,
        "the change listener reconnected"
    );
    proxy.cut();
    // Nothing fresh can be had: the last known link is served, not the app's fallback.
    assert_eq!(
        location(&t.get(HOST, "/flap", DESKTOP).await),
        "https://acme.test/before"
    );
    assert!(stale().await >= 1.0);

    // Back for good: the reconnect expired the entry, so the missed change is read.
    proxy.restore();
    assert!(
        wait_until(Duration::from_secs(5), || async {
            location(&t.get(HOST, "/flap", DESKTOP).await) == "https://acme.test/after"
        })
        .await,
        "the change missed during the outage is served once the shard is back"
    );
}
