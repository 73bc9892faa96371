use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Barrier;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::helpers::*;

/// What a Branch SDK builds offline: labels, `source`, and the data as base64 JSON (its
/// `+` and `/` left unescaped, as the iOS SDK leaves them).
fn sdk_long_link(data: &Value) -> String {
    format!(
        "/a/key_live_abcdefghijklmnopqrstuvwxyz012345?tags=spring&channel=sms&feature=share&\
         type=0&source=ios&data={}",
        STANDARD.encode(data.to_string())
    )
}

/// id, code, data, channel, feature, tags
type LinkRow = (
    i64,
    String,
    Value,
    Option<String>,
    Option<String>,
    Vec<String>,
);

async fn scalar<T>(t: &TestApp, sql: &'static str) -> T
where
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin,
{
    sqlx::query_scalar(sql)
        .fetch_one(&t.shard_pool(t.app_id))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_branch_long_link_answers_like_a_link_and_becomes_one_row() {
    let t = TestApp::spawn().await;
    let data = json!({
        "$desktop_url": "https://acme.test/item/7",
        "$deeplink_path": "item/7",
        "article": "jan / 7 + more",
    });
    let path = format!("{}&utm_source=push", sdk_long_link(&data));

    let desktop = t.get(HOST, &path, DESKTOP).await;
    assert_eq!(desktop.status(), 302);
    assert_eq!(
        location(&desktop),
        "https://acme.test/item/7?utm_source=push"
    );
    let android = location(&t.get(HOST, &path, ANDROID_CHROME).await);
    assert!(
        android.starts_with("intent://item/7?utm_source=push&link_click_id="),
        "{android}"
    );

    // One row, labelled as the SDK wrote it, with the data but not the tracking pair.
    let rows: Vec<LinkRow> =
        sqlx::query_as("SELECT id, code, data, channel, feature, tags FROM links")
            .fetch_all(&t.shard_pool(t.app_id))
            .await
            .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    let (link_id, code, stored, channel, feature, tags) = rows.into_iter().next().unwrap();
    assert_eq!(stored, data);
    assert_eq!(channel.as_deref(), Some("sms"));
    assert_eq!(feature.as_deref(), Some("share"));
    assert_eq!(tags, ["spring"]);

    // Both clicks are recorded against it.
    let recorded = wait_until(Duration::from_secs(5), || async {
        scalar::<i64>(&t, "SELECT count(*) FROM clicks").await == 2
    })
    .await;
    assert!(recorded, "two clicks expected");
    let ids: Vec<i64> = sqlx::query_scalar("SELECT DISTINCT link_id FROM clicks")
        .fetch_all(&t.shard_pool(t.app_id))
        .await
        .unwrap();
    assert_eq!(ids, [link_id]);

    // The same link with its parameters in another order, and its derived short code,
    // are that row.
    let reordered = format!(
        "/?feature=share&data={}&channel=sms&tags=spring&utm_source=email",
        url_encoded(&STANDARD.encode(data.to_string()))
    );
    assert_eq!(
        location(&t.get(HOST, &reordered, DESKTOP).await),
        "https://acme.test/item/7?utm_source=email"
    );
    assert_eq!(
        location(&t.get(HOST, &format!("/{code}"), DESKTOP).await),
        "https://acme.test/item/7"
    );
    assert_eq!(scalar::<i64>(&t, "SELECT count(*) FROM links").await, 1);
    assert_eq!(
        t.metric("hoplink_long_links_total", &["outcome=\"created\""])
            .await,
        1.0
    );

    // Deleting the row through the shard (as the API does) makes the long link answer
    // as a deleted link.
    sqlx::query("UPDATE links SET deleted_at = now(), version = version + 1")
        .execute(&t.shard_pool(t.app_id))
        .await
        .unwrap();
    let gone = wait_until(Duration::from_secs(5), || async {
        t.get(HOST, &path, DESKTOP).await.status() == 410
    })
    .await;
    assert!(gone, "a deleted long link still resolves");
}

fn url_encoded(raw: &str) -> String {
    url::form_urlencoded::byte_serialize(raw.as_bytes()).collect()
}

#[tokio::test]
async fn concurrent_first_clicks_make_one_row() {
    let t = TestApp::spawn().await;
    let path = sdk_long_link(&json!({"$desktop_url": "https://acme.test/flash"}));
    // Every request is in flight before any row exists.
    let barrier = Arc::new(Barrier::new(60));
    let mut tasks = Vec::new();
    for _ in 0..60 {
        let (client, url, barrier) = (
            t.client.clone(),
            format!("{}{path}", t.base),
            barrier.clone(),
        );
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let response = client
                .get(url)
                .header("host", HOST)
                .header("user-agent", DESKTOP)
                .send()
                .await
                .unwrap();
            location(&response)
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), "https://acme.test/flash");
    }
    assert_eq!(scalar::<i64>(&t, "SELECT count(*) FROM links").await, 1);
    let created = t
        .metric("hoplink_long_links_total", &["outcome=\"created\""])
        .await;
    assert_eq!(created, 1.0);
    let recorded = wait_until(Duration::from_secs(5), || async {
        scalar::<i64>(&t, "SELECT count(*) FROM clicks").await == 60
    })
    .await;
    assert!(recorded, "every click is recorded against the one row");
}

