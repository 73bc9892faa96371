//! `/v1/install` and `/v1/open`: the attribution matrix. Clicks are made on the link
//! service from 127.0.0.1, so a same-device SDK request is one from 127.0.0.1 with the
//! same OS family.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{ANDROID_CHROME, HOST, IPHONE, OTHER_HOST, Options, TestApp};
use crate::sdk_support::{
    click, code_of, create_url, is_claimed, link_id, post_with, problem, scalar, session,
    session_data, trust_loopback, wait_for_count,
};

fn ios() -> Value {
    json!({"os": "iOS", "os_version": "17.4", "model": "iPhone15,2", "hardware_id": "AAAA-BBBB",
           "is_hardware_id_real": true, "screen_width": 1179, "screen_height": "2556",
           "app_version": "1.0", "sdk": "ios3.4.0", "debug": false})
}

fn android() -> Value {
    json!({"os": "Android", "os_version": 34, "os_version_android": "14", "brand": "Google",
           "model": "Pixel 8", "hardware_id": "abc123", "is_hardware_id_real": "1",
           "screen_dpi": 420, "sdk": "android5.12.0"})
}

/// A link of acme with a campaign and data.
async fn campaign_link(t: &TestApp, name: &str) -> String {
    create_url(
        t,
        &t.acme.sdk_key,
        json!({"channel": "email", "feature": "onboarding", "campaign": name, "stage": "s1",
               "tags": ["t1"], "data": {"$deeplink_path": format!("promo/{name}"), "promo": name}}),
    )
    .await
}

#[tokio::test]
async fn an_install_after_a_click_from_the_same_ip_and_os_gets_the_links_data() {
    let t = TestApp::spawn().await;
    let url = campaign_link(&t, "spring").await;
    let click_id = click(&t, t.acme.app_id, HOST, code_of(&url), IPHONE).await;

    let (status, body) = session(&t, "/v1/install", &t.acme.sdk_key, ios()).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["data"].is_string(),
        "data is a JSON-encoded string: {body}"
    );
    let data = session_data(&body);
    assert_eq!(data["+clicked_branch_link"], true, "{data}");
    assert_eq!(data["+is_first_session"], true);
    assert_eq!(data["+match_guaranteed"], false);
    assert_eq!(data["~referring_link"], url.as_str());
    assert_eq!(data["~channel"], "email");
    assert_eq!(data["~feature"], "onboarding");
    assert_eq!(data["~campaign"], "spring");
    assert_eq!(data["~stage"], "s1");
    assert_eq!(data["~tags"], json!(["t1"]));
    assert_eq!(data["$deeplink_path"], "promo/spring");
    assert_eq!(data["promo"], "spring");
    let link = link_id(&t, t.acme.app_id, code_of(&url)).await;
    assert_eq!(data["~id"], link.to_string());
    assert!(data["+click_timestamp"].as_i64().unwrap() > 1_600_000_000);
    assert!(is_claimed(&t, t.acme.app_id, click_id).await);

    // Both names of both tokens, Branch-style numeric strings; a session id; a link.
    for key in [
        "randomized_bundle_token",
        "identity_id",
        "randomized_device_token",
        "device_fingerprint_id",
        "session_id",
    ] {
        let token = body[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key}: {body}"));
        assert!(
            token.len() >= 15 && token.bytes().all(|b| b.is_ascii_digit()),
            "{key}: {token}"
        );
    }
    assert_eq!(body["randomized_bundle_token"], body["identity_id"]);
    assert_eq!(
        body["randomized_device_token"],
        body["device_fingerprint_id"]
    );
    assert_eq!(
        body["randomized_device_token"],
        body["browser_fingerprint_id"]
    );
    assert!(
        body["link"]
            .as_str()
            .unwrap()
            .starts_with(&format!("https://{HOST}/?%24identity_id="))
    );
    assert_eq!(body["link_click_id"], click_id.simple().to_string());
}

