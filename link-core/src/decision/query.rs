//! Carrying the click's own query string (`?utm_source=push&...`) to the destination.
//!
//! The query is untrusted: it is split, percent-decoded and re-encoded pair by pair with
//! `application/x-www-form-urlencoded` rules, never pasted. Re-encoding is what makes
//! `\r\n`, quotes and `<script>` harmless in a `Location` header or an HTML attribute.
//!
//! Conflicts: **the destination's own parameters win**. A pair whose key already appears in
//! the destination's query is dropped, so a clicker cannot override a developer's `id=` on a
//! store URL or the `referrer=` that carries the click id. Keys we set ourselves
//! (`link_click_id`, `hl_device`) and Branch control keys (`$...`) are never carried.

use std::borrow::Cow;

use url::form_urlencoded;

/// Upper bound on what a click's query may add to a URL, so a hostile query cannot produce
/// a `Location` header that proxies refuse (nginx's default response-header buffer is 4-8 KB).
pub const MAX_CARRIED_LEN: usize = 1024;
/// Upper bound on carried pairs; UTM needs five.
pub const MAX_CARRIED_PAIRS: usize = 24;

/// The key Branch SDKs read the click id from.
pub const LINK_CLICK_ID: &str = "link_click_id";

/// The key our device-check page adds when it sends Safari back to the link, saying
/// whether the page found a Mac or an iPad (`mac`, `ipad`).
pub const DEVICE_HINT: &str = "hl_device";

/// Whether a click may not carry this key to a destination.
fn is_reserved(key: &str) -> bool {
    key == LINK_CLICK_ID || key == DEVICE_HINT || key.starts_with('$')
}

/// The value of `key` in `query` (raw, as in a URL), decoded; the first when repeated.
pub fn value_of<'q>(query: &'q str, key: &str) -> Option<Cow<'q, str>> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// One `key=value` segment of a query, decoded. Segments longer than the carried budget are
/// skipped before decoding, so a huge query never allocates more than the budget.
fn decode_pair(segment: &str) -> Option<(Cow<'_, str>, Cow<'_, str>)> {
    if segment.is_empty() || segment.len() > MAX_CARRIED_LEN {
        return None;
    }
    form_urlencoded::parse(segment.as_bytes()).next()
}

/// Whether `key` (decoded) is one of the keys of `query` (raw, as in a URL).
pub fn has_key(query: Option<&str>, key: &str) -> bool {
    query.is_some_and(|q| value_of(q, key).is_some())
}

/// Writes query pairs after a URL's path, choosing `?` or `&` as needed.
pub struct QueryWriter<'s> {
    out: &'s mut String,
    sep: Sep,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sep {
    /// No `?` yet.
    Question,
    /// Right after `?` or a trailing `&`.
    None,
    Amp,
}

impl<'s> QueryWriter<'s> {
    /// Starts writing after a URL whose existing query (already in `out`) is `existing`.
    pub fn after(out: &'s mut String, existing: Option<&str>) -> Self {
        let sep = match existing {
            None => Sep::Question,
            Some(q) if q.is_empty() || q.ends_with('&') => Sep::None,
            Some(_) => Sep::Amp,
        };
        Self { out, sep }
    }

    fn separator(&mut self) {
        match self.sep {
            Sep::Question => self.out.push('?'),
            Sep::Amp => self.out.push('&'),
            Sep::None => {}
        }
        self.sep = Sep::Amp;
    }

    /// Appends a pair, form-encoding both halves.
    pub fn pair(&mut self, key: &str, value: &str) {
        self.separator();
        self.out
            .extend(form_urlencoded::byte_serialize(key.as_bytes()));
        self.out.push('=');
        self.out
            .extend(form_urlencoded::byte_serialize(value.as_bytes()));
    }

    /// Appends a pair whose value is already safe in a query (hex ids, our own encodings).
    pub fn pair_encoded(&mut self, key: &str, encoded: &str) {
        self.separator();
        self.out.push_str(key);
        self.out.push('=');
        self.out.push_str(encoded);
    }

    /// Lets a caller push already-encoded segments of an existing query itself.
    pub fn raw_segment(&mut self, segment: impl FnOnce(&mut String)) {
        self.separator();
        segment(self.out);
    }

    pub fn len(&self) -> usize {
        self.out.len()
    }

    fn rewind(&mut self, len: usize, sep: Sep) {
        self.out.truncate(len);
        self.sep = sep;
    }
}

/// The click's query string, ready to be carried.
#[derive(Debug, Clone, Copy)]
pub struct Carry<'a> {
    raw: &'a str,
}

