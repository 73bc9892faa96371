use std::time::Duration;

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn each_platform_gets_its_destination() {
    let t = TestApp::spawn().await;
    t.create_link(
        t.app_id,
        "promo",
        json!({"$deeplink_path": "product/42", "$og_title": "Big Promo",
               "$og_type": "product", "$twitter_site": "@acme", "$twitter_title": "Promo!",
               "$after_click_url": "https://acme.test/thanks"}),
        &[],
    )
    .await;

    let iphone = t.get(HOST, "/promo?utm_source=push", IPHONE).await;
    assert_eq!(iphone.status(), 302);
    let loc = location(&iphone);
    assert!(
        loc.starts_with("https://apps.apple.com/app/id1234567890"),
        "{loc}"
    );

    let chrome = t.get(HOST, "/promo?utm_source=push", ANDROID_CHROME).await;
    assert_eq!(chrome.status(), 302);
    let loc = location(&chrome);
    assert!(loc.starts_with("intent://"), "{loc}");
    for part in [
        "scheme=acme",
        "package=com.acme.app",
        "S.browser_fallback_url=",
        "link_click_id",
        "utm_source",
    ] {
        assert!(loc.contains(part), "{loc} lacks {part}");
    }

    let firefox = t.get(HOST, "/promo", ANDROID_FIREFOX).await;
    assert_eq!(firefox.status(), 302);
    let loc = location(&firefox);
    assert!(
        loc.starts_with("https://play.google.com/store/apps/details?id=com.acme.app"),
        "{loc}"
    );
    assert!(loc.contains("referrer=link_click_id"), "{loc}");

    let desktop = t.get(HOST, "/promo?utm_source=push", DESKTOP).await;
    assert_eq!(desktop.status(), 302);
    assert!(
        location(&desktop).starts_with("https://acme.test/desktop"),
        "{}",
        location(&desktop)
    );
    assert!(location(&desktop).contains("utm_source=push"));

    let bot = t.get(HOST, "/promo", SLACKBOT).await;
    assert_eq!(bot.status(), 200);
    assert!(bot.headers().get("location").is_none());
    assert!(
        bot.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let body = bot.text().await.unwrap();
    assert!(
        body.contains("og:title") && body.contains("Big Promo"),
        "{body}"
    );
    for tag in [
        r#"<meta property="og:type" content="product">"#,
        r#"<meta name="twitter:site" content="@acme">"#,
        r#"<meta name="twitter:title" content="Promo!">"#,
    ] {
        assert!(body.contains(tag), "{tag} missing: {body}");
    }

    let instagram = t.get(HOST, "/promo?utm_source=ig", IPHONE_INSTAGRAM).await;
    assert_eq!(instagram.status(), 200);
    let body = instagram.text().await.unwrap();
    assert!(
        body.contains("acme://product/42"),
        "interstitial offers the deep link: {body}"
    );
    // Where its script sends the person who comes back from the app.
    assert!(
        body.contains(r#"<a id="after" hidden href="https://acme.test/thanks?utm_source=ig"></a>"#),
        "{body}"
    );

    let head = t
        .client
        .head(format!("{}/promo", t.base))
        .header("host", HOST)
        .header("user-agent", DESKTOP)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 302);
}

#[tokio::test]
async fn wechat_gets_the_page_the_link_names_for_it() {
    let t = TestApp::spawn().await;
    t.create_link(
        t.app_id,
        "cn",
        json!({"$ios_wechat_url": "https://sj.qq.com/acme"}),
        &[],
    )
    .await;

    let wechat = t.get(HOST, "/cn?utm_source=moments", IPHONE_WECHAT).await;
    assert_eq!(wechat.status(), 302);
    assert_eq!(
        location(&wechat),
        "https://sj.qq.com/acme?utm_source=moments"
    );

    // Safari is not WeChat: the store, as for any link.
    let safari = t.get(HOST, "/cn", IPHONE).await;
    assert!(
        location(&safari).starts_with("https://apps.apple.com/"),
        "{}",
        location(&safari)
    );
    // Without the key, WeChat gets the open-in-app page like other in-app browsers.
    t.create_link(t.app_id, "plain", json!({}), &[]).await;
    let page = t.get(HOST, "/plain", IPHONE_WECHAT).await;
    assert_eq!(page.status(), 200);
}

#[tokio::test]
async fn a_makers_own_store_on_its_devices() {
    let t = TestApp::spawn().await;
    t.create_link(
        t.app_id,
        "gallery",
        json!({
            "$huawei_url": "https://appgallery.huawei.com/app/C100",
            "$windows_phone_url": "https://acme.test/windows-phone",
            "$blackberry_url": "https://acme.test/blackberry",
        }),
        &[],
    )
    .await;
    let huawei = "Mozilla/5.0 (Linux; Android 10; HarmonyOS; ELS-AN00; HMSCore 6.11.0.302) \
        AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0.4844.88 HuaweiBrowser/14.0.1.300 \
        Mobile Safari/537.36";
    // Huawei's browser is not Chrome: no intent, the store page itself.
    let loc = location(&t.get(HOST, "/gallery", huawei).await);
    assert_eq!(loc, "https://appgallery.huawei.com/app/C100");
    // A Pixel is not a Huawei: the Play Store.
    let loc = location(&t.get(HOST, "/gallery", ANDROID_CHROME).await);
    assert!(!loc.contains("appgallery"), "{loc}");
    assert!(loc.contains("play.google.com"), "{loc}");

    // The phone systems before Android's makers: their own page, and the desktop's answer
    // for everyone else.
    let lumia = "Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) \
        AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0.2743.116 Mobile Safari/537.36 \
        Edge/15.15063";
    let loc = location(&t.get(HOST, "/gallery", lumia).await);
    assert_eq!(loc, "https://acme.test/windows-phone");
    let bb10 = "Mozilla/5.0 (BB10; Touch) AppleWebKit/537.10+ (KHTML, like Gecko) \
        Version/10.0.9.2372 Mobile Safari/537.10+";
    let loc = location(&t.get(HOST, "/gallery", bb10).await);
    assert_eq!(loc, "https://acme.test/blackberry");
    let loc = location(&t.get(HOST, "/gallery", DESKTOP).await);
    assert!(
        !loc.contains("windows-phone") && !loc.contains("blackberry"),
        "{loc}"
    );
}

#[tokio::test]
async fn unknown_expired_and_foreign_links() {
    let t = TestApp::spawn().await;
    t.insert_link(
        t.app_id,
        link_store::links::NewLink {
            alias: Some(link_core::LinkCode::parse("old").unwrap()),
            expires_at: Some(chrono::Utc::now() - chrono::Duration::hours(1)),
            ..Default::default()
        },
    )
    .await;
    t.create_link(t.other_app_id, "theirs", json!({}), &[])
        .await;

    assert_eq!(t.get(HOST, "/nope", DESKTOP).await.status(), 404);
    assert_eq!(t.get(HOST, "/old", DESKTOP).await.status(), 410);
    assert_eq!(t.get("unknown.test", "/promo", DESKTOP).await.status(), 404);
    // Another app's code on this app's domain does not resolve.
    assert_eq!(t.get(HOST, "/theirs", DESKTOP).await.status(), 404);
    assert_eq!(t.get(OTHER_HOST, "/theirs", DESKTOP).await.status(), 302);
    // One trailing slash, as pasted links sometimes carry, is the same link; more is not.
    let slashed = t.get(OTHER_HOST, "/theirs/", DESKTOP).await;
    assert_eq!(slashed.status(), 302);
    assert_eq!(location(&slashed), "https://other.test/");
    assert_eq!(t.get(OTHER_HOST, "/theirs//", DESKTOP).await.status(), 404);
    assert_eq!(t.get(OTHER_HOST, "//", DESKTOP).await.status(), 404);

    // The bare domain goes to the app's website.
    let root = t.get(HOST, "/", DESKTOP).await;
    assert_eq!(root.status(), 302);
    assert_eq!(location(&root), "https://acme.test/");
}

#[tokio::test]
async fn expired_links_fall_back_when_the_app_says_so() {
    let t = TestApp::spawn().await;
    sqlx::query("UPDATE app_configs SET expired_link_behavior = 'fallback' WHERE app_id = $1")
        .bind(t.app_id.get())
        .execute(&t.shard_pool(t.app_id))
        .await
        .unwrap();
    t.insert_link(
        t.app_id,
        link_store::links::NewLink {
            alias: Some(link_core::LinkCode::parse("old").unwrap()),
            expires_at: Some(chrono::Utc::now() - chrono::Duration::hours(1)),
            ..Default::default()
        },
    )
    .await;
    let response = t.get(HOST, "/old", DESKTOP).await;
    assert_eq!(response.status(), 302);
    assert_eq!(location(&response), "https://acme.test/");
}

#[tokio::test]
async fn a_browser_known_to_have_the_app_gets_the_open_in_app_page() {
    let t = TestApp::spawn().await;
    t.create_link(
        t.app_id,
        "promo",
        json!({"$deeplink_path": "product/42"}),
        &[],
    )
    .await;
    // First click: no cookie yet, the App Store.
    let first = t.get(HOST, "/promo", IPHONE).await;
    assert!(location(&first).starts_with("https://apps.apple.com/"));
    let cookie = first.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let browser_id = cookie
        .split_once('=')
        .and_then(|(_, v)| v.rsplit_once('.'))
        .map(|(rest, _)| rest[rest.len() - 32..].to_owned())
        .unwrap();
    // The SDK reported an install for this browser (as the API service records it).
    sqlx::query("INSERT INTO browser_apps (app_id, browser_id) VALUES ($1, $2::uuid)")
        .bind(t.app_id.get())
        .bind(&browser_id)
        .execute(&t.shard_pool(t.app_id))
        .await
        .unwrap();
    let again = t
        .client
        .get(format!("{}/promo", t.base))
        .header("host", HOST)
        .header("user-agent", IPHONE)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200, "interstitial that opens the app");
    let body = again.text().await.unwrap();
    assert!(body.contains("acme://product/42"), "{body}");
}

