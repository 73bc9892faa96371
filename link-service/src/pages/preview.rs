//! The preview page for link-preview bots and crawlers: Open Graph and Twitter card tags,
//! status 200, no redirect and no meta refresh (a bot must describe this link, not follow
//! it somewhere else).

use link_core::PreviewDefaults;
use link_core::decision::Preview;

use super::escape::{html, html_cut, html_len, safe_href};
use super::{HEAD_START, MAX_PAGE_BYTES, Page, csp};

/// Escaped-byte budgets per copy. A title appears four times (`<title>`, `og:title`,
/// `<h1>`, and `twitter:title` unless the link gives the card its own), a description and
/// an image URL twice (Open Graph, X card), the page URL once; with the skeleton that stays
/// under 8 KB. Plain-text titles of 300 and descriptions of 1000
/// characters fit uncut.
const TITLE_BYTES: usize = 480;
const DESCRIPTION_BYTES: usize = 1100;
/// A longer (escaped) image or page URL is left out: a cut URL would point elsewhere.
const URL_BYTES: usize = 960;
const FALLBACK_TITLE: &str = "Link";
const BODY_START: &str = "</head><body><main>";
const BODY_END: &str = "</main></body></html>";

/// Renders the preview for `preview` (status 200).
pub fn render_preview(preview: &Preview) -> Page {
    let title = escaped_title(preview.title.as_deref());
    let description = escaped_description(preview.description.as_deref());
    let image = web_href(preview.image_url.as_ref());
    let url = web_href(preview.url.as_ref());
    let twitter = &preview.twitter;
    let twitter_title = escaped_title(twitter.title.as_deref());
    let twitter_description = escaped_description(twitter.description.as_deref());
    let twitter_image = web_href(twitter.image_url.as_ref()).or(image);

    let mut out = String::with_capacity(
        1024 + title.len() * 3
            + twitter_title.len().max(title.len())
            + description.len()
            + twitter_description.len().max(description.len())
            + image.map_or(0, str::len)
            + twitter_image.map_or(0, str::len),
    );
    out.push_str(HEAD_START);
    out.push_str("<title>");
    match (title.is_empty(), url) {
        (false, _) => out.push_str(&title),
        (true, Some(url)) => html(&mut out, url),
        (true, None) => out.push_str(FALLBACK_TITLE),
    }
    out.push_str("</title>");
    // Type and handle passed link-core's word-character rules; escaped all the same, as
    // every value from link data is.
    let mut kind = String::new();
    html(&mut kind, preview.kind.as_deref().unwrap_or("website"));
    meta(&mut out, "property", "og:type", &kind);
    if !title.is_empty() {
        meta(&mut out, "property", "og:title", &title);
    }
    if !description.is_empty() {
        meta(&mut out, "property", "og:description", &description);
    }
    let mut image_escaped = String::new();
    if let Some(image) = image {
        html(&mut image_escaped, image);
        meta(&mut out, "property", "og:image", &image_escaped);
        for (key, side) in [
            ("og:image:width", preview.image_width),
            ("og:image:height", preview.image_height),
        ] {
            if let Some(side) = side {
                meta(&mut out, "property", key, &side.to_string());
            }
        }
    }
    if let Some(url) = url {
        let mut escaped = String::new();
        html(&mut escaped, url);
        meta(&mut out, "property", "og:url", &escaped);
    }
    if let Some(id) = preview.facebook_app_id.as_deref() {
        // Digits by link-core's rule; escaped all the same.
        let mut escaped = String::new();
        html(&mut escaped, id);
        meta(&mut out, "property", "fb:app_id", &escaped);
    }
    let card = match (twitter.card, twitter_image) {
        (Some(card), _) => card.as_str(),
        (None, Some(_)) => "summary_large_image",
        (None, None) => "summary",
    };
    meta(&mut out, "name", "twitter:card", card);
    if let Some(site) = twitter.site.as_deref() {
        let mut handle = String::from("@");
        html(&mut handle, site);
        meta(&mut out, "name", "twitter:site", &handle);
    }
    let twitter_title = or_og(&twitter_title, &title);
    if !twitter_title.is_empty() {
        meta(&mut out, "name", "twitter:title", twitter_title);
    }
    let twitter_description = or_og(&twitter_description, &description);
    if !twitter_description.is_empty() {
        meta(&mut out, "name", "twitter:description", twitter_description);
    }
    match twitter_image {
        Some(own) if Some(own) != image => {
            let mut escaped = String::new();
            html(&mut escaped, own);
            meta(&mut out, "name", "twitter:image", &escaped);
        }
        Some(_) => meta(&mut out, "name", "twitter:image", &image_escaped),
        None => {}
    }
    // The video and App Links tags come last and only where they fit: with every other
    // value at its limit there is no room left for them under the page budget.
    let tail =
        BODY_START.len() + BODY_END.len() + if title.is_empty() { 0 } else { title.len() + 9 };
    let mut extra = String::new();
    for tags in [app_link_tags, video_tags] {
        extra.clear();
        tags(&mut extra, preview);
        if out.len() + extra.len() + tail < MAX_PAGE_BYTES {
            out.push_str(&extra);
        }
    }
    // The link's own tags, one by one while they fit; after ours, so a crawler that takes
    // the first of two same-named tags reads the page's.
    for (name, value) in &preview.custom_tags {
        extra.clear();
        let mut escaped = String::new();
        html(&mut escaped, value);
        let attr = if name.starts_with("twitter:") {
            "name"
        } else {
            "property"
        };
        // The name passed link-core's namespaced-word rule; escaped all the same.
        let mut key = String::new();
        html(&mut key, name);
        meta(&mut extra, attr, &key, &escaped);
        if out.len() + extra.len() + tail < MAX_PAGE_BYTES {
            out.push_str(&extra);
        }
    }
    out.push_str(BODY_START);
    if !title.is_empty() {
        out.push_str("<h1>");
        out.push_str(&title);
        out.push_str("</h1>");
    }
    out.push_str(BODY_END);
    Page {
        status: 200,
        body: out,
        csp: csp::NOTHING_INLINE,
    }
}

