//! Helpers shared by the SDK API tests: creating links the Branch way, clicking them on
//! the link service and waiting for the click rows, posting SDK requests with headers.

use std::time::Duration;

use link_core::AppId;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, read};

/// `X-Forwarded-For` believed from the test's loopback peer.
pub fn trust_loopback(config: &mut api_service::ApiServiceConfig) {
    config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
}

/// `POST /v1/url` as `key` with extra link parameters; returns the short URL.
pub async fn create_url(t: &TestApp, key: &str, mut params: Value) -> String {
    params["branch_key"] = json!(key);
    let (status, body) = t.post("/v1/url", &params).await;
    assert_eq!(status, 200, "{body}");
    body["url"].as_str().unwrap().to_owned()
}

/// The code of a short URL.
pub fn code_of(url: &str) -> &str {
    url.rsplit('/').next().unwrap()
}

/// `POST {api}{path}` with a JSON body and extra headers.
pub async fn post_with(
    t: &TestApp,
    path: &str,
    body: &Value,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let mut request = t.client.post(format!("{}{path}", t.api)).json(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    read(request.send().await.unwrap()).await
}

/// `POST {api}{path}` with a raw body and content type.
pub async fn post_raw(t: &TestApp, path: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
    let response = t
        .client
        .post(format!("{}{path}", t.api))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    read(response).await
}

/// An SDK session request (install or open) as `key`.
pub async fn session(t: &TestApp, path: &str, key: &str, mut fields: Value) -> (u16, Value) {
    fields["branch_key"] = json!(key);
    t.post(path, &fields).await
}

/// The `data` of a session answer, which Branch sends as a JSON-encoded string.
pub fn session_data(body: &Value) -> Value {
    let raw = body["data"]
        .as_str()
        .unwrap_or_else(|| panic!("data must be a string: {body}"));
    serde_json::from_str(raw).unwrap()
}

/// The id of the link `code` of `app`.
pub async fn link_id(t: &TestApp, app: AppId, code: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM links WHERE app_id = $1 AND code = $2")
        .bind(app.get())
        .bind(code)
        .fetch_one(&t.shard_pool(app))
        .await
        .unwrap()
}

/// Clicks `code` on `host` as `user_agent` and waits until the click is on the shard;
/// returns its id.
pub async fn click(t: &TestApp, app: AppId, host: &str, code: &str, user_agent: &str) -> Uuid {
    let link = link_id(t, app, code).await;
    let before = clicks_of(t, app, link).await;
    let response = t.click(host, code, user_agent).await;
    assert!(
        response.status().is_redirection() || response.status().is_success(),
        "click answered {}",
        response.status()
    );
    let pool = t.shard_pool(app);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let rows: Vec<Uuid> = sqlx::query_scalar(
            "SELECT id FROM clicks WHERE app_id = $1 AND link_id = $2 ORDER BY occurred_at DESC",
        )
        .bind(app.get())
        .bind(link)
        .fetch_all(&pool)
        .await
        .unwrap();
        if rows.len() > before {
            return rows[0];
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the click never reached the shard"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn clicks_of(t: &TestApp, app: AppId, link: i64) -> usize {
    let n: i64 =
        sqlx::query_scalar("SELECT count(*) FROM clicks WHERE app_id = $1 AND link_id = $2")
            .bind(app.get())
            .bind(link)
            .fetch_one(&t.shard_pool(app))
            .await
            .unwrap();
    usize::try_from(n).unwrap()
}

/// Whether a click has been claimed by an install or open.
pub async fn is_claimed(t: &TestApp, app: AppId, click: Uuid) -> bool {
    sqlx::query_scalar("SELECT matched_at IS NOT NULL FROM clicks WHERE id = $1")
        .bind(click)
        .fetch_one(&t.shard_pool(app))
        .await
        .unwrap()
}

/// A scalar of `sql` (with `$1` = the app id) on the app's shard.
pub async fn scalar(t: &TestApp, app: AppId, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .bind(app.get())
        .fetch_one(&t.shard_pool(app))
        .await
        .unwrap()
}

/// Waits until `sql` (with `$1` = the app id) counts `expected`; returns the last count.
pub async fn wait_for_count(t: &TestApp, app: AppId, sql: &str, expected: i64) -> i64 {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let last = scalar(t, app, sql).await;
        if last == expected || tokio::time::Instant::now() >= deadline {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The `field` and `code` of a problem document.
pub fn problem(body: &Value) -> (&str, &str) {
    (
        body["field"].as_str().unwrap_or_default(),
        body["code"].as_str().unwrap_or_default(),
    )
}