#[tokio::test]
async fn an_install_after_a_long_link_click_gets_the_long_links_data() {
    let t = TestApp::spawn().await;
    // What a Branch SDK writes when it cannot reach the API to shorten a link.
    let long = format!(
        "a/{}?channel=sms&tags=t1&%24deeplink_path=promo%2Flong&promo=long&utm_source=push",
        t.acme.sdk_key
    );
    let response = t.click(HOST, &long, IPHONE).await;
    assert!(response.status().is_redirection() || response.status().is_success());
    let sql = "SELECT count(*) FROM clicks WHERE app_id = $1";
    assert_eq!(wait_for_count(&t, t.acme.app_id, sql, 1).await, 1);

    let (status, body) = session(&t, "/v1/install", &t.acme.sdk_key, ios()).await;
    assert_eq!(status, 200, "{body}");
    let data = session_data(&body);
    assert_eq!(data["+clicked_branch_link"], true, "{data}");
    assert_eq!(data["~channel"], "sms");
    assert_eq!(data["~tags"], json!(["t1"]));
    assert_eq!(data["$deeplink_path"], "promo/long");
    assert_eq!(data["promo"], "long");
    // Not part of the link (its row has no such key), but appended to it by this click:
    // the install gets it as Branch passes appended parameters.
    assert_eq!(data["utm_source"], "push", "{data}");
}

#[tokio::test]
async fn an_install_gets_the_parameters_its_click_appended_to_the_link() {
    let t = TestApp::spawn().await;
    let url = campaign_link(&t, "appended").await;
    let code = code_of(&url);
    let response = t
        .click(
            HOST,
            &format!(
                "{code}?coupon=SPRING10&promo=forged&~campaign=forged\
                 &%24deeplink_path=promo%2Fspring10&%24match_duration=1"
            ),
            IPHONE,
        )
        .await;
    assert!(response.status().is_redirection() || response.status().is_success());
    let sql = "SELECT count(*) FROM clicks WHERE app_id = $1";
    assert_eq!(wait_for_count(&t, t.acme.app_id, sql, 1).await, 1);

    let (status, body) = session(&t, "/v1/install", &t.acme.sdk_key, ios()).await;
    assert_eq!(status, 200, "{body}");
    let data = session_data(&body);
    assert_eq!(data["+clicked_branch_link"], true, "{data}");
    assert_eq!(data["coupon"], "SPRING10", "{data}");
    // The link's own data and labels win over appended pairs.
    assert_eq!(data["promo"], "appended");
    assert_eq!(data["~campaign"], "appended");
    // Its control keys win, checked as the click path checked them (Branch's long link
    // on an existing link), but never the attribution window.
    assert_eq!(data["$deeplink_path"], "promo/spring10");
    assert!(data.get("$match_duration").is_none(), "{data}");
}

#[tokio::test]
async fn another_ip_does_not_match() {
    let t = TestApp::spawn_with(Options {
        configure: Some(trust_loopback),
        ..Options::default()
    })
    .await;
    let url = campaign_link(&t, "spring").await;
    let click_id = click(&t, t.acme.app_id, HOST, code_of(&url), IPHONE).await;
    let mut body = ios();
    body["branch_key"] = json!(t.acme.sdk_key);
    let (status, answer) = post_with(
        &t,
        "/v1/install",
        &body,
        &[("x-forwarded-for", "203.0.113.9")],
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        session_data(&answer),
        json!({"+clicked_branch_link": false, "+is_first_session": true})
    );
    assert!(!is_claimed(&t, t.acme.app_id, click_id).await);

    // The same proxy forwarding for the clicking address matches.
    let (_, answer) = post_with(
        &t,
        "/v1/install",
        &body,
        &[("x-forwarded-for", "127.0.0.1")],
    )
    .await;
    assert_eq!(
        session_data(&answer)["+clicked_branch_link"],
        true,
        "{answer}"
    );
}

