//! The device check: Safari on an iPad sends the same User-Agent as Safari on a Mac, and
//! the two need different answers (the App Store or the app, the website). This page asks
//! the one thing that differs, touch support, and sends the browser back to the same link
//! with the answer in `hl_device`. Without script it goes on as a Mac.

use super::assets::{DEVICE_SCRIPT, STYLE};
use super::escape::html;
use super::{HEAD_START, MAX_PAGE_BYTES, Page, csp};

/// Renders the check for the link at `mac` and `ipad`: the same path and query with the
/// hint added, both on our own host. `None` when they would not fit the page budget (the
/// caller then answers as for a Mac).
pub fn render_device_check(mac: &str, ipad: &str) -> Option<Page> {
    let mut out = String::with_capacity(1024 + 3 * (mac.len() + ipad.len()));
    out.push_str(HEAD_START);
    out.push_str("<meta name=\"robots\" content=\"noindex\"><noscript><meta http-equiv=\"refresh\" content=\"0;url=");
    html(&mut out, mac);
    out.push_str("\"></noscript><title>Opening the link</title><style>");
    out.push_str(STYLE);
    out.push_str("</style></head><body><main><p>Opening the link\u{2026}</p><a id=\"mac\" href=\"");
    html(&mut out, mac);
    out.push_str("\">Continue</a><a id=\"ipad\" hidden href=\"");
    html(&mut out, ipad);
    out.push_str("\">Continue on iPad</a></main><script>");
    out.push_str(DEVICE_SCRIPT);
    out.push_str("</script></body></html>");
    (out.len() <= MAX_PAGE_BYTES).then(|| Page {
        status: 200,
        body: out,
        csp: csp::device_check(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_targets_escaped_and_the_script_allowed_by_hash() {
        let page = render_device_check(
            "/welcome?a=%22%3E&x=<b>&hl_device=mac",
            "/welcome?a=%22%3E&x=<b>&hl_device=ipad",
        )
        .unwrap();
        assert_eq!(page.status, 200);
        assert!(page.body.contains(
            "<a id=\"mac\" href=\"/welcome?a=%22%3E&amp;x=&lt;b&gt;&amp;hl_device=mac\">"
        ));
        assert!(
            page.body
                .contains("content=\"0;url=/welcome?a=%22%3E&amp;x=&lt;b&gt;&amp;hl_device=mac\"")
        );
        assert!(page.body.contains(
            "id=\"ipad\" hidden href=\"/welcome?a=%22%3E&amp;x=&lt;b&gt;&amp;hl_device=ipad\""
        ));
        assert!(!page.body.contains("<b>"));
        assert!(page.csp.contains(&csp::hash_source(DEVICE_SCRIPT)));
        assert!(
            page.body
                .contains(&format!("<script>{DEVICE_SCRIPT}</script>"))
        );
    }

    #[test]
    fn too_long_for_a_page_is_none() {
        let long = format!("/welcome?q={}", "x".repeat(MAX_PAGE_BYTES));
        assert_eq!(render_device_check(&long, &long), None);
    }
}
