use std::time::Duration;

use serde_json::json;

use crate::helpers::*;

async fn count(t: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&t.shard_pool(t.app_id))
        .await
        .unwrap()
}

#[tokio::test]
async fn clicks_are_recorded_with_daily_rollups() {
    let t = TestApp::spawn().await;
    t.create_link(t.app_id, "c", json!({}), &[]).await;
    for ua in [IPHONE, IPHONE, ANDROID_CHROME, DESKTOP, SLACKBOT] {
        t.get(HOST, "/c", ua).await;
    }
    let written = wait_until(Duration::from_secs(5), || async {
        count(&t, "SELECT count(*) FROM clicks").await == 5
    })
    .await;
    assert!(written, "5 click rows expected");
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT platform, clicks, bot_views FROM link_stats_daily WHERE day = current_date ORDER BY platform",
    )
    .fetch_all(&t.shard_pool(t.app_id))
    .await
    .unwrap();
    let get = |p: &str| {
        rows.iter()
            .find(|r| r.0 == p)
            .map(|r| (r.1, r.2))
            .unwrap_or_default()
    };
    assert_eq!(get("ios").0, 2);
    assert_eq!(get("android").0, 1);
    let desktop = get("desktop");
    let other = get("other");
    assert_eq!(desktop.0, 1);
    assert_eq!(desktop.1 + other.1, 1, "the bot is a bot view, not a click");
    assert_eq!(
        count(&t, "SELECT count(*) FROM clicks WHERE is_bot").await,
        1
    );
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM clicks WHERE NOT is_bot AND fingerprint IS NOT NULL"
        )
        .await,
        4
    );
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM clicks WHERE NOT is_bot AND browser_id IS NOT NULL"
        )
        .await,
        4
    );
}

#[tokio::test]
async fn shutdown_flushes_queued_clicks() {
    let mut t = TestApp::spawn_with(Options {
        // Long enough that nothing is flushed before the stop.
        configure: Some(|c| c.events.events_flush_interval_ms = 60_000),
        ..Options::default()
    })
    .await;
    t.create_link(t.app_id, "c", json!({}), &[]).await;
    for _ in 0..25 {
        assert_eq!(t.get(HOST, "/c", DESKTOP).await.status(), 302);
    }
    t.stop().await;
    assert_eq!(count(&t, "SELECT count(*) FROM clicks").await, 25);
    assert_eq!(
        count(
            &t,
            "SELECT coalesce(sum(clicks), 0)::bigint FROM link_stats_daily"
        )
        .await,
        25
    );
}

#[tokio::test]
async fn clicks_a_down_shard_could_not_take_by_shutdown_are_written_after_a_restart() {
    let spool = std::env::temp_dir().join(format!("hoplink-spool-{}", uuid::Uuid::new_v4()));
    let mut t = TestApp::spawn_with(Options {
        proxy_first_shard: true,
        spool_dir: Some(spool.clone()),
        configure: Some(|c| c.events.events_drain_deadline_ms = 500),
        ..Options::default()
    })
    .await;
    t.create_link(t.app_id, "sale", json!({}), &[]).await;
    // The first click caches the link and is written.
    assert_eq!(t.get(HOST, "/sale", DESKTOP).await.status(), 302);
    assert!(
        wait_until(Duration::from_secs(5), || async {
            count(&t, "SELECT count(*) FROM clicks").await == 1
        })
        .await
    );

    t.proxy.as_ref().unwrap().cut();
    for _ in 0..20 {
        assert_eq!(t.get(HOST, "/sale", IPHONE).await.status(), 302);
    }
    t.stop().await;
    let spooled: Vec<_> = std::fs::read_dir(spool.join("click")).unwrap().collect();
    assert!(spooled.len() > 1, "the lock file and the clicks' file");

    t.proxy.as_ref().unwrap().restore();
    t.restart().await;
    assert!(
        wait_until(Duration::from_secs(15), || async {
            count(&t, "SELECT count(*) FROM clicks").await == 21
        })
        .await,
        "the spooled clicks are written by the next process"
    );
    assert_eq!(
        count(
            &t,
            "SELECT coalesce(sum(clicks), 0)::bigint FROM link_stats_daily"
        )
        .await,
        21
    );
    assert_eq!(
        t.metric("hoplink_events_replayed_total", &["kind=\"click\""])
            .await,
        20.0
    );
    let _ = std::fs::remove_dir_all(spool);
}