#[tokio::test]
async fn another_os_does_not_match() {
    let t = TestApp::spawn().await;
    let url = campaign_link(&t, "spring").await;
    let click_id = click(&t, t.acme.app_id, HOST, code_of(&url), IPHONE).await;
    let (_, body) = session(&t, "/v1/install", &t.acme.sdk_key, android()).await;
    assert_eq!(session_data(&body)["+clicked_branch_link"], false, "{body}");
    assert!(!is_claimed(&t, t.acme.app_id, click_id).await);

    // An Android click matches an Android install (API level mapped to the release).
    let android_url = campaign_link(&t, "android").await;
    click(
        &t,
        t.acme.app_id,
        HOST,
        code_of(&android_url),
        ANDROID_CHROME,
    )
    .await;
    let (_, body) = session(&t, "/v1/install", &t.acme.sdk_key, android()).await;
    assert_eq!(session_data(&body)["~campaign"], "android", "{body}");
}

#[tokio::test]
async fn a_click_past_its_links_window_does_not_match() {
    let t = TestApp::spawn().await;
    let url = create_url(
        &t,
        &t.acme.sdk_key,
        json!({"duration": 1, "data": {"k": "v"}}),
    )
    .await;
    click(&t, t.acme.app_id, HOST, code_of(&url), IPHONE).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (_, body) = session(&t, "/v1/install", &t.acme.sdk_key, ios()).await;
    assert_eq!(session_data(&body)["+clicked_branch_link"], false, "{body}");
}

#[tokio::test]
async fn a_newer_click_on_a_deleted_link_is_passed_over_for_an_older_live_one() {
    let t = TestApp::spawn().await;
    let live = campaign_link(&t, "live").await;
    let gone = campaign_link(&t, "gone").await;
    let live_click = click(&t, t.acme.app_id, HOST, code_of(&live), IPHONE).await;
    // Newer clicks of the same device on a link deleted since. Only the newest ten
    // unclaimed clicks of a fingerprint are candidates (as in the hot tier), so ten of
    // these would hide the live click; three must not.
    for _ in 0..3 {
        click(&t, t.acme.app_id, HOST, code_of(&gone), IPHONE).await;
    }
    sqlx::query("UPDATE links SET deleted_at = now() WHERE app_id = $1 AND code = $2")
        .bind(t.acme.app_id.get())
        .bind(code_of(&gone))
        .execute(&t.shard_pool(t.acme.app_id))
        .await
        .unwrap();

    let (_, body) = session(&t, "/v1/install", &t.acme.sdk_key, ios()).await;
    assert_eq!(session_data(&body)["~campaign"], "live", "{body}");
    assert!(is_claimed(&t, t.acme.app_id, live_click).await);
}

#[tokio::test]
async fn a_click_id_beats_a_fresher_fingerprint_match() {
    let t = TestApp::spawn().await;
    let a = campaign_link(&t, "a").await;
    let b = campaign_link(&t, "b").await;
    let click_a = click(&t, t.acme.app_id, HOST, code_of(&a), ANDROID_CHROME).await;
    let click_b = click(&t, t.acme.app_id, HOST, code_of(&b), ANDROID_CHROME).await;

    // The Play install referrer names A; the fingerprint's newest click is B.
    let mut body = android();
    body["link_click_id"] = json!(click_a.simple().to_string());
    body["install_referrer_extras"] =
        json!(format!("link_click_id={}&utm_source=x", click_a.simple()));
    let (_, answer) = session(&t, "/v1/install", &t.acme.sdk_key, body).await;
    let data = session_data(&answer);
    assert_eq!(data["~campaign"], "a", "{data}");
    assert_eq!(data["+match_guaranteed"], true);
    assert!(is_claimed(&t, t.acme.app_id, click_a).await);
    assert!(
        !is_claimed(&t, t.acme.app_id, click_b).await,
        "B is left for another install"
    );

    // The referrer alone (as the raw Play string) is enough too.
    let c = campaign_link(&t, "c").await;
    let click_c = click(&t, t.acme.app_id, HOST, code_of(&c), ANDROID_CHROME).await;
    let mut body = android();
    body["install_referrer_extras"] = json!(format!("link_click_id%3D{}", click_c.simple()));
    let (_, answer) = session(&t, "/v1/install", &t.acme.sdk_key, body).await;
    assert_eq!(session_data(&answer)["~campaign"], "c", "{answer}");
}

