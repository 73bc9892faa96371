//! Who may call the developer API: secret keys only, revocation at once, rate limits,
//! and the admin token.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::developer_support::{code, get, send_raw, wait_until};
use crate::helpers::{ADMIN_TOKEN, Options, TestApp};

/// One request per developer route (bodies are valid enough to get past parsing).
fn secret_routes() -> Vec<(Method, &'static str, Option<Value>)> {
    vec![
        (Method::GET, "/api/v1/app", None),
        (Method::PATCH, "/api/v1/app", Some(json!({}))),
        (Method::GET, "/api/v1/domains", None),
        (
            Method::POST,
            "/api/v1/domains",
            Some(json!({"host": "x.acme.test"})),
        ),
        (Method::DELETE, "/api/v1/domains/x.acme.test", None),
        (Method::GET, "/api/v1/keys", None),
        (Method::POST, "/api/v1/keys", Some(json!({"kind": "sdk"}))),
        (
            Method::POST,
            "/api/v1/keys/rotate",
            Some(json!({"kind": "sdk"})),
        ),
        (Method::DELETE, "/api/v1/keys/1", None),
        (Method::GET, "/api/v1/links", None),
        (Method::POST, "/api/v1/links", Some(json!({}))),
        (Method::POST, "/api/v1/links/bulk", Some(json!([{}]))),
        (Method::GET, "/api/v1/links/abc", None),
        (Method::PATCH, "/api/v1/links/abc", Some(json!({}))),
        (Method::DELETE, "/api/v1/links/abc", None),
        (Method::GET, "/api/v1/links/abc/stats", None),
        (Method::POST, "/api/v1/purge", Some(json!({"tag": "t"}))),
        (Method::GET, "/api/v1/stats", None),
    ]
}

#[tokio::test]
async fn sdk_keys_are_forbidden_and_bad_keys_unauthorized_everywhere() {
    let t = TestApp::spawn().await;
    for (method, path, body) in secret_routes() {
        let (status, problem) = t
            .dev(method.clone(), path, &t.acme.sdk_key, body.as_ref())
            .await;
        assert_eq!(
            (status, code(&problem)),
            (403, "forbidden"),
            "{method} {path}"
        );

        for bad in [
            "secret_live_0123456789012345678901234567890123456789",
            "nonsense",
            "",
            ADMIN_TOKEN,
        ] {
            let (status, problem) = t.dev(method.clone(), path, bad, body.as_ref()).await;
            assert_eq!(
                (status, code(&problem)),
                (401, "unauthorized"),
                "{method} {path} {bad:?}"
            );
        }
        let mut request = t.client.request(method.clone(), format!("{}{path}", t.api));
        if let Some(body) = &body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{method} {path} without a key");
        assert!(response.headers().contains_key("www-authenticate"));
    }
    assert_eq!(t.count(t.acme.app_id, "links").await, 0, "nothing written");
}

#[tokio::test]
async fn a_revoked_key_stops_working_within_a_second() {
    let t = TestApp::spawn().await;
    let (status, created) = t
        .dev(
            Method::POST,
            "/api/v1/keys",
            &t.acme.secret_key,
            Some(&json!({"kind": "secret", "label": "ci"})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let second = created["key"].as_str().unwrap().to_owned();
    // Used once, so it sits in the key cache when it is revoked.
    assert_eq!(get(&t, "/api/v1/links", &second).await.0, 200);

    let path = format!("/api/v1/keys/{}", created["id"]);
    let (status, _) = t.dev(Method::DELETE, &path, &t.acme.secret_key, None).await;
    assert_eq!(status, 204);
    assert!(
        wait_until(Duration::from_secs(1), || async {
            get(&t, "/api/v1/links", &second).await.0 == 401
        })
        .await,
        "revoked key still accepted after 1 s"
    );
    assert_eq!(get(&t, "/api/v1/links", &t.acme.secret_key).await.0, 200);
}

#[tokio::test]
async fn over_the_rate_limit_is_429_with_retry_after_per_key() {
    let t = TestApp::spawn_with(Options {
        configure: Some(|config| {
            config.secret_rate_per_sec = 1;
            config.secret_burst = 1;
        }),
        ..Options::default()
    })
    .await;
    let (status, _, _) = send_raw(&t, Method::GET, "/api/v1/links", &t.acme.secret_key, None).await;
    assert_eq!(status, 200);
    let (status, problem, headers) =
        send_raw(&t, Method::GET, "/api/v1/links", &t.acme.secret_key, None).await;
    assert_eq!((status, code(&problem)), (429, "rate_limited"));
    let retry_after: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry_after >= 1);
    // Buckets are per key: the other app is not slowed down.
    assert_eq!(get(&t, "/api/v1/links", &t.other.secret_key).await.0, 200);
}

#[tokio::test]
async fn the_admin_api_needs_the_admin_token() {
    let t = TestApp::spawn().await;
    for path in ["/api/v1/admin/apps", "/api/v1/admin/shards"] {
        assert_eq!(get(&t, path, ADMIN_TOKEN).await.0, 200, "{path}");
        for wrong in [t.acme.secret_key.as_str(), "x".repeat(43).as_str()] {
            let (status, problem) = get(&t, path, wrong).await;
            assert_eq!((status, code(&problem)), (401, "unauthorized"), "{path}");
        }
    }

    let disabled = TestApp::spawn_with(Options {
        configure: Some(|config| config.admin_token = None),
        ..Options::default()
    })
    .await;
    for (method, path) in [
        (Method::GET, "/api/v1/admin/apps"),
        (Method::POST, "/api/v1/admin/apps"),
        (Method::GET, "/api/v1/admin/shards"),
        (Method::POST, "/api/v1/admin/shards"),
    ] {
        let (status, problem) = disabled
            .dev(method.clone(), path, ADMIN_TOKEN, Some(&json!({})))
            .await;
        assert_eq!(
            (status, code(&problem)),
            (403, "forbidden"),
            "{method} {path}"
        );
    }
}