impl<'a> Carry<'a> {
    pub fn new(raw: &'a str) -> Self {
        Self {
            raw: raw.strip_prefix('?').unwrap_or(raw),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// A capacity hint for the bytes this may add.
    pub fn size_hint(&self) -> usize {
        self.raw.len().min(MAX_CARRIED_LEN) + 1
    }

    /// Appends the carried pairs whose keys are not in `existing` (the destination's query),
    /// within [`MAX_CARRIED_LEN`] and [`MAX_CARRIED_PAIRS`].
    pub fn append_to(&self, q: &mut QueryWriter<'_>, existing: Option<&str>) {
        let start = q.len();
        let mut pairs = 0;
        for (key, value) in self.raw.split('&').filter_map(decode_pair) {
            if pairs == MAX_CARRIED_PAIRS {
                break;
            }
            if key.is_empty() || is_reserved(&key) || has_key(existing, &key) {
                continue;
            }
            let (before, sep) = (q.len(), q.sep);
            q.pair(&key, &value);
            if q.len() - start > MAX_CARRIED_LEN {
                // Over budget: drop this pair, keep trying shorter ones.
                q.rewind(before, sep);
                continue;
            }
            pairs += 1;
        }
    }
}

/// The pairs a click carries (`utm_source=push&coupon=X`), re-encoded and bounded as they
/// are carried to destinations; `None` when it carries none. Stored with the click, so the
/// install it leads to gets them too.
pub fn carried_pairs(query: &str) -> Option<String> {
    let carry = Carry::new(query);
    if carry.is_empty() {
        return None;
    }
    let mut out = String::new();
    let mut q = QueryWriter::after(&mut out, Some(""));
    carry.append_to(&mut q, None);
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn carried(existing: Option<&str>, click: &str) -> String {
        let mut out = String::new();
        let mut q = QueryWriter::after(&mut out, existing);
        Carry::new(click).append_to(&mut q, existing);
        out
    }

    #[test]
    fn re_encodes_pairs() {
        assert_eq!(carried(None, "utm_source=push&x=1"), "?utm_source=push&x=1");
        assert_eq!(carried(None, "?a=b%20c"), "?a=b+c");
        assert_eq!(
            carried(None, "a=%0D%0ASet-Cookie:x"),
            "?a=%0D%0ASet-Cookie%3Ax"
        );
        assert_eq!(carried(None, "a=\"<script>"), "?a=%22%3Cscript%3E");
        assert_eq!(carried(None, "a=\r\nb"), "?a=%0D%0Ab");
        assert_eq!(carried(None, ""), "");
        assert_eq!(carried(None, "&&=x&"), "");
    }

    #[test]
    fn destination_wins_and_reserved_keys_drop() {
        assert_eq!(carried(Some("id=1"), "id=2&utm=3"), "&utm=3");
        assert_eq!(carried(Some(""), "a=1"), "a=1");
        assert_eq!(carried(Some("x=1&"), "a=1"), "a=1");
        assert_eq!(
            carried(None, "link_click_id=forged&$web_only=true&%24ios_url=x&k=v"),
            "?k=v"
        );
        assert_eq!(carried(None, "utm=1&hl_device=ipad"), "?utm=1");
    }

    #[test]
    fn carried_pairs_are_what_destinations_get() {
        assert_eq!(carried_pairs(""), None);
        assert_eq!(carried_pairs("link_click_id=1&$x=2&hl_device=ipad"), None);
        assert_eq!(
            carried_pairs("?coupon=A%20B&$fallback_url=x&utm_source=push").as_deref(),
            Some("coupon=A+B&utm_source=push")
        );
        let huge = format!("a={}&b=1", "x".repeat(5000));
        assert_eq!(carried_pairs(&huge).as_deref(), Some("b=1"));
    }

    #[test]
    fn reads_one_value() {
        assert_eq!(
            value_of("a=1&hl_device=ipad", DEVICE_HINT).as_deref(),
            Some("ipad")
        );
        assert_eq!(
            value_of("hl_device=a%20b&hl_device=x", DEVICE_HINT).as_deref(),
            Some("a b")
        );
        assert_eq!(value_of("hl_devices=ipad", DEVICE_HINT), None);
        assert_eq!(value_of("", DEVICE_HINT), None);
    }

    #[test]
    fn bounded() {
        let many: Vec<String> = (0..100).map(|i| format!("k{i}=v")).collect();
        let out = carried(None, &many.join("&"));
        assert_eq!(out.matches('=').count(), MAX_CARRIED_PAIRS);

        let long = format!("a={}&b=ok", "x".repeat(5000));
        assert_eq!(carried(None, &long), "?b=ok");

        let quotes = format!("a={}&b=ok", "\"".repeat(600));
        let out = carried(None, &quotes);
        assert_eq!(out, "?b=ok", "encoded size counts against the budget");
        let out = carried(None, &"q=1&".repeat(300));
        assert!(out.len() <= MAX_CARRIED_LEN + 1);
    }
}
