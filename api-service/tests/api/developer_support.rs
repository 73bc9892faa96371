//! Helpers shared by the developer-API tests.

use std::future::Future;
use std::time::Duration;

use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::helpers::{TestApp, read};

/// `GET {api}{path}` with a Bearer token.
pub async fn get(t: &TestApp, path: &str, token: &str) -> (u16, Value) {
    t.dev(Method::GET, path, token, None).await
}

/// A developer-API request that also returns the response headers. `body` is sent as
/// is, with `Content-Type: application/json`.
pub async fn send_raw(
    t: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<String>,
) -> (u16, Value, HeaderMap) {
    let mut request = t
        .client
        .request(method, format!("{}{path}", t.api))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body);
    }
    let response = request.send().await.unwrap();
    let headers = response.headers().clone();
    let (status, body) = read(response).await;
    (status, body, headers)
}

/// Creates a link through the API as `token`'s app and returns its representation.
pub async fn create_link(t: &TestApp, token: &str, body: Value) -> Value {
    let (status, link) = t
        .dev(Method::POST, "/api/v1/links", token, Some(&body))
        .await;
    assert_eq!(status, 201, "{link}");
    link
}

/// The `field` of a problem document.
pub fn field(problem: &Value) -> &str {
    problem["field"].as_str().unwrap_or_default()
}

/// The `code` of a problem document.
pub fn code(problem: &Value) -> &str {
    problem["code"].as_str().unwrap_or_default()
}

/// Polls `check` every 25 ms until it holds or `timeout` passes.
pub async fn wait_until<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
