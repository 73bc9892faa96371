//! `/v1/url`: create, bulk create, read and update, Branch style.

use serde_json::{Value, json};

use crate::helpers::{HOST, OTHER_HOST, TestApp};
use crate::sdk_support::{code_of, create_url, post_raw, post_with, problem};

async fn read_url(t: &TestApp, url: &str, key: &str) -> (u16, Value) {
    let response = t
        .client
        .get(format!("{}/v1/url", t.api))
        .query(&[("url", url), ("branch_key", key)])
        .send()
        .await
        .unwrap();
    crate::helpers::read(response).await
}

async fn update_url(t: &TestApp, url: &str, body: &Value) -> (u16, Value) {
    let response = t
        .client
        .put(format!("{}/v1/url", t.api))
        .query(&[("url", url)])
        .json(body)
        .send()
        .await
        .unwrap();
    crate::helpers::read(response).await
}

#[tokio::test]
async fn creates_a_link_on_the_primary_domain_and_reads_it_back_in_branch_shape() {
    let t = TestApp::spawn().await;
    let url = create_url(
        &t,
        &t.acme.sdk_key,
        json!({
            "data": "{\"$deeplink_path\":\"product/7\",\"color\":\"red\"}",
            "channel": "email", "feature": "share", "campaign": "spring", "stage": "new",
            "tags": ["a", "b"], "type": "0", "duration": 3600
        }),
    )
    .await;
    assert!(url.starts_with(&format!("https://{HOST}/")), "{url}");

    let (status, link) = read_url(&t, &url, &t.acme.sdk_key).await;
    assert_eq!(status, 200, "{link}");
    assert_eq!(link["channel"], "email");
    assert_eq!(link["feature"], "share");
    assert_eq!(link["campaign"], "spring");
    assert_eq!(link["stage"], "new");
    assert_eq!(link["tags"], json!(["a", "b"]));
    assert_eq!(link["alias"], "");
    assert_eq!(link["type"], 0);
    assert_eq!(link["duration"], 3600);
    let data = &link["data"];
    assert_eq!(data["$deeplink_path"], "product/7");
    assert_eq!(data["color"], "red");
    assert_eq!(data["~channel"], "email");
    assert_eq!(data["~tags"], json!(["a", "b"]));
    assert_eq!(data["url"], url.as_str());
    assert_eq!(data["+url"], url.as_str());
    assert_eq!(data["$one_time_use"], false);
    assert!(data["~id"].as_str().is_some(), "{data}");

    // An object works as well as a JSON string, and so does the Web SDK's form body.
    let url = create_url(&t, &t.acme.sdk_key, json!({"data": {"k": 1}})).await;
    let (_, link) = read_url(&t, &url, &t.acme.sdk_key).await;
    assert_eq!(link["data"]["k"], 1);
    let form = format!(
        "branch_key={}&channel=web&data=%7B%22k%22%3A2%7D",
        t.acme.sdk_key
    );
    let (status, body) = post_raw(
        &t,
        "/v1/url",
        "application/x-www-form-urlencoded",
        form.into_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, link) = read_url(&t, body["url"].as_str().unwrap(), &t.acme.sdk_key).await;
    assert_eq!(
        (link["channel"].clone(), link["data"]["k"].clone()),
        (json!("web"), json!(2))
    );
}

#[tokio::test]
async fn an_alias_is_idempotent_with_the_same_parameters_and_409_with_others() {
    let t = TestApp::spawn().await;
    let params = json!({"alias": "summer-sale", "channel": "email", "data": {"k": 1}});
    let first = create_url(&t, &t.acme.sdk_key, params.clone()).await;
    assert_eq!(first, format!("https://{HOST}/summer-sale"));
    let again = create_url(&t, &t.acme.sdk_key, params).await;
    assert_eq!(again, first);

    let mut other = json!({"alias": "summer-sale", "channel": "sms", "data": {"k": 1}});
    other["branch_key"] = json!(t.acme.sdk_key);
    let (status, body) = t.post("/v1/url", &other).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(problem(&body).1, "alias_taken");

    let (_, link) = read_url(&t, &first, &t.acme.sdk_key).await;
    assert_eq!(link["alias"], "summer-sale");
    assert_eq!(link["channel"], "email", "the original is untouched");
}

