//! Page tests: content, escaping of hostile link data, CSP hashes recomputed from the
//! emitted body, and the size bound with maximal data.

use link_core::WebUrl;
use link_core::decision::social::TwitterCard;
use link_core::decision::{
    AppLinks, DestinationKind, Fallback, Interstitial, Preview, TwitterPreview,
};

use super::csp::hash_source;
use super::*;

const DEEP: &str =
    "acme://product/42?utm_source=push&link_click_id=0190a0b0c0d0e0f00112233445566778";
const STORE: &str = "https://apps.apple.com/app/id123456789?utm_source=push";

fn interstitial(auto_open: bool) -> Interstitial {
    Interstitial {
        deep_link: DEEP.to_owned(),
        fallback: Some(Fallback {
            url: STORE.to_owned(),
            kind: DestinationKind::AppStore,
        }),
        auto_open,
        fallback_after_ms: 2000,
        universal_link: None,
        after_click: None,
        title: Some("Red shoes".to_owned()),
    }
}

fn web(raw: &str) -> Option<WebUrl> {
    Some(WebUrl::parse(raw).expect("valid url"))
}

fn preview() -> Preview {
    Preview {
        title: Some("Red shoes".to_owned()),
        description: Some("The reddest shoes".to_owned()),
        image_url: web("https://cdn.acme.app/shoes.png?w=1200&h=630"),
        url: web("https://go.acme.app/Ab3xK9q"),
        ..Preview::default()
    }
}

/// The contents of every `<tag>...</tag>` block opened exactly as `open`.
fn blocks<'b>(body: &'b str, open: &str, close: &str) -> Vec<&'b str> {
    let mut found = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find(open) {
        let after = &rest[start + open.len()..];
        let end = after.find(close).expect("block is closed");
        found.push(&after[..end]);
        rest = &after[end + close.len()..];
    }
    found
}

/// Whether some tag carries an `on...=` attribute.
fn has_event_handler(body: &str) -> bool {
    body.split('<').skip(1).any(|tag| {
        let tag = tag.split('>').next().unwrap_or_default();
        tag.split_whitespace().skip(1).any(|attr| {
            attr.strip_prefix("on").is_some_and(|rest| {
                rest.split('=')
                    .next()
                    .is_some_and(|n| n.chars().all(|c| c.is_ascii_alphabetic()))
                    && rest.contains('=')
            })
        })
    })
}

/// Every executable script and style in `page` is allowed by hash, and nothing else is.
fn assert_csp_covers_inline_blocks(page: &Page) {
    let scripts = blocks(&page.body, "<script>", "</script>");
    let styles = blocks(&page.body, "<style>", "</style>");
    let all_scripts = page.body.matches("<script").count();
    let data_blocks = page
        .body
        .matches("<script type=\"application/json\"")
        .count();
    assert_eq!(
        all_scripts,
        scripts.len() + data_blocks,
        "unexpected script tags"
    );
    assert!(
        !page.body.contains(" style=\""),
        "inline style attributes need 'unsafe-inline'"
    );
    assert!(
        !has_event_handler(&page.body),
        "event handler attributes need 'unsafe-inline'"
    );
    for script in &scripts {
        assert!(
            page.csp.contains(&hash_source(script)),
            "script not in CSP: {}",
            page.csp
        );
    }
    for style in &styles {
        assert!(
            page.csp.contains(&hash_source(style)),
            "style not in CSP: {}",
            page.csp
        );
    }
    let sources = page.csp.matches("'sha256-").count();
    assert_eq!(
        sources,
        scripts.len() + styles.len(),
        "CSP allows blocks the page lacks"
    );
    if scripts.is_empty() {
        assert!(!page.csp.contains("script-src"), "{}", page.csp);
    }
}

fn assert_small(page: &Page) {
    assert!(
        page.body.len() < MAX_PAGE_BYTES,
        "{} bytes: {:.200}",
        page.body.len(),
        page.body
    );
}