#[tokio::test]
async fn one_click_attributes_one_install() {
    let t = TestApp::spawn().await;
    let first = campaign_link(&t, "first").await;
    let second = campaign_link(&t, "second").await;
    click(&t, t.acme.app_id, HOST, code_of(&first), IPHONE).await;
    click(&t, t.acme.app_id, HOST, code_of(&second), IPHONE).await;

    let (_, one) = session(&t, "/v1/install", &t.acme.sdk_key, ios()).await;
    let (_, two) = session(&t, "/v1/install", &t.acme.sdk_key, ios()).await;
    let (_, three) = session(&t, "/v1/install", &t.acme.sdk_key, ios()).await;
    assert_eq!(session_data(&one)["~campaign"], "second", "newest first");
    assert_eq!(
        session_data(&two)["~campaign"],
        "first",
        "then the next unclaimed"
    );
    assert_eq!(
        session_data(&three)["+clicked_branch_link"],
        false,
        "then none"
    );

    // Concurrent installs never share a click.
    let third = campaign_link(&t, "third").await;
    click(&t, t.acme.app_id, HOST, code_of(&third), IPHONE).await;
    let mut body = ios();
    body["branch_key"] = json!(t.acme.sdk_key);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let request = t.client.post(format!("{}/v1/install", t.api)).json(&body);
            tokio::spawn(async move { crate::helpers::read(request.send().await.unwrap()).await })
        })
        .collect();
    let mut matched = 0;
    for task in tasks {
        let (status, answer) = task.await.unwrap();
        assert_eq!(status, 200, "{answer}");
        if session_data(&answer)["+clicked_branch_link"] == true {
            matched += 1;
        }
    }
    assert_eq!(matched, 1);
}

#[tokio::test]
async fn a_universal_link_open_is_guaranteed_and_claims_no_click() {
    let t = TestApp::spawn().await;
    let url = campaign_link(&t, "ul").await;
    let click_id = click(&t, t.acme.app_id, HOST, code_of(&url), IPHONE).await;
    let (_, install) = session(&t, "/v1/install", &t.acme.sdk_key, json!({"os": "Android"})).await;

    let mut body = ios();
    body["randomized_bundle_token"] = install["randomized_bundle_token"].clone();
    body["randomized_device_token"] = install["randomized_device_token"].clone();
    body["universal_link_url"] = json!(url);
    let (status, open) = session(&t, "/v1/open", &t.acme.sdk_key, body).await;
    assert_eq!(status, 200, "{open}");
    let data = session_data(&open);
    assert_eq!(data["+clicked_branch_link"], true, "{data}");
    assert_eq!(data["+match_guaranteed"], true);
    assert_eq!(data["+is_first_session"], false);
    assert_eq!(data["~campaign"], "ul");
    assert!(data.get("+click_timestamp").is_none());
    assert!(!is_claimed(&t, t.acme.app_id, click_id).await);
    assert_eq!(
        open["randomized_bundle_token"], install["randomized_bundle_token"],
        "known tokens are echoed"
    );
    assert_eq!(
        open["randomized_device_token"],
        install["randomized_device_token"]
    );
    assert_ne!(open["session_id"], install["session_id"]);

    // Android App Links name their link the same way.
    let mut body = android();
    body["android_app_link_url"] = json!(format!("{url}?utm_source=x"));
    body["randomized_bundle_token"] = json!("4611686018427387904");
    let (_, open) = session(&t, "/v1/open", &t.acme.sdk_key, body).await;
    assert_eq!(session_data(&open)["~campaign"], "ul", "{open}");

    // Parameters appended to the link reach the app in its data, as Branch passes them;
    // they cannot relabel the link. Its control keys override the link's, as on a click.
    let mut body = ios();
    body["universal_link_url"] = json!(format!(
        "{url}?coupon=SPRING10&~campaign=forged&$deeplink_path=promo%2Fx"
    ));
    let (_, open) = session(&t, "/v1/open", &t.acme.sdk_key, body).await;
    let data = session_data(&open);
    assert_eq!(data["coupon"], "SPRING10", "{data}");
    assert_eq!(data["~campaign"], "ul");
    assert_eq!(data["$deeplink_path"], "promo/x", "{data}");

    // Control keys the click path would refuse (a destination off the app's sites) are
    // all left out; the rest of the URL still counts.
    let mut body = ios();
    body["universal_link_url"] = json!(format!(
        "{url}?coupon=SPRING10&$deeplink_path=promo%2Fx\
         &$fallback_url=https%3A%2F%2Fevil.example%2F"
    ));
    let (_, open) = session(&t, "/v1/open", &t.acme.sdk_key, body).await;
    let data = session_data(&open);
    assert_eq!(data["coupon"], "SPRING10", "{data}");
    assert_eq!(data["$deeplink_path"], "promo/ul", "{data}");
    assert!(data.get("$fallback_url").is_none(), "{data}");
}

