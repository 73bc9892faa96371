//! Bad input on every SDK endpoint: malformed bodies, wrong types, oversized bodies,
//! unknown and revoked keys. Each is refused with the right problem and writes nothing.

use std::time::Duration;

use link_core::KeyKind;
use serde_json::{Value, json};
use shard_router::catalog::keys;

use crate::helpers::{HOST, IPHONE, TestApp, read};
use crate::sdk_support::{click, code_of, create_url, is_claimed, post_raw, problem};

/// Every SDK route that takes a body, as (method, path).
fn body_routes(t: &TestApp, url: &str) -> Vec<(reqwest::Method, String)> {
    let put = format!("/v1/url?url={}", urlencode(url));
    vec![
        (reqwest::Method::POST, "/v1/url".to_owned()),
        (
            reqwest::Method::POST,
            format!("/v1/url/bulk/{}", t.acme.sdk_key),
        ),
        (reqwest::Method::PUT, put),
        (reqwest::Method::POST, "/v1/install".to_owned()),
        (reqwest::Method::POST, "/v1/open".to_owned()),
        (reqwest::Method::POST, "/v1/close".to_owned()),
        (reqwest::Method::POST, "/v2/event/standard".to_owned()),
        (reqwest::Method::POST, "/v2/event/custom".to_owned()),
    ]
}

fn urlencode(raw: &str) -> String {
    url::form_urlencoded::byte_serialize(raw.as_bytes()).collect()
}

async fn send(
    t: &TestApp,
    method: reqwest::Method,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let response = t
        .client
        .request(method, format!("{}{path}", t.api))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    read(response).await
}

/// Rows an SDK request could write for acme, and whether its click was claimed.
async fn written(t: &TestApp, click: uuid::Uuid) -> (i64, i64, i64, i64, bool) {
    let app = t.acme.app_id;
    (
        t.count(app, "links").await,
        t.count(app, "installs").await,
        t.count(app, "opens").await,
        t.count(app, "sdk_events").await,
        is_claimed(t, app, click).await,
    )
}

#[tokio::test]
async fn malformed_wrongly_typed_and_oversized_bodies_are_refused_and_write_nothing() {
    let t = TestApp::spawn().await;
    let url = create_url(&t, &t.acme.sdk_key, json!({"channel": "email"})).await;
    let click_id = click(&t, t.acme.app_id, HOST, code_of(&url), IPHONE).await;
    let before = written(&t, click_id).await;
    let key = t.acme.sdk_key.clone();

    for (method, path) in body_routes(&t, &url) {
        let (status, body) = send(
            &t,
            method.clone(),
            &path,
            "application/json",
            br#"{"branch_key": "#.to_vec(),
        )
        .await;
        assert_eq!(
            (status, problem(&body).1),
            (400, "malformed_body"),
            "{path}: {body}"
        );

        let wrong_shape = if path.contains("bulk") {
            json!({"channel": "x"})
        } else {
            json!([{"branch_key": key}])
        };
        let (status, body) = send(
            &t,
            method.clone(),
            &path,
            "application/json",
            wrong_shape.to_string().into_bytes(),
        )
        .await;
        assert_eq!(
            (status, problem(&body).1),
            (400, "malformed_body"),
            "{path}: {body}"
        );

        let huge = format!(
            r#"{{"branch_key": "{key}", "pad": "{}"}}"#,
            "x".repeat(1024 * 1024 + 10)
        );
        let (status, body) = send(
            &t,
            method.clone(),
            &path,
            "application/json",
            huge.into_bytes(),
        )
        .await;
        assert_eq!(
            (status, problem(&body).1),
            (413, "payload_too_large"),
            "{path}: {body}"
        );
    }

    // A known field of the wrong type names the field, whatever the endpoint.
    let secret = t.acme.secret_key.clone();
    let typed: Vec<(reqwest::Method, String, Value, &str)> = vec![
        (
            reqwest::Method::POST,
            "/v1/url".into(),
            json!({"branch_key": key, "tags": [1]}),
            "tags",
        ),
        (
            reqwest::Method::PUT,
            format!("/v1/url?url={}", urlencode(&url)),
            json!({"branch_key": key, "branch_secret": secret, "channel": []}),
            "channel",
        ),
        (
            reqwest::Method::POST,
            "/v1/install".into(),
            json!({"branch_key": key, "os": {"name": "iOS"}}),
            "os",
        ),
        (
            reqwest::Method::POST,
            "/v1/install".into(),
            json!({"branch_key": key, "link_click_id": ["x"]}),
            "link_click_id",
        ),
        (
            reqwest::Method::POST,
            "/v1/open".into(),
            json!({"branch_key": key, "screen_width": "wide"}),
            "screen_width",
        ),
        (
            reqwest::Method::POST,
            "/v1/open".into(),
            json!({"branch_key": key, "debug": "perhaps"}),
            "debug",
        ),
        (
            reqwest::Method::POST,
            "/v1/open".into(),
            json!({"branch_key": key, "universal_link_url": "a\u{0}b"}),
            "universal_link_url",
        ),
        (
            reqwest::Method::POST,
            "/v1/close".into(),
            json!({"branch_key": key, "randomized_bundle_token": []}),
            "randomized_bundle_token",
        ),
        (
            reqwest::Method::POST,
            "/v2/event/standard".into(),
            json!({"branch_key": key, "name": "A", "event_data": "x"}),
            "event_data",
        ),
        (
            reqwest::Method::POST,
            "/v2/event/custom".into(),
            json!({"branch_key": key}),
            "name",
        ),
    ];
    for (method, path, body, field) in typed {
        let (status, answer) = send(
            &t,
            method,
            &path,
            "application/json",
            body.to_string().into_bytes(),
        )
        .await;
        assert_eq!(
            (status, problem(&answer).0, problem(&answer).1),
            (400, field, "invalid_field"),
            "{path} {body}: {answer}"
        );
    }

    // The Web SDK's forms are limited the same way.
    let form = format!("branch_key={key}&pad={}", "x".repeat(1024 * 1024 + 10));
    let (status, _) = post_raw(
        &t,
        "/v1/open",
        "application/x-www-form-urlencoded",
        form.into_bytes(),
    )
    .await;
    assert_eq!(status, 413);

    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(written(&t, click_id).await, before);
}

