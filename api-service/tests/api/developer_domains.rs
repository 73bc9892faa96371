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
        (
            200,
            json!({"data": [{"host": HOST, "primary": true, "alternate": false}]})
        )
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
        (
            201,
            &json!({"host": "links.acme.test", "primary": false, "alternate": false})
        )
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
        json!([{"host": HOST, "primary": true, "alternate": false}, {"host": "links.acme.test", "primary": false, "alternate": false}])
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
        json!([{"host": "links.acme.test", "primary": true, "alternate": false}])
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
        json!([{"host": OTHER_HOST, "primary": true, "alternate": false}])
    );
    let (_, mine) = get(&t, "/api/v1/domains", key).await;
    assert_eq!(
        mine["data"],
        json!([{"host": HOST, "primary": true, "alternate": false}]),
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

const ALT: &str = "alt.acme.test";
const NEXT: &str = "links.acme.test";

/// A domain as the API shows it.
fn domain(host: &str, primary: bool, alternate: bool) -> serde_json::Value {
    json!({"host": host, "primary": primary, "alternate": alternate})
}

async fn add(t: &TestApp, key: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    t.dev(Method::POST, "/api/v1/domains", key, Some(&body))
        .await
}

async fn set_alternate(
    t: &TestApp,
    key: &str,
    host: &str,
    alternate: bool,
) -> (u16, serde_json::Value) {
    t.dev(
        Method::PATCH,
        &format!("/api/v1/domains/{host}"),
        key,
        Some(&json!({"alternate": alternate})),
    )
    .await
}

#[tokio::test]
async fn an_alternate_domain_serves_links_but_is_never_primary() {
    let t = TestApp::spawn().await;
    let key = t.acme.secret_key.as_str();
    let (status, added, headers) = send_raw(
        &t,
        Method::POST,
        "/api/v1/domains",
        key,
        Some(json!({"host": ALT, "alternate": true}).to_string()),
    )
    .await;
    assert_eq!((status, added), (201, domain(ALT, false, true)));
    assert_eq!(headers["location"], format!("/api/v1/domains/{ALT}"));
    let (_, list) = get(&t, "/api/v1/domains", key).await;
    assert_eq!(
        list["data"],
        json!([domain(HOST, true, false), domain(ALT, false, true)])
    );
    let (_, app) = get(&t, "/api/v1/app", key).await;
    assert_eq!(app["alternate_domain"], ALT);
    assert_eq!(app["domains"], json!([HOST, ALT]));
    let (_, other) = get(&t, "/api/v1/app", &t.other.secret_key).await;
    assert_eq!(other["alternate_domain"], json!(null));

    let link = create_link(
        &t,
        key,
        json!({"alias": "alt", "data": {"$desktop_url": "https://acme.test/alt"}}),
    )
    .await;
    assert_eq!(link["url"], format!("https://{HOST}/alt"));
    assert!(
        wait_until(Duration::from_secs(1), || async {
            t.click(ALT, "alt", DESKTOP).await.status() == 302
        })
        .await,
        "the alternate domain serves the app's links"
    );
}

#[tokio::test]
async fn short_urls_skip_an_alternate_domain_added_before_the_others() {
    let t = TestApp::spawn().await;
    let key = t.acme.secret_key.as_str();
    // The app's first domain becomes the alternate one: the next becomes primary, and
    // short URLs, old links' included, move there.
    let old = create_link(&t, key, json!({"alias": "old"})).await;
    assert_eq!(old["url"], format!("https://{HOST}/old"));
    assert_eq!(add(&t, key, json!({"host": NEXT})).await.0, 201);
    let (status, changed) = set_alternate(&t, key, HOST, true).await;
    assert_eq!((status, changed), (200, domain(HOST, false, true)));
    let (_, list) = get(&t, "/api/v1/domains", key).await;
    assert_eq!(
        list["data"],
        json!([domain(NEXT, true, false), domain(HOST, false, true)]),
        "the alternate domain is listed last, though it was added first"
    );

    let new = create_link(&t, key, json!({"alias": "new"})).await;
    assert_eq!(new["url"], format!("https://{NEXT}/new"));
    let (_, old) = get(&t, "/api/v1/links/old", key).await;
    assert_eq!(old["url"], format!("https://{NEXT}/old"));

    // Made an ordinary domain again, the first-added domain is primary again.
    let (status, changed) = set_alternate(&t, key, HOST, false).await;
    assert_eq!((status, changed), (200, domain(HOST, true, false)));
    let (_, app) = get(&t, "/api/v1/app", key).await;
    assert_eq!(app["alternate_domain"], json!(null));
    let (_, new) = get(&t, "/api/v1/links/new", key).await;
    assert_eq!(new["url"], format!("https://{HOST}/new"));
}

#[tokio::test]
async fn the_alternate_role_moves_from_one_domain_to_another() {
    let t = TestApp::spawn().await;
    let key = t.acme.secret_key.as_str();
    assert_eq!(
        add(&t, key, json!({"host": ALT, "alternate": true}))
            .await
            .0,
        201
    );
    assert_eq!(
        add(&t, key, json!({"host": NEXT, "alternate": false}))
            .await
            .0,
        201
    );

    let (status, moved) = set_alternate(&t, key, NEXT, true).await;
    assert_eq!((status, moved), (200, domain(NEXT, false, true)));
    let (_, list) = get(&t, "/api/v1/domains", key).await;
    assert_eq!(
        list["data"],
        json!([
            domain(HOST, true, false),
            domain(ALT, false, false),
            domain(NEXT, false, true)
        ]),
        "one alternate domain at a time"
    );
    let (_, app) = get(&t, "/api/v1/app", key).await;
    assert_eq!(app["alternate_domain"], NEXT);

    // Posting a domain the app has with another `alternate` changes its role (200).
    let (status, again) = add(&t, key, json!({"host": ALT, "alternate": true})).await;
    assert_eq!((status, again), (200, domain(ALT, false, true)));
    let (status, same) = add(&t, key, json!({"host": ALT})).await;
    assert_eq!(
        (status, same),
        (200, domain(ALT, false, true)),
        "absent: unchanged"
    );
    let (status, same) = set_alternate(&t, key, ALT, true).await;
    assert_eq!(
        (status, same),
        (200, domain(ALT, false, true)),
        "already alternate"
    );
    let (_, list) = get(&t, "/api/v1/domains", key).await;
    let alternates: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["alternate"] == true)
        .map(|d| d["host"].as_str().unwrap())
        .collect();
    assert_eq!(alternates, [ALT]);
}

