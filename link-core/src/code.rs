//! [`LinkCode`]: the path that names a link within its app (`Ab3xK9q`, or an alias such
//! as `summer-sale` or, as Branch allows, a path such as `product/id1234`).

use std::borrow::Borrow;
use std::fmt;

use compact_str::CompactString;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::invalid::Invalid;

/// Segments of `[A-Za-z0-9_-]` joined by single `/`, at most [`Self::MAX_SEGMENTS`] of
/// them and 128 bytes in all, case-sensitive. Only these characters ever reach a URL path,
/// an HTML page or a cache key, so no escaping question arises downstream. A path may not
/// start with `a/`: that is where long links live (`/a/<sdk key>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LinkCode(CompactString);

/// Alphabet of generated codes: no look-alikes (0/O, 1/l/I) so codes survive being read out.
const GENERATED_ALPHABET: &[u8] = b"23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";

impl LinkCode {
    pub const MAX_LEN: usize = 128;
    /// `product/shoes/42` is three; deeper aliases are not a thing people type.
    pub const MAX_SEGMENTS: usize = 8;
    /// 11 characters of a 56-letter alphabet: about 64 bits, so guessing codes is hopeless
    /// and collisions are rare enough to retry.
    pub const GENERATED_LEN: usize = 11;
    /// Length of [`LinkCode::derived`] codes: 56^22 > 2^127.
    pub const DERIVED_LEN: usize = 22;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.is_empty() {
            return Err(Invalid::new("must not be empty"));
        }
        if raw.len() > Self::MAX_LEN {
            return Err(Invalid::new("must be at most 128 characters"));
        }
        if !is_code_path(raw) {
            return Err(Invalid::new(
                "may only contain letters, digits, '-' and '_', in up to 8 parts joined by \
                 single '/'",
            ));
        }
        if raw.starts_with("a/") {
            return Err(Invalid::new(
                "must not start with a/, where long links are served",
            ));
        }
        Ok(Self(CompactString::new(raw)))
    }

    /// A fresh random code for a link created without an alias.
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        let code = (0..Self::GENERATED_LEN)
            .map(|_| {
                let idx = rng.random_range(0..GENERATED_ALPHABET.len());
                char::from(GENERATED_ALPHABET[idx])
            })
            .collect();
        Self(code)
    }

    /// A code derived from a digest: 22 letters of the generated alphabet from its first
    /// 16 bytes (about 127 bits). Links made from a long link's parameters are named this
    /// way, so the same parameters always find the same link.
    pub fn derived(digest: &[u8; 16]) -> Self {
        let radix = GENERATED_ALPHABET.len() as u128;
        let mut rest = u128::from_le_bytes(*digest);
        let code = (0..Self::DERIVED_LEN)
            .map(|_| {
                let idx = (rest % radix) as usize;
                rest /= radix;
                char::from(GENERATED_ALPHABET[idx])
            })
            .collect();
        Self(code)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// True for the bytes a code may contain; lets the click path reject a path cheaply.
pub fn is_code_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Whether `raw` has a code's shape: code bytes in 1 to [`LinkCode::MAX_SEGMENTS`]
/// non-empty parts joined by single `/`. Length is the caller's check.
pub fn is_code_path(raw: &str) -> bool {
    let mut segments = 0;
    for segment in raw.split('/') {
        segments += 1;
        if segment.is_empty()
            || segments > LinkCode::MAX_SEGMENTS
            || !segment.bytes().all(is_code_byte)
        {
            return false;
        }
    }
    true
}

impl Borrow<str> for LinkCode {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for LinkCode {
    type Error = Invalid;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<LinkCode> for String {
    fn from(value: LinkCode) -> Self {
        value.0.into_string()
    }
}

impl fmt::Display for LinkCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_codes_are_stable_and_code_shaped() {
        let a = LinkCode::derived(&[7; 16]);
        assert_eq!(a, LinkCode::derived(&[7; 16]));
        assert_ne!(a, LinkCode::derived(&[8; 16]));
        assert_eq!(a.as_str().len(), LinkCode::DERIVED_LEN);
        assert_eq!(LinkCode::parse(a.as_str()), Ok(a));
        assert_eq!(LinkCode::derived(&[0; 16]).as_str(), "2".repeat(22));
    }

    #[test]
    fn accepts_url_safe_codes_only() {
        for ok in [
            "a",
            "Ab3xK9q",
            "summer-sale_2026",
            &"x".repeat(128),
            "product/id1234",
            "b/c/d/e/f/g/h/i",
            "ab/c",
        ] {
            assert!(LinkCode::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a b",
            "..",
            "%41",
            "é",
            "a.b",
            &"x".repeat(129),
            "/lead",
            "trail/",
            "two//slashes",
            "b/c/d/e/f/g/h/i/j",
            "a/key_live_x",
            "./x",
            "x/../y",
        ] {
            assert!(LinkCode::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn generated_codes_are_valid_and_distinct() {
        let a = LinkCode::generate();
        let b = LinkCode::generate();
        assert_eq!(a.as_str().len(), LinkCode::GENERATED_LEN);
        assert!(LinkCode::parse(a.as_str()).is_ok());
        assert_ne!(a, b);
    }
}