#[tokio::test]
async fn unknown_and_revoked_keys_are_401_everywhere_and_write_nothing() {
    let t = TestApp::spawn().await;
    let url = create_url(&t, &t.acme.sdk_key, json!({"channel": "email"})).await;
    let click_id = click(&t, t.acme.app_id, HOST, code_of(&url), IPHONE).await;
    let issued = keys::create(
        t.router.catalog(),
        t.acme.app_id,
        KeyKind::Sdk,
        Some("doomed"),
    )
    .await
    .unwrap();
    let doomed = issued.key.expose().to_owned();
    let read_with = |key: String| {
        let request = t
            .client
            .get(format!("{}/v1/url", t.api))
            .query(&[("url", url.as_str()), ("branch_key", key.as_str())]);
        async move { read(request.send().await.unwrap()).await }
    };
    assert_eq!(read_with(doomed.clone()).await.0, 200, "the new key works");
    keys::revoke(t.router.catalog(), t.acme.app_id, issued.info.id)
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while read_with(doomed.clone()).await.0 != 401 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the revoked key still works"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let before = written(&t, click_id).await;

    let bad_keys = [
        None,
        Some(String::new()),
        Some("key_live_unknown".to_owned()),
        Some(format!("key_live_{}", "A".repeat(32))),
        Some(doomed.clone()),
    ];
    for key in &bad_keys {
        for (method, path) in body_routes(&t, &url) {
            if path.contains("bulk") {
                continue;
            }
            let mut body = json!({"channel": "x", "name": "PURCHASE", "os": "iOS",
                                  "branch_secret": t.acme.secret_key});
            if let Some(key) = key {
                body["branch_key"] = json!(key);
            }
            let (status, answer) = send(
                &t,
                method,
                &path,
                "application/json",
                body.to_string().into_bytes(),
            )
            .await;
            assert_eq!(
                (status, problem(&answer).1),
                (401, "unauthorized"),
                "{path} {key:?}: {answer}"
            );
        }
        if let Some(key) = key.as_ref().filter(|k| !k.is_empty()) {
            let (status, _) = t
                .post(&format!("/v1/url/bulk/{key}"), &json!([{"channel": "x"}]))
                .await;
            assert_eq!(status, 401, "bulk {key}");
        }
        let (status, _) = read_with(key.clone().unwrap_or_default()).await;
        assert_eq!(status, 401, "read {key:?}");
    }

    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(written(&t, click_id).await, before);
}
