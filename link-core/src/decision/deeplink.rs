//! Building app links: `{scheme}://{path}?{query}` and Android `intent://` URLs.
//!
//! A deep link is only ever built from the app's registered [`UriScheme`] (which can never
//! be `http`, `javascript`, `intent`, ...) plus the developer's `$deeplink_path`, so no link
//! data can change where the browser goes. The path is percent-encoded byte by byte (valid
//! `%XX` escapes are kept), so quotes, spaces, `<`, `>` and control characters never appear
//! raw. A `$deeplink_path` that names another scheme (`https://evil.com/x`) is ignored.

use super::query::{Carry, LINK_CLICK_ID, QueryWriter};
use crate::app::{AndroidPackage, UriScheme};
use crate::ids::ClickId;

/// A longer `$deeplink_path` is ignored: it would only make Location headers and pages huge.
pub const MAX_DEEPLINK_PATH_LEN: usize = 512;
/// Branch SDKs' path when a link sets none (`acme://open?link_click_id=...`).
pub const DEFAULT_PATH: &str = "open";

/// The developer's deep link path, split and stripped of its scheme, leading slashes and
/// fragment (a `#` would end an intent URL's data part; apps route on path and query).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeepPath<'a> {
    pub path: &'a str,
    pub query: Option<&'a str>,
}

impl<'a> DeepPath<'a> {
    pub const DEFAULT: DeepPath<'static> = DeepPath {
        path: DEFAULT_PATH,
        query: None,
    };

    /// `None` means "ignore the value": too long, or a full URL of another scheme.
    pub fn parse(raw: &'a str, scheme: &UriScheme) -> Option<Self> {
        let raw = raw.trim();
        if raw.len() > MAX_DEEPLINK_PATH_LEN {
            return None;
        }
        let rest = match split_scheme(raw) {
            Some((named, rest)) if named.eq_ignore_ascii_case(scheme.as_str()) => rest,
            Some(_) => return None,
            None => raw,
        };
        let rest = rest.split('#').next().unwrap_or_default();
        let rest = rest.trim_start_matches('/');
        let (path, query) = match rest.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (rest, None),
        };
        let path = if path.is_empty() { DEFAULT_PATH } else { path };
        Some(Self { path, query })
    }

    /// The path for a link: its value when usable, Branch's default otherwise.
    pub fn or_default(raw: Option<&'a str>, scheme: &UriScheme) -> Self {
        raw.and_then(|raw| Self::parse(raw, scheme))
            .unwrap_or(DeepPath::DEFAULT)
    }
}

/// `scheme://rest` -> (`scheme`, `rest`) when `raw` starts with a syntactically valid scheme.
fn split_scheme(raw: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = raw.split_once("://")?;
    let mut bytes = scheme.bytes();
    let valid = bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    valid.then_some((scheme, rest))
}

/// Bytes kept as they are in a deep link path: RFC 3986 unreserved, sub-delims except `'`
/// (so the URL stays inert in any HTML attribute), `:`, `@` and `/`; `?` too in a query.
fn keep(b: u8, in_query: bool) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
                | b'/'
        )
        || (in_query && b == b'?')
}

/// Percent-encodes what [`keep`] refuses, leaving existing `%XX` escapes alone.
fn push_encoded(out: &mut String, s: &str, in_query: bool) {
    push_runs(out, s, |bytes, i| {
        let b = bytes[i];
        let escape = b == b'%'
            && bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
        if escape {
            Some(3)
        } else {
            keep(b, in_query).then_some(1)
        }
    });
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn push_escape(out: &mut String, b: u8) {
    out.push('%');
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 0x0f)]));
}

/// Bytes that stay as they are in an intent extra value: only unreserved characters, so
/// `;`, `#` and `=` cannot end the `S.browser_fallback_url` extra early. A table, because
/// this scan runs over the whole fallback URL on every Android Chrome click.
const EXTRA_KEEPS: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~');
        b += 1;
    }
    table
};

