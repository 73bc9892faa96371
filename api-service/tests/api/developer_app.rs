//! `GET`/`PATCH /api/v1/app`.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::developer_support::{field, get, send_raw, wait_until};
use crate::helpers::{HOST, IPHONE, OTHER_HOST, TestApp};

#[tokio::test]
async fn shows_the_app_and_its_config_but_not_its_shard() {
    let t = TestApp::spawn().await;
    let (status, app) = get(&t, "/api/v1/app", &t.acme.secret_key).await;
    assert_eq!(status, 200, "{app}");
    assert_eq!(app["id"], t.acme.app_id.get());
    assert_eq!(app["name"], "Acme");
    assert_eq!(app["domains"], json!([HOST]));
    assert_eq!(
        app["config"],
        json!({
            "ios": {"bundle_id": "com.acme.app", "team_id": "ABCDE12345", "app_store_id": "1234567890", "uri_scheme": "acme"},
            "android": {"package": "com.acme.app", "sha256_cert_fingerprints": ["AB:".repeat(31) + "AB"], "uri_scheme": "acme"},
            "fallback_url": "https://acme.test/",
            "desktop_url": "https://acme.test/desktop",
            "expired_link_behavior": "gone",
            "preview": {"title": null, "description": null, "image_url": null},
            "attribution_window_secs": 7200,
            "long_link_hosts": []
        })
    );
    assert!(app["config_version"].is_i64() && app["created_at"].is_string());
    assert!(
        !app.to_string().contains("\"s1\""),
        "the shard is not shown: {app}"
    );
    assert!(app.get("shard").is_none());

    let (_, theirs) = get(&t, "/api/v1/app", &t.other.secret_key).await;
    assert_eq!(
        (&theirs["name"], &theirs["domains"]),
        (&json!("Other"), &json!([OTHER_HOST]))
    );
}

#[tokio::test]
async fn a_patch_merges_into_the_config_and_reaches_the_link_service() {
    let t = TestApp::spawn().await;
    let key = t.acme.secret_key.as_str();
    let aasa = || async {
        let response = t
            .click(HOST, ".well-known/apple-app-site-association", IPHONE)
            .await;
        response.text().await.unwrap()
    };
    assert!(aasa().await.contains("ABCDE12345.com.acme.app"));
    let (_, before) = get(&t, "/api/v1/app", key).await;

    let (status, app) = t
        .dev(
            Method::PATCH,
            "/api/v1/app",
            key,
            Some(&json!({
                "name": " Acme Inc. ",
                "config": {
                    "ios": {"team_id": "zyxwv98765"},
                    "desktop_url": null,
                    "preview": {"title": "Acme"},
                    "attribution_window_secs": 3600,
                    "long_link_hosts": ["Shop.Acme.Test", "partner.test", "partner.test"]
                }
            })),
        )
        .await;
    assert_eq!(status, 200, "{app}");
    assert_eq!(app["name"], "Acme Inc.");
    assert_eq!(app["config"]["ios"]["team_id"], "ZYXWV98765");
    assert_eq!(
        app["config"]["ios"]["bundle_id"], "com.acme.app",
        "siblings kept"
    );
    assert_eq!(app["config"]["desktop_url"], json!(null));
    assert_eq!(app["config"]["fallback_url"], "https://acme.test/");
    assert_eq!(app["config"]["preview"]["title"], "Acme");
    assert_eq!(app["config"]["attribution_window_secs"], 3600);
    assert_eq!(
        app["config"]["long_link_hosts"],
        json!(["shop.acme.test", "partner.test"]),
        "lower-cased, duplicates dropped"
    );
    assert_eq!(
        app["config_version"],
        before["config_version"].as_i64().unwrap() + 1
    );
    assert_eq!(get(&t, "/api/v1/app", key).await.1, app, "stored");

    assert!(
        wait_until(Duration::from_secs(1), || async {
            aasa().await.contains("ZYXWV98765.com.acme.app")
        })
        .await,
        "the link service serves the new team id within a second"
    );
    let (_, theirs) = get(&t, "/api/v1/app", &t.other.secret_key).await;
    assert_eq!(theirs["name"], "Other", "the other app is untouched");

    // Resetting to defaults, and a patch that changes nothing.
    let (_, app) = t
        .dev(
            Method::PATCH,
            "/api/v1/app",
            key,
            Some(&json!({"config": {"attribution_window_secs": null, "ios": null}})),
        )
        .await;
    assert_eq!(app["config"]["attribution_window_secs"], 7200);
    assert_eq!(
        app["config"]["ios"],
        json!({"bundle_id": null, "team_id": null, "app_store_id": null, "uri_scheme": null})
    );
    let version = app["config_version"].clone();
    let (status, app) = t
        .dev(
            Method::PATCH,
            "/api/v1/app",
            key,
            Some(&json!({"config": {}})),
        )
        .await;
    assert_eq!((status, &app["config_version"]), (200, &version));
}

