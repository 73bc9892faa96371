//! Safari on an iPad sends a Mac's User-Agent: the device check tells the two apart in the
//! browser, and the click is recorded once, as the device the check found.

use std::time::Duration;

use serde_json::json;

use crate::helpers::*;

const MAC_SAFARI: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 \
                          (KHTML, like Gecko) Version/17.4 Safari/605.1.15";

/// Whether the shard holds `n` click rows within 5 s (they are written in batches).
async fn clicks_reach(pool: &sqlx::PgPool, n: i64) -> bool {
    wait_until(Duration::from_secs(5), || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM clicks")
            .fetch_one(pool)
            .await
            .unwrap()
            == n
    })
    .await
}

#[tokio::test]
async fn safari_claiming_a_mac_is_asked_and_answered_as_what_it_is() {
    let t = TestApp::spawn().await;
    t.create_link(t.app_id, "promo", json!({"$deeplink_path": "p/1"}), &[])
        .await;

    let check = t.get(HOST, "/promo/?utm_source=push", MAC_SAFARI).await;
    assert_eq!(check.status(), 200);
    assert!(check.headers().get("set-cookie").is_none());
    let csp = check.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.starts_with("default-src 'none'; script-src 'sha256-"),
        "{csp}"
    );
    assert_eq!(check.headers()["cache-control"], "no-store");
    let body = check.text().await.unwrap();
    for target in [
        r#"id="mac" href="/promo?utm_source=push&amp;hl_device=mac""#,
        r#"id="ipad" hidden href="/promo?utm_source=push&amp;hl_device=ipad""#,
        r#"<meta http-equiv="refresh" content="0;url=/promo?utm_source=push&amp;hl_device=mac">"#,
    ] {
        assert!(body.contains(target), "{target} missing: {body}");
    }
    assert_eq!(
        t.metric(
            "hoplink_link_requests_total",
            &[r#"outcome="device_check""#]
        )
        .await,
        1.0
    );

    let ipad = t
        .get(HOST, "/promo?utm_source=push&hl_device=ipad", MAC_SAFARI)
        .await;
    assert_eq!(ipad.status(), 302);
    let cookies: Vec<&str> = ipad
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(
        cookies.iter().any(|c| c.starts_with("hl_bid=")),
        "{cookies:?}"
    );
    assert!(
        cookies.contains(&"hl_dev=ipad; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax"),
        "{cookies:?}"
    );
    let loc = location(&ipad);
    assert!(
        loc.starts_with("https://apps.apple.com/app/id1234567890")
            && loc.contains("utm_source=push"),
        "{loc}"
    );
    assert!(!loc.contains("hl_device"), "{loc}");

    let mac = t
        .get(HOST, "/promo?utm_source=push&hl_device=mac", MAC_SAFARI)
        .await;
    assert_eq!(mac.status(), 302);
    assert_eq!(location(&mac), "https://acme.test/desktop?utm_source=push");

    // Only Safari claiming a Mac takes the hint.
    let iphone = t.get(HOST, "/promo?hl_device=mac", IPHONE).await;
    assert!(
        location(&iphone).starts_with("https://apps.apple.com/"),
        "{}",
        location(&iphone)
    );
    let chrome = t.get(HOST, "/promo?hl_device=ipad", DESKTOP).await;
    assert_eq!(location(&chrome), "https://acme.test/desktop");

    let pool = t.shard_pool(t.app_id);
    assert!(
        clicks_reach(&pool, 4).await,
        "four clicks: the check itself records none"
    );
    let rows: Vec<(String, String, Option<String>, Vec<u8>)> = sqlx::query_as(
        "SELECT platform, os, os_version, fingerprint FROM clicks \
         WHERE browser IS NOT NULL ORDER BY occurred_at",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let shape: Vec<_> = rows
        .iter()
        .map(|(p, o, v, _)| (p.as_str(), o.as_str(), v.as_deref()))
        .collect();
    assert_eq!(
        shape[..2],
        [
            ("ios", "ios", Some("17.4")),
            ("desktop", "macos", Some("10.15")),
        ]
    );
    // The iPad's fingerprint is an iOS one, as its app's install will compute: the same
    // address as the iPhone's click, and unlike the Mac's.
    assert_eq!(rows[0].3, rows[2].3);
    assert_ne!(rows[0].3, rows[1].3);
}

#[tokio::test]
async fn no_check_when_an_ipad_would_get_the_same_answer() {
    let t = TestApp::spawn().await;
    t.create_link(
        t.app_id,
        "web",
        json!({"$web_only": true, "$fallback_url": "https://acme.test/same",
               "$desktop_url": "https://acme.test/same"}),
        &[],
    )
    .await;
    let answer = t.get(HOST, "/web", MAC_SAFARI).await;
    assert_eq!(answer.status(), 302);
    assert_eq!(location(&answer), "https://acme.test/same");

    // A hint too long for the page's budget: answered as a Mac rather than not at all.
    t.create_link(t.app_id, "big", json!({}), &[]).await;
    let long = format!("/big?q={}", "x".repeat(9000));
    let answer = t.get(HOST, &long, MAC_SAFARI).await;
    assert_eq!(answer.status(), 302);
    assert!(location(&answer).starts_with("https://acme.test/desktop"));
}

#[tokio::test]
async fn a_long_link_is_checked_too_and_stays_one_link() {
    let t = TestApp::spawn().await;
    let path =
        "/?$deeplink_path=item%2F7&$desktop_url=https%3A%2F%2Facme.test%2Fitem%2F7&utm_source=push";

    let check = t.get(HOST, path, MAC_SAFARI).await;
    assert_eq!(check.status(), 200);
    let body = check.text().await.unwrap();
    let back = "/?$deeplink_path=item%2F7&amp;$desktop_url=https%3A%2F%2Facme.test%2Fitem%2F7&amp;utm_source=push&amp;hl_device=";
    assert!(
        body.contains(&format!("id=\"ipad\" hidden href=\"{back}ipad\"")),
        "{body}"
    );

    let ipad = t
        .get(HOST, &format!("{path}&hl_device=ipad"), MAC_SAFARI)
        .await;
    assert_eq!(ipad.status(), 302);
    let loc = location(&ipad);
    assert!(
        loc.starts_with("https://apps.apple.com/") && !loc.contains("hl_device"),
        "{loc}"
    );
    let mac = t
        .get(HOST, &format!("{path}&hl_device=mac"), MAC_SAFARI)
        .await;
    assert_eq!(location(&mac), "https://acme.test/item/7?utm_source=push");

    // The hint is no part of the link: both answers are clicks on one row.
    let pool = t.shard_pool(t.app_id);
    assert!(clicks_reach(&pool, 2).await, "two clicks expected");
    let links: i64 = sqlx::query_scalar("SELECT count(*) FROM links")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(links, 1);
    let data: serde_json::Value = sqlx::query_scalar("SELECT data FROM links")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(data.get("hl_device").is_none(), "{data}");
}

/// A GET as Safari claiming a Mac, sending `cookie`.
async fn with_cookie(t: &TestApp, path: &str, cookie: &str) -> reqwest::Response {
    t.client
        .get(format!("{}{path}", t.base))
        .header("host", HOST)
        .header("user-agent", MAC_SAFARI)
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_answer_is_kept_so_the_browser_is_asked_once() {
    let t = TestApp::spawn().await;
    t.create_link(t.app_id, "promo", json!({}), &[]).await;

    let ipad = with_cookie(&t, "/promo?x=1", "hl_dev=ipad").await;
    assert_eq!(ipad.status(), 302);
    assert!(
        location(&ipad).starts_with("https://apps.apple.com/"),
        "{}",
        location(&ipad)
    );
    assert!(
        ipad.headers()
            .get_all("set-cookie")
            .iter()
            .all(|c| !c.to_str().unwrap().starts_with("hl_dev=")),
        "a kept answer is not set again"
    );
    let mac = with_cookie(&t, "/promo", "a=b; hl_dev=mac").await;
    assert_eq!(location(&mac), "https://acme.test/desktop");

    // A fresh answer wins over the kept one and replaces it.
    let changed = with_cookie(&t, "/promo?hl_device=ipad", "hl_dev=mac").await;
    assert!(location(&changed).starts_with("https://apps.apple.com/"));
    assert!(
        changed
            .headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("hl_dev=ipad;"))
    );

    // Anything else is no answer: the check again.
    let unknown = with_cookie(&t, "/promo", "hl_dev=tv").await;
    assert_eq!(unknown.status(), 200);
    assert!(unknown.text().await.unwrap().contains("hl_device=ipad"));
}