#[tokio::test]
async fn branchs_per_os_and_social_video_keys_shape_the_answer() {
    let t = TestApp::spawn().await;
    t.create_link(
        t.app_id,
        "clip",
        json!({
            "$ios_uri_redirect_mode": 2,
            "$ios_redirect_timeout": 900,
            "$mobile_web_only": false,
            "$og_title": "Clip",
            "$og_video": "https://cdn.acme.test/clip.mp4",
            "$twitter_card": "player",
            "$twitter_player": "https://acme.test/embed/clip",
            "$custom_meta_tags": "{\"twitter:player:stream\": \"https://cdn.acme.test/clip.m3u8\"}",
        }),
        &[],
    )
    .await;
    // iOS's own forceful mode: the page that opens the app, waiting 900 ms for it.
    let iphone = t.get(HOST, "/clip", IPHONE).await;
    assert_eq!(iphone.status(), 200);
    let body = iphone.text().await.unwrap();
    assert!(body.contains("\"delay\":900}"), "{body}");
    assert!(body.contains("acme://open"), "{body}");
    // The mode is iOS's only: Android Firefox still gets the Play Store.
    let firefox = location(&t.get(HOST, "/clip", ANDROID_FIREFOX).await);
    assert!(firefox.starts_with("https://play.google.com/"), "{firefox}");

    let bot = t.get(HOST, "/clip", SLACKBOT).await;
    let body = bot.text().await.unwrap();
    for tag in [
        r#"<meta property="og:video" content="https://cdn.acme.test/clip.mp4">"#,
        r#"<meta name="twitter:card" content="player">"#,
        r#"<meta name="twitter:player" content="https://acme.test/embed/clip">"#,
        // Facebook App Links, from the app's config, with no click id.
        r#"<meta property="al:ios:url" content="acme://open">"#,
        r#"<meta property="al:android:package" content="com.acme.app">"#,
        r#"<meta name="twitter:player:stream" content="https://cdn.acme.test/clip.m3u8">"#,
    ] {
        assert!(body.contains(tag), "{tag} missing: {body}");
    }

    t.create_link(
        t.app_id,
        "site",
        json!({"$mobile_web_only": true, "$og_redirect": "https://acme.test/tags/site"}),
        &[],
    )
    .await;
    for phone in [IPHONE, ANDROID_CHROME] {
        let response = t.get(HOST, "/site?utm_source=sms", phone).await;
        assert_eq!(response.status(), 302);
        assert_eq!(location(&response), "https://acme.test/?utm_source=sms");
    }
    let bot = t.get(HOST, "/site?utm_source=sms", SLACKBOT).await;
    assert_eq!(bot.status(), 302);
    assert_eq!(location(&bot), "https://acme.test/tags/site");
}

