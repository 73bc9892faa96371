//! `/v1/close` and `/v2/event/*`: recorded in the app's shard, Branch's answers.

use serde_json::json;

use crate::helpers::TestApp;
use crate::sdk_support::{problem, wait_for_count};

#[derive(sqlx::FromRow)]
struct StoredEvent {
    category: String,
    customer_event_alias: Option<String>,
    platform: String,
    os_version: Option<String>,
    bundle_token: Option<String>,
    developer_identity: Option<String>,
    user_data: serde_json::Value,
    event_data: serde_json::Value,
    custom_data: serde_json::Value,
    content_items: serde_json::Value,
}

#[tokio::test]
async fn events_and_closes_land_in_the_shard_without_device_identifiers() {
    let t = TestApp::spawn().await;
    let app = t.acme.app_id;
    let purchase = json!({
        "branch_key": t.acme.sdk_key,
        "name": "PURCHASE",
        "customer_event_alias": "first purchase",
        "user_data": {
            "os": "Android", "os_version": 34, "developer_identity": "user-42",
            "randomized_bundle_token": "4611686018427387904",
            "randomized_device_token": "4611686018427387905",
            "aaid": "38400000-8cf0-11bd-b23e-10b96e40000d", "local_ip": "10.0.0.7",
            "app_version": "1.2", "sdk": "android", "country": "DE"
        },
        "event_data": {"transaction_id": "T1", "currency": "USD", "revenue": 9.99},
        "custom_data": {"coupon_used": "true"},
        "content_items": [{"$sku": "A-1", "$price": 9.99, "$quantity": 1}],
        "metadata": {}, "instrumentation": {"qwt": "0"}
    });
    let (status, body) = t.post("/v2/event/standard", &purchase).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"branch_view_enabled": false}));

    // User data may arrive as a JSON string; custom events carry any name.
    let custom = json!({"branch_key": t.acme.sdk_key, "name": "level_up",
                        "user_data": "{\"os\":\"iOS\",\"os_version\":\"17.4\"}"});
    let (status, body) = t.post("/v2/event/custom", &custom).await;
    assert_eq!((status, body), (200, json!({"branch_view_enabled": false})));

    let close = json!({"branch_key": t.acme.sdk_key, "session_id": "4611686018427387999",
                       "randomized_bundle_token": "4611686018427387904"});
    let (status, body) = t.post("/v1/close", &close).await;
    assert_eq!((status, body), (200, json!({})));

    let all = "SELECT count(*) FROM sdk_events WHERE app_id = $1";
    assert_eq!(wait_for_count(&t, app, all, 3).await, 3);
    let row: StoredEvent = sqlx::query_as(
        "SELECT category, customer_event_alias, platform, os_version, bundle_token, \
                developer_identity, user_data, event_data, custom_data, content_items \
         FROM sdk_events WHERE app_id = $1 AND name = 'PURCHASE'",
    )
    .bind(app.get())
    .fetch_one(&t.shard_pool(app))
    .await
    .unwrap();
    assert_eq!(row.category, "standard");
    assert_eq!(row.customer_event_alias.as_deref(), Some("first purchase"));
    assert_eq!(row.platform, "android");
    assert_eq!(row.os_version.as_deref(), Some("14.0"));
    assert_eq!(row.bundle_token.as_deref(), Some("4611686018427387904"));
    assert_eq!(row.developer_identity.as_deref(), Some("user-42"));
    assert_eq!(
        row.user_data,
        json!({"os": "Android", "os_version": 34, "app_version": "1.2", "sdk": "android", "country": "DE"}),
        "identifiers (aaid, local_ip) are not stored"
    );
    assert_eq!(row.event_data["revenue"], 9.99);
    assert_eq!(row.custom_data, json!({"coupon_used": "true"}));
    assert_eq!(row.content_items[0]["$sku"], "A-1");

    let custom: (String, String) = sqlx::query_as(
        "SELECT category, platform FROM sdk_events WHERE app_id = $1 AND name = 'level_up'",
    )
    .bind(app.get())
    .fetch_one(&t.shard_pool(app))
    .await
    .unwrap();
    assert_eq!(custom, ("custom".to_owned(), "ios".to_owned()));
    let close: (String, Option<String>) = sqlx::query_as(
        "SELECT category, session_id FROM sdk_events WHERE app_id = $1 AND name = 'CLOSE'",
    )
    .bind(app.get())
    .fetch_one(&t.shard_pool(app))
    .await
    .unwrap();
    assert_eq!(
        close,
        ("close".to_owned(), Some("4611686018427387999".to_owned()))
    );
}

#[tokio::test]
async fn events_need_a_name_and_well_typed_bounded_parts() {
    let t = TestApp::spawn().await;
    let big = "x".repeat(17 * 1024);
    for (body, field) in [
        (json!({}), "name"),
        (json!({"name": ""}), "name"),
        (json!({"name": ["PURCHASE"]}), "name"),
        (json!({"name": "x".repeat(129)}), "name"),
        (json!({"name": "A", "event_data": [1]}), "event_data"),
        (
            json!({"name": "A", "custom_data": "not json"}),
            "custom_data",
        ),
        (
            json!({"name": "A", "content_items": {"$sku": "x"}}),
            "content_items",
        ),
        (
            json!({"name": "A", "content_items": [1, 2]}),
            "content_items",
        ),
        (
            json!({"name": "A", "custom_data": {"k": big}}),
            "custom_data",
        ),
        (
            json!({"name": "A", "user_data": {"os": {"x": 1}}}),
            "user_data.os",
        ),
        (
            json!({"name": "A", "custom_data": {"k": "nul\u{0}"}}),
            "custom_data",
        ),
    ] {
        let mut body = body;
        body["branch_key"] = json!(t.acme.sdk_key);
        for path in ["/v2/event/standard", "/v2/event/custom"] {
            let (status, answer) = t.post(path, &body).await;
            assert_eq!(status, 400, "{path} {body}: {answer}");
            assert_eq!(problem(&answer).0, field, "{path} {body}: {answer}");
        }
    }
    let (status, answer) = t
        .post(
            "/v1/close",
            &json!({"branch_key": t.acme.sdk_key, "session_id": {}}),
        )
        .await;
    assert_eq!((status, problem(&answer).0), (400, "session_id"));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(t.count(t.acme.app_id, "sdk_events").await, 0);
}
