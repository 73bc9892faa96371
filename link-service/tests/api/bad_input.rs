use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn odd_requests_get_a_clean_4xx_or_the_normal_answer() {
    let t = TestApp::spawn().await;
    t.create_link(t.app_id, "ok", json!({}), &[]).await;
    let long_code = format!("/{}", "a".repeat(65));
    let huge_code = format!("/{}", "a".repeat(5000));
    let paths = [
        long_code.as_str(),
        huge_code.as_str(),
        "/%ff%fe",
        "/%zz",
        "/..%2f..%2fetc%2fpasswd",
        "/../../etc/passwd",
        "/a/b/c",
        "/ok%00",
        "/%E2%80%AE",
        "/favicon.ico",
        "/ok?%ff=%zz&&=",
    ];
    for path in paths {
        let status = t.get(HOST, path, DESKTOP).await.status();
        assert!(
            status.is_client_error() || status.is_redirection(),
            "{path}: {status}"
        );
    }

    let big_ua = "Mozilla/5.0 ".repeat(1400);
    for ua in [
        "",
        " ",
        big_ua.as_str(),
        "\u{1F600} emoji",
        "() { :; }; echo",
    ] {
        let status = t.get(HOST, "/ok", ua).await.status();
        assert!(
            status.is_success() || status.is_redirection(),
            "UA {:?}: {status}",
            ua.chars().take(20).collect::<String>()
        );
    }
    // No User-Agent header at all.
    let status = t
        .client
        .get(format!("{}/ok", t.base))
        .header("host", HOST)
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_redirection(), "{status}");

    for cookie in [
        "hl_bid=%%%",
        "hl_bid=",
        "=;;=;",
        &"x".repeat(4000),
        "hl_bid=a.b.c; hl_bid=zzz",
    ] {
        let status = t
            .client
            .get(format!("{}/ok", t.base))
            .header("host", HOST)
            .header("user-agent", DESKTOP)
            .header("cookie", cookie)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 302, "cookie {cookie:?}");
    }

    for host in [
        "",
        "GO.ACME.TEST",
        "go.acme.test:8080",
        "go.acme.test.",
        "[::1]",
        "a b",
    ] {
        let status = t.get(host, "/ok", DESKTOP).await.status();
        assert!(
            status == 302 || status == 404 || status == 400,
            "host {host:?}: {status}"
        );
    }
    assert_eq!(
        t.get("GO.ACME.TEST:8080", "/ok", DESKTOP).await.status(),
        302
    );

    for method in [
        "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND",
    ] {
        let response = t
            .client
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                format!("{}/ok", t.base),
            )
            .header("host", HOST)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "{method}");
    }
}