#[test]
fn interstitial_auto_opens_and_falls_back() {
    let page = render_interstitial(&interstitial(true));
    let b = &page.body;
    assert_eq!(page.status, 200);
    assert!(b.starts_with("<!doctype html>"));
    assert!(b.contains("<title>Red shoes</title>"));
    assert!(b.contains("<h1>Red shoes</h1>"));
    assert!(b.contains(
        "<a id=\"open\" class=\"btn\" href=\"acme://product/42?utm_source=push&amp;\
         link_click_id=0190a0b0c0d0e0f00112233445566778\">Open in app</a>"
    ));
    assert!(b.contains(
        "<a id=\"fallback\" href=\"https://apps.apple.com/app/id123456789?utm_source=push\">\
         Continue to the App Store</a>"
    ));
    assert!(b.contains(
        "<script type=\"application/json\" id=\"d\">{\"auto\":true,\"delay\":2000}</script>"
    ));
    assert!(b.contains("visibilitychange"));
    assert!(!b.contains("If nothing happens"));
    assert!(!b.contains("http-equiv"));
    assert_csp_covers_inline_blocks(&page);
    assert_small(&page);
}

#[test]
fn in_app_interstitial_only_offers_the_button() {
    let mut page = interstitial(false);
    page.deep_link = "intent://open?link_click_id=1#Intent;scheme=acme;package=com.acme.app;\
                      S.browser_fallback_url=https%3A%2F%2Fplay.google.com;end"
        .to_owned();
    page.fallback = Some(Fallback {
        url: "https://play.google.com/store/apps/details?id=com.acme.app".to_owned(),
        kind: DestinationKind::PlayStore,
    });
    page.title = None;
    let page = render_interstitial(&page);
    let b = &page.body;
    assert!(b.contains("{\"auto\":false,\"delay\":2000}"));
    assert!(b.contains("href=\"intent://open?link_click_id=1#Intent;scheme=acme;"));
    assert!(b.contains("Continue to Google Play"));
    assert!(b.contains("If nothing happens"));
    assert!(b.contains("<h1>Open in the app</h1>"));
    assert_csp_covers_inline_blocks(&page);
}

#[test]
fn interstitial_carries_the_after_click_page_for_its_script() {
    let mut page = interstitial(true);
    page.after_click = Some("https://acme.app/thanks?a=1&b=2".to_owned());
    let rendered = render_interstitial(&page);
    assert!(
        rendered
            .body
            .contains("<a id=\"after\" hidden href=\"https://acme.app/thanks?a=1&amp;b=2\"></a>"),
        "{}",
        rendered.body
    );
    assert_csp_covers_inline_blocks(&rendered);
    assert_small(&rendered);

    // Without a deep link there is no app to come back from; a script URL is never kept.
    page.deep_link = "javascript:alert(1)".to_owned();
    assert!(!render_interstitial(&page).body.contains("id=\"after\""));
    let mut page = interstitial(false);
    page.after_click = Some("javascript:alert(1)".to_owned());
    let rendered = render_interstitial(&page);
    assert!(!rendered.body.contains("id=\"after\""));
    assert!(!rendered.body.to_ascii_lowercase().contains("javascript:"));

    // Too big for the page: the after-click page goes first, the fallback stays.
    let mut page = interstitial(true);
    page.after_click = Some(format!("https://acme.app/{}", "a".repeat(MAX_PAGE_BYTES)));
    let rendered = render_interstitial(&page);
    assert!(!rendered.body.contains("id=\"after\""));
    assert!(rendered.body.contains("id=\"fallback\""));
    assert_small(&rendered);
}