#[tokio::test]
async fn an_app_keeps_a_domain_for_its_short_urls() {
    let t = TestApp::spawn().await;
    let key = t.acme.secret_key.as_str();
    let (status, problem) = set_alternate(&t, key, HOST, true).await;
    assert_eq!((status, field(&problem)), (400, "alternate"), "{problem}");

    // With a domain beside it, the first domain may take the role (from ALT, which then
    // carries the short URLs).
    assert_eq!(
        add(&t, key, json!({"host": ALT, "alternate": true}))
            .await
            .0,
        201
    );
    assert_eq!(set_alternate(&t, key, HOST, true).await.0, 200);
    let (_, list) = get(&t, "/api/v1/domains", key).await;
    assert_eq!(
        list["data"],
        json!([domain(ALT, true, false), domain(HOST, false, true)])
    );

    // Left alone, the alternate domain carries no short URLs; a new alternate domain
    // takes the role from it, and it is primary again.
    let (status, _) = t
        .dev(Method::DELETE, &format!("/api/v1/domains/{ALT}"), key, None)
        .await;
    assert_eq!(status, 204);
    let (_, list) = get(&t, "/api/v1/domains", key).await;
    assert_eq!(list["data"], json!([domain(HOST, false, true)]));
    let (status, added) = add(&t, key, json!({"host": NEXT, "alternate": true})).await;
    assert_eq!((status, added), (201, domain(NEXT, false, true)));
    let (_, list) = get(&t, "/api/v1/domains", key).await;
    assert_eq!(
        list["data"],
        json!([domain(HOST, true, false), domain(NEXT, false, true)])
    );

    // An app without domains cannot start with an alternate one.
    for host in [NEXT, HOST] {
        let (status, _) = t
            .dev(
                Method::DELETE,
                &format!("/api/v1/domains/{host}"),
                key,
                None,
            )
            .await;
        assert_eq!(status, 204);
    }
    let (status, problem) = add(&t, key, json!({"host": ALT, "alternate": true})).await;
    assert_eq!((status, field(&problem)), (400, "alternate"), "{problem}");
    let (_, list) = get(&t, "/api/v1/domains", key).await;
    assert_eq!(list["data"], json!([]), "nothing added");
}