#[tokio::test]
async fn a_uri_scheme_open_carries_its_click_id() {
    let t = TestApp::spawn().await;
    let url = campaign_link(&t, "scheme").await;
    let click_id = click(&t, t.acme.app_id, HOST, code_of(&url), ANDROID_CHROME).await;
    let mut body = android();
    body["randomized_bundle_token"] = json!("4611686018427387904");
    body["external_intent_uri"] = json!(format!(
        "acme://promo/scheme?link_click_id={}",
        click_id.simple()
    ));
    let (_, open) = session(&t, "/v1/open", &t.acme.sdk_key, body).await;
    let data = session_data(&open);
    assert_eq!(data["~campaign"], "scheme", "{open}");
    assert_eq!(data["+match_guaranteed"], true);
    assert_eq!(data["+is_first_session"], false);
    assert!(is_claimed(&t, t.acme.app_id, click_id).await);

    // iOS puts it in link_identifier; an already claimed click still answers its device.
    let mut body = ios();
    body["randomized_bundle_token"] = json!("4611686018427387904");
    body["link_identifier"] = json!(click_id.simple().to_string());
    let (_, open) = session(&t, "/v1/open", &t.acme.sdk_key, body).await;
    assert_eq!(session_data(&open)["~campaign"], "scheme", "{open}");
}

#[tokio::test]
async fn opens_match_by_fingerprint_only_in_a_first_session() {
    let t = TestApp::spawn().await;
    let url = campaign_link(&t, "later").await;
    let click_id = click(&t, t.acme.app_id, HOST, code_of(&url), IPHONE).await;

    // A known install's organic open: no fingerprint matching, not a first session.
    let mut known = ios();
    known["randomized_bundle_token"] = json!("4611686018427387904");
    known["randomized_device_token"] = json!("4611686018427387905");
    let (_, open) = session(&t, "/v1/open", &t.acme.sdk_key, known).await;
    assert_eq!(
        session_data(&open),
        json!({"+clicked_branch_link": false, "+is_first_session": false})
    );
    assert_eq!(open["randomized_bundle_token"], "4611686018427387904");
    assert_eq!(open["identity_id"], "4611686018427387904");
    assert_eq!(open["randomized_device_token"], "4611686018427387905");
    assert!(!is_claimed(&t, t.acme.app_id, click_id).await);

    // An open without a token (Android's "bnc_no_value" counts as none) is a first session.
    let mut unknown = ios();
    unknown["randomized_bundle_token"] = json!("bnc_no_value");
    let (_, open) = session(&t, "/v1/open", &t.acme.sdk_key, unknown).await;
    let data = session_data(&open);
    assert_eq!(data["~campaign"], "later", "{open}");
    assert_eq!(data["+is_first_session"], true);
    assert_ne!(open["randomized_bundle_token"], "bnc_no_value");
}

