//! `/api/v1/admin`: creating and listing apps and shards.

use reqwest::Method;
use serde_json::json;
use shard_router::testing::TestDatabases;

use crate::developer_support::{code, field, get};
use crate::helpers::{ADMIN_TOKEN, HOST, TestApp};

async fn app_count(t: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM apps")
        .fetch_one(t.router.catalog())
        .await
        .unwrap()
}

#[tokio::test]
async fn operators_create_and_list_apps() {
    let t = TestApp::spawn().await;
    let (status, created) = t
        .dev(
            Method::POST,
            "/api/v1/admin/apps",
            ADMIN_TOKEN,
            Some(&json!({
                "name": "Third",
                "domains": ["Go.Third.Test", "third.link"],
                "config": {"ios": {"bundle_id": "com.third.app"}, "fallback_url": "https://third.test/"},
                "shard": "s2"
            })),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        (&created["name"], &created["shard"]),
        (&json!("Third"), &json!("s2"))
    );
    assert_eq!(created["domains"], json!(["go.third.test", "third.link"]));
    let secret = created["secret_key"].as_str().unwrap();
    assert!(
        created["sdk_key"]
            .as_str()
            .unwrap()
            .starts_with("key_live_")
    );

    let (status, app) = get(&t, "/api/v1/app", secret).await;
    assert_eq!(status, 200, "the new secret key works at once");
    assert_eq!(app["id"], created["app_id"]);
    assert_eq!(app["config"]["ios"]["bundle_id"], "com.third.app");
    assert_eq!(
        app["config"]["attribution_window_secs"], 7200,
        "defaults fill the rest"
    );

    // Placed by the router when no shard is named.
    let (status, placed) = t
        .dev(
            Method::POST,
            "/api/v1/admin/apps",
            ADMIN_TOKEN,
            Some(&json!({"name": "Fourth"})),
        )
        .await;
    assert_eq!(status, 201, "{placed}");
    assert!(["s1", "s2"].contains(&placed["shard"].as_str().unwrap()));

    let (status, list) = get(&t, "/api/v1/admin/apps", ADMIN_TOKEN).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Acme", "Other", "Third", "Fourth"]);
    assert_eq!(list["data"][0]["domains"], json!([HOST]));
    assert_eq!(list["data"][0]["state"], "active");

    let before = app_count(&t).await;
    for (body, status_wanted, expected) in [
        (json!({}), 400, "name"),
        (json!({"name": ""}), 400, "name"),
        (
            json!({"name": "X", "domains": ["ok.test", "https://bad"]}),
            400,
            "domains[1]",
        ),
        (json!({"name": "X", "domains": "x.test"}), 400, "domains"),
        (
            json!({"name": "X", "config": {"ios": {"team_id": "bad"}}}),
            400,
            "config.ios.team_id",
        ),
        (json!({"name": "X", "config": 5}), 400, "config"),
        (json!({"name": "X", "shard": "nope"}), 400, "shard"),
        (json!({"name": "X", "shard": "Bad Name"}), 400, "shard"),
        (json!({"name": "X", "colour": "red"}), 400, "colour"),
    ] {
        let (status, problem) = t
            .dev(Method::POST, "/api/v1/admin/apps", ADMIN_TOKEN, Some(&body))
            .await;
        assert_eq!(
            (status, field(&problem)),
            (status_wanted, expected),
            "{body}: {problem}"
        );
    }
    let (status, problem) = t
        .dev(
            Method::POST,
            "/api/v1/admin/apps",
            ADMIN_TOKEN,
            Some(&json!({"name": "X", "domains": [HOST]})),
        )
        .await;
    assert_eq!((status, code(&problem)), (409, "domain_taken"));
    assert_eq!(app_count(&t).await, before, "nothing created");
}