fn extra_keeps(b: u8) -> bool {
    EXTRA_KEEPS[usize::from(b)]
}

/// Writes `value` percent-encoded for an intent extra, copying runs of kept bytes at once
/// (this runs on every Android Chrome click).
fn push_extra(out: &mut String, value: &str) {
    push_runs(out, value, |bytes, i| extra_keeps(bytes[i]).then_some(1));
}

/// Copies `value` to `out`, escaping every byte for which `kept` says `None`; `kept`
/// returns how many bytes starting at `i` stay as they are (all ASCII).
///
/// Kept bytes are ASCII, and ASCII bytes always sit on character boundaries, so every
/// run copied is a valid `str` slice; `get` keeps an empty run inside a multi-byte
/// character (between two escaped bytes) from panicking.
fn push_runs(out: &mut String, value: &str, kept: impl Fn(&[u8], usize) -> Option<usize>) {
    let bytes = value.as_bytes();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        match kept(bytes, i) {
            Some(n) => i += n,
            None => {
                out.push_str(value.get(start..i).unwrap_or_default());
                push_escape(out, bytes[i]);
                i += 1;
                start = i;
            }
        }
    }
    out.push_str(value.get(start..).unwrap_or_default());
}

/// How long `fallback` becomes inside an intent extra.
pub fn encoded_extra_len(fallback: &str) -> usize {
    fallback
        .bytes()
        .map(|b| if extra_keeps(b) { 1 } else { 3 })
        .sum()
}

/// Writes `path?query` of a deep link: the developer's query, then the click's carried
/// pairs (the developer's keys win), then `link_click_id` when there is a click.
fn push_body(out: &mut String, deep: DeepPath<'_>, carry: &Carry<'_>, click_id: Option<ClickId>) {
    push_encoded(out, deep.path, false);
    let mut q = QueryWriter::after(out, None);
    if let Some(query) = deep.query {
        for segment in query.split('&').filter(|s| !s.is_empty()) {
            if super::query::has_key(Some(segment), LINK_CLICK_ID) {
                // The click id is ours to set: a forged one would misattribute installs.
                continue;
            }
            q.raw_segment(|out| push_encoded(out, segment, true));
        }
    }
    carry.append_to(&mut q, deep.query);
    if let Some(click_id) = click_id {
        let mut id = [0u8; uuid::fmt::Simple::LENGTH];
        q.pair_encoded(
            LINK_CLICK_ID,
            click_id.as_uuid().simple().encode_lower(&mut id),
        );
    }
}

fn capacity(deep: DeepPath<'_>, carry: &Carry<'_>) -> usize {
    deep.path.len() + deep.query.map_or(0, str::len) + carry.size_hint() + 64
}

/// `scheme://path?query&link_click_id=...`; without the click id when `click_id` is
/// `None` (a page many people reach from one fetch, such as a Facebook App Links tag).
pub fn scheme_link(
    scheme: &UriScheme,
    deep: DeepPath<'_>,
    carry: &Carry<'_>,
    click_id: Option<ClickId>,
) -> String {
    let mut out = String::with_capacity(scheme.as_str().len() + capacity(deep, carry));
    out.push_str(scheme.as_str());
    out.push_str("://");
    push_body(&mut out, deep, carry, click_id);
    out
}