#[test]
fn the_button_may_be_a_universal_link_while_the_script_opens_the_scheme() {
    const UNIVERSAL: &str = "https://alt.acme.app/Ab3xK9q?utm_source=push&link_click_id=0190a0b0c0d0e0f00112233445566778";
    let mut page = interstitial(true);
    page.universal_link = Some(UNIVERSAL.to_owned());
    let rendered = render_interstitial(&page);
    let b = &rendered.body;
    assert!(
        b.contains(
            "<a id=\"open\" class=\"btn\" href=\"https://alt.acme.app/Ab3xK9q?utm_source=push&amp;\
             link_click_id=0190a0b0c0d0e0f00112233445566778\">Open in app</a>\
             <a id=\"app\" hidden href=\"acme://product/42?utm_source=push&amp;\
             link_click_id=0190a0b0c0d0e0f00112233445566778\"></a>"
        ),
        "{b}"
    );
    assert!(b.contains("(g('app')||o).href"));
    assert_csp_covers_inline_blocks(&rendered);
    assert_small(&rendered);

    // Without one, or with one that is not a web URL, the button is the deep link itself.
    assert!(
        !render_interstitial(&interstitial(true))
            .body
            .contains("id=\"app\"")
    );
    page.universal_link = Some("javascript:alert(1)//".to_owned());
    let rendered = render_interstitial(&page);
    assert!(!rendered.body.contains("id=\"app\""));
    assert!(
        rendered
            .body
            .contains("class=\"btn\" href=\"acme://product/42?")
    );
    assert!(!rendered.body.to_ascii_lowercase().contains("javascript:"));

    // Too big for the page: the after-click page, then the Universal Link, go first.
    let mut page = interstitial(true);
    page.universal_link = Some(format!(
        "https://alt.acme.app/{}",
        "a".repeat(MAX_PAGE_BYTES)
    ));
    page.after_click = Some("https://acme.app/thanks".to_owned());
    let rendered = render_interstitial(&page);
    assert!(!rendered.body.contains("alt.acme.app"));
    assert!(!rendered.body.contains("id=\"app\""));
    assert!(
        rendered
            .body
            .contains("class=\"btn\" href=\"acme://product/42?")
    );
    assert!(rendered.body.contains("id=\"fallback\""));
    assert_small(&rendered);
}

#[test]
fn interstitial_without_fallback() {
    let mut page = interstitial(true);
    page.fallback = None;
    page.fallback_after_ms = 1500;
    let page = render_interstitial(&page);
    assert!(!page.body.contains("id=\"fallback\""));
    assert!(page.body.contains("\"delay\":1500"));
}

const HOSTILE: &[&str] = &[
    "\"><script>alert(1)</script>",
    "</script><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "' onmouseover='alert(1)",
    "javascript:alert(1)",
    "a\u{2028}b\u{2029}c",
    "<!--",
    "&lt;already&gt;",
];

fn assert_no_markup_from(body: &str, hostile: &str) {
    assert!(
        !body.contains("<script>alert"),
        "{hostile:?} injected a script: {body}"
    );
    assert!(
        !body.contains("onmouseover='"),
        "{hostile:?} injected an attribute"
    );
    assert!(
        !body.contains("</title><script"),
        "{hostile:?} closed the title"
    );
    assert!(!body.contains("<!--"), "{hostile:?} opened a comment");
    assert!(
        !body.contains("&lt;already"),
        "{hostile:?} was not escaped: {body}"
    );
}

#[test]
fn interstitial_escapes_hostile_values() {
    for &hostile in HOSTILE {
        let mut page = interstitial(true);
        page.title = Some(hostile.to_owned());
        let rendered = render_interstitial(&page);
        assert_no_markup_from(&rendered.body, hostile);
        assert_csp_covers_inline_blocks(&rendered);

        page.deep_link = format!("acme://x?q={hostile}");
        page.fallback = Some(Fallback {
            url: format!("https://acme.app/?q={hostile}"),
            kind: DestinationKind::Web,
        });
        let rendered = render_interstitial(&page);
        assert_no_markup_from(&rendered.body, hostile);
    }
}

#[test]
fn interstitial_refuses_script_urls() {
    let mut page = interstitial(true);
    page.deep_link = "javascript:alert(1)".to_owned();
    page.fallback = Some(Fallback {
        url: "JavaScript:alert(2)".to_owned(),
        kind: DestinationKind::Web,
    });
    let rendered = render_interstitial(&page);
    assert!(!rendered.body.to_ascii_lowercase().contains("javascript:"));
    assert!(!rendered.body.contains("id=\"open\""));
    assert!(
        rendered.body.contains("\"auto\":false"),
        "no auto-open without a deep link"
    );
}

