//! `/api/v1/domains`.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::developer_support::{code, create_link, field, get, send_raw, wait_until};
use crate::helpers::{HOST, OTHER_HOST, TestApp};

const DESKTOP: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

#[tokio::test]
async fn add_list_and_remove_domains() {
    let t = TestApp::spawn().await;
    let key = t.acme.secret_key.as_str();
    let (status, list) = get(&t, "/api/v1/domains", key).await;
    assert_eq!(
        (status, list),
        (200, json!({"data": [{"host": HOST, "primary": true}]}))
    );

    let (status, added, headers) = send_raw(
        &t,
        Method::POST,
        "/api/v1/domains",
        key,
        Some(json!({"host": " Links.Acme.Test "}).to_string()),
    )
    .await;
    assert_eq!(
        (status, &added),
        (201, &json!({"host": "links.acme.test", "primary": false}))
    );
    assert_eq!(headers["location"], "/api/v1/domains/links.acme.test");
    let (status, again) = t
        .dev(
            Method::POST,
            "/api/v1/domains",
            key,
            Some(&json!({"host": "links.acme.test"})),
        )
        .await;
    assert_eq!((status, again), (200, added), "adding it again is a no-op");
    let (_, list) = get(&t, "/api/v1/domains", key).await;
    assert_eq!(
        list["data"],
        json!([{"host": HOST, "primary": true}, {"host": "links.acme.test", "primary": false}])
    );

    // The new domain serves the app's links at once.
    let link = create_link(
        &t,
        key,
        json!({"alias": "d", "data": {"$desktop_url": "https://acme.test/d"}}),
    )
    .await;
    assert_eq!(
        link["url"],
        format!("https://{HOST}/d"),
        "short URLs use the primary domain"
    );
    assert!(
        wait_until(Duration::from_secs(1), || async {
            t.click("links.acme.test", "d", DESKTOP).await.status() == 302
        })
        .await,
        "the new domain is served within a second"
    );

    // Removing the primary promotes the next one.
    let (status, _) = t
        .dev(
            Method::DELETE,
            &format!("/api/v1/domains/{HOST}"),
            key,
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (_, list) = get(&t, "/api/v1/domains", key).await;
    assert_eq!(
        list["data"],
        json!([{"host": "links.acme.test", "primary": true}])
    );
    let (_, link) = get(&t, "/api/v1/links/d", key).await;
    assert_eq!(link["url"], "https://links.acme.test/d");
    assert!(
        wait_until(Duration::from_secs(1), || async {
            t.click(HOST, "d", DESKTOP).await.status() == 404
        })
        .await,
        "a removed domain is no longer served"
    );
    let (status, problem) = t
        .dev(
            Method::DELETE,
            &format!("/api/v1/domains/{HOST}"),
            key,
            None,
        )
        .await;
    assert_eq!((status, code(&problem)), (404, "not_found"));
}

#[tokio::test]
async fn domains_are_unique_and_private_to_their_app() {
    let t = TestApp::spawn().await;
    let key = t.acme.secret_key.as_str();
    let (status, problem) = t
        .dev(
            Method::POST,
            "/api/v1/domains",
            key,
            Some(&json!({"host": OTHER_HOST})),
        )
        .await;
    assert_eq!((status, code(&problem)), (409, "domain_taken"));

    let (status, _) = t
        .dev(
            Method::DELETE,
            &format!("/api/v1/domains/{HOST}"),
            &t.other.secret_key,
            None,
        )
        .await;
    assert_eq!(status, 404, "another app's domain is not found");
    let (_, theirs) = get(&t, "/api/v1/domains", &t.other.secret_key).await;
    assert_eq!(
        theirs["data"],
        json!([{"host": OTHER_HOST, "primary": true}])
    );
    let (_, mine) = get(&t, "/api/v1/domains", key).await;
    assert_eq!(
        mine["data"],
        json!([{"host": HOST, "primary": true}]),
        "still there"
    );

    for (body, expected) in [
        (json!({"host": "https://x.acme.test"}), "host"),
        (json!({"host": "x.acme.test:8080"}), "host"),
        (json!({"host": "*.acme.test"}), "host"),
        (json!({"host": ""}), "host"),
        (json!({"host": 5}), "host"),
        (json!({}), "host"),
    ] {
        let (status, problem) = t
            .dev(Method::POST, "/api/v1/domains", key, Some(&body))
            .await;
        assert_eq!((status, field(&problem)), (400, expected), "{body}");
    }
    let (status, _, _) = send_raw(&t, Method::POST, "/api/v1/domains", key, Some("{".into())).await;
    assert_eq!(status, 400);
    let (status, _) = t
        .dev(Method::DELETE, "/api/v1/domains/not%20a%20host", key, None)
        .await;
    assert_eq!(status, 404);
    let (_, mine) = get(&t, "/api/v1/domains", key).await;
    assert_eq!(mine["data"].as_array().unwrap().len(), 1, "nothing added");
}