#[tokio::test]
async fn an_invalid_patch_names_the_field_and_changes_nothing() {
    let t = TestApp::spawn().await;
    let key = t.acme.secret_key.as_str();
    let (_, before) = get(&t, "/api/v1/app", key).await;
    let cases = [
        (json!({"name": ""}), "name"),
        (json!({"name": "x".repeat(201)}), "name"),
        (json!({"name": 5}), "name"),
        (json!({"shard": "s2"}), "shard"),
        (json!({"domains": ["x.test"]}), "domains"),
        (json!({"config": []}), "config"),
        (
            json!({"config": {"ios": {"team_id": "short"}}}),
            "config.ios.team_id",
        ),
        (
            json!({"config": {"ios": {"bundle_id": "nodots"}}}),
            "config.ios.bundle_id",
        ),
        (
            json!({"config": {"ios": {"app_store_id": "12a"}}}),
            "config.ios.app_store_id",
        ),
        (
            json!({"config": {"ios": {"uri_scheme": "javascript"}}}),
            "config.ios.uri_scheme",
        ),
        (json!({"config": {"ios": "x"}}), "config.ios"),
        (
            json!({"config": {"android": {"package": "1bad"}}}),
            "config.android.package",
        ),
        (
            json!({"config": {"android": {"sha256_cert_fingerprints": ["AB:CD"]}}}),
            "config.android.sha256_cert_fingerprints",
        ),
        (
            json!({"config": {"android": {"uri_scheme": "http"}}}),
            "config.android.uri_scheme",
        ),
        (
            json!({"config": {"fallback_url": "ftp://acme.test"}}),
            "config.fallback_url",
        ),
        (
            json!({"config": {"desktop_url": "https://u:p@acme.test"}}),
            "config.desktop_url",
        ),
        (
            json!({"config": {"expired_link_behavior": "explode"}}),
            "config.expired_link_behavior",
        ),
        (
            json!({"config": {"preview": {"title": "x".repeat(301)}}}),
            "config.preview.title",
        ),
        (
            json!({"config": {"preview": {"image_url": "javascript:x"}}}),
            "config.preview.image_url",
        ),
        (
            json!({"config": {"attribution_window_secs": 10}}),
            "config.attribution_window_secs",
        ),
        (
            json!({"config": {"attribution_window_secs": -1}}),
            "config.attribution_window_secs",
        ),
        (json!({"config": {"colour": "red"}}), "config.colour"),
        (
            json!({"config": {"long_link_hosts": ["*.acme.test"]}}),
            "config.long_link_hosts",
        ),
        (
            json!({"config": {"long_link_hosts": "acme.test"}}),
            "config.long_link_hosts",
        ),
        (
            json!({"config": {"long_link_hosts": (0..51).map(|i| format!("h{i}.test")).collect::<Vec<_>>()}}),
            "config.long_link_hosts",
        ),
        // Valid config with an invalid name: nothing of it is written either.
        (json!({"name": "", "config": {"desktop_url": null}}), "name"),
    ];
    for (body, expected) in cases {
        let (status, problem) = t.dev(Method::PATCH, "/api/v1/app", key, Some(&body)).await;
        assert_eq!(
            (status, field(&problem)),
            (400, expected),
            "{body}: {problem}"
        );
    }
    for (body, status_wanted) in [
        ("{".to_owned(), 400),
        ("[]".to_owned(), 400),
        (format!("{{\"name\": \"{}\"}}", "x".repeat(1_100_000)), 413),
    ] {
        let (status, _, _) = send_raw(&t, Method::PATCH, "/api/v1/app", key, Some(body)).await;
        assert_eq!(status, status_wanted);
    }
    assert_eq!(
        get(&t, "/api/v1/app", key).await.1,
        before,
        "nothing changed"
    );
}