#[tokio::test]
async fn one_app_never_sees_another_apps_clicks_or_links() {
    let t = TestApp::spawn().await;
    let url = campaign_link(&t, "mine").await;
    let click_id = click(&t, t.acme.app_id, HOST, code_of(&url), IPHONE).await;

    let mut body = ios();
    body["link_click_id"] = json!(click_id.simple().to_string());
    body["universal_link_url"] = json!(url);
    let (status, answer) = session(&t, "/v1/install", &t.other.sdk_key, body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        session_data(&answer)["+clicked_branch_link"],
        false,
        "{answer}"
    );
    assert!(!is_claimed(&t, t.acme.app_id, click_id).await);
    assert!(
        answer["link"]
            .as_str()
            .unwrap()
            .starts_with(&format!("https://{OTHER_HOST}/"))
    );

    // And acme still gets its click.
    let (_, answer) = session(&t, "/v1/install", &t.acme.sdk_key, ios()).await;
    assert_eq!(session_data(&answer)["~campaign"], "mine", "{answer}");
}

#[derive(sqlx::FromRow)]
struct StoredInstall {
    match_type: String,
    click_id: Option<uuid::Uuid>,
    link_id: Option<i64>,
    platform: String,
    os_version: Option<String>,
    device_model: Option<String>,
    bundle_token: String,
}

#[tokio::test]
async fn installs_and_opens_land_in_the_shard_with_rollups_and_browser_marks() {
    let t = TestApp::spawn().await;
    let app = t.acme.app_id;
    let url = campaign_link(&t, "rollup").await;
    let link = link_id(&t, app, code_of(&url)).await;
    let click_id = click(&t, app, HOST, code_of(&url), IPHONE).await;
    let browser: Option<uuid::Uuid> =
        sqlx::query_scalar("SELECT browser_id FROM clicks WHERE id = $1")
            .bind(click_id)
            .fetch_one(&t.shard_pool(app))
            .await
            .unwrap();
    assert!(browser.is_some(), "a person's click carries a browser id");

    let (_, matched) = session(&t, "/v1/install", &t.acme.sdk_key, ios()).await;
    assert_eq!(session_data(&matched)["+clicked_branch_link"], true);
    let (_, organic) = session(&t, "/v1/install", &t.acme.sdk_key, android()).await;
    let mut open = android();
    open["randomized_bundle_token"] = organic["randomized_bundle_token"].clone();
    open["randomized_device_token"] = organic["randomized_device_token"].clone();
    session(&t, "/v1/open", &t.acme.sdk_key, open.clone()).await;
    session(&t, "/v1/open", &t.acme.sdk_key, open).await;

    let installs = "SELECT count(*) FROM installs WHERE app_id = $1";
    assert_eq!(wait_for_count(&t, app, installs, 2).await, 2);
    let opens = "SELECT count(*) FROM opens WHERE app_id = $1";
    assert_eq!(wait_for_count(&t, app, opens, 2).await, 2);
    let row: StoredInstall = sqlx::query_as(
        "SELECT match_type, click_id, link_id, platform, os_version, device_model, bundle_token \
         FROM installs WHERE app_id = $1 AND match_type <> 'none'",
    )
    .bind(app.get())
    .fetch_one(&t.shard_pool(app))
    .await
    .unwrap();
    assert_eq!(row.match_type, "probabilistic");
    assert_eq!(row.click_id, Some(click_id));
    assert_eq!(row.link_id, Some(link));
    assert_eq!(row.platform, "ios");
    assert_eq!(row.os_version.as_deref(), Some("17.4"));
    assert_eq!(row.device_model.as_deref(), Some("iPhone15,2"));
    assert_eq!(
        row.bundle_token,
        matched["randomized_bundle_token"].as_str().unwrap()
    );
    let session_ids: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT session_id) FROM opens WHERE app_id = $1 AND bundle_token = $2",
    )
    .bind(app.get())
    .bind(organic["randomized_bundle_token"].as_str().unwrap())
    .fetch_one(&t.shard_pool(app))
    .await
    .unwrap();
    assert_eq!(session_ids, 2);

    let rollup = |column: &str, link: i64, platform: &str| {
        format!(
            "SELECT coalesce(sum({column}), 0)::bigint FROM link_stats_daily \
             WHERE app_id = $1 AND link_id = {link} AND platform = '{platform}'"
        )
    };
    assert_eq!(
        wait_for_count(&t, app, &rollup("installs", link, "ios"), 1).await,
        1
    );
    assert_eq!(
        wait_for_count(&t, app, &rollup("installs", 0, "android"), 1).await,
        1
    );
    assert_eq!(
        wait_for_count(&t, app, &rollup("opens", 0, "android"), 2).await,
        2
    );
    assert_eq!(
        wait_for_count(&t, app, &rollup("clicks", link, "ios"), 1).await,
        1
    );

    let marked = format!(
        "SELECT count(*) FROM browser_apps WHERE app_id = $1 AND browser_id = '{}'",
        browser.unwrap()
    );
    assert_eq!(wait_for_count(&t, app, &marked, 1).await, 1);
}