#[test]
fn preview_has_open_graph_and_twitter_tags() {
    let page = render_preview(&preview());
    let b = &page.body;
    assert_eq!(page.status, 200);
    for tag in [
        "<title>Red shoes</title>",
        "<meta property=\"og:type\" content=\"website\">",
        "<meta property=\"og:title\" content=\"Red shoes\">",
        "<meta property=\"og:description\" content=\"The reddest shoes\">",
        "<meta property=\"og:image\" content=\"https://cdn.acme.app/shoes.png?w=1200&amp;h=630\">",
        "<meta property=\"og:url\" content=\"https://go.acme.app/Ab3xK9q\">",
        "<meta name=\"twitter:card\" content=\"summary_large_image\">",
        "<meta name=\"twitter:title\" content=\"Red shoes\">",
        "<meta name=\"twitter:description\" content=\"The reddest shoes\">",
        "<meta name=\"twitter:image\" content=\"https://cdn.acme.app/shoes.png?w=1200&amp;h=630\">",
    ] {
        assert!(b.contains(tag), "missing {tag} in {b}");
    }
    assert!(!b.contains("http-equiv"), "no meta refresh");
    assert!(!b.contains("<script"));
    assert!(!b.contains("noindex"));
    assert_csp_covers_inline_blocks(&page);
}

#[test]
fn preview_without_image_or_text() {
    let page = render_preview(&Preview {
        title: None,
        description: None,
        image_url: None,
        url: web("https://go.acme.app/Ab3xK9q"),
        ..Preview::default()
    });
    let b = &page.body;
    assert!(b.contains("<meta name=\"twitter:card\" content=\"summary\">"));
    assert!(b.contains("<title>https://go.acme.app/Ab3xK9q</title>"));
    assert!(!b.contains("og:title") && !b.contains("og:image") && !b.contains("<h1>"));

    let bare = render_preview(&Preview {
        title: None,
        description: None,
        image_url: None,
        url: None,
        ..Preview::default()
    });
    assert!(bare.body.contains("<title>Link</title>"));
}

#[test]
fn preview_carries_the_links_own_tags_after_its_own() {
    let page = render_preview(&Preview {
        custom_tags: vec![
            (
                "twitter:player:stream".to_owned(),
                "https://acme.app/v.m3u8?a=1&b=2".to_owned(),
            ),
            ("og:title".to_owned(), "\"><script>".to_owned()),
        ],
        ..preview()
    });
    let b = &page.body;
    let stream =
        "<meta name=\"twitter:player:stream\" content=\"https://acme.app/v.m3u8?a=1&amp;b=2\">";
    assert!(b.contains(stream), "{b}");
    let ours = b.find("<meta property=\"og:title\" content=\"Red shoes\">");
    let theirs = b.find("<meta property=\"og:title\" content=\"&#34;&gt;&lt;script&gt;\">");
    assert!(ours.is_some() && theirs.is_some() && ours < theirs, "{b}");
    assert!(!b.contains("<script>"), "{b}");
    assert_small(&page);
}

#[test]
fn preview_carries_facebook_app_links() {
    let page = render_preview(&Preview {
        app_links: AppLinks {
            ios_url: Some("acme://product/42?a=1&b=\"".to_owned()),
            ios_app_store_id: Some("123456789".to_owned()),
            android_url: None,
            android_package: Some("com.acme.app".to_owned()),
        },
        ..preview()
    });
    let b = &page.body;
    for tag in [
        "<meta property=\"al:ios:url\" content=\"acme://product/42?a=1&amp;b=&#34;\">",
        "<meta property=\"al:ios:app_store_id\" content=\"123456789\">",
        "<meta property=\"al:android:package\" content=\"com.acme.app\">",
    ] {
        assert!(b.contains(tag), "missing {tag} in {b}");
    }
    assert!(!b.contains("al:android:url"), "{b}");
    assert_small(&page);
}

#[test]
fn preview_carries_the_video_and_the_player_card() {
    let page = render_preview(&Preview {
        video_url: web("https://cdn.acme.app/v.mp4?a=1&b=2"),
        twitter: TwitterPreview {
            card: Some(TwitterCard::Player),
            player_url: web("https://acme.app/embed/7"),
            player_width: Some(480),
            player_height: Some(270),
            ..TwitterPreview::default()
        },
        ..preview()
    });
    let b = &page.body;
    for tag in [
        "<meta property=\"og:video\" content=\"https://cdn.acme.app/v.mp4?a=1&amp;b=2\">",
        "<meta name=\"twitter:card\" content=\"player\">",
        "<meta name=\"twitter:player\" content=\"https://acme.app/embed/7\">",
        "<meta name=\"twitter:player:width\" content=\"480\">",
        "<meta name=\"twitter:player:height\" content=\"270\">",
    ] {
        assert!(b.contains(tag), "missing {tag} in {b}");
    }
    assert_small(&page);

    // No player: no player tags, whatever the sizes say.
    let page = render_preview(&Preview {
        twitter: TwitterPreview {
            player_width: Some(480),
            ..TwitterPreview::default()
        },
        ..preview()
    });
    assert!(!page.body.contains("twitter:player"), "{}", page.body);
    assert!(!page.body.contains("og:video"), "{}", page.body);
}

