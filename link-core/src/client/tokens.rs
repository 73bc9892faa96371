//! Token tables matched against a User-Agent in one pass.
//!
//! Bot and in-app rules are lists of literal tokens ("Twitterbot", "FBAN/", "Line/"). A
//! [`TokenSet`] compiles such a list into one Aho-Corasick automaton, so looking for a
//! hundred tokens costs one scan of the string instead of a hundred, and answers with the
//! value of the earliest table entry found: table order is priority order.
//!
//! Matching is ASCII case-insensitive; a token can ask for exact case and for word edges,
//! which is what keeps short tokens ("Line/", "GSA/", "Teams") from matching inside other
//! words ("Online/", "NGSA/").

use aho_corasick::{AhoCorasick, MatchKind};

/// How a token must sit in the User-Agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Edge {
    /// Anywhere, even inside a longer word.
    Anywhere,
    /// Not preceded by an ASCII letter ("Line/" but not "Online/").
    WordStart,
    /// Neither preceded nor followed by an ASCII letter. Digits count as edges, because
    /// apps glue version numbers to their names ("Safari/537.36Snapchat11.59").
    Word,
    /// At the very start of the User-Agent ("curl/8.4.0").
    Start,
}

/// One row of a token table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Token<T: 'static> {
    pub text: &'static str,
    pub edge: Edge,
    pub exact_case: bool,
    pub value: T,
}

impl<T> Token<T> {
    /// Case-insensitive, anywhere.
    pub const fn any(text: &'static str, value: T) -> Self {
        Self {
            text,
            edge: Edge::Anywhere,
            exact_case: false,
            value,
        }
    }

    /// Case-insensitive, not preceded by a letter.
    pub const fn word_start(text: &'static str, value: T) -> Self {
        Self {
            text,
            edge: Edge::WordStart,
            exact_case: false,
            value,
        }
    }

    /// Case-insensitive, a whole word.
    pub const fn word(text: &'static str, value: T) -> Self {
        Self {
            text,
            edge: Edge::Word,
            exact_case: false,
            value,
        }
    }

    /// Case-insensitive, at the start of the string.
    pub const fn start(text: &'static str, value: T) -> Self {
        Self {
            text,
            edge: Edge::Start,
            exact_case: false,
            value,
        }
    }

    /// Exact case, as a whole word: for tokens that are ordinary words in lower case.
    pub const fn exact_word(text: &'static str, value: T) -> Self {
        Self {
            text,
            edge: Edge::Word,
            exact_case: true,
            value,
        }
    }

    /// Exact case, not preceded by a letter.
    pub const fn exact_word_start(text: &'static str, value: T) -> Self {
        Self {
            text,
            edge: Edge::WordStart,
            exact_case: true,
            value,
        }
    }

    /// Exact case, anywhere.
    pub const fn exact(text: &'static str, value: T) -> Self {
        Self {
            text,
            edge: Edge::Anywhere,
            exact_case: true,
            value,
        }
    }

    fn accepts(&self, hay: &[u8], start: usize, end: usize) -> bool {
        if self.exact_case && hay.get(start..end) != Some(self.text.as_bytes()) {
            return false;
        }
        let letter_before = start > 0 && hay[start - 1].is_ascii_alphabetic();
        let letter_after = hay.get(end).is_some_and(u8::is_ascii_alphabetic);
        // A token whose own edge is not a letter ("/", ";", " ") carries its boundary.
        let first_is_letter = self
            .text
            .as_bytes()
            .first()
            .is_some_and(u8::is_ascii_alphabetic);
        let last_is_letter = self
            .text
            .as_bytes()
            .last()
            .is_some_and(u8::is_ascii_alphabetic);
        match self.edge {
            Edge::Anywhere => true,
            Edge::Start => start == 0,
            Edge::WordStart => !(first_is_letter && letter_before),
            Edge::Word => !(first_is_letter && letter_before || last_is_letter && letter_after),
        }
    }
}

/// A compiled token table.
pub(crate) struct TokenSet<T: 'static> {
    automaton: AhoCorasick,
    tokens: &'static [Token<T>],
}

impl<T: Copy> TokenSet<T> {
    /// Compiles a static table. Panics only on a malformed table, which the unit tests of
    /// every table would catch first.
    pub fn new(tokens: &'static [Token<T>]) -> Self {
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(tokens.iter().map(|t| t.text))
            .expect("a static token table of short literals always compiles");
        Self { automaton, tokens }
    }

