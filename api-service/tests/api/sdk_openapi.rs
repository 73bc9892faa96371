//! The OpenAPI document lists exactly the SDK routes this service registers.

use std::collections::BTreeSet;

use crate::helpers::TestApp;

/// Every SDK route, as (path, method).
const SDK_ROUTES: &[(&str, &str)] = &[
    ("/v1/url", "post"),
    ("/v1/url", "get"),
    ("/v1/url", "put"),
    ("/v1/url/bulk/{branch_key}", "post"),
    ("/v1/install", "post"),
    ("/v1/open", "post"),
    ("/v1/close", "post"),
    ("/v2/event/standard", "post"),
    ("/v2/event/custom", "post"),
];

#[tokio::test]
async fn the_document_lists_every_sdk_route_and_no_other() {
    let t = TestApp::spawn().await;
    let response = t
        .client
        .get(format!("{}/api/v1/openapi.json", t.api))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let doc: serde_json::Value = response.json().await.unwrap();
    let paths = doc["paths"].as_object().unwrap();

    let expected: BTreeSet<(String, String)> = SDK_ROUTES
        .iter()
        .map(|(p, m)| ((*p).to_owned(), (*m).to_owned()))
        .collect();
    let documented: BTreeSet<(String, String)> = paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .into_iter()
                .flatten()
                .filter(|(_, op)| {
                    op["tags"]
                        .as_array()
                        .is_some_and(|tags| tags.iter().any(|t| t == "sdk"))
                })
                .map(move |(method, _)| (path.clone(), method.clone()))
        })
        .collect();
    assert_eq!(
        documented, expected,
        "sdk-tagged operations vs the expected list"
    );
    for (path, method) in &expected {
        let op = &paths[path.as_str()][method.as_str()];
        assert!(
            op["responses"]["200"].is_object(),
            "{method} {path} documents its answer"
        );
        assert!(
            op["responses"]["401"].is_object(),
            "{method} {path} documents 401"
        );
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "SdkSessionResponse",
        "SdkUrlRequest",
        "SdkEventRequest",
        "SdkLinkRead",
    ] {
        assert!(schemas.contains_key(name), "{name}");
    }

    // Every expected route answers (not the 404 of an unregistered path).
    for (path, method) in &expected {
        let path = path.replace("{branch_key}", "key_live_x");
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let response = t
            .client
            .request(method.clone(), format!("{}{path}", t.api))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_ne!(response.status(), 404, "{method} {path} is routed");
    }
}
