//! A shard that cannot be reached: its app's link endpoints answer 503 with
//! Retry-After; other apps, and the catalog-backed endpoints, keep working.

use reqwest::Method;
use serde_json::json;

use crate::developer_support::{code, create_link, get, send_raw};
use crate::helpers::{Options, TestApp};

#[tokio::test]
async fn an_unreachable_shard_is_503_for_its_app_only() {
    let t = TestApp::spawn_with(Options {
        proxy_first_shard: true,
        configure: Some(|config| {
            config.router.shard_pool.shard_acquire_timeout_ms = 500;
            config.router.shard_pool.shard_connect_timeout_ms = 500;
        }),
        ..Options::default()
    })
    .await;
    let acme = t.acme.secret_key.as_str();
    create_link(&t, acme, json!({"alias": "before"})).await;
    t.proxy.as_ref().unwrap().cut();

    for (method, path, body) in [
        (Method::GET, "/api/v1/links", None),
        (
            Method::POST,
            "/api/v1/links",
            Some(json!({"alias": "during"})),
        ),
        (
            Method::POST,
            "/api/v1/links/bulk",
            Some(json!([{"alias": "during"}])),
        ),
        (Method::GET, "/api/v1/links/before", None),
        (
            Method::PATCH,
            "/api/v1/links/before",
            Some(json!({"channel": "x"})),
        ),
        (Method::DELETE, "/api/v1/links/before", None),
        (Method::POST, "/api/v1/purge", Some(json!({"tag": "x"}))),
        (Method::GET, "/api/v1/stats", None),
        (Method::GET, "/api/v1/app", None),
        (
            Method::PATCH,
            "/api/v1/app",
            Some(json!({"config": {"desktop_url": null}})),
        ),
    ] {
        let (status, problem, headers) =
            send_raw(&t, method.clone(), path, acme, body.map(|b| b.to_string())).await;
        assert_eq!(
            (status, code(&problem)),
            (503, "unavailable"),
            "{method} {path}: {problem}"
        );
        assert!(headers.contains_key("retry-after"), "{method} {path}");
    }
    // Catalog-backed endpoints of the same app still answer.
    assert_eq!(get(&t, "/api/v1/keys", acme).await.0, 200);
    assert_eq!(get(&t, "/api/v1/domains", acme).await.0, 200);
    // The other app, on the other shard, is unaffected.
    let other = t.other.secret_key.as_str();
    create_link(&t, other, json!({"alias": "fine"})).await;
    assert_eq!(get(&t, "/api/v1/links", other).await.0, 200);

    t.proxy.as_ref().unwrap().restore();
    let mut recovered = false;
    for _ in 0..40 {
        if get(&t, "/api/v1/links/before", acme).await.0 == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(recovered, "the app recovers once its shard is back");
    assert_eq!(
        t.dev(
            Method::POST,
            "/api/v1/links",
            acme,
            Some(&json!({"alias": "after"}))
        )
        .await
        .0,
        201
    );
}