#[tokio::test]
async fn operators_register_and_list_shards() {
    let t = TestApp::spawn().await;
    let fresh = TestDatabases::create(1).await;
    let mut url = url::Url::parse(&fresh.shard_urls[0]).unwrap();
    url.set_password(Some("s3cret")).unwrap();
    let (status, shard) = t
        .dev(
            Method::POST,
            "/api/v1/admin/shards",
            ADMIN_TOKEN,
            Some(&json!({"name": "s3", "url": url.as_str(), "weight": 50})),
        )
        .await;
    assert_eq!(status, 201, "{shard}");
    assert_eq!(
        (&shard["name"], &shard["weight"], &shard["apps"]),
        (&json!("s3"), &json!(50), &json!(0))
    );
    assert!(!shard.to_string().contains("s3cret"), "redacted: {shard}");

    let (status, list) = get(&t, "/api/v1/admin/shards", ADMIN_TOKEN).await;
    assert_eq!(status, 200);
    assert!(!list.to_string().contains("s3cret"));
    let names: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["s1", "s2", "s3"]);
    assert_eq!(list["data"][0]["apps"], 1);

    // Apps can be placed on it at once.
    let (status, placed) = t
        .dev(
            Method::POST,
            "/api/v1/admin/apps",
            ADMIN_TOKEN,
            Some(&json!({"name": "On s3", "shard": "s3"})),
        )
        .await;
    assert_eq!((status, &placed["shard"]), (201, &json!("s3")));

    let (status, problem) = t
        .dev(
            Method::POST,
            "/api/v1/admin/shards",
            ADMIN_TOKEN,
            Some(&json!({"name": "s3", "url": url.as_str()})),
        )
        .await;
    assert_eq!((status, code(&problem)), (409, "shard_exists"));
    let catalog = t._dbs.catalog_url.clone();
    for (body, expected) in [
        (json!({"url": url.as_str()}), "name"),
        (json!({"name": "Bad Name", "url": url.as_str()}), "name"),
        (json!({"name": "s4"}), "url"),
        (json!({"name": "s4", "url": "mysql://db/x"}), "url"),
        (json!({"name": "s4", "url": "postgres://db1"}), "url"),
        (
            json!({"name": "s4", "url": "postgres://127.0.0.1:1/nothing_here"}),
            "url",
        ),
        (json!({"name": "s4", "url": catalog}), "url"),
        (
            json!({"name": "s4", "url": url.as_str(), "weight": 0}),
            "weight",
        ),
        (
            json!({"name": "s4", "url": url.as_str(), "weight": "heavy"}),
            "weight",
        ),
    ] {
        let (status, problem) = t
            .dev(
                Method::POST,
                "/api/v1/admin/shards",
                ADMIN_TOKEN,
                Some(&body),
            )
            .await;
        assert_eq!(
            (status, field(&problem)),
            (400, expected),
            "{body}: {problem}"
        );
    }
    let (_, after) = get(&t, "/api/v1/admin/shards", ADMIN_TOKEN).await;
    assert_eq!(
        after["data"].as_array().unwrap().len(),
        3,
        "nothing registered"
    );
}

#[tokio::test]
async fn operators_create_an_app_with_an_alternate_domain() {
    let t = TestApp::spawn().await;
    let (status, created) = t
        .dev(
            Method::POST,
            "/api/v1/admin/apps",
            ADMIN_TOKEN,
            Some(&json!({
                "name": "Third",
                "domains": ["go.third.test"],
                "alternate_domain": "Third-Alternate.App.Test"
            })),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        created["domains"],
        json!(["go.third.test", "third-alternate.app.test"])
    );
    assert_eq!(created["alternate_domain"], "third-alternate.app.test");
    let secret = created["secret_key"].as_str().unwrap();
    let (_, domains) = get(&t, "/api/v1/domains", secret).await;
    assert_eq!(
        domains["data"],
        json!([
            {"host": "go.third.test", "primary": true, "alternate": false},
            {"host": "third-alternate.app.test", "primary": false, "alternate": true}
        ])
    );

    let (_, list) = get(&t, "/api/v1/admin/apps", ADMIN_TOKEN).await;
    assert_eq!(list["data"][0]["alternate_domain"], json!(null));
    assert_eq!(
        list["data"][2]["alternate_domain"],
        "third-alternate.app.test"
    );
    assert_eq!(
        list["data"][2]["domains"],
        json!(["go.third.test", "third-alternate.app.test"])
    );

    let before = app_count(&t).await;
    for body in [
        json!({"name": "X", "alternate_domain": "alt.x.test"}),
        json!({"name": "X", "domains": [], "alternate_domain": "alt.x.test"}),
        json!({"name": "X", "domains": ["x.test"], "alternate_domain": "X.test"}),
        json!({"name": "X", "domains": ["x.test"], "alternate_domain": "https://alt.x.test"}),
        json!({"name": "X", "domains": ["x.test"], "alternate_domain": ["alt.x.test"]}),
    ] {
        let (status, problem) = t
            .dev(Method::POST, "/api/v1/admin/apps", ADMIN_TOKEN, Some(&body))
            .await;
        assert_eq!(
            (status, field(&problem)),
            (400, "alternate_domain"),
            "{body}: {problem}"
        );
    }
    let (status, problem) = t
        .dev(
            Method::POST,
            "/api/v1/admin/apps",
            ADMIN_TOKEN,
            Some(&json!({"name": "X", "domains": ["x.test"], "alternate_domain": HOST})),
        )
        .await;
    assert_eq!((status, code(&problem)), (409, "domain_taken"));
    assert_eq!(app_count(&t).await, before, "nothing created");
}
