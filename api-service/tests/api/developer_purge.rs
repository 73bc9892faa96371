//! `POST /api/v1/purge`: cached links carrying a tag are re-read within a second.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::developer_support::{create_link, field, wait_until};
use crate::helpers::{HOST, TestApp};

const DESKTOP: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

async fn location(t: &TestApp, code: &str) -> String {
    let response = t.click(HOST, code, DESKTOP).await;
    response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn purging_a_tag_makes_its_cached_links_be_read_again() {
    let t = TestApp::spawn().await;
    let key = t.acme.secret_key.as_str();
    for (code, tag) in [("m1", "match 7"), ("m2", "match 7"), ("keep", "other")] {
        create_link(&t, key, json!({"alias": code, "tags": [tag], "data": {"$desktop_url": "https://acme.test/old"}})).await;
    }
    // Let the creations' own change notifications land before caching the links.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for code in ["m1", "m2", "keep"] {
        assert_eq!(
            location(&t, code).await,
            "https://acme.test/old",
            "{code} cached"
        );
    }
    // Change the rows behind the API's back, without notifications.
    let pool = t.shard_pool(t.acme.app_id);
    let mut conn = pool.acquire().await.unwrap();
    sqlx::query("SET session_replication_role = replica")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE links SET data = '{\"$desktop_url\": \"https://acme.test/new\"}' WHERE app_id = $1",
    )
    .bind(t.acme.app_id.get())
    .execute(&mut *conn)
    .await
    .unwrap();
    sqlx::query("RESET session_replication_role")
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    for code in ["m1", "m2", "keep"] {
        assert_eq!(
            location(&t, code).await,
            "https://acme.test/old",
            "{code} served from the cache"
        );
    }

    let (status, purged) = t
        .dev(
            Method::POST,
            "/api/v1/purge",
            key,
            Some(&json!({"tag": " match 7 "})),
        )
        .await;
    assert_eq!(
        (status, purged),
        (202, json!({"tag": "match 7", "links": 2}))
    );
    for code in ["m1", "m2"] {
        assert!(
            wait_until(Duration::from_secs(1), || async {
                location(&t, code).await == "https://acme.test/new"
            })
            .await,
            "{code} not purged within a second"
        );
    }
    assert_eq!(
        location(&t, "keep").await,
        "https://acme.test/old",
        "other tags are kept"
    );

    // Another app's purge of the same tag counts (and touches) only its own links.
    let (status, theirs) = t
        .dev(
            Method::POST,
            "/api/v1/purge",
            &t.other.secret_key,
            Some(&json!({"tag": "other"})),
        )
        .await;
    assert_eq!((status, &theirs["links"]), (202, &json!(0)));
    assert_eq!(location(&t, "keep").await, "https://acme.test/old");

    for (body, expected) in [
        (json!({}), "tag"),
        (json!({"tag": ""}), "tag"),
        (json!({"tag": ["a"]}), "tag"),
        (json!({"tag": "x".repeat(129)}), "tag"),
    ] {
        let (status, problem) = t.dev(Method::POST, "/api/v1/purge", key, Some(&body)).await;
        assert_eq!((status, field(&problem)), (400, expected), "{body}");
    }
}