/// Chrome's intent syntax: opens `scheme://path?query` in `package` when installed, and
/// navigates to `fallback` (an http(s) URL) when not.
pub fn intent_link(
    scheme: &UriScheme,
    package: &AndroidPackage,
    deep: DeepPath<'_>,
    carry: &Carry<'_>,
    click_id: ClickId,
    fallback: &str,
) -> String {
    let mut out = String::with_capacity(
        capacity(deep, carry)
            + scheme.as_str().len()
            + package.as_str().len()
            + fallback.len() * 2
            + 64,
    );
    out.push_str("intent://");
    push_body(&mut out, deep, carry, Some(click_id));
    out.push_str("#Intent;scheme=");
    out.push_str(scheme.as_str());
    out.push_str(";package=");
    out.push_str(package.as_str());
    out.push_str(";S.browser_fallback_url=");
    push_extra(&mut out, fallback);
    out.push_str(";end");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scheme() -> UriScheme {
        UriScheme::parse("acme").expect("valid scheme")
    }

    fn id() -> ClickId {
        ClickId::parse("0190a0b0c0d0e0f00112233445566778").expect("valid id")
    }

    fn link(raw: Option<&str>, click_query: &str) -> String {
        let s = scheme();
        scheme_link(
            &s,
            DeepPath::or_default(raw, &s),
            &Carry::new(click_query),
            Some(id()),
        )
    }

    const ID: &str = "link_click_id=0190a0b0c0d0e0f00112233445566778";

    #[test]
    fn paths() {
        assert_eq!(link(None, ""), format!("acme://open?{ID}"));
        assert_eq!(
            link(Some("product/42"), ""),
            format!("acme://product/42?{ID}")
        );
        assert_eq!(
            link(Some("/product/42"), ""),
            format!("acme://product/42?{ID}")
        );
        assert_eq!(
            link(Some("acme://product/42"), ""),
            format!("acme://product/42?{ID}")
        );
        assert_eq!(link(Some("ACME://p"), ""), format!("acme://p?{ID}"));
        assert_eq!(
            link(Some("https://evil.com/x"), ""),
            format!("acme://open?{ID}")
        );
        assert_eq!(
            link(Some("//evil.com"), ""),
            format!("acme://evil.com?{ID}")
        );
        assert_eq!(
            link(Some("javascript:alert(1)"), ""),
            format!("acme://javascript:alert(1)?{ID}")
        );
        assert_eq!(link(Some("p#frag"), ""), format!("acme://p?{ID}"));
        assert_eq!(link(Some("/"), ""), format!("acme://open?{ID}"));
        assert_eq!(
            link(Some(&"x".repeat(600)), ""),
            format!("acme://open?{ID}")
        );
    }

    #[test]
    fn encoding() {
        assert_eq!(
            link(Some("a b/\"<x>'/é/%2F/%zz"), ""),
            format!("acme://a%20b/%22%3Cx%3E%27/%C3%A9/%2F/%25zz?{ID}")
        );
        assert_eq!(
            link(Some("p?\r\n=1&q=a?b"), ""),
            format!("acme://p?%0D%0A=1&q=a?b&{ID}")
        );
    }

    #[test]
    fn query_merge() {
        assert_eq!(
            link(
                Some("p?color=red&link_click_id=forged"),
                "color=blue&utm_source=x"
            ),
            format!("acme://p?color=red&utm_source=x&{ID}")
        );
        assert_eq!(link(Some("p?"), "a=1"), format!("acme://p?a=1&{ID}"));
    }

    #[test]
    fn intent() {
        let s = scheme();
        let pkg = AndroidPackage::parse("com.acme.app").expect("valid package");
        let got = intent_link(
            &s,
            &pkg,
            DeepPath::or_default(Some("p/1"), &s),
            &Carry::new("u=1"),
            id(),
            "https://acme.app/a?b=1;c#d",
        );
        assert_eq!(
            got,
            format!(
                "intent://p/1?u=1&{ID}#Intent;scheme=acme;package=com.acme.app;\
                 S.browser_fallback_url=https%3A%2F%2Facme.app%2Fa%3Fb%3D1%3Bc%23d;end"
            )
        );
        assert_eq!(encoded_extra_len("a b"), 5);
        assert_eq!(encoded_extra_len("é"), 6);
        let mut out = String::new();
        push_extra(&mut out, "https://a.b/é?x=ü€;");
        assert_eq!(out, "https%3A%2F%2Fa.b%2F%C3%A9%3Fx%3D%C3%BC%E2%82%AC%3B");
        assert_eq!(out.len(), encoded_extra_len("https://a.b/é?x=ü€;"));
    }
}