#[tokio::test]
async fn bots_and_head_requests_are_answered_without_a_row() {
    let t = TestApp::spawn().await;
    let path = format!(
        "/?$og_title={}&$desktop_url={}",
        url_encoded("Spring <sale>"),
        url_encoded("https://acme.test/spring")
    );
    let preview = t.get(HOST, &path, SLACKBOT).await;
    assert_eq!(preview.status(), 200);
    let body = preview.text().await.unwrap();
    assert!(body.contains("Spring &lt;sale&gt;"), "{body}");
    assert!(
        body.contains(r#"og:url" content="http://go.acme.test/?$og_title="#),
        "{body}"
    );
    // A long link too long to show names its derived code's URL, and the page stays small.
    let big = format!("/?$og_title=Big&pad={}", "p".repeat(6000));
    let body = t.get(HOST, &big, SLACKBOT).await.text().await.unwrap();
    assert!(body.len() < 8192, "{} bytes", body.len());
    let og_url = body
        .split(r#"og:url" content=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    let code = og_url.strip_prefix("http://go.acme.test/").unwrap();
    assert_eq!(code.len(), 22, "{og_url}");
    let head = t
        .client
        .head(format!("{}{path}", t.base))
        .header("Host", HOST)
        .header("User-Agent", DESKTOP)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 302);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(scalar::<i64>(&t, "SELECT count(*) FROM links").await, 0);
    assert_eq!(scalar::<i64>(&t, "SELECT count(*) FROM clicks").await, 0);
}

#[tokio::test]
async fn bad_long_links_get_a_clear_answer() {
    let t = TestApp::spawn().await;
    for path in [
        "/a/key_live_x?data=%25%25%25",
        "/a/key_live_x?data=WzFd",
        "/a/key_live_x?type=7",
        "/?$fallback_url=javascript%3Aalert(1)",
        "/?$deeplink_path=other%3A%2F%2Fx",
        "/?channel=a%00b",
        // Only to the app's own sites: anything else would make its domain an open
        // redirect.
        "/?$desktop_url=https%3A%2F%2Fevil.test%2Flogin",
        "/?link=https%3A%2F%2Fevil.test%2Flogin&apn=com.acme.app",
    ] {
        let response = t.get(HOST, path, IPHONE).await;
        assert_eq!(response.status(), 400, "{path}");
        let csp = response.headers().get("content-security-policy");
        assert!(csp.is_some(), "{path}");
    }
    // Not a key: not a long link.
    for path in [
        "/a/whatever?x=1",
        "/a/key_live_x/more?x=1",
        "/a/?x=1",
        "/a/key_live_%00?x=1",
    ] {
        assert_eq!(t.get(HOST, path, DESKTOP).await.status(), 404, "{path}");
    }
    assert_eq!(
        t.get("nowhere.test", "/?coupon=1", DESKTOP).await.status(),
        404
    );
    // A visit to the bare domain with only tracking parameters is a visit to the site.
    assert_eq!(
        location(&t.get(HOST, "/?utm_source=ad&fbclid=z", DESKTOP).await),
        "https://acme.test/"
    );
    assert_eq!(scalar::<i64>(&t, "SELECT count(*) FROM links").await, 0);
    assert_eq!(
        t.metric("hoplink_long_links_total", &["outcome=\"invalid\""])
            .await,
        8.0
    );
    // A partner site the app lists in `long_link_hosts`, and its subdomains, are its own.
    assert_eq!(
        location(
            &t.get(
                HOST,
                "/?$desktop_url=https%3A%2F%2Fshop.partner.test%2Fx",
                DESKTOP
            )
            .await
        ),
        "https://shop.partner.test/x"
    );
}

#[tokio::test]
async fn a_long_link_still_redirects_while_its_shard_is_down() {
    let t = TestApp::spawn_with(Options {
        proxy_first_shard: true,
        ..Options::default()
    })
    .await;
    // The app's config is cached by a first click.
    t.get(HOST, "/?coupon=warm", DESKTOP).await;
    t.proxy.as_ref().unwrap().cut();
    let path = format!("/?$desktop_url={}", url_encoded("https://acme.test/down"));
    let first = t.get(HOST, &path, DESKTOP).await;
    assert_eq!(location(&first), "https://acme.test/down");
    let started = Instant::now();
    let again = t
        .get(
            HOST,
            "/?$desktop_url=https%3A%2F%2Facme.test%2Fdown2",
            DESKTOP,
        )
        .await;
    assert_eq!(location(&again), "https://acme.test/down2");
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "{:?}",
        started.elapsed()
    );
    assert!(
        t.metric("hoplink_long_links_total", &["outcome=\"unsaved\""])
            .await
            >= 2.0
    );
}