#[tokio::test]
async fn a_universal_link_to_a_path_alias_names_its_link() {
    let t = TestApp::spawn().await;
    let url = create_url(
        &t,
        &t.acme.sdk_key,
        json!({"alias": "shoes/red/42", "campaign": "paths", "data": {"sku": "42"}}),
    )
    .await;
    assert!(url.ends_with("/shoes/red/42"), "{url}");
    for opened in [url.clone(), format!("{url}/?utm_source=mail")] {
        let mut body = ios();
        body["universal_link_url"] = json!(opened);
        let (status, open) = session(&t, "/v1/open", &t.acme.sdk_key, body).await;
        assert_eq!(status, 200, "{open}");
        let data = session_data(&open);
        assert_eq!(data["+clicked_branch_link"], true, "{opened}: {data}");
        assert_eq!(data["~campaign"], "paths");
        assert_eq!(data["sku"], "42");
    }
}

#[tokio::test]
async fn a_facebook_app_links_open_gets_the_shared_links_data() {
    let t = TestApp::spawn().await;
    let url = campaign_link(&t, "fb").await;
    // What Facebook opens the app with, from the link preview's `al:ios:url`.
    let data = serde_json::to_string(&json!({"target_url": url, "version": "1.0"})).unwrap();
    let uri = url::Url::parse_with_params("acme://promo/fb", [("al_applink_data", data)]).unwrap();
    let mut body = ios();
    body["external_intent_uri"] = json!(uri.as_str());
    let (status, open) = session(&t, "/v1/open", &t.acme.sdk_key, body).await;
    assert_eq!(status, 200, "{open}");
    let data = session_data(&open);
    assert_eq!(data["+clicked_branch_link"], true, "{data}");
    assert_eq!(data["~campaign"], "fb");
    assert_eq!(data["$deeplink_path"], "promo/fb");
}

