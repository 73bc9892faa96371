//! The interstitial: a page that opens the app, or offers a button to, with a way out to
//! the store or the web.
//!
//! iOS does not follow Universal Links on same-domain navigation and gives a page no
//! reliable signal when a scheme fails, so the page combines three things: the script's
//! automatic attempt (auto mode), a timer to the fallback that the page being hidden
//! cancels, and plain links that work without script and with a user gesture in in-app
//! browsers.

use std::fmt::Write as _;

use link_core::PreviewDefaults;
use link_core::decision::{DestinationKind, Interstitial};

use super::assets::{SCRIPT, STYLE};
use super::escape::{html, html_cut, safe_href};
use super::{HEAD_START, MAX_PAGE_BYTES, Page, csp};

/// Escaped bytes a title may take (it appears twice: `<title>` and `<h1>`).
const TITLE_BYTES: usize = 400;
const DEFAULT_TITLE: &str = "Open in the app";

fn fallback_label(kind: DestinationKind) -> &'static str {
    match kind {
        DestinationKind::AppStore => "Continue to the App Store",
        DestinationKind::PlayStore => "Continue to Google Play",
        DestinationKind::Web => "Continue to the website",
    }
}

/// Renders the interstitial for `page` (status 200).
///
/// A link too long for the size budget is left out rather than cut (a cut URL would go
/// somewhere else): the after-click page first, then the Universal Link (the button then
/// opens the deep link), then the fallback, then the deep link.
/// Only pathological link data (kilobytes of `&` in a URL) gets there; the decision
/// already bounds URL lengths.
pub fn render_interstitial(page: &Interstitial) -> Page {
    let mut title = String::new();
    match page.title.as_deref().filter(|t| !t.trim().is_empty()) {
        Some(t) => html_cut(&mut title, t, PreviewDefaults::MAX_TITLE, TITLE_BYTES),
        None => title.push_str(DEFAULT_TITLE),
    }
    let deep = safe_href(&page.deep_link);
    let fallback = page
        .fallback
        .as_ref()
        .and_then(|f| safe_href(&f.url).map(|url| (url, f.kind)));

    let after = page.after_click.as_deref().and_then(safe_href);
    let universal = page.universal_link.as_deref().and_then(safe_href);

    let links = Links {
        deep,
        universal,
        fallback,
        after,
    };
    let mut body = assemble(page, &title, links);
    for fewer in [
        Links {
            after: None,
            ..links
        },
        Links {
            after: None,
            universal: None,
            ..links
        },
        Links {
            deep,
            ..Links::NONE
        },
        Links::NONE,
    ] {
        if body.len() <= MAX_PAGE_BYTES {
            break;
        }
        body = assemble(page, &title, fewer);
    }
    Page {
        status: 200,
        body,
        csp: csp::with_script(),
    }
}

/// The page's links, each already checked by `safe_href`.
#[derive(Clone, Copy)]
struct Links<'a> {
    deep: Option<&'a str>,
    universal: Option<&'a str>,
    fallback: Option<(&'a str, DestinationKind)>,
    after: Option<&'a str>,
}

impl Links<'_> {
    const NONE: Links<'static> = Links {
        deep: None,
        universal: None,
        fallback: None,
        after: None,
    };
}

fn assemble(page: &Interstitial, title: &str, links: Links<'_>) -> String {
    let Links {
        deep,
        universal,
        fallback,
        after,
    } = links;
    let url_len = deep.map_or(0, str::len)
        + universal.map_or(0, str::len)
        + fallback.map_or(0, |(u, _)| u.len())
        + after.map_or(0, str::len);
    let mut out = String::with_capacity(2048 + title.len() * 2 + url_len * 2);
    out.push_str(HEAD_START);
    out.push_str("<meta name=\"robots\" content=\"noindex\"><title>");
    out.push_str(title);
    out.push_str("</title><style>");
    out.push_str(STYLE);
    out.push_str("</style></head><body><main><h1>");
    out.push_str(title);
    out.push_str("</h1>");

    match (deep, page.auto_open) {
        (Some(_), true) => out.push_str("<p>Opening the app\u{2026}</p>"),
        (Some(_), false) => out.push_str("<p>Tap the button to open the app.</p>"),
        (None, _) => out.push_str("<p>This link cannot open the app here.</p>"),
    }
    if let Some(url) = deep {
        out.push_str("<a id=\"open\" class=\"btn\" href=\"");
        html(&mut out, universal.unwrap_or(url));
        out.push_str("\">Open in app</a>");
        if universal.is_some() {
            // Not for people: what the script opens by itself (a script cannot follow a
            // Universal Link; only a tap does).
            out.push_str("<a id=\"app\" hidden href=\"");
            html(&mut out, url);
            out.push_str("\"></a>");
        }
    }
    if let Some((url, kind)) = fallback {
        out.push_str("<a id=\"fallback\" href=\"");
        html(&mut out, url);
        out.push_str("\">");
        out.push_str(fallback_label(kind));
        out.push_str("</a>");
    }
    if let (Some(url), Some(_)) = (after, deep) {
        // Not for people: the script goes there when the person comes back from the app.
        out.push_str("<a id=\"after\" hidden href=\"");
        html(&mut out, url);
        out.push_str("\"></a>");
    }
    if !page.auto_open {
        out.push_str(
            "<p class=\"hint\">If nothing happens, open this page in your browser \
             from the \u{2022}\u{2022}\u{2022} menu.</p>",
        );
    }
    out.push_str("</main><script type=\"application/json\" id=\"d\">");
    // A boolean and a number only, so the JSON is written directly: no link data here
    // that would need escaping for a script element.
    out.push_str(if page.auto_open && deep.is_some() {
        "{\"auto\":true,\"delay\":"
    } else {
        "{\"auto\":false,\"delay\":"
    });
    // Writing into a String cannot fail.
    let _ = write!(out, "{}}}</script><script>", page.fallback_after_ms);
    out.push_str(SCRIPT);
    out.push_str("</script></body></html>");
    out
}