#[test]
fn preview_takes_the_cards_own_values_and_the_og_extras() {
    let page = render_preview(&Preview {
        kind: Some("product".to_owned()),
        image_width: Some(1200),
        image_height: Some(630),
        facebook_app_id: Some("1234567890123456".to_owned()),
        twitter: TwitterPreview {
            card: Some(TwitterCard::Summary),
            title: Some("Shoes & more".to_owned()),
            description: None,
            image_url: web("https://cdn.acme.app/square.png"),
            site: Some("acme_app".to_owned()),
            ..TwitterPreview::default()
        },
        ..preview()
    });
    let b = &page.body;
    for tag in [
        "<meta property=\"og:type\" content=\"product\">",
        "<meta property=\"og:title\" content=\"Red shoes\">",
        "<meta property=\"og:image:width\" content=\"1200\">",
        "<meta property=\"og:image:height\" content=\"630\">",
        "<meta property=\"fb:app_id\" content=\"1234567890123456\">",
        "<meta name=\"twitter:card\" content=\"summary\">",
        "<meta name=\"twitter:site\" content=\"@acme_app\">",
        "<meta name=\"twitter:title\" content=\"Shoes &amp; more\">",
        // No description of its own: the Open Graph one.
        "<meta name=\"twitter:description\" content=\"The reddest shoes\">",
        "<meta name=\"twitter:image\" content=\"https://cdn.acme.app/square.png\">",
        "<meta property=\"og:image\" content=\"https://cdn.acme.app/shoes.png?w=1200&amp;h=630\">",
        "<h1>Red shoes</h1>",
    ] {
        assert!(b.contains(tag), "missing {tag} in {b}");
    }
    assert_eq!(b.matches("twitter:title").count(), 1);

    // An image of the card's own makes a large-image card; sizes need an image.
    let page = render_preview(&Preview {
        image_url: None,
        image_width: Some(1200),
        twitter: TwitterPreview {
            image_url: web("https://cdn.acme.app/square.png"),
            ..TwitterPreview::default()
        },
        ..preview()
    });
    assert!(
        page.body
            .contains("<meta name=\"twitter:card\" content=\"summary_large_image\">")
    );
    assert!(!page.body.contains("og:image"), "{}", page.body);
}

#[test]
fn preview_escapes_hostile_values() {
    for &hostile in HOSTILE {
        let page = render_preview(&Preview {
            title: Some(hostile.to_owned()),
            description: Some(hostile.to_owned()),
            // Values WebUrl refuses (spaces, U+2028) simply leave the URL out.
            image_url: WebUrl::parse(&format!("https://acme.app/i.png?q={hostile}")).ok(),
            url: WebUrl::parse(&format!("https://acme.app/it's?{hostile}")).ok(),
            kind: Some(hostile.to_owned()),
            twitter: TwitterPreview {
                site: Some(hostile.to_owned()),
                title: Some(hostile.to_owned()),
                description: Some(hostile.to_owned()),
                image_url: WebUrl::parse(&format!("https://acme.app/t.png?q={hostile}")).ok(),
                ..TwitterPreview::default()
            },
            ..Preview::default()
        });
        assert_no_markup_from(&page.body, hostile);
        // Every attribute value stays inside its quotes: quotes only delimit attributes.
        for tag in page.body.split("<meta ").skip(1) {
            let tag = &tag[..tag.find('>').expect("meta tag closes")];
            if !tag.contains("content=") {
                continue;
            }
            assert_eq!(tag.matches('"').count(), 4, "{tag}");
        }
    }
}

