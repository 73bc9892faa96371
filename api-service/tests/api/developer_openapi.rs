//! The OpenAPI document lists exactly the developer routes that exist.

use std::collections::BTreeSet;

use crate::helpers::TestApp;

/// Every developer-API route, as registered. Keep in step with `developer::configure`.
const ROUTES: &[(&str, &str)] = &[
    ("get", "/api/v1/app"),
    ("patch", "/api/v1/app"),
    ("get", "/api/v1/domains"),
    ("post", "/api/v1/domains"),
    ("patch", "/api/v1/domains/{host}"),
    ("delete", "/api/v1/domains/{host}"),
    ("get", "/api/v1/keys"),
    ("post", "/api/v1/keys"),
    ("post", "/api/v1/keys/rotate"),
    ("delete", "/api/v1/keys/{id}"),
    ("get", "/api/v1/links"),
    ("post", "/api/v1/links"),
    ("post", "/api/v1/links/bulk"),
    ("get", "/api/v1/links/{code}"),
    ("patch", "/api/v1/links/{code}"),
    ("delete", "/api/v1/links/{code}"),
    ("get", "/api/v1/links/{code}/stats"),
    ("get", "/api/v1/links/{code}/qr"),
    ("post", "/api/v1/purge"),
    ("get", "/api/v1/stats"),
    ("post", "/api/v1/admin/apps"),
    ("get", "/api/v1/admin/apps"),
    ("post", "/api/v1/admin/shards"),
    ("get", "/api/v1/admin/shards"),
];

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

#[tokio::test]
async fn openapi_document_lists_every_developer_route() {
    let t = TestApp::spawn().await;
    let response = t
        .client
        .get(format!("{}/api/v1/openapi.json", t.api))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let doc: serde_json::Value = response.json().await.unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        doc["openapi"]
    );
    assert!(doc["info"]["title"].is_string());

    let paths = doc["paths"].as_object().unwrap();
    let documented: BTreeSet<(String, String)> = paths
        .iter()
        .filter(|(path, _)| path.starts_with("/api/v1/") && *path != "/api/v1/openapi.json")
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(|m| ((*m).to_owned(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    let expected: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    let missing: Vec<_> = expected.difference(&documented).collect();
    let unexpected: Vec<_> = documented.difference(&expected).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the document: {missing:?}"
    );
    assert!(
        unexpected.is_empty(),
        "documented routes not in the list: {unexpected:?}"
    );

    // Every operation is secured and documents its problems; every $ref resolves.
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for (method, path) in &expected {
        let op = &paths[path.as_str()][method.as_str()];
        let security = op["security"]
            .as_array()
            .unwrap_or_else(|| panic!("{method} {path}: no security"));
        let scheme = if path.starts_with("/api/v1/admin") {
            "admin_token"
        } else {
            "secret_key"
        };
        assert!(
            security.iter().any(|s| s.get(scheme).is_some()),
            "{method} {path}: {security:?}"
        );
        assert!(
            op["responses"].get("401").is_some(),
            "{method} {path}: no 401"
        );
        assert!(
            op["tags"].as_array().is_some_and(|t| !t.is_empty()),
            "{method} {path}: no tag"
        );
    }
    let text = doc.to_string();
    for reference in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap();
        assert!(schemas.contains_key(name), "dangling $ref to {name}");
    }
    // Every path parameter of a templated path is declared.
    for (method, path) in &expected {
        for param in path
            .split('{')
            .skip(1)
            .map(|s| s.split('}').next().unwrap())
        {
            let declared = paths[path.as_str()][method.as_str()]["parameters"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["name"] == param && p["in"] == "path"));
            assert!(
                declared,
                "{method} {path}: path parameter {param} not declared"
            );
        }
    }
}

#[tokio::test]
async fn a_known_path_with_another_method_is_405_with_allow() {
    let t = TestApp::spawn().await;
    let response = t
        .client
        .put(format!("{}/api/v1/links/some-code", t.api))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(
        response.headers()["allow"].to_str().unwrap(),
        "DELETE, GET, HEAD, PATCH"
    );
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let problem: serde_json::Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "method_not_allowed");

    let sdk = t
        .client
        .get(format!("{}/v1/open", t.api))
        .send()
        .await
        .unwrap();
    assert_eq!(sdk.status(), 405);
    assert_eq!(sdk.headers()["allow"].to_str().unwrap(), "POST");

    let unknown = t
        .client
        .put(format!("{}/api/v1/nothing-here", t.api))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}