#[tokio::test]
async fn firebase_dynamic_links_long_links_keep_working() {
    let t = TestApp::spawn().await;
    t.create_link(
        t.app_id,
        "own",
        json!({"$desktop_url": "https://acme.test/own"}),
        &[],
    )
    .await;
    let path = format!(
        "/?link={}&apn=com.acme.app&ibi=com.acme.app&isi=1234567890&efr=1&st={}&\
         afl={}&utm_source=mail&utm_campaign=spring",
        url_encoded("https://acme.test/item/7?ref=fdl"),
        url_encoded("Item 7"),
        url_encoded("https://acme.test/android-web")
    );
    assert_eq!(
        location(&t.get(HOST, &path, DESKTOP).await),
        "https://acme.test/item/7?ref=fdl&utm_source=mail&utm_campaign=spring"
    );
    let android = location(&t.get(HOST, &path, ANDROID_CHROME).await);
    assert!(
        android.starts_with(
            "intent://item/7?ref=fdl&utm_source=mail&utm_campaign=spring&link_click_id="
        ),
        "{android}"
    );
    assert!(
        android.contains("S.browser_fallback_url=https%3A%2F%2Facme.test%2Fandroid-web"),
        "{android}"
    );
    let preview = t.get(HOST, &path, SLACKBOT).await.text().await.unwrap();
    assert!(preview.contains("<title>Item 7</title>"), "{preview}");
    // Under a path prefix, as on a Firebase custom domain: the same link, the same row.
    for prefixed in [format!("/links{path}"), path.replacen("/?", "/links?", 1)] {
        assert_eq!(
            location(&t.get(HOST, &prefixed, DESKTOP).await),
            "https://acme.test/item/7?ref=fdl&utm_source=mail&utm_campaign=spring",
            "{prefixed}"
        );
    }
    let rows = scalar::<i64>(&t, "SELECT count(*) FROM links WHERE code <> 'own'").await;
    assert_eq!(rows, 1);
    // A prefix that is a link's own code stays that link.
    let own = location(&t.get(HOST, &format!("/own{path}"), DESKTOP).await);
    assert!(own.starts_with("https://acme.test/own?"), "{own}");

    // The app reads the deep link from the link's data after an install, as FDL gave it.
    let (data, channel, campaign): (Value, Option<String>, Option<String>) =
        sqlx::query_as("SELECT data, channel, campaign FROM links WHERE code <> 'own'")
            .fetch_one(&t.shard_pool(t.app_id))
            .await
            .unwrap();
    // FDL's analytics parameters label the link, as they grouped its clicks in Firebase.
    assert_eq!(channel.as_deref(), Some("mail"));
    assert_eq!(campaign.as_deref(), Some("spring"));
    assert_eq!(data["link"], "https://acme.test/item/7?ref=fdl");
    assert_eq!(data.get("apn"), None);
    assert_eq!(data.get("utm_source"), None);
}

#[tokio::test]
async fn new_long_links_are_rationed_per_app() {
    let t = TestApp::spawn_with(Options {
        configure: Some(|config| config.long_link_rows_per_sec = 1),
        ..Options::default()
    })
    .await;
    // A burst of ten rows, then the ration: the rest are answered, not stored.
    for n in 0..14 {
        let path = format!(
            "/?$desktop_url={}",
            url_encoded(&format!("https://acme.test/{n}"))
        );
        let response = t.get(HOST, &path, DESKTOP).await;
        assert_eq!(location(&response), format!("https://acme.test/{n}"));
    }
    let stored = scalar::<i64>(&t, "SELECT count(*) FROM links").await;
    assert!((10..=11).contains(&stored), "{stored} rows");
    assert!(
        t.metric("hoplink_long_links_total", &["outcome=\"unsaved\""])
            .await
            >= 3.0
    );
    // Another app's ration is its own.
    let other = t
        .get(
            OTHER_HOST,
            "/?$desktop_url=https%3A%2F%2Fother.test%2Fx",
            DESKTOP,
        )
        .await;
    assert_eq!(location(&other), "https://other.test/x");
    let other_rows: i64 = sqlx::query_scalar("SELECT count(*) FROM links")
        .fetch_one(&t.shard_pool(t.other_app_id))
        .await
        .unwrap();
    assert_eq!(other_rows, 1);
}