#[test]
fn error_pages() {
    for (kind, status, heading) in [
        (ErrorPage::NotFound, 404, "Link not found"),
        (ErrorPage::Gone, 410, "This link has expired"),
        (ErrorPage::Unavailable, 503, "Temporarily unavailable"),
        (ErrorPage::BadRequest, 400, "Bad request"),
        (
            ErrorPage::NoDestination,
            200,
            "Not available on this device",
        ),
    ] {
        let page = render_error(kind);
        assert_eq!(page.status, status);
        assert!(page.body.contains(&format!("<title>{heading}</title>")));
        assert!(page.body.contains(&format!("<h1>{heading}</h1>")));
        assert!(page.body.contains("noindex"));
        assert!(!page.body.contains("<script"));
        assert_csp_covers_inline_blocks(&page);
        assert_small(&page);
    }
}

/// Preview data at its limits: 300-character titles and 1000-character descriptions of the
/// characters that escape longest or encode widest, and 2 KB URLs.
#[test]
fn preview_stays_under_8_kb_with_maximal_data() {
    let titles = ["\"".repeat(300), "😀".repeat(300), "a".repeat(300)];
    let descriptions = ["&".repeat(1000), "😀".repeat(1000), "a b".repeat(334)];
    let long_url = format!("https://acme.app/{}", "x".repeat(2020));
    let amp_url = format!("https://acme.app/?{}", "a&".repeat(1010));
    for title in &titles {
        for description in &descriptions {
            for url in [&long_url, &amp_url] {
                let page = render_preview(&Preview {
                    title: Some(title.clone()),
                    description: Some(description.clone()),
                    image_url: web(url),
                    url: web(url),
                    ..Preview::default()
                });
                assert_small(&page);
                // Every social key at its limit too, the card's text and image its own.
                let page = render_preview(&Preview {
                    title: Some(title.clone()),
                    description: Some(description.clone()),
                    image_url: web(url),
                    url: web(url),
                    kind: Some("a".repeat(40)),
                    image_width: Some(10_000),
                    image_height: Some(10_000),
                    facebook_app_id: Some("9".repeat(20)),
                    video_url: web(&format!("{url}3")),
                    app_links: AppLinks {
                        ios_url: Some(format!("acme://{}", "\"".repeat(500))),
                        ios_app_store_id: Some("9".repeat(15)),
                        android_url: Some(format!("acme://{}", "&".repeat(500))),
                        android_package: Some("a.b".repeat(80)),
                    },
                    custom_tags: (0..20)
                        .map(|n| (format!("x:{n}{}", "y".repeat(60)), "<".repeat(1000)))
                        .collect(),
                    twitter: TwitterPreview {
                        card: Some(TwitterCard::Player),
                        title: Some(title.chars().rev().collect()),
                        description: Some(description.chars().rev().collect()),
                        image_url: web(&format!("{url}2")),
                        site: Some("a".repeat(15)),
                        player_url: web(&format!("{url}4")),
                        player_width: Some(10_000),
                        player_height: Some(10_000),
                    },
                });
                assert_small(&page);
                assert_csp_covers_inline_blocks(&page);
            }
        }
    }
}

#[test]
fn realistic_long_values_are_kept() {
    let p = render_preview(&Preview {
        title: Some("t".repeat(300)),
        description: Some("d".repeat(1000)),
        image_url: web(&format!("https://cdn.acme.app/{}.png", "i".repeat(900))),
        url: None,
        ..Preview::default()
    });
    assert!(
        p.body.contains(&"t".repeat(300)),
        "a plain 300-char title is not cut"
    );
    assert!(
        p.body.contains(&"d".repeat(1000)),
        "a plain 1000-char description is not cut"
    );
    assert!(p.body.contains("og:image"));

    let page = render_interstitial(&Interstitial {
        fallback: Some(Fallback {
            url: format!("https://acme.app/{}?utm_source=push", "p".repeat(2000)),
            kind: DestinationKind::Web,
        }),
        universal_link: Some(format!(
            "https://go-alternate.acme.app/{}?utm_source=push",
            "c".repeat(128)
        )),
        after_click: Some(format!("https://acme.app/{}", "t".repeat(500))),
        ..interstitial(true)
    });
    for id in ["fallback", "app", "after"] {
        assert!(
            page.body.contains(&format!("id=\"{id}\"")),
            "a 2 KB fallback URL is kept with the rest: {id}"
        );
    }
    assert_small(&page);
}

