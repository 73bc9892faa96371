//! Escaping link data for the contexts a page puts it in.
//!
//! - HTML text and double-quoted attribute values: [`html`] / [`html_cut`] escape
//!   `& < > " '`, so one function is safe in both, and turn control characters into spaces.
//! - URLs in `href`/`content` attributes: [`safe_href`] refuses script-capable schemes
//!   (defence in depth: the decision only emits http(s), `intent:` and registered schemes),
//!   then the URL is attribute-escaped like any other value.
//!
//! Written here rather than taken from a crate because it is a few lines, and the
//! truncation to an escaped-byte budget (which keeps pages under 8 KB) needs to know the
//! escaped length of each character anyway.

use std::borrow::Cow;

/// The escaped form of one character, or `None` to keep it as is.
fn escaped(c: char) -> Option<&'static str> {
    match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        '"' => Some("&#34;"),
        '\'' => Some("&#39;"),
        // Controls are parse errors in HTML (and NUL is replaced); a space reads the same.
        c if c.is_control() => Some(" "),
        _ => None,
    }
}

fn escaped_len(c: char) -> usize {
    escaped(c).map_or(c.len_utf8(), str::len)
}

fn push_char(out: &mut String, c: char) {
    match escaped(c) {
        Some(e) => out.push_str(e),
        None => out.push(c),
    }
}

/// Bytes that can start a character [`escaped`] changes: the five markup characters, the
/// ASCII controls, and 0xC2, the lead byte of the C1 controls (U+0080-U+009F). No
/// continuation byte is among them, so a byte scan only stops on character boundaries.
const STOPS: [bool; 256] = {
    let mut stops = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        stops[b] = true;
        b += 1;
    }
    stops[0x7f] = true;
    stops[b'&' as usize] = true;
    stops[b'<' as usize] = true;
    stops[b'>' as usize] = true;
    stops[b'"' as usize] = true;
    stops[b'\'' as usize] = true;
    stops[0xc2] = true;
    stops
};

/// Appends `text` escaped for HTML text or a quoted attribute value.
pub fn html(out: &mut String, text: &str) {
    out.reserve(text.len());
    // Scan bytes, not chars, and copy the runs between stops in one go: link data and URLs
    // are mostly such runs, and decoding every character cost more than the copy.
    let bytes = text.as_bytes();
    let (mut start, mut at) = (0, 0);
    while at < bytes.len() {
        if !STOPS[usize::from(bytes[at])] {
            at += 1;
            continue;
        }
        let Some(c) = text[at..].chars().next() else {
            break;
        };
        if let Some(e) = escaped(c) {
            out.push_str(&text[start..at]);
            out.push_str(e);
            start = at + c.len_utf8();
        }
        at += c.len_utf8();
    }
    out.push_str(&text[start..]);
}

/// The escaped length of `text`, to check a budget before writing.
pub fn html_len(text: &str) -> usize {
    text.chars().map(escaped_len).sum()
}

const ELLIPSIS: char = '\u{2026}';

/// Appends `text` escaped, cut to at most `max_chars` characters and `max_bytes` escaped
/// bytes; a cut text ends with an ellipsis (counted in both limits).
pub fn html_cut(out: &mut String, text: &str, max_chars: usize, max_bytes: usize) {
    let text = text.trim();
    let fits = text.chars().count() <= max_chars && html_len(text) <= max_bytes;
    if fits {
        html(out, text);
        return;
    }
    let byte_room = max_bytes.saturating_sub(ELLIPSIS.len_utf8());
    let char_room = max_chars.saturating_sub(1);
    let start = out.len();
    for (count, c) in text.chars().enumerate() {
        if count == char_room || out.len() - start + escaped_len(c) > byte_room {
            break;
        }
        push_char(out, c);
    }
    // Do not leave a dangling space before the ellipsis.
    let kept = out[start..].trim_end().len();
    out.truncate(start + kept);
    if max_chars > 0 && max_bytes >= ELLIPSIS.len_utf8() {
        out.push(ELLIPSIS);
    }
}

