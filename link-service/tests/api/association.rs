use crate::helpers::*;

#[tokio::test]
async fn association_files_are_served_per_host() {
    let t = TestApp::spawn().await;
    for path in [
        "/.well-known/apple-app-site-association",
        "/apple-app-site-association",
    ] {
        let response = t.get(HOST, path, "AASA-Bot/1.0").await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["content-type"], "application/json");
        assert!(
            response.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("max-age")
        );
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(
            body["applinks"]["details"][0]["appIDs"][0],
            "ABCDE12345.com.acme.app"
        );
        assert!(body["applinks"]["details"][0]["components"].is_array());
        assert_eq!(
            body["applinks"]["details"][1]["appID"],
            "ABCDE12345.com.acme.app"
        );
    }
    let response = t
        .get(
            HOST,
            "/.well-known/assetlinks.json",
            "Google-Digital-Asset-Links",
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body[0]["target"]["package_name"], "com.acme.app");
    assert_eq!(
        body[0]["relation"][0],
        "delegate_permission/common.handle_all_urls"
    );

    // The other app configured neither platform.
    assert_eq!(
        t.get(OTHER_HOST, "/.well-known/apple-app-site-association", "x")
            .await
            .status(),
        404
    );
    assert_eq!(
        t.get(OTHER_HOST, "/.well-known/assetlinks.json", "x")
            .await
            .status(),
        404
    );
    assert_eq!(
        t.get("unknown.test", "/.well-known/assetlinks.json", "x")
            .await
            .status(),
        404
    );
}
