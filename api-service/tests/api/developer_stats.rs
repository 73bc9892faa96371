//! `GET /api/v1/stats` and `GET /api/v1/links/{code}/stats` over seeded rollups.

use chrono::{Days, NaiveDate, Utc};
use serde_json::{Value, json};

use crate::developer_support::{code, create_link, field, get};
use crate::helpers::{ANDROID_CHROME, HOST, IPHONE, Options, TestApp};
use crate::sdk_support::{post_with, wait_for_count};

const COUNTRY_HEADER: &str = "cf-ipcountry";
const SLACKBOT: &str = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)";

async fn link_id(t: &TestApp, code: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM links WHERE app_id = $1 AND code = $2")
        .bind(t.acme.app_id.get())
        .bind(code)
        .fetch_one(&t.shard_pool(t.acme.app_id))
        .await
        .unwrap()
}

/// Writes a rollup row on acme's shard (`app` may be another app, to test the filter).
async fn seed(t: &TestApp, app: i64, day: NaiveDate, link: i64, platform: &str, counts: [i64; 4]) {
    sqlx::query(
        "INSERT INTO link_stats_daily (app_id, day, link_id, platform, clicks, bot_views, installs, opens) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(app)
    .bind(day)
    .bind(link)
    .bind(platform)
    .bind(counts[0])
    .bind(counts[1])
    .bind(counts[2])
    .bind(counts[3])
    .execute(&t.shard_pool(t.acme.app_id))
    .await
    .unwrap();
}

fn counts(clicks: i64, bot_views: i64, installs: i64, opens: i64) -> Value {
    json!({"clicks": clicks, "bot_views": bot_views, "installs": installs, "opens": opens})
}

fn row(day: Option<&str>, platform: Option<&str>, c: Value) -> Value {
    let mut row = c;
    if let Some(day) = day {
        row["day"] = json!(day);
    }
    if let Some(platform) = platform {
        row["platform"] = json!(platform);
    }
    row
}

#[tokio::test]
async fn stats_by_day_platform_and_link() {
    let t = TestApp::spawn().await;
    let key = t.acme.secret_key.as_str();
    create_link(&t, key, json!({"alias": "a"})).await;
    create_link(&t, key, json!({"alias": "b"})).await;
    let (a, b) = (link_id(&t, "a").await, link_id(&t, "b").await);
    let app = t.acme.app_id.get();
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    seed(&t, app, d("2026-05-01"), a, "ios", [10, 1, 2, 3]).await;
    seed(&t, app, d("2026-05-01"), a, "android", [5, 0, 1, 1]).await;
    seed(&t, app, d("2026-05-02"), a, "ios", [7, 0, 0, 2]).await;
    seed(&t, app, d("2026-05-01"), b, "desktop", [4, 2, 0, 0]).await;
    seed(&t, app, d("2026-05-02"), 0, "ios", [0, 0, 3, 5]).await; // organic
    seed(&t, app, d("2026-04-30"), a, "ios", [100, 0, 0, 0]).await; // outside the range
    seed(
        &t,
        t.other.app_id.get(),
        d("2026-05-01"),
        a,
        "ios",
        [1000, 0, 0, 0],
    )
    .await; // another app

    let range = "from=2026-05-01&to=2026-05-02";
    let (status, stats) = get(&t, &format!("/api/v1/stats?{range}"), key).await;
    assert_eq!(status, 200, "{stats}");
    assert_eq!(
        stats,
        json!({
            "from": "2026-05-01", "to": "2026-05-02", "link": null, "group_by": ["day"],
            "totals": counts(26, 3, 6, 11),
            "rows": [row(Some("2026-05-01"), None, counts(19, 3, 3, 4)), row(Some("2026-05-02"), None, counts(7, 0, 3, 7))]
        })
    );
    let (_, stats) = get(&t, &format!("/api/v1/stats?{range}&group_by=platform"), key).await;
    assert_eq!(
        stats["rows"],
        json!([
            row(None, Some("android"), counts(5, 0, 1, 1)),
            row(None, Some("desktop"), counts(4, 2, 0, 0)),
            row(None, Some("ios"), counts(17, 1, 5, 10)),
        ])
    );
    assert_eq!(stats["totals"], counts(26, 3, 6, 11));
    let (_, ios) = get(&t, &format!("/api/v1/stats?{range}&platform=ios"), key).await;
    assert_eq!(ios["platform"], "ios");
    assert_eq!(ios["totals"], counts(17, 1, 5, 10));
    assert_eq!(
        ios["rows"],
        json!([
            row(Some("2026-05-01"), None, counts(10, 1, 2, 3)),
            row(Some("2026-05-02"), None, counts(7, 0, 3, 7)),
        ])
    );
    let (_, stats) = get(
        &t,
        &format!("/api/v1/stats?{range}&group_by=day,platform"),
        key,
    )
    .await;
    assert_eq!(stats["group_by"], json!(["day", "platform"]));
    assert_eq!(
        stats["rows"],
        json!([
            row(Some("2026-05-01"), Some("android"), counts(5, 0, 1, 1)),
            row(Some("2026-05-01"), Some("desktop"), counts(4, 2, 0, 0)),
            row(Some("2026-05-01"), Some("ios"), counts(10, 1, 2, 3)),
            row(Some("2026-05-02"), Some("ios"), counts(7, 0, 3, 7)),
        ])
    );

    let by_link = json!({
        "from": "2026-05-01", "to": "2026-05-02", "link": "a", "group_by": ["day"],
        "totals": counts(22, 1, 3, 6),
        "rows": [row(Some("2026-05-01"), None, counts(15, 1, 3, 4)), row(Some("2026-05-02"), None, counts(7, 0, 0, 2))]
    });
    assert_eq!(
        get(&t, &format!("/api/v1/stats?{range}&link=a"), key).await,
        (200, by_link.clone())
    );
    assert_eq!(
        get(&t, &format!("/api/v1/links/a/stats?{range}"), key).await,
        (200, by_link)
    );

    // The other app sees none of this.
    let (_, theirs) = get(&t, &format!("/api/v1/stats?{range}"), &t.other.secret_key).await;
    assert_eq!(
        (&theirs["totals"], &theirs["rows"]),
        (&counts(0, 0, 0, 0), &json!([]))
    );
}

#[tokio::test]
async fn ranges_default_to_the_last_30_days_and_are_validated() {
    let t = TestApp::spawn().await;
    let key = t.acme.secret_key.as_str();
    let today = Utc::now().date_naive();
    let app = t.acme.app_id.get();
    seed(&t, app, today, 0, "ios", [1, 0, 0, 0]).await;
    seed(&t, app, today - Days::new(29), 0, "ios", [10, 0, 0, 0]).await;
    seed(&t, app, today - Days::new(30), 0, "ios", [100, 0, 0, 0]).await;
    let (status, stats) = get(&t, "/api/v1/stats", key).await;
    assert_eq!(status, 200);
    assert_eq!(stats["to"], json!(today.to_string()));
    assert_eq!(stats["from"], json!((today - Days::new(29)).to_string()));
    assert_eq!(stats["totals"]["clicks"], 11);

    for (query, expected) in [
        ("from=2026-05-02&to=2026-05-01", "from"),
        ("from=2025-01-01&to=2026-01-02", "to"),
        ("from=yesterday", "from"),
        ("to=2026-02-30", "to"),
        ("group_by=hour", "group_by"),
        ("group_by=day,", "group_by"),
    ] {
        let (status, problem) = get(&t, &format!("/api/v1/stats?{query}"), key).await;
        assert_eq!((status, field(&problem)), (400, expected), "{query}");
        let (status, _) = get(&t, &format!("/api/v1/links/x/stats?{query}"), key).await;
        assert_eq!(status, 400, "links/x/stats?{query}");
    }
    for path in [
        "/api/v1/stats?link=nope",
        "/api/v1/links/nope/stats",
        "/api/v1/stats?link=bad%20code",
    ] {
        let (status, problem) = get(&t, path, key).await;
        assert_eq!((status, code(&problem)), (404, "not_found"), "{path}");
    }
}

/// Both services believe the test's loopback peer and read its country header.
fn countries_from_loopback(config: &mut api_service::ApiServiceConfig) {
    config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    config.country_header = Some(COUNTRY_HEADER.parse().unwrap());
}

fn link_countries_from_loopback(config: &mut link_service::LinkServiceConfig) {
    config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    config.country_header = Some(COUNTRY_HEADER.parse().unwrap());
}

async fn click_from(t: &TestApp, code: &str, user_agent: &str, country: Option<&str>) {
    let mut request = t
        .client
        .get(format!("{}/{code}", t.link))
        .header("host", HOST)
        .header("user-agent", user_agent);
    if let Some(country) = country {
        request = request.header(COUNTRY_HEADER, country);
    }
    let status = request.send().await.unwrap().status();
    assert!(status.is_redirection() || status.is_success(), "{status}");
}

fn by_country(country: Option<&str>, c: Value) -> Value {
    let mut row = c;
    row["country"] = json!(country);
    row
}

#[tokio::test]
async fn clicks_installs_and_opens_by_country_from_the_proxys_header() {
    let t = TestApp::spawn_with(Options {
        configure: Some(countries_from_loopback),
        configure_link: Some(link_countries_from_loopback),
        ..Options::default()
    })
    .await;
    let key = t.acme.secret_key.as_str();
    create_link(&t, key, json!({"alias": "trip"})).await;
    click_from(&t, "trip", IPHONE, Some("DE")).await;
    click_from(&t, "trip", ANDROID_CHROME, Some("de")).await;
    click_from(&t, "trip", ANDROID_CHROME, Some("BR")).await;
    click_from(&t, "trip", IPHONE, Some("XX")).await; // Cloudflare's "unknown"
    click_from(&t, "trip", IPHONE, None).await;
    click_from(&t, "trip", SLACKBOT, Some("US")).await;
    let app = t.acme.app_id;
    let stored = wait_for_count(&t, app, "SELECT count(*) FROM clicks WHERE app_id = $1", 6).await;
    assert_eq!(stored, 6);
    let raw: Vec<Option<String>> = sqlx::query_scalar(
        "SELECT country FROM clicks WHERE app_id = $1 ORDER BY country NULLS FIRST",
    )
    .bind(app.get())
    .fetch_all(&t.shard_pool(app))
    .await
    .unwrap();
    let de = || Some("DE".to_owned());
    assert_eq!(
        raw,
        [None, None, Some("BR".into()), de(), de(), Some("US".into())]
    );

    // An organic install in Germany, an organic open from nowhere known: from another
    // address than the clicks', so neither is matched to them.
    let sdk = json!({"branch_key": t.acme.sdk_key, "os": "iOS", "os_version": "17.4"});
    let elsewhere = ("x-forwarded-for", "203.0.113.9");
    let (status, body) = post_with(
        &t,
        "/v1/install",
        &sdk,
        &[elsewhere, (COUNTRY_HEADER, "DE")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post_with(&t, "/v1/open", &sdk, &[elsewhere]).await;
    assert_eq!(status, 200, "{body}");
    let sessions = "SELECT (SELECT count(*) FROM installs WHERE app_id = $1) \
                    + (SELECT count(*) FROM opens WHERE app_id = $1)";
    assert_eq!(wait_for_count(&t, app, sessions, 2).await, 2);

    let (status, stats) = get(&t, "/api/v1/stats?group_by=country", key).await;
    assert_eq!(status, 200, "{stats}");
    assert_eq!(stats["group_by"], json!(["country"]));
    assert_eq!(
        stats["rows"],
        json!([
            by_country(None, counts(2, 0, 0, 1)),
            by_country(Some("BR"), counts(1, 0, 0, 0)),
            by_country(Some("DE"), counts(2, 0, 1, 0)),
            by_country(Some("US"), counts(0, 1, 0, 0)),
        ])
    );
    // The same activity, however it is split.
    let (_, by_day) = get(&t, "/api/v1/stats", key).await;
    assert_eq!(stats["totals"], counts(5, 1, 1, 1));
    assert_eq!(by_day["totals"], stats["totals"]);
    let (_, one_link) = get(&t, "/api/v1/links/trip/stats?group_by=day,country", key).await;
    assert_eq!(one_link["group_by"], json!(["day", "country"]));
    assert_eq!(one_link["totals"], counts(5, 1, 0, 0));
    assert!(
        one_link["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|row| row["day"].is_string() && row.get("country").is_some()),
        "{one_link}"
    );
    assert_eq!(one_link["rows"].as_array().unwrap().len(), 4, "{one_link}");

    let (status, refused) = get(&t, "/api/v1/stats?group_by=platform,country", key).await;
    assert_eq!((status, field(&refused)), (400, "group_by"), "{refused}");

    // One country only, by day.
    let (status, germany) = get(&t, "/api/v1/stats?country=de", key).await;
    assert_eq!(status, 200, "{germany}");
    assert_eq!(germany["country"], "DE");
    assert_eq!(germany["totals"], counts(2, 0, 1, 0));
    let (_, germany_link) = get(&t, "/api/v1/links/trip/stats?country=DE", key).await;
    assert_eq!(germany_link["totals"], counts(2, 0, 0, 0));
    for (query, bad) in [
        ("country=DE&group_by=platform", "group_by"),
        ("platform=ios&group_by=country", "group_by"),
        ("platform=ios&country=DE", "country"),
        ("country=Germany", "country"),
        ("platform=tv", "platform"),
    ] {
        let (status, refused) = get(&t, &format!("/api/v1/stats?{query}"), key).await;
        assert_eq!((status, field(&refused)), (400, bad), "{query}: {refused}");
    }
}