#[tokio::test]
async fn bulk_creates_in_order_with_per_item_errors() {
    let t = TestApp::spawn().await;
    create_url(
        &t,
        &t.acme.sdk_key,
        json!({"alias": "taken", "channel": "a"}),
    )
    .await;
    let items = json!([
        {"channel": "branch"},
        {"channel": "fb", "data": "{\"$og_title\":\"deep linking\"}"},
        {"alias": "bad alias"},
        {"alias": "taken", "channel": "b"},
        "not an object",
        {"alias": "fresh", "tags": ["x"]}
    ]);
    let path = format!("/v1/url/bulk/{}", t.acme.sdk_key);
    let (status, results) = t.post(&path, &items).await;
    assert_eq!(status, 200, "{results}");
    let results = results.as_array().unwrap();
    assert_eq!(results.len(), 6);
    assert!(
        results[0]["url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("https://{HOST}/"))
    );
    assert!(results[1]["url"].is_string());
    assert_eq!(results[2]["error"]["code"], 400);
    assert_eq!(results[2]["error"]["field"], "alias");
    assert_eq!(results[3]["error"]["code"], 409);
    assert_eq!(results[3]["error"]["kind"], "alias_taken");
    assert_eq!(results[4]["error"]["code"], 400);
    assert_eq!(results[5]["url"], format!("https://{HOST}/fresh"));
    assert!(
        results
            .iter()
            .all(|r| r.get("url").is_some() != r.get("error").is_some())
    );

    let (_, link) = read_url(&t, results[1]["url"].as_str().unwrap(), &t.acme.sdk_key).await;
    assert_eq!(link["data"]["$og_title"], "deep linking");

    let (status, body) = t.post(&path, &json!({"channel": "x"})).await;
    assert_eq!(status, 400, "{body}");
    let too_many = Value::Array(vec![json!({}); 1001]);
    let (status, _) = t.post(&path, &too_many).await;
    assert_eq!(status, 400);
    let (status, _) = t.post("/v1/url/bulk/key_live_nope", &items).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn another_apps_links_cannot_be_read_or_changed() {
    let t = TestApp::spawn().await;
    let url = create_url(&t, &t.acme.sdk_key, json!({"channel": "email"})).await;
    let (status, body) = read_url(&t, &url, &t.other.sdk_key).await;
    assert_eq!(status, 404, "{body}");

    // Same code on the other app's own domain: that app has no such link.
    let on_other = format!("https://{OTHER_HOST}/{}", code_of(&url));
    let (status, _) = read_url(&t, &on_other, &t.other.sdk_key).await;
    assert_eq!(status, 404);
    // Hosts no app has, paths that are not codes.
    for bad in [
        "https://evil.test/abc",
        "not a url",
        &format!("https://{HOST}/a/b"),
    ] {
        let (status, _) = read_url(&t, bad, &t.acme.sdk_key).await;
        assert_eq!(status, 404, "{bad}");
    }
    let (status, body) = update_url(
        &t,
        &url,
        &json!({"branch_key": t.other.sdk_key, "branch_secret": t.other.secret_key, "channel": "x"}),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    let (_, link) = read_url(&t, &url, &t.acme.sdk_key).await;
    assert_eq!(link["channel"], "email");

    // No url at all.
    let response = t
        .client
        .get(format!("{}/v1/url", t.api))
        .query(&[("branch_key", t.acme.sdk_key.as_str())])
        .send()
        .await
        .unwrap();
    let (status, body) = crate::helpers::read(response).await;
    assert_eq!((status, problem(&body).0), (400, "url"));
}

#[tokio::test]
async fn update_needs_the_secret_of_the_same_app_and_merges_data() {
    let t = TestApp::spawn().await;
    let url = create_url(
        &t,
        &t.acme.sdk_key,
        json!({"channel": "facebook", "feature": "share-button", "data": {"photo_id": "50", "valid": "true"}}),
    )
    .await;
    let change = |key: &str, secret: Option<&str>| {
        let mut body = json!({
            "branch_key": key, "channel": "twitter", "campaign": "november",
            "data": {"photo_id": "51", "photo_name": "John", "valid": null}
        });
        if let Some(secret) = secret {
            body["branch_secret"] = json!(secret);
        }
        body
    };
    for (body, why) in [
        (change(&t.acme.sdk_key, None), "no secret"),
        (
            change(&t.acme.sdk_key, Some(&t.other.secret_key)),
            "another app's secret",
        ),
        (
            change(&t.acme.sdk_key, Some(&t.acme.sdk_key)),
            "an SDK key as the secret",
        ),
        (
            change(&t.acme.sdk_key, Some("secret_live_made_up")),
            "a made-up secret",
        ),
        (
            change(&t.acme.secret_key, Some(&t.other.secret_key)),
            "keys of two apps",
        ),
    ] {
        let (status, problem_body) = update_url(&t, &url, &body).await;
        assert_eq!(status, 401, "{why}: {problem_body}");
    }
    let (_, unchanged) = read_url(&t, &url, &t.acme.sdk_key).await;
    assert_eq!(unchanged["channel"], "facebook");

    let (status, link) =
        update_url(&t, &url, &change(&t.acme.sdk_key, Some(&t.acme.secret_key))).await;
    assert_eq!(status, 200, "{link}");
    assert_eq!(link["channel"], "twitter");
    assert_eq!(link["campaign"], "november");
    assert_eq!(link["feature"], "share-button", "fields not sent are kept");
    assert_eq!(link["data"]["photo_id"], "51");
    assert_eq!(link["data"]["photo_name"], "John");
    assert!(link["data"].get("valid").is_none(), "null removes a key");
    let (_, read_back) = read_url(&t, &url, &t.acme.sdk_key).await;
    assert_eq!(read_back, link);

    let (status, body) = update_url(
        &t,
        &url,
        &json!({"branch_key": t.acme.sdk_key, "branch_secret": t.acme.secret_key, "tags": [1]}),
    )
    .await;
    assert_eq!((status, problem(&body).0), (400, "tags"));
    let missing = format!("https://{HOST}/nope");
    let (status, _) = update_url(
        &t,
        &missing,
        &change(&t.acme.sdk_key, Some(&t.acme.secret_key)),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn invalid_parameters_name_their_field_and_create_nothing() {
    let t = TestApp::spawn().await;
    let before = t.count(t.acme.app_id, "links").await;
    for (body, field) in [
        (json!({"alias": "no spaces"}), "alias"),
        (json!({"data": 5}), "data"),
        (json!({"data": "not json"}), "data"),
        (json!({"tags": [1]}), "tags"),
        (json!({"type": 9}), "type"),
        (json!({"duration": "soon"}), "duration"),
        (json!({"channel": {"x": 1}}), "channel"),
        (
            json!({"data": {"$ios_url": "javascript:alert(1)"}}),
            "data.$ios_url",
        ),
    ] {
        let mut body = body;
        body["branch_key"] = json!(t.acme.sdk_key);
        let (status, problem_body) = post_with(&t, "/v1/url", &body, &[]).await;
        assert_eq!(status, 400, "{body}: {problem_body}");
        assert!(
            problem(&problem_body)
                .0
                .starts_with(field.split('.').next().unwrap()),
            "{body}: {problem_body}"
        );
    }
    assert_eq!(t.count(t.acme.app_id, "links").await, before);
}

/// The SDK key ships inside the app, so anyone can make links with it: like long links,
/// they may only lead to the app's own sites. Secret-key links may lead anywhere.
#[tokio::test]
async fn links_made_with_the_sdk_key_lead_only_to_the_apps_own_sites() {
    let t = TestApp::spawn().await;
    let with_data = |data: Value| json!({"branch_key": t.acme.sdk_key, "data": data});
    for (data, field) in [
        (
            json!({"$fallback_url": "https://phish.example/login"}),
            "data.$fallback_url",
        ),
        (
            json!({"$ios_url": "https://acme.test.phish.example/"}),
            "data.$ios_url",
        ),
        (
            json!({"$fallback_url_de": "https://phish.example/de"}),
            "data.$fallback_url_de",
        ),
        (
            json!({"$android_url_de": "https://phish.example/de"}),
            "data.$android_url_de",
        ),
    ] {
        let (status, body) = t.post("/v1/url", &with_data(data)).await;
        assert_eq!((status, problem(&body).0), (400, field), "{body}");
        assert!(
            body["detail"]
                .as_str()
                .is_some_and(|d| d.contains("long_link_hosts")),
            "{body}"
        );
    }
    // The hosts of the app's fallback and desktop URLs, and their subdomains.
    for own in ["https://acme.test/offer", "https://shop.acme.test/item/1"] {
        let (status, body) = t
            .post("/v1/url", &with_data(json!({"$desktop_url": own})))
            .await;
        assert_eq!(status, 200, "{own}: {body}");
    }
    let bulk = json!([{"data": {"$desktop_url": "https://acme.test/a"}},
                      {"data": {"$desktop_url": "https://partner.test/a"}}]);
    let path = format!("/v1/url/bulk/{}", t.acme.sdk_key);
    let (_, results) = t.post(&path, &bulk).await;
    assert!(results[0]["url"].is_string(), "{results}");
    assert_eq!(
        results[1]["error"]["field"], "data.$desktop_url",
        "{results}"
    );

    // A partner site is allowed once the app lists it.
    let key = t.acme.secret_key.as_str();
    let hosts = json!({"config": {"long_link_hosts": ["partner.test"]}});
    let (status, body) = t
        .dev(reqwest::Method::PATCH, "/api/v1/app", key, Some(&hosts))
        .await;
    assert_eq!(status, 200, "{body}");
    let partner = with_data(json!({"$desktop_url": "https://partner.test/a"}));
    assert_eq!(t.post("/v1/url", &partner).await.0, 200);

    // The developer API's secret key is the app's own: any destination.
    let (status, body) = t
        .dev(
            reqwest::Method::POST,
            "/api/v1/links",
            key,
            Some(&json!({"data": {"$fallback_url": "https://elsewhere.example/"}})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}
