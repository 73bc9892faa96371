//! `POST /api/v1/links/bulk`: independent items, one result each, in order.

use reqwest::Method;
use serde_json::{Value, json};

use crate::developer_support::{code, create_link, field, get, send_raw};
use crate::helpers::TestApp;

#[tokio::test]
async fn good_items_are_created_and_bad_ones_reported_in_order() {
    let t = TestApp::spawn().await;
    let key = t.acme.secret_key.as_str();
    create_link(
        &t,
        key,
        json!({"alias": "existing-same", "channel": "email"}),
    )
    .await;
    create_link(
        &t,
        key,
        json!({"alias": "existing-other", "channel": "email"}),
    )
    .await;
    let before = t.count(t.acme.app_id, "links").await;

    let items = json!([
        {"data": {"$desktop_url": "https://acme.test/0"}},         // 0: 201, generated code
        {"alias": "b1", "tags": ["x"]},                            // 1: 201
        {"type": 9},                                               // 2: 400 type
        {"alias": "b1", "tags": ["x"]},                            // 3: 200, repeat of 1
        {"alias": "b1", "tags": ["y"]},                            // 4: 409, repeat with other params
        "not an object",                                           // 5: 400
        {"alias": "existing-same", "channel": "email"},            // 6: 200
        {"alias": "existing-other", "channel": "sms"},             // 7: 409
        {"data": {"$ios_url": "javascript:alert(1)"}},             // 8: 400 data.$ios_url
        {"alias": "b2", "campaign": "c"}                           // 9: 201
    ]);
    let (status, response) = t
        .dev(Method::POST, "/api/v1/links/bulk", key, Some(&items))
        .await;
    assert_eq!(status, 200, "{response}");
    let results = response["results"].as_array().unwrap();
    assert_eq!(results.len(), 10);
    let statuses: Vec<u64> = results
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [201, 201, 400, 200, 409, 400, 200, 409, 400, 201]);
    for (i, result) in results.iter().enumerate() {
        assert_eq!(result["index"], i);
        let ok = matches!(result["status"].as_u64(), Some(200 | 201));
        assert_eq!(result["link"].is_object(), ok, "{result}");
        assert_eq!(result["error"].is_object(), !ok, "{result}");
    }
    assert_eq!(
        (
            response["created"].as_u64(),
            response["existing"].as_u64(),
            response["failed"].as_u64()
        ),
        (Some(3), Some(2), Some(5))
    );
    assert_eq!(field(&results[2]["error"]), "type");
    assert_eq!(results[2]["error"]["status"], 400);
    assert_eq!(code(&results[4]["error"]), "alias_taken");
    assert_eq!(field(&results[5]["error"]), "body");
    assert_eq!(code(&results[7]["error"]), "alias_taken");
    assert_eq!(field(&results[8]["error"]), "data.$ios_url");
    assert_eq!(results[1]["link"]["code"], "b1");
    assert_eq!(
        results[3]["link"], results[1]["link"],
        "the repeat is the same link"
    );
    assert_eq!(results[6]["link"]["code"], "existing-same");
    assert!(
        results[0]["link"]["url"]
            .as_str()
            .unwrap()
            .starts_with("https://go.acme.test/")
    );

    assert_eq!(
        t.count(t.acme.app_id, "links").await,
        before + 3,
        "only good items written"
    );
    let (_, b1) = get(&t, "/api/v1/links/b1", key).await;
    assert_eq!(b1["tags"], json!(["x"]));
    let (_, other) = get(&t, "/api/v1/links/existing-other", key).await;
    assert_eq!(
        other["channel"], "email",
        "a conflicting item changes nothing"
    );
}

#[tokio::test]
async fn a_thousand_links_in_one_request() {
    let t = TestApp::spawn().await;
    let items: Vec<Value> = (0..1000)
        .map(|i| json!({"data": {"n": i}, "tags": ["bulk", format!("t{}", i % 7)]}))
        .collect();
    let (status, response) = t
        .dev(
            Method::POST,
            "/api/v1/links/bulk",
            &t.acme.secret_key,
            Some(&json!(items)),
        )
        .await;
    assert_eq!((status, response["created"].as_u64()), (200, Some(1000)));
    let results = response["results"].as_array().unwrap();
    for (i, result) in results.iter().enumerate() {
        assert_eq!(
            result["link"]["data"]["n"], i,
            "results follow the request order"
        );
        assert_eq!(
            result["link"]["tags"],
            json!(["bulk", format!("t{}", i % 7)])
        );
    }
    assert_eq!(t.count(t.acme.app_id, "links").await, 1000);
}

#[tokio::test]
async fn the_request_itself_can_be_refused() {
    let t = TestApp::spawn().await;
    let key = t.acme.secret_key.as_str();
    let too_many: Vec<Value> = (0..1001).map(|_| json!({})).collect();
    let (status, problem) = t
        .dev(
            Method::POST,
            "/api/v1/links/bulk",
            key,
            Some(&json!(too_many)),
        )
        .await;
    assert_eq!((status, field(&problem)), (400, "body"));
    for body in ["{\"alias\": \"x\"}", "[{]", "null"] {
        let (status, problem, _) = send_raw(
            &t,
            Method::POST,
            "/api/v1/links/bulk",
            key,
            Some(body.to_owned()),
        )
        .await;
        assert_eq!((status, code(&problem)), (400, "malformed_body"), "{body}");
    }
    let huge = format!("[{{\"data\": {{\"x\": \"{}\"}}}}]", "x".repeat(1024 * 1024));
    let (status, problem, _) =
        send_raw(&t, Method::POST, "/api/v1/links/bulk", key, Some(huge)).await;
    assert_eq!((status, code(&problem)), (413, "payload_too_large"));
    let (status, response) = t
        .dev(Method::POST, "/api/v1/links/bulk", key, Some(&json!([])))
        .await;
    assert_eq!((status, &response["results"]), (200, &json!([])));
    assert_eq!(t.count(t.acme.app_id, "links").await, 0);
}
