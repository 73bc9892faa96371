//! The preview page for link-preview bots and crawlers: Open Graph and Twitter card tags,
//! status 200, no redirect and no meta refresh (a bot must describe this link, not follow
//! it somewhere else).

use link_core::PreviewDefaults;
use link_core::decision::Preview;

use super::escape::{html, html_cut, html_len, safe_href};
use super::{HEAD_START, Page, csp};

/// Escaped-byte budgets per copy. The title appears four times (`<title>`, `og:title`,
/// `twitter:title`, `<h1>`), the description and image twice, the URL once; with the
/// skeleton that stays under 8 KB. Plain-text titles of 300 and descriptions of 1000
/// characters fit uncut.
const TITLE_BYTES: usize = 480;
const DESCRIPTION_BYTES: usize = 1100;
/// A longer (escaped) image or page URL is left out: a cut URL would point elsewhere.
const URL_BYTES: usize = 960;
const FALLBACK_TITLE: &str = "Link";

/// Renders the preview for `preview` (status 200).
pub fn render_preview(preview: &Preview) -> Page {
    let mut title = String::new();
    if let Some(t) = preview.title.as_deref() {
        html_cut(&mut title, t, PreviewDefaults::MAX_TITLE, TITLE_BYTES);
    }
    let mut description = String::new();
    if let Some(d) = preview.description.as_deref() {
        html_cut(
            &mut description,
            d,
            PreviewDefaults::MAX_DESCRIPTION,
            DESCRIPTION_BYTES,
        );
    }
    let fits = |url: &str| html_len(url) <= URL_BYTES;
    let image = preview
        .image_url
        .as_ref()
        .and_then(|u| safe_href(u.as_str()))
        .filter(|u| fits(u));
    let url = preview
        .url
        .as_ref()
        .and_then(|u| safe_href(u.as_str()))
        .filter(|u| fits(u));

    let mut out = String::with_capacity(
        1024 + title.len() * 4 + description.len() * 2 + image.map_or(0, str::len) * 2,
    );
    out.push_str(HEAD_START);
    out.push_str("<title>");
    match (title.is_empty(), url) {
        (false, _) => out.push_str(&title),
        (true, Some(url)) => html(&mut out, url),
        (true, None) => out.push_str(FALLBACK_TITLE),
    }
    out.push_str("</title>");
    meta(&mut out, "property", "og:type", "website");
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
    }
    if let Some(url) = url {
        let mut escaped = String::new();
        html(&mut escaped, url);
        meta(&mut out, "property", "og:url", &escaped);
    }
    let card = if image.is_some() {
        "summary_large_image"
    } else {
        "summary"
    };
    meta(&mut out, "name", "twitter:card", card);
    if !title.is_empty() {
        meta(&mut out, "name", "twitter:title", &title);
    }
    if !description.is_empty() {
        meta(&mut out, "name", "twitter:description", &description);
    }
    if !image_escaped.is_empty() {
        meta(&mut out, "name", "twitter:image", &image_escaped);
    }
    out.push_str("</head><body><main>");
    if !title.is_empty() {
        out.push_str("<h1>");
        out.push_str(&title);
        out.push_str("</h1>");
    }
    out.push_str("</main></body></html>");
    Page {
        status: 200,
        body: out,
        csp: csp::NOTHING_INLINE,
    }
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