#[tokio::test]
async fn a_countrys_fallback_follows_the_trusted_proxys_country_header() {
    let trusted = TestApp::spawn_with(Options {
        configure: Some(|c| {
            c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
            c.country_header = Some(actix_web::http::header::HeaderName::from_static(
                "cf-ipcountry",
            ));
        }),
        ..Options::default()
    })
    .await;
    let untrusted = TestApp::spawn_with(Options {
        configure: Some(|c| {
            c.country_header = Some(actix_web::http::header::HeaderName::from_static(
                "cf-ipcountry",
            ));
        }),
        ..Options::default()
    })
    .await;
    let data = json!({"$fallback_url": "https://acme.test/en", "$fallback_url_de": "https://acme.test/de",
                      "$android_url_de": "https://acme.test/android-de"});
    for t in [&trusted, &untrusted] {
        t.create_link(t.other_app_id, "sale", data.clone(), &[])
            .await;
    }
    // Where each click from that country and device is sent.
    let at = |t: &TestApp, ua: &'static str, country: &'static str| {
        let request = t
            .client
            .get(format!("{}/sale?utm_source=mail", t.base))
            .header("host", OTHER_HOST)
            .header("user-agent", ua)
            .header("cf-ipcountry", country)
            .send();
        async move { location(&request.await.unwrap()) }
    };
    let en = "https://acme.test/en?utm_source=mail";
    assert_eq!(
        at(&trusted, IPHONE, "DE").await,
        "https://acme.test/de?utm_source=mail"
    );
    assert_eq!(at(&trusted, IPHONE, "FR").await, en);
    assert_eq!(at(&trusted, IPHONE, "XX").await, en);
    // From a peer that is not a trusted proxy the header is the client's own: ignored.
    assert_eq!(at(&untrusted, IPHONE, "DE").await, en);
    // A country's own Android page comes before the fallbacks, on Android only.
    assert_eq!(
        at(&trusted, ANDROID_CHROME, "DE").await,
        "https://acme.test/android-de?utm_source=mail"
    );
    assert_eq!(at(&trusted, ANDROID_CHROME, "AT").await, en);
    assert_eq!(at(&untrusted, ANDROID_CHROME, "DE").await, en);
}