/// `og:video` and the X player (`twitter:player` and its size), each within its budget.
fn video_tags(out: &mut String, preview: &Preview) {
    let twitter = &preview.twitter;
    for (attr, key, url) in [
        ("property", "og:video", preview.video_url.as_ref()),
        ("name", "twitter:player", twitter.player_url.as_ref()),
    ] {
        if let Some(url) = web_href(url) {
            let mut escaped = String::new();
            html(&mut escaped, url);
            meta(out, attr, key, &escaped);
        }
    }
    if twitter.player_url.is_some() {
        for (key, side) in [
            ("twitter:player:width", twitter.player_width),
            ("twitter:player:height", twitter.player_height),
        ] {
            if let Some(side) = side {
                meta(out, "name", key, &side.to_string());
            }
        }
    }
}

/// Facebook App Links: `al:ios:*` and `al:android:*` from the app's config.
fn app_link_tags(out: &mut String, preview: &Preview) {
    let links = &preview.app_links;
    for (key, value) in [
        ("al:ios:url", &links.ios_url),
        ("al:ios:app_store_id", &links.ios_app_store_id),
        ("al:android:url", &links.android_url),
        ("al:android:package", &links.android_package),
    ] {
        if let Some(value) = value.as_deref().filter(|v| html_len(v) <= URL_BYTES) {
            let mut escaped = String::new();
            html(&mut escaped, value);
            meta(out, "property", key, &escaped);
        }
    }
}

/// The card's own escaped text, or the Open Graph one when it has none.
fn or_og<'a>(own: &'a str, og: &'a str) -> &'a str {
    if own.is_empty() { og } else { own }
}

/// A title, escaped and cut to its byte budget; empty when there is none.
fn escaped_title(title: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(t) = title {
        html_cut(&mut out, t, PreviewDefaults::MAX_TITLE, TITLE_BYTES);
    }
    out
}

fn escaped_description(description: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(d) = description {
        html_cut(
            &mut out,
            d,
            PreviewDefaults::MAX_DESCRIPTION,
            DESCRIPTION_BYTES,
        );
    }
    out
}

/// A URL safe to put in an attribute and within its byte budget.
fn web_href(url: Option<&link_core::WebUrl>) -> Option<&str> {
    url.and_then(|u| safe_href(u.as_str()))
        .filter(|u| html_len(u) <= URL_BYTES)
}

/// `<meta {attr}="{key}" content="{escaped}">`; `escaped` must already be escaped.
fn meta(out: &mut String, attr: &str, key: &str, escaped: &str) {
    out.push_str("<meta ");
    out.push_str(attr);
    out.push_str("=\"");
    out.push_str(key);
    out.push_str("\" content=\"");
    out.push_str(escaped);
    out.push_str("\">");
}