#[tokio::test]
async fn a_one_time_link_resolves_for_its_first_click_only() {
    let t = TestApp::spawn().await;
    t.insert_link(
        t.app_id,
        link_store::links::NewLink {
            alias: Some(link_core::LinkCode::parse("once").unwrap()),
            link_type: link_core::LinkType::OneTime,
            ..Default::default()
        },
    )
    .await;
    t.create_link(t.app_id, "many", json!({}), &[]).await;

    // A chat app's preview fetch is not the person's click: it uses nothing up.
    assert_eq!(t.get(HOST, "/once", SLACKBOT).await.status(), 200);
    let bot_written = wait_until(Duration::from_secs(5), || async {
        count(&t, "SELECT count(*) FROM clicks WHERE is_bot").await == 1
    })
    .await;
    assert!(bot_written);
    assert_eq!(t.get(HOST, "/once", IPHONE).await.status(), 302);

    // Once that click is written, every link service answers as for an expired link.
    let used_up = wait_until(Duration::from_secs(5), || async {
        t.get(HOST, "/once", ANDROID_CHROME).await.status() == 410
    })
    .await;
    assert!(
        used_up,
        "the one-time link still resolves after its first click"
    );
    let expired: bool = sqlx::query_scalar(
        "SELECT expires_at <= now() FROM links WHERE app_id = $1 AND code = 'once'",
    )
    .bind(t.app_id.get())
    .fetch_one(&t.shard_pool(t.app_id))
    .await
    .unwrap();
    assert!(expired);

    // Ordinary links are not used up.
    for _ in 0..3 {
        assert_eq!(t.get(HOST, "/many", IPHONE).await.status(), 302);
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(t.get(HOST, "/many", IPHONE).await.status(), 302);
}

/// The iOS page's button sends the person to the alternate domain with the click's id;
/// without the app, that request is the same click again: stored, counted once.
#[tokio::test]
async fn a_click_relayed_through_the_alternate_domain_is_counted_once() {
    let t = TestApp::spawn().await;
    shard_router::catalog::apps::add_domain(
        &t.router,
        t.app_id,
        &link_core::Host::parse("alt.acme.test").unwrap(),
        true,
    )
    .await
    .unwrap();
    t.create_link(t.app_id, "relay", json!({"$ios_uri_redirect_mode": 2}), &[])
        .await;
    // The service routes the new domain (and knows its role: one catalog change) once
    // its association file is served there; that request records no click.
    assert!(
        wait_until(Duration::from_secs(5), || async {
            t.get(
                "alt.acme.test",
                "/.well-known/apple-app-site-association",
                IPHONE,
            )
            .await
            .status()
                == 200
        })
        .await
    );
    let stats = "SELECT coalesce(sum(clicks), 0)::bigint FROM link_stats_daily";
    let rows = "SELECT count(*) FROM clicks";
    let settled = |want: i64| {
        let t = &t;
        async move {
            wait_until(Duration::from_secs(5), || async {
                count(t, rows).await == want
            })
            .await
        }
    };

    let page = t.get(HOST, "/relay", IPHONE).await.text().await.unwrap();
    let start = page
        .find("href=\"http://alt.acme.test/relay?")
        .unwrap_or_else(|| panic!("no button to the alternate domain: {page}"))
        + 6;
    let button = page[start..page[start..].find('"').unwrap() + start].replace("&amp;", "&");
    assert!(settled(1).await);
    assert_eq!(count(&t, stats).await, 1);

    let path = button.strip_prefix("http://alt.acme.test").unwrap();
    let relayed = t.get("alt.acme.test", path, IPHONE).await;
    assert_eq!(relayed.status(), 200);
    assert!(settled(2).await, "the relayed click is stored");
    assert_eq!(count(&t, stats).await, 1, "and not counted again");

    // A click on the alternate domain without a click id counts as any click.
    t.get("alt.acme.test", "/relay", IPHONE).await;
    assert!(settled(3).await);
    assert_eq!(count(&t, stats).await, 2);
}

#[tokio::test]
async fn clicks_are_exported_to_the_event_stream_after_they_are_written() {
    let Some(nats) = link_store::export::testing::TestNats::start("clicks_are_exported").await
    else {
        return;
    };
    let mut t = TestApp::spawn_with(Options {
        export_nats_url: Some(nats.url()),
        ..Options::default()
    })
    .await;
    t.insert_link(
        t.app_id,
        link_store::links::NewLink {
            alias: Some(link_core::LinkCode::parse("spring").unwrap()),
            channel: Some("push".into()),
            campaign: Some("spring-sale".into()),
            ..Default::default()
        },
    )
    .await;
    for ua in [IPHONE, ANDROID_CHROME, SLACKBOT] {
        t.get(HOST, "/spring?utm_source=push&utm_medium=notification", ua)
            .await;
    }
    // Not a link: nothing to export.
    assert_eq!(t.get(HOST, "/nope", IPHONE).await.status(), 404);

    let subject = format!("hoplink.events.click.{}", t.app_id.get());
    let mut records: Vec<serde_json::Value> = nats
        .records("HOPLINK_EVENTS", &subject, 3, Duration::from_secs(10))
        .await
        .into_iter()
        .map(|(_, record)| record)
        .collect();
    records.sort_by_key(|r| r["platform"].as_str().unwrap_or_default().to_owned());
    let summary: Vec<(&str, bool, &str, &str)> = records
        .iter()
        .map(|r| {
            (
                r["platform"].as_str().unwrap(),
                r["bot"].as_bool().unwrap(),
                r["link"]["code"].as_str().unwrap(),
                r["link"]["campaign"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(summary.len(), 3, "{records:?}");
    assert!(
        summary.contains(&("ios", false, "spring", "spring-sale")),
        "{summary:?}"
    );
    assert!(
        summary.contains(&("android", false, "spring", "spring-sale")),
        "{summary:?}"
    );
    assert!(
        summary.iter().any(|s| s.1),
        "the Slack preview is a bot view: {summary:?}"
    );
    let ios = records.iter().find(|r| r["platform"] == "ios").unwrap();
    assert_eq!(ios["query"], "utm_source=push&utm_medium=notification");
    assert_eq!(ios["link"]["channel"], "push");
    assert!(ios.get("fingerprint").is_none() && ios.get("browser_id").is_none());
    // The stored row and the record name the same click.
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM clicks WHERE id = $1::uuid")
        .bind(ios["id"].as_str().unwrap())
        .fetch_one(&t.shard_pool(t.app_id))
        .await
        .unwrap();
    assert_eq!(stored, 1);

    // A click queued at shutdown is written, then exported, before the service exits.
    t.get(HOST, "/spring", DESKTOP).await;
    t.stop().await;
    let records = nats
        .records("HOPLINK_EVENTS", &subject, 4, Duration::from_secs(5))
        .await;
    assert_eq!(records.len(), 4);
}
