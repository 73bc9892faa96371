use serde_json::json;

use crate::helpers::*;

fn set_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn browser_id_cookie_is_set_reused_and_replaced_when_tampered() {
    let t = TestApp::spawn().await;
    t.create_link(t.app_id, "c", json!({}), &[]).await;

    let first = t.get(HOST, "/c", DESKTOP).await;
    let cookie = set_cookie(&first).expect("first click sets the cookie");
    for attr in [
        "hl_bid=",
        "HttpOnly",
        "SameSite=Lax",
        "Path=/",
        "Max-Age=31536000",
    ] {
        assert!(cookie.contains(attr), "{cookie} lacks {attr}");
    }
    assert!(
        !cookie.contains("Secure"),
        "plain http without a trusted proxy"
    );
    let pair = cookie.split(';').next().unwrap().to_owned();

    let again = t
        .client
        .get(format!("{}/c", t.base))
        .header("host", HOST)
        .header("user-agent", DESKTOP)
        .header("cookie", format!("other=1; {pair}"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 302);
    assert!(
        set_cookie(&again).is_none(),
        "a valid cookie is reused, not re-set"
    );

    let tampered = format!("{}0", pair);
    let replaced = t
        .client
        .get(format!("{}/c", t.base))
        .header("host", HOST)
        .header("user-agent", DESKTOP)
        .header("cookie", tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(replaced.status(), 302);
    let new_cookie = set_cookie(&replaced).expect("tampered cookie replaced");
    assert_ne!(new_cookie.split(';').next().unwrap(), pair);

    // Bots get no cookie.
    assert!(set_cookie(&t.get(HOST, "/c", SLACKBOT).await).is_none());
}

#[tokio::test]
async fn cookies_are_secure_behind_a_trusted_https_proxy() {
    let t = TestApp::spawn_with(Options {
        configure: Some(|c| c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]),
        ..Options::default()
    })
    .await;
    t.create_link(t.app_id, "c", json!({}), &[]).await;
    let response = t
        .client
        .get(format!("{}/c", t.base))
        .header("host", HOST)
        .header("user-agent", DESKTOP)
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert!(set_cookie(&response).unwrap().contains("Secure"));
}