/// Branch's long link on an existing link: control keys appended to a short link.
#[tokio::test]
async fn control_keys_appended_to_a_short_link_override_it_for_that_click() {
    let t = TestApp::spawn().await;
    let data = json!({
        "$desktop_url": "https://acme.test/sale",
        "$deeplink_path": "sale",
        "$og_title": "Sale",
    });
    t.create_link(t.app_id, "sale", data, &[]).await;

    // One of the app's own sites wins over the link's; the tracking pair is carried.
    let appended = "/sale?utm_source=mail&%24desktop_url=https%3A%2F%2Fshop.acme.test%2Fspring";
    let desktop = t.get(HOST, appended, DESKTOP).await;
    assert_eq!(desktop.status(), 302);
    assert_eq!(
        location(&desktop),
        "https://shop.acme.test/spring?utm_source=mail"
    );
    let android = location(
        &t.get(HOST, "/sale?$deeplink_path=sale%2Fspring", ANDROID_CHROME)
            .await,
    );
    assert!(android.starts_with("intent://sale/spring?"), "{android}");
    let preview = t
        .get(HOST, "/sale?%24og_title=Spring%20%3Csale%3E", SLACKBOT)
        .await;
    assert_eq!(preview.status(), 200);
    let page = preview.text().await.unwrap();
    assert!(page.contains("Spring &lt;sale&gt;"), "{page}");
    assert!(!page.contains(">Sale<"), "{page}");
    // Without them the link is its own, and the counting keys are never taken.
    let plain = t
        .get(HOST, "/sale?$deeplink_no_attribution=true", DESKTOP)
        .await;
    assert_eq!(location(&plain), "https://acme.test/sale");

    // Off the app's sites, or not a URL: refused with the error page, nothing recorded.
    for bad in [
        "/sale?$desktop_url=https%3A%2F%2Fevil.example%2F",
        "/sale?$fallback_url=javascript%3Aalert(1)",
        "/sale?$uri_redirect_mode=9",
    ] {
        let response = t.get(HOST, bad, DESKTOP).await;
        assert_eq!(response.status(), 400, "{bad}");
        assert!(location(&response).is_empty(), "{bad}");
    }
    let refused = t
        .metric(
            "hoplink_link_requests_total",
            &["outcome=\"bad_request\"", "platform=\"other\""],
        )
        .await;
    assert_eq!(refused, 3.0);
    let long = t
        .metric("hoplink_long_links_total", &["outcome=\"invalid\""])
        .await;
    assert_eq!(long, 0.0, "no long link was met");

    // The person's clicks are recorded, the appended destination kept with its click.
    let recorded = wait_until(Duration::from_secs(5), || async {
        scalar::<i64>(&t, "SELECT count(*) FROM clicks WHERE NOT is_bot").await == 3
    })
    .await;
    assert!(recorded, "three clicks expected");
    let stored: Vec<Option<String>> =
        sqlx::query_scalar("SELECT query FROM clicks WHERE NOT is_bot ORDER BY occurred_at")
            .fetch_all(&t.shard_pool(t.app_id))
            .await
            .unwrap();
    assert_eq!(
        stored,
        [
            Some("utm_source=mail&%24desktop_url=https%3A%2F%2Fshop.acme.test%2Fspring".to_owned()),
            Some("%24deeplink_path=sale%2Fspring".to_owned()),
            None,
        ]
    );

    // A change to the link is served with the same appended query at once.
    sqlx::query(
        "UPDATE links SET data = '{\"$desktop_url\": \"https://acme.test/v2\"}', \
         version = version + 1 WHERE code = 'sale'",
    )
    .execute(&t.shard_pool(t.app_id))
    .await
    .unwrap();
    let changed = wait_until(Duration::from_secs(1), || async {
        let answer = t.get(HOST, "/sale?$web_only=true", DESKTOP).await;
        location(&answer) == "https://acme.test/v2"
    })
    .await;
    assert!(changed, "change not served within 1 s");

    // A deleted link is gone whatever is appended to it.
    sqlx::query("UPDATE links SET deleted_at = now(), version = version + 1 WHERE code = 'sale'")
        .execute(&t.shard_pool(t.app_id))
        .await
        .unwrap();
    let gone = wait_until(Duration::from_secs(1), || async {
        let answer = t.get(
            HOST,
            "/sale?$desktop_url=https%3A%2F%2Fevil.example%2F",
            DESKTOP,
        );
        answer.await.status() == 410
    })
    .await;
    assert!(gone, "a deleted link with appended keys should answer 410");
}