    /// The value of the first table entry that occurs in `ua`, with its byte position.
    pub fn first_match(&self, ua: &str) -> Option<(T, usize)> {
        let hay = ua.as_bytes();
        let mut best: Option<(usize, usize)> = None;
        for m in self.automaton.find_overlapping_iter(ua) {
            let index = m.pattern().as_usize();
            if best.is_some_and(|(b, _)| b <= index) {
                continue;
            }
            if self.tokens[index].accepts(hay, m.start(), m.end()) {
                best = Some((index, m.start()));
                if index == 0 {
                    break;
                }
            }
        }
        best.map(|(index, at)| (self.tokens[index].value, at))
    }

    /// Calls `f` with the value and byte position of every table entry found in `ua`.
    pub fn for_each(&self, ua: &str, mut f: impl FnMut(T, usize)) {
        let hay = ua.as_bytes();
        for m in self.automaton.find_overlapping_iter(ua) {
            let token = &self.tokens[m.pattern().as_usize()];
            if token.accepts(hay, m.start(), m.end()) {
                f(token.value, m.start());
            }
        }
    }

    /// The value of the first table entry that occurs in `ua`.
    pub fn first(&self, ua: &str) -> Option<T> {
        self.first_match(ua).map(|(value, _)| value)
    }
}

/// Finds `needle` in `hay`, ASCII case-insensitively. For the few one-off look-ups that
/// are not worth a table.
pub(crate) fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    let (hay, needle) = (hay.as_bytes(), needle.as_bytes());
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// Parses "17_4_1", "8.1.0", "14" or "10.0" at the start of `s` into (major, minor).
/// Stops at the first character that is neither a digit nor a separator.
pub(crate) fn parse_version(s: &str) -> Option<(u16, u16)> {
    let bytes = s.as_bytes();
    let major_len = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    if major_len == 0 || major_len > 5 {
        return None;
    }
    let major = s[..major_len].parse::<u16>().ok()?;
    let rest = &bytes[major_len..];
    let minor = match rest {
        [b'_' | b'.', tail @ ..] => {
            let len = tail.iter().take_while(|b| b.is_ascii_digit()).count();
            if len == 0 || len > 5 {
                0
            } else {
                s[major_len + 1..major_len + 1 + len]
                    .parse::<u16>()
                    .unwrap_or(0)
            }
        }
        _ => 0,
    };
    Some((major, minor))
}

/// The version that follows the first occurrence of `marker` (case-insensitive).
pub(crate) fn version_after(ua: &str, marker: &str) -> Option<(u16, u16)> {
    let at = find_ci(ua, marker)?;
    parse_version(&ua[at + marker.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    static TABLE: &[Token<u8>] = &[
        Token::word_start("Line/", 1),
        Token::word("wv", 2),
        Token::exact_word("Snapchat", 3),
        Token::start("curl/", 4),
        Token::any("bot", 5),
    ];

    #[test]
    fn edges_are_respected() {
        let set = TokenSet::new(TABLE);
        assert_eq!(set.first("Safari Line/8.4.1"), Some(1));
        assert_eq!(set.first("Online/1.0"), None);
        assert_eq!(set.first("(Linux; Android 10; wv)"), Some(2));
        assert_eq!(set.first("(Linux; wvga)"), None);
        assert_eq!(set.first("Safari/537.36Snapchat11.59.0"), Some(3));
        assert_eq!(set.first("safari snapchat"), None);
        assert_eq!(set.first("curl/8.0"), Some(4));
        assert_eq!(set.first("x curl/8.0"), None);
        assert_eq!(set.first("Googlebot"), Some(5));
    }

    #[test]
    fn table_order_is_priority() {
        let set = TokenSet::new(TABLE);
        assert_eq!(set.first("Twitterbot Line/1"), Some(1));
    }

    #[test]
    fn versions_parse() {
        assert_eq!(parse_version("17_4_1 like"), Some((17, 4)));
        assert_eq!(parse_version("8.1.0;"), Some((8, 1)));
        assert_eq!(parse_version("14;"), Some((14, 0)));
        assert_eq!(parse_version("x"), None);
        assert_eq!(parse_version("99999999"), None);
        assert_eq!(
            version_after("Android 8.1.0; Pixel", "Android "),
            Some((8, 1))
        );
    }

    #[test]
    fn find_ci_matches_ascii_case_insensitively() {
        assert_eq!(find_ci("abcDEF", "def"), Some(3));
        assert_eq!(find_ci("é", "x"), None);
    }
}