#[tokio::test]
async fn removing_the_primary_domain_promotes_the_next_ordinary_one() {
    let t = TestApp::spawn().await;
    let key = t.acme.secret_key.as_str();
    assert_eq!(
        add(&t, key, json!({"host": ALT, "alternate": true}))
            .await
            .0,
        201
    );
    assert_eq!(add(&t, key, json!({"host": NEXT})).await.0, 201);
    create_link(&t, key, json!({"alias": "p"})).await;

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
        json!([domain(NEXT, true, false), domain(ALT, false, true)]),
        "the alternate domain, though added earlier, is not promoted"
    );
    let (_, link) = get(&t, "/api/v1/links/p", key).await;
    assert_eq!(link["url"], format!("https://{NEXT}/p"));

    // With its alternate domain alone the app has no short URLs (the link still serves).
    let (status, _) = t
        .dev(
            Method::DELETE,
            &format!("/api/v1/domains/{NEXT}"),
            key,
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (_, link) = get(&t, "/api/v1/links/p", key).await;
    assert_eq!(link["url"], json!(null));
    let (_, app) = get(&t, "/api/v1/app", key).await;
    assert_eq!(
        (&app["domains"], &app["alternate_domain"]),
        (&json!([ALT]), &json!(ALT))
    );
}

#[tokio::test]
async fn changing_a_domain_needs_a_boolean_and_a_domain_of_the_app() {
    let t = TestApp::spawn().await;
    let key = t.acme.secret_key.as_str();
    assert_eq!(add(&t, key, json!({"host": NEXT})).await.0, 201);

    for host in ["nope.acme.test", OTHER_HOST, "not%20a%20host"] {
        let (status, problem) = set_alternate(&t, key, host, true).await;
        assert_eq!((status, code(&problem)), (404, "not_found"), "{host}");
    }
    let path = format!("/api/v1/domains/{NEXT}");
    for (body, expected) in [
        (json!({}), "alternate"),
        (json!({"alternate": null}), "alternate"),
        (json!({"alternate": "true"}), "alternate"),
        (json!({"alternate": 1}), "alternate"),
        (json!({"alternate": true, "host": ALT}), "host"),
        (json!({"alternate": true, "primary": true}), "primary"),
    ] {
        let (status, problem) = t.dev(Method::PATCH, &path, key, Some(&body)).await;
        assert_eq!(
            (status, field(&problem)),
            (400, expected),
            "{body}: {problem}"
        );
    }
    let (status, _, _) = send_raw(&t, Method::PATCH, &path, key, Some("{".into())).await;
    assert_eq!(status, 400);
    let (status, _, _) = send_raw(&t, Method::PATCH, &path, key, Some("[true]".into())).await;
    assert_eq!(status, 400);

    for (body, expected) in [
        (json!({"host": ALT, "alternate": "yes"}), "alternate"),
        (json!({"host": ALT, "alternate": 0}), "alternate"),
        (json!({"host": ALT, "primary": true}), "primary"),
        (json!({"host": NEXT, "alternate": []}), "alternate"),
    ] {
        let (status, problem) = add(&t, key, body.clone()).await;
        assert_eq!(
            (status, field(&problem)),
            (400, expected),
            "{body}: {problem}"
        );
    }
    let (status, _) = t
        .dev(
            Method::PATCH,
            &path,
            &t.acme.sdk_key,
            Some(&json!({"alternate": true})),
        )
        .await;
    assert_eq!(status, 403, "an SDK key cannot change domains");

    let (_, list) = get(&t, "/api/v1/domains", key).await;
    assert_eq!(
        list["data"],
        json!([domain(HOST, true, false), domain(NEXT, false, false)]),
        "nothing changed"
    );
}