#[tokio::test]
async fn the_open_in_app_button_crosses_to_the_apps_alternate_domain() {
    const ALTERNATE: &str = "alt.acme.test";
    let t = TestApp::spawn().await;
    t.create_link(t.app_id, "clip", json!({"$ios_uri_redirect_mode": 2}), &[])
        .await;
    let before = t.get(HOST, "/clip", IPHONE).await.text().await.unwrap();
    assert!(!before.contains(ALTERNATE), "{before}");

    shard_router::catalog::apps::add_domain(
        &t.router,
        t.app_id,
        &link_core::Host::parse(ALTERNATE).unwrap(),
        true,
    )
    .await
    .unwrap();
    // The catalog's notification reaches the running service.
    assert!(
        wait_until(Duration::from_secs(5), || async {
            t.get(HOST, "/clip", IPHONE)
                .await
                .text()
                .await
                .unwrap()
                .contains(ALTERNATE)
        })
        .await,
        "the alternate domain was never linked to"
    );

    // The button crosses to the alternate domain; the page opens the scheme by itself.
    // Both carry the click's query and the same click id.
    let body = t
        .get(HOST, "/clip?utm_source=sms", IPHONE)
        .await
        .text()
        .await
        .unwrap();
    let href = |id: &str| {
        let start = body
            .find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("no #{id}: {body}"));
        let rest = &body[start..];
        let rest = &rest[rest.find("href=\"").unwrap() + 6..];
        rest[..rest.find('"').unwrap()].replace("&amp;", "&")
    };
    let button = href("open");
    let scheme = href("app");
    let click_id = scheme
        .strip_prefix("acme://open?utm_source=sms&link_click_id=")
        .unwrap_or_else(|| panic!("{scheme}"));
    assert_eq!(
        button,
        format!("http://{ALTERNATE}/clip?utm_source=sms&link_click_id={click_id}")
    );
    // Control keys appended to the link go along, so a tap answered there without the
    // app gets the same destinations.
    let body = t
        .get(HOST, "/clip?$ios_url=https%3A%2F%2Facme.test%2Fios", IPHONE)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        body.contains(&format!(
            "href=\"http://{ALTERNATE}/clip?%24ios_url=https%3A%2F%2Facme.test%2Fios&amp;link_click_id="
        )),
        "{body}"
    );

    // On the alternate domain itself the button keeps the scheme: a tap there could not
    // open a Universal Link. Instagram holds Universal Links back: the scheme too.
    for (host, agent) in [(ALTERNATE, IPHONE), (HOST, IPHONE_INSTAGRAM)] {
        let body = t.get(host, "/clip", agent).await.text().await.unwrap();
        assert!(body.contains("class=\"btn\" href=\"acme://open?"), "{body}");
        assert!(!body.contains("id=\"app\""), "{body}");
    }
    // Where no page is served, nothing changes.
    let android = location(&t.get(HOST, "/clip", ANDROID_CHROME).await);
    assert!(android.starts_with("intent://"), "{android}");
}