/// Schemes a browser runs or renders inline instead of navigating to.
const REFUSED_SCHEMES: &[&str] = &["javascript", "vbscript", "data", "file", "blob", "about"];

/// `url` when it is safe as an `href`: an explicit, non-script scheme and no whitespace or
/// control characters (which browsers strip, so `java\tscript:` would still run).
pub fn safe_href(url: &str) -> Option<&str> {
    // In ASCII, whitespace and controls are exactly the bytes up to the space, and DEL.
    let unsafe_char = if url.is_ascii() {
        url.bytes().any(|b| b <= b' ' || b == 0x7f)
    } else {
        url.chars().any(|c| c.is_whitespace() || c.is_control())
    };
    if unsafe_char {
        return None;
    }
    let (scheme, _) = url.split_once(':')?;
    let mut bytes = scheme.bytes();
    let well_formed = bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    let scheme: Cow<'_, str> = if scheme.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(scheme.to_ascii_lowercase())
    } else {
        Cow::Borrowed(scheme)
    };
    (well_formed && !REFUSED_SCHEMES.contains(&scheme.as_ref())).then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(text: &str) -> String {
        let mut out = String::new();
        html(&mut out, text);
        out
    }

    fn cut(text: &str, chars: usize, bytes: usize) -> String {
        let mut out = String::new();
        html_cut(&mut out, text, chars, bytes);
        out
    }

    #[test]
    fn html_escapes_markup_and_quotes() {
        assert_eq!(
            esc("\"><script>alert(1)</script>"),
            "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(esc("a'b&c"), "a&#39;b&amp;c");
        assert_eq!(esc("a\u{0}b\r\nc\u{7f}"), "a b  c ");
        assert_eq!(esc("é \u{2028} 😀"), "é \u{2028} 😀");
        assert_eq!(html_len("<é"), 4 + 2);
    }

    #[test]
    fn the_byte_scan_escapes_exactly_what_escaped_says() {
        // Every character class at the scan's edges: ASCII, the C1 controls and their
        // neighbours, other two-, three- and four-byte characters.
        let mut all: String = (0u32..0x250).filter_map(char::from_u32).collect();
        all.push_str("\u{2028}\u{fffd}😀");
        let expected: String = all
            .chars()
            .map(|c| escaped(c).map_or_else(|| c.to_string(), str::to_owned))
            .collect();
        assert_eq!(esc(&all), expected);
        assert_eq!(html_len(&all), expected.len());
    }

    #[test]
    fn cut_respects_chars_and_escaped_bytes() {
        assert_eq!(cut("hello", 10, 100), "hello");
        assert_eq!(cut("hello world", 7, 100), "hello…");
        assert_eq!(cut("\"\"\"\"", 10, 13), "&#34;&#34;…");
        assert_eq!(cut("ééééé", 3, 100), "éé…");
        let long = cut(&"é".repeat(400), 300, 10_000);
        assert_eq!(long.chars().count(), 300);
        for (text, chars, bytes) in [("<<<<<<", 100, 9), ("abc", 0, 0), ("abcdef", 3, 4)] {
            let got = cut(text, chars, bytes);
            assert!(
                got.len() <= bytes && got.chars().count() <= chars,
                "{got:?}"
            );
        }
    }

    #[test]
    fn hrefs() {
        for ok in [
            "https://acme.app/x",
            "http://a.b",
            "acme://open?link_click_id=1",
            "intent://open#Intent;scheme=acme;end",
        ] {
            assert_eq!(safe_href(ok), Some(ok));
        }
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "java\tscript:alert(1)",
            " javascript:alert(1)",
            "data:text/html,x",
            "vbscript:x",
            "//evil.com",
            "/relative",
            "no-scheme",
            "1http://x",
            "https://a.b/\u{a0}x",
            "https://a.b/\u{85}x",
            "https://a.b/x\u{7f}",
        ] {
            assert_eq!(safe_href(bad), None, "{bad:?}");
        }
    }
}
