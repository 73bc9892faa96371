//! `/api/v1/links`: CRUD, idempotent aliases, pagination, filters, bad input, isolation.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::developer_support::{code, create_link, field, get, send_raw};
use crate::helpers::{HOST, TestApp};

const DESKTOP: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

#[tokio::test]
async fn create_read_update_delete() {
    let t = TestApp::spawn().await;
    let key = t.acme.secret_key.as_str();
    let (status, link, headers) = send_raw(
        &t,
        Method::POST,
        "/api/v1/links",
        key,
        Some(
            json!({
                "alias": "summer-sale",
                "data": {"$desktop_url": "https://acme.test/sale", "product_id": 42, "keep": true},
                "channel": "email", "feature": "marketing", "campaign": "summer", "stage": "new",
                "tags": ["summer", "sale"], "type": 2, "duration": 3600,
                "expires_at": "2099-01-01T00:00:00Z"
            })
            .to_string(),
        ),
    )
    .await;
    assert_eq!(status, 201, "{link}");
    assert_eq!(headers["location"], "/api/v1/links/summer-sale");
    assert_eq!(link["url"], format!("https://{HOST}/summer-sale"));
    assert_eq!(link["code"], "summer-sale");
    assert_eq!(link["alias"], true);
    assert_eq!(link["data"]["product_id"], 42);
    assert_eq!(link["channel"], "email");
    assert_eq!(link["feature"], "marketing");
    assert_eq!(link["campaign"], "summer");
    assert_eq!(link["stage"], "new");
    assert_eq!(link["tags"], json!(["summer", "sale"]));
    assert_eq!(link["type"], 2);
    assert_eq!(link["duration"], 3600);
    assert_eq!(link["expires_at"], "2099-01-01T00:00:00Z");
    assert_eq!(link["deleted_at"], Value::Null);
    assert_eq!(link["version"], 1);
    assert!(link["created_at"].is_string() && link["updated_at"].is_string());

    let (status, fetched) = get(&t, "/api/v1/links/summer-sale", key).await;
    assert_eq!((status, &fetched), (200, &link));

    // A generated code when there is no alias.
    let generated = create_link(
        &t,
        key,
        json!({"data": {"$desktop_url": "https://acme.test/"}}),
    )
    .await;
    assert_eq!(generated["alias"], false);
    assert_eq!(generated["code"].as_str().unwrap().len(), 11);

    // Branch merge semantics.
    let (status, patched) = t
        .dev(
            Method::PATCH,
            "/api/v1/links/summer-sale",
            key,
            Some(&json!({"data": {"product_id": 43, "keep": null, "new": "x"}, "campaign": null, "tags": ["autumn"]})),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(
        patched["data"],
        json!({"$desktop_url": "https://acme.test/sale", "product_id": 43, "new": "x"})
    );
    assert_eq!(patched["campaign"], Value::Null);
    assert_eq!(patched["channel"], "email", "absent fields are kept");
    assert_eq!(patched["tags"], json!(["autumn"]));
    assert_eq!(patched["version"], 2);

    let click = t.click(HOST, "summer-sale", DESKTOP).await;
    assert_eq!(click.status(), 302);

    let (status, deleted) = t
        .dev(Method::DELETE, "/api/v1/links/summer-sale", key, None)
        .await;
    assert_eq!(status, 200);
    assert!(deleted["deleted_at"].is_string());
    let mut gone = false;
    for _ in 0..40 {
        if t.click(HOST, "summer-sale", DESKTOP).await.status() == 410 {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(gone, "a deleted link answers 410 within a second");
    let (status, fetched) = get(&t, "/api/v1/links/summer-sale", key).await;
    assert_eq!(status, 200);
    assert!(
        fetched["deleted_at"].is_string(),
        "deleted links stay readable"
    );
    for method in [Method::PATCH, Method::DELETE] {
        let (status, problem) = t
            .dev(
                method.clone(),
                "/api/v1/links/summer-sale",
                key,
                Some(&json!({})),
            )
            .await;
        assert_eq!(
            (status, code(&problem)),
            (404, "not_found"),
            "{method} on a deleted link"
        );
    }
    let (status, _) = get(&t, "/api/v1/links/no-such-link", key).await;
    assert_eq!(status, 404);
    let (status, _) = get(&t, "/api/v1/links/bad%20code", key).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn an_alias_is_idempotent_with_the_same_parameters_only() {
    let t = TestApp::spawn().await;
    let key = t.acme.secret_key.as_str();
    let body = json!({"alias": "launch", "data": {"$desktop_url": "https://acme.test/launch"}, "tags": ["a"]});
    let first = create_link(&t, key, body.clone()).await;
    let (status, again) = t.dev(Method::POST, "/api/v1/links", key, Some(&body)).await;
    assert_eq!(
        status, 200,
        "same alias, same parameters: the existing link"
    );
    assert_eq!(again, first);

    let (status, problem) = t
        .dev(
            Method::POST,
            "/api/v1/links",
            key,
            Some(&json!({"alias": "launch", "data": {"$desktop_url": "https://acme.test/other"}})),
        )
        .await;
    assert_eq!((status, code(&problem)), (409, "alias_taken"));
    assert_eq!(t.count(t.acme.app_id, "links").await, 1);

    // Aliases are per app: the other app may use the same one.
    let theirs = create_link(&t, &t.other.secret_key, body).await;
    assert_eq!(theirs["code"], "launch");
}

#[tokio::test]
async fn match_duration_in_the_data_sets_the_links_window() {
    let t = TestApp::spawn().await;
    let key = t.acme.secret_key.as_str();
    let link = create_link(
        &t,
        key,
        json!({"alias": "short-window", "data": {"$match_duration": "600"}}),
    )
    .await;
    assert_eq!(link["duration"], 600);
    // An explicit `duration` wins.
    let link = create_link(
        &t,
        key,
        json!({"alias": "both", "duration": 60, "data": {"$match_duration": 600}}),
    )
    .await;
    assert_eq!(link["duration"], 60);
    // Patching the key in the data moves the window, as creating with it does.
    let (status, patched) = t
        .dev(
            Method::PATCH,
            "/api/v1/links/both",
            key,
            Some(&json!({"data": {"$match_duration": 86400}})),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["duration"], 86400);
    let (status, patched) = t
        .dev(
            Method::PATCH,
            "/api/v1/links/both",
            key,
            Some(&json!({"data": {"other": 1}})),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(
        patched["duration"], 86400,
        "other data leaves the window alone"
    );
}

#[tokio::test]
async fn bad_input_names_the_field_and_writes_nothing() {
    let t = TestApp::spawn().await;
    let key = t.acme.secret_key.as_str();
    create_link(&t, key, json!({"alias": "keep", "data": {"a": 1}})).await;
    let before = t.count(t.acme.app_id, "links").await;

    let cases = [
        (json!({"alias": "bad alias"}), "alias"),
        (json!({"alias": "x".repeat(129)}), "alias"),
        (json!({"data": 5}), "data"),
        (
            json!({"data": {"$ios_url": "javascript:alert(1)"}}),
            "data.$ios_url",
        ),
        (
            json!({"data": {"$deeplink_path": "evil://x"}}),
            "data.$deeplink_path",
        ),
        (json!({"data": {"big": "x".repeat(17 * 1024)}}), "data"),
        (json!({"channel": {"x": 1}}), "channel"),
        (json!({"campaign": "x".repeat(129)}), "campaign"),
        (json!({"tags": [1]}), "tags"),
        (
            json!({"tags": (0..33).map(|i| i.to_string()).collect::<Vec<_>>()}),
            "tags",
        ),
        (json!({"type": 9}), "type"),
        (json!({"type": "one"}), "type"),
        (json!({"duration": 0}), "duration"),
        (json!({"duration": "soon"}), "duration"),
        (
            json!({"data": {"$match_duration": "soon"}}),
            "data.$match_duration",
        ),
        (json!({"expires_at": "tomorrow"}), "expires_at"),
        // Postgres stores no NUL in text or jsonb.
        (json!({"data": {"a": "x\u{0}"}}), "data"),
        // Stored, it would read back as 309 digits that serde_json refuses.
        (json!({"data": {"n": 1.7976931348623157e308}}), "data"),
        (json!({"channel": "e\u{0}"}), "channel"),
        (json!({"tags": ["\u{0}"]}), "tags"),
        (
            json!({"data": {"$twitter_card": "player"}}),
            "data.$twitter_card",
        ),
        (
            json!({"data": {"$og_image_width": -1}}),
            "data.$og_image_width",
        ),
    ];
    for (body, expected) in &cases {
        let (status, problem) = t.dev(Method::POST, "/api/v1/links", key, Some(body)).await;
        assert_eq!(
            (status, code(&problem), field(&problem)),
            (400, "invalid_field", *expected),
            "POST {body}"
        );
        if expected != &"alias" {
            let (status, problem) = t
                .dev(Method::PATCH, "/api/v1/links/keep", key, Some(body))
                .await;
            assert_eq!((status, field(&problem)), (400, *expected), "PATCH {body}");
        }
    }
    let (status, problem) = t
        .dev(
            Method::PATCH,
            "/api/v1/links/keep",
            key,
            Some(&json!({"alias": "renamed"})),
        )
        .await;
    assert_eq!((status, field(&problem)), (400, "alias"));

    // Not JSON, not an object, wrong content type, too large.
    for (body, status_wanted) in [
        ("{\"alias\": ".to_owned(), 400),
        ("[1, 2]".to_owned(), 400),
        ("\"text\"".to_owned(), 400),
        (
            format!(
                "{{\"data\": {{\"x\": \"{}\"}}}}",
                "x".repeat(1024 * 1024 + 10)
            ),
            413,
        ),
    ] {
        for (method, path) in [
            (Method::POST, "/api/v1/links"),
            (Method::PATCH, "/api/v1/links/keep"),
        ] {
            let (status, problem, headers) =
                send_raw(&t, method.clone(), path, key, Some(body.clone())).await;
            assert_eq!(
                status,
                status_wanted,
                "{method} {path} {}",
                &body[..body.len().min(40)]
            );
            assert_eq!(headers["content-type"], "application/problem+json");
            let wanted = if status_wanted == 413 {
                "payload_too_large"
            } else {
                "malformed_body"
            };
            assert_eq!(code(&problem), wanted);
        }
    }
    let response = t
        .client
        .post(format!("{}/api/v1/links", t.api))
        .bearer_auth(key)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);

    assert_eq!(
        t.count(t.acme.app_id, "links").await,
        before,
        "nothing written"
    );
    let (_, kept) = get(&t, "/api/v1/links/keep", key).await;
    assert_eq!(
        (kept["version"].as_i64(), &kept["data"]),
        (Some(1), &json!({"a": 1})),
        "nothing changed"
    );
}

#[tokio::test]
async fn listing_pages_through_every_link_once_with_filters() {
    let t = TestApp::spawn().await;
    let key = t.acme.secret_key.as_str();
    let items: Vec<Value> = (0..23)
        .map(|i| {
            json!({
                "alias": format!("l{i:02}"),
                "tags": if i % 2 == 0 { vec!["even"] } else { vec!["odd"] },
                "campaign": if i < 5 { "early" } else { "late" },
                "channel": if i % 3 == 0 { "sms" } else { "email" },
                "feature": if i == 7 { "special" } else { "plain" },
            })
        })
        .collect();
    let (status, bulk) = t
        .dev(Method::POST, "/api/v1/links/bulk", key, Some(&json!(items)))
        .await;
    assert_eq!(
        (status, bulk["created"].as_u64()),
        (200, Some(23)),
        "{bulk}"
    );
    create_link(&t, &t.other.secret_key, json!({"alias": "theirs"})).await;

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/links?limit=5&cursor={c}"),
            None => "/api/v1/links?limit=5".to_owned(),
        };
        let (status, page) = get(&t, &path, key).await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        let data = page["data"].as_array().unwrap();
        assert!(data.len() <= 5);
        seen.extend(data.iter().map(|l| l["code"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!(pages, 5);
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(
        (seen.len(), unique.len()),
        (23, 23),
        "every link exactly once: {seen:?}"
    );
    assert_eq!(
        seen.first().map(String::as_str),
        Some("l22"),
        "newest first"
    );
    assert!(
        !seen.iter().any(|c| c == "theirs"),
        "never another app's links"
    );

    let count = |page: &Value| page["data"].as_array().unwrap().len();
    let (_, page) = get(&t, "/api/v1/links?limit=1000", key).await;
    assert_eq!((count(&page), &page["next_cursor"]), (23, &Value::Null));
    let (_, page) = get(&t, "/api/v1/links", key).await;
    assert_eq!(count(&page), 23, "default page of 50");
    for (query, expected) in [
        ("tag=even", 12),
        ("tag=odd&campaign=early", 2),
        ("channel=sms", 8),
        ("feature=special", 1),
        ("campaign=none", 0),
    ] {
        let (status, page) = get(&t, &format!("/api/v1/links?{query}"), key).await;
        assert_eq!((status, count(&page)), (200, expected), "{query}");
    }
    t.dev(Method::DELETE, "/api/v1/links/l00", key, None).await;
    let (_, page) = get(&t, "/api/v1/links?limit=1000", key).await;
    assert_eq!(count(&page), 22, "deleted links are left out");
    let (_, page) = get(&t, "/api/v1/links?limit=1000&include_deleted=true", key).await;
    assert_eq!(count(&page), 23);

    for (query, bad) in [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=ten", "limit"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=AAAAAAAAAAA", "cursor"),
        ("include_deleted=maybe", "include_deleted"),
        ("tag=a%00", "tag"),
        ("channel=%01", "channel"),
        ("campaign=x%00", "campaign"),
        ("feature=%7F", "feature"),
    ] {
        let (status, problem) = get(&t, &format!("/api/v1/links?{query}"), key).await;
        assert_eq!((status, field(&problem)), (400, bad), "{query}");
    }
}

/// A row the service cannot read (here a number too large for a float, stored by hand)
/// is left out of listings instead of failing them, and paging moves past it; the link
/// itself answers 409 naming the column, not a 503 to retry.
#[tokio::test]
async fn an_unreadable_row_is_left_out_of_listings() {
    let t = TestApp::spawn().await;
    let key = t.acme.secret_key.as_str();
    for alias in ["first", "broken", "last"] {
        create_link(&t, key, json!({"alias": alias})).await;
    }
    sqlx::query(
        "UPDATE links SET data = '{\"n\": 1e400}'::jsonb WHERE app_id = $1 AND code = 'broken'",
    )
    .bind(t.acme.app_id.get())
    .execute(&t.shard_pool(t.acme.app_id))
    .await
    .unwrap();

    let codes = |page: &Value| -> Vec<String> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["code"].as_str().unwrap().to_owned())
            .collect()
    };
    let (status, page) = get(&t, "/api/v1/links", key).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(codes(&page), ["last", "first"]);

    // One link a page: the broken row's page is empty but still has a next page.
    let mut seen = Vec::new();
    let mut path = "/api/v1/links?limit=1".to_owned();
    for _ in 0..4 {
        let (status, page) = get(&t, &path, key).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(codes(&page));
        match page["next_cursor"].as_str() {
            Some(next) => path = format!("/api/v1/links?limit=1&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(seen, ["last", "first"]);

    // The link itself names what cannot be read and is no outage to retry.
    let patch = json!({"channel": "x"});
    for method in [Method::GET, Method::PATCH, Method::DELETE] {
        let body = (method == Method::PATCH).then_some(&patch);
        let (status, problem) = t
            .dev(method.clone(), "/api/v1/links/broken", key, body)
            .await;
        assert_eq!(status, 409, "{method} {problem}");
        assert_eq!(problem["code"], "unreadable_row", "{method} {problem}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            detail.contains("data") && detail.contains("repaired"),
            "{detail}"
        );
    }
    let (status, _) = get(&t, "/api/v1/links/first", key).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn another_apps_links_answer_404() {
    let t = TestApp::spawn().await;
    let mine = create_link(
        &t,
        &t.acme.secret_key,
        json!({"alias": "mine", "data": {"a": 1}}),
    )
    .await;
    let theirs = t.other.secret_key.as_str();
    for (method, path) in [
        (Method::GET, "/api/v1/links/mine"),
        (Method::PATCH, "/api/v1/links/mine"),
        (Method::DELETE, "/api/v1/links/mine"),
        (Method::GET, "/api/v1/links/mine/stats"),
        (Method::GET, "/api/v1/stats?link=mine"),
    ] {
        let (status, problem) = t
            .dev(
                method.clone(),
                path,
                theirs,
                Some(&json!({"data": {"a": 2}})),
            )
            .await;
        assert_eq!(
            (status, code(&problem)),
            (404, "not_found"),
            "{method} {path}"
        );
    }
    let (_, page) = get(&t, "/api/v1/links?limit=1000&include_deleted=true", theirs).await;
    assert_eq!(page["data"], json!([]));
    // Creating the same alias in the other app is a different link, not a conflict.
    create_link(&t, theirs, json!({"alias": "mine"})).await;
    let (_, still) = get(&t, "/api/v1/links/mine", &t.acme.secret_key).await;
    assert_eq!(still, mine, "untouched");
}

/// Branch aliases may be paths; the API names such a link with its `/` escaped.
#[tokio::test]
async fn a_path_alias_is_a_link_like_any_other() {
    let t = TestApp::spawn().await;
    let key = t.acme.secret_key.as_str();
    let body = json!({"alias": "product/id1234", "data": {"$desktop_url": "https://acme.test/p"}});
    let (status, link, headers) = send_raw(
        &t,
        Method::POST,
        "/api/v1/links",
        key,
        Some(body.to_string()),
    )
    .await;
    assert_eq!(status, 201, "{link}");
    assert_eq!(link["url"], format!("https://{HOST}/product/id1234"));
    assert_eq!(headers["location"], "/api/v1/links/product%2Fid1234");

    let (status, fetched) = get(&t, "/api/v1/links/product%2Fid1234", key).await;
    assert_eq!((status, &fetched), (200, &link));
    let (status, stats) = get(&t, "/api/v1/links/product%2Fid1234/stats", key).await;
    assert_eq!(status, 200, "{stats}");
    let (status, patched) = t
        .dev(
            Method::PATCH,
            "/api/v1/links/product%2Fid1234",
            key,
            Some(&json!({"channel": "email"})),
        )
        .await;
    assert_eq!(
        (status, &patched["channel"]),
        (200, &json!("email")),
        "{patched}"
    );

    // People click the path itself, with or without a final slash.
    let click = |path: &str| {
        t.client
            .get(format!("{}/{path}", t.link))
            .header("host", HOST)
            .header("user-agent", DESKTOP)
            .send()
    };
    for path in ["product/id1234", "product/id1234/"] {
        let response = click(path).await.unwrap();
        assert_eq!(response.status(), 302, "{path}");
        assert_eq!(response.headers()["location"], "https://acme.test/p");
    }
    assert_eq!(click("product//id1234").await.unwrap().status(), 404);

    for (alias, why) in [
        ("a/key_live_x", "the long-link prefix"),
        ("/lead", "a leading slash"),
        ("x//y", "an empty part"),
        ("x/../y", "a dot part"),
    ] {
        let body = json!({"alias": alias});
        let (status, problem) = t.dev(Method::POST, "/api/v1/links", key, Some(&body)).await;
        assert_eq!(status, 400, "{why}: {problem}");
        assert_eq!(field(&problem), "alias", "{why}: {problem}");
    }

    let (status, _) = t
        .dev(Method::DELETE, "/api/v1/links/product%2Fid1234", key, None)
        .await;
    assert!(status == 200 || status == 204, "{status}");
}