/// `$deeplink_no_attribution`: the install still gets the link's data, but neither the
/// click nor the install is counted for the link.
#[tokio::test]
async fn a_link_without_attribution_deep_links_but_takes_no_credit() {
    let t = TestApp::spawn().await;
    let app = t.acme.app_id;
    let url = create_url(
        &t,
        &t.acme.sdk_key,
        json!({"channel": "email", "data": {"$deeplink_path": "sign-in",
               "$deeplink_no_attribution": true}}),
    )
    .await;
    let click_id = click(&t, app, HOST, code_of(&url), IPHONE).await;

    let (status, body) = session(&t, "/v1/install", &t.acme.sdk_key, ios()).await;
    assert_eq!(status, 200, "{body}");
    let data = session_data(&body);
    assert_eq!(data["+clicked_branch_link"], true, "{data}");
    assert_eq!(data["$deeplink_path"], "sign-in");
    assert!(
        is_claimed(&t, app, click_id).await,
        "no second install takes it"
    );

    let organic = "SELECT count(*) FROM installs WHERE app_id = $1 \
                   AND link_id IS NULL AND click_id IS NULL AND match_type = 'none'";
    assert_eq!(wait_for_count(&t, app, organic, 1).await, 1);
    let link = link_id(&t, app, code_of(&url)).await;
    let for_link = format!(
        "SELECT coalesce(sum(clicks + bot_views + installs + opens), 0)::bigint \
         FROM link_stats_daily WHERE app_id = $1 AND link_id = {link}"
    );
    assert_eq!(scalar(&t, app, &for_link).await, 0);
    let organic_installs = "SELECT coalesce(sum(installs), 0)::bigint FROM link_stats_daily \
                            WHERE app_id = $1 AND link_id = 0";
    assert_eq!(scalar(&t, app, organic_installs).await, 1);

    // Only true or false.
    let mut params = json!({"branch_key": t.acme.sdk_key,
                            "data": {"$deeplink_no_attribution": "maybe"}});
    let (status, body) = t.post("/v1/url", &params).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(problem(&body).0, "data.$deeplink_no_attribution", "{body}");
    params["data"]["$deeplink_no_attribution"] = json!("false");
    assert_eq!(t.post("/v1/url", &params).await.0, 200);
}

#[tokio::test]
async fn clicks_installs_opens_and_sdk_events_reach_the_event_stream() {
    let Some(nats) = link_store::export::testing::TestNats::start("sdk_event_stream").await else {
        return;
    };
    let t = TestApp::spawn_with(Options {
        export_nats_url: Some(nats.url()),
        ..Options::default()
    })
    .await;
    let url = campaign_link(&t, "stream").await;
    let click_id = click(&t, t.acme.app_id, HOST, code_of(&url), IPHONE).await;
    let (status, installed) = session(&t, "/v1/install", &t.acme.sdk_key, ios()).await;
    assert_eq!(status, 200, "{installed}");
    let mut reopen = ios();
    reopen["randomized_bundle_token"] = installed["randomized_bundle_token"].clone();
    let (status, body) = session(&t, "/v1/open", &t.acme.sdk_key, reopen).await;
    assert_eq!(status, 200, "{body}");
    let custom = json!({"branch_key": t.acme.sdk_key, "name": "level_up",
                        "custom_data": {"level": "7"}});
    assert_eq!(t.post("/v2/event/custom", &custom).await.0, 200);

    let app = t.acme.app_id.get();
    let read = |kind: &'static str| {
        let nats = &nats;
        async move {
            let subject = format!("hoplink.events.{kind}.{app}");
            let mut records = nats
                .records("HOPLINK_EVENTS", &subject, 1, Duration::from_secs(10))
                .await;
            assert_eq!(records.len(), 1, "one {kind} exported");
            records.remove(0).1
        }
    };
    let link = link_id(&t, t.acme.app_id, code_of(&url)).await;
    let clicked = read("click").await;
    assert_eq!(clicked["id"], click_id.to_string());
    assert_eq!(clicked["link"]["id"], link);
    let install = read("install").await;
    assert_eq!(install["match_type"], "probabilistic", "{install}");
    assert_eq!(install["click_id"], click_id.to_string());
    assert_eq!(install["link"]["code"], code_of(&url));
    assert_eq!(install["link"]["campaign"], "stream");
    assert_eq!(install["os_version"], "17.4");
    assert!(install.get("device_token").is_none(), "{install}");
    let open = read("open").await;
    assert_eq!(open["bundle_token"], install["bundle_token"]);
    assert_eq!(
        install["bundle_token"],
        installed["randomized_bundle_token"]
    );
    assert!(open["session_id"].is_string(), "{open}");
    let event = read("sdk_event").await;
    assert_eq!(
        (&event["category"], &event["name"], &event["custom_data"]),
        (&json!("custom"), &json!("level_up"), &json!({"level": "7"}))
    );
}
