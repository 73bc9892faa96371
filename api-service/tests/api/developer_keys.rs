//! `/api/v1/keys`: never the secret, create, revoke, rotate, and the lockout guard.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::developer_support::{code, field, get, send_raw, wait_until};
use crate::helpers::TestApp;

#[tokio::test]
async fn keys_are_listed_without_their_secret() {
    let t = TestApp::spawn().await;
    let (status, list) = get(&t, "/api/v1/keys", &t.acme.secret_key).await;
    assert_eq!(status, 200);
    let keys = list["data"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    let text = list.to_string();
    assert!(!text.contains(&t.acme.secret_key) && !text.contains(&t.acme.sdk_key));
    let kinds: Vec<&str> = keys.iter().map(|k| k["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["sdk", "secret"]);
    for key in keys {
        assert!(key.get("key").is_none() && key.get("hash").is_none());
        let prefix = key["prefix"].as_str().unwrap();
        let whole = if key["kind"] == "sdk" {
            &t.acme.sdk_key
        } else {
            &t.acme.secret_key
        };
        assert!(whole.starts_with(prefix) && prefix.len() < whole.len());
        assert_eq!(key["label"], "default");
        assert_eq!(key["revoked_at"], json!(null));
        assert_eq!(key["current"], key["kind"] == "secret", "{key}");
    }
    let (_, theirs) = get(&t, "/api/v1/keys", &t.other.secret_key).await;
    let their_ids: Vec<_> = theirs["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].clone())
        .collect();
    assert!(
        keys.iter().all(|k| !their_ids.contains(&k["id"])),
        "each app sees its own keys"
    );
}

#[tokio::test]
async fn create_revoke_and_rotate() {
    let t = TestApp::spawn().await;
    let (status, created, headers) = send_raw(
        &t,
        Method::POST,
        "/api/v1/keys",
        &t.acme.secret_key,
        Some(json!({"kind": "secret", "label": " deploy bot "}).to_string()),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(headers["cache-control"], "no-store");
    let second = created["key"].as_str().unwrap().to_owned();
    assert!(
        second.starts_with("secret_live_")
            && second.starts_with(created["prefix"].as_str().unwrap())
    );
    assert_eq!(
        (&created["kind"], &created["label"]),
        (&json!("secret"), &json!("deploy bot"))
    );
    let (status, list) = get(&t, "/api/v1/keys", &second).await;
    assert_eq!(status, 200, "the new key works at once");
    assert_eq!(list["data"].as_array().unwrap().len(), 3);

    // A key may revoke itself while another secret key remains.
    let (status, _) = t
        .dev(
            Method::DELETE,
            &format!("/api/v1/keys/{}", created["id"]),
            &second,
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert!(
        wait_until(Duration::from_secs(1), || async {
            get(&t, "/api/v1/app", &second).await.0 == 401
        })
        .await
    );
    let (status, _) = t
        .dev(
            Method::DELETE,
            &format!("/api/v1/keys/{}", created["id"]),
            &t.acme.secret_key,
            None,
        )
        .await;
    assert_eq!(status, 404, "already revoked");

    // Rotating the SDK key: the old one is revoked (401, no longer 403 on this API).
    assert_eq!(get(&t, "/api/v1/app", &t.acme.sdk_key).await.0, 403);
    let (status, sdk) = t
        .dev(
            Method::POST,
            "/api/v1/keys/rotate",
            &t.acme.secret_key,
            Some(&json!({"kind": "sdk"})),
        )
        .await;
    assert_eq!((status, &sdk["kind"]), (201, &json!("sdk")));
    assert!(sdk["key"].as_str().unwrap().starts_with("key_live_"));
    assert!(
        wait_until(Duration::from_secs(1), || async {
            get(&t, "/api/v1/app", &t.acme.sdk_key).await.0 == 401
        })
        .await
    );
    assert_eq!(
        get(&t, "/api/v1/app", sdk["key"].as_str().unwrap()).await.0,
        403,
        "the new SDK key is valid"
    );

    // Rotating the secret key revokes the caller's own key and hands out its successor.
    let (status, secret) = t
        .dev(
            Method::POST,
            "/api/v1/keys/rotate",
            &t.acme.secret_key,
            Some(&json!({"kind": "secret"})),
        )
        .await;
    assert_eq!(status, 201);
    let new_secret = secret["key"].as_str().unwrap();
    assert!(
        wait_until(Duration::from_secs(1), || async {
            get(&t, "/api/v1/app", &t.acme.secret_key).await.0 == 401
        })
        .await
    );
    let (status, list) = get(&t, "/api/v1/keys", new_secret).await;
    assert_eq!(status, 200);
    let active: Vec<_> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["revoked_at"].is_null())
        .collect();
    assert_eq!(active.len(), 2, "one key of each kind: {list}");
    // The other app is untouched.
    assert_eq!(get(&t, "/api/v1/app", &t.other.secret_key).await.0, 200);
}

#[tokio::test]
async fn the_last_secret_key_and_other_apps_keys_cannot_be_revoked() {
    let t = TestApp::spawn().await;
    let (_, list) = get(&t, "/api/v1/keys", &t.acme.secret_key).await;
    let mine = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["current"] == true)
        .unwrap()["id"]
        .clone();
    let (status, problem) = t
        .dev(
            Method::DELETE,
            &format!("/api/v1/keys/{mine}"),
            &t.acme.secret_key,
            None,
        )
        .await;
    assert_eq!((status, code(&problem)), (409, "last_secret_key"));
    assert_eq!(get(&t, "/api/v1/app", &t.acme.secret_key).await.0, 200);

    let (_, theirs) = get(&t, "/api/v1/keys", &t.other.secret_key).await;
    for key in theirs["data"].as_array().unwrap() {
        let (status, _) = t
            .dev(
                Method::DELETE,
                &format!("/api/v1/keys/{}", key["id"]),
                &t.acme.secret_key,
                None,
            )
            .await;
        assert_eq!(status, 404, "another app's key");
    }
    assert_eq!(get(&t, "/api/v1/app", &t.other.secret_key).await.0, 200);
    for path in ["/api/v1/keys/abc", "/api/v1/keys/999999"] {
        assert_eq!(
            t.dev(Method::DELETE, path, &t.acme.secret_key, None)
                .await
                .0,
            404
        );
    }

    for (body, expected) in [
        (json!({"kind": "admin"}), "kind"),
        (json!({"kind": 1}), "kind"),
        (json!({}), "kind"),
        (json!({"kind": "sdk", "label": "x".repeat(101)}), "label"),
        (json!({"kind": "sdk", "label": "a\u{7}b"}), "label"),
        (json!({"kind": "sdk", "label": 5}), "label"),
    ] {
        let (status, problem) = t
            .dev(
                Method::POST,
                "/api/v1/keys",
                &t.acme.secret_key,
                Some(&body),
            )
            .await;
        assert_eq!((status, field(&problem)), (400, expected), "{body}");
    }
    let (status, problem) = t
        .dev(
            Method::POST,
            "/api/v1/keys/rotate",
            &t.acme.secret_key,
            Some(&json!({"kind": "all"})),
        )
        .await;
    assert_eq!((status, field(&problem)), (400, "kind"));
    let (_, after) = get(&t, "/api/v1/keys", &t.acme.secret_key).await;
    assert_eq!(after, list, "nothing created or revoked");
}