/// Link data at every limit, through the decision and into the pages: each page stays
/// under 8 KB, and the iOS interstitial still carries both of its links (the Universal Link
/// to the alternate domain is what gives way here).
#[test]
fn maximal_link_data_through_the_decision() {
    use chrono::Utc;
    use link_core::app::{AndroidPackage, AppStoreId, BundleId, TeamId, UriScheme};
    use link_core::client::{BotKind, Browser, ClientInfo, DeviceClass, InAppBrowser, Platform};
    use link_core::decision::{Action, Click, decide};
    use link_core::{AppConfig, AppId, ClickId, Link, LinkCode, LinkData, LinkLabels, LinkType};
    use serde_json::json;

    let long_url = format!("https://acme.app/{}", "x".repeat(2020));
    let mut app = AppConfig::default();
    app.ios.bundle_id = BundleId::parse("com.acme.app").ok();
    app.ios.team_id = TeamId::parse("ABCDE12345").ok();
    app.ios.app_store_id = AppStoreId::parse("123456789").ok();
    app.ios.uri_scheme = UriScheme::parse("acme").ok();
    app.android.package = AndroidPackage::parse("com.acme.app").ok();
    app.android.uri_scheme = UriScheme::parse("acme").ok();
    let now = Utc::now();
    for (title, description) in [
        ("\"".repeat(300), "&".repeat(1000)),
        ("😀".repeat(300), "😀".repeat(1000)),
    ] {
        let data = json!({
            "$og_title": title,
            "$og_description": description,
            "$og_image_url": long_url,
            "$og_url": long_url,
            "$ios_url": long_url,
            "$android_url": long_url,
            "$deeplink_path": "\"".repeat(500),
        });
        let serde_json::Value::Object(data) = data else {
            unreachable!()
        };
        let link = Link {
            id: 1,
            app_id: AppId::new(1).expect("valid id"),
            code: LinkCode::parse("Ab3xK9q").expect("valid code"),
            is_alias: false,
            data: LinkData::from_map(&data).expect("small link data"),
            labels: LinkLabels::default(),
            link_type: LinkType::Standard,
            duration_secs: None,
            expires_at: None,
            version: 1,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        };
        // As much query as the decision carries: about 1 KB once re-encoded.
        let query: String = (0..10)
            .map(|i| format!("k{i}={}&", "%22".repeat(30)))
            .collect();
        let client = |platform, device, browser, in_app, bot| ClientInfo {
            platform,
            device,
            browser,
            in_app,
            bot,
            ..ClientInfo::UNKNOWN
        };
        let clients = [
            (
                client(
                    Platform::Ios,
                    DeviceClass::Mobile,
                    Browser::Safari,
                    None,
                    None,
                ),
                true,
            ),
            (
                client(
                    Platform::Ios,
                    DeviceClass::Mobile,
                    Browser::WebView,
                    Some(InAppBrowser::Instagram),
                    None,
                ),
                true,
            ),
            (
                client(
                    Platform::Android,
                    DeviceClass::Mobile,
                    Browser::Firefox,
                    None,
                    None,
                ),
                true,
            ),
            (
                client(
                    Platform::Android,
                    DeviceClass::Mobile,
                    Browser::WebView,
                    Some(InAppBrowser::Facebook),
                    None,
                ),
                false,
            ),
            (
                client(
                    Platform::Other,
                    DeviceClass::Bot,
                    Browser::Other,
                    None,
                    Some(BotKind::LinkPreview),
                ),
                false,
            ),
        ];
        for (client, both_links) in clients {
            let decision = decide(&Click {
                link: &link,
                app: &app,
                client,
                app_installed: true,
                query: &query,
                country: None,
                click_id: ClickId::generate(),
                short_url: "https://go.acme.app/Ab3xK9q",
                alternate_url: Some("https://go-alternate.acme.app/Ab3xK9q"),
                now,
            });
            let page = match &decision.action {
                Action::Interstitial(page) => render_interstitial(page),
                Action::Preview(preview) => render_preview(preview),
                other => panic!("unexpected {other:?} for {client:?}"),
            };
            assert_small(&page);
            assert_csp_covers_inline_blocks(&page);
            if both_links {
                assert!(page.body.contains("id=\"open\""), "{client:?}");
                assert!(page.body.contains("id=\"fallback\""), "{client:?}");
            }
        }
    }
}
