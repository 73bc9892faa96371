//! [`Country`]: where a click came from, as a trusted proxy or CDN says (Cloudflare's
//! `CF-IPCountry`, CloudFront's `CloudFront-Viewer-Country`, nginx's GeoIP module), for
//! Branch's country-specific `$fallback_url_xx`.

/// An ISO 3166-1 alpha-2 code, held lower-case as the link keys spell it (`de`, `br`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Country([u8; 2]);

impl Country {
    /// Two ASCII letters in either case. `XX` (Cloudflare's "unknown") and anything else,
    /// such as `T1` (Tor), are no country.
    pub fn parse(raw: &str) -> Option<Self> {
        let &[a, b] = raw.trim().as_bytes() else {
            return None;
        };
        if !a.is_ascii_alphabetic() || !b.is_ascii_alphabetic() {
            return None;
        }
        let code = [a.to_ascii_lowercase(), b.to_ascii_lowercase()];
        (code != *b"xx").then_some(Self(code))
    }

    /// The two lower-case ASCII letters.
    pub fn bytes(self) -> [u8; 2] {
        self.0
    }

    /// The code as ISO writes it and the shards store it (`DE`).
    pub fn to_iso(self) -> String {
        self.as_str().to_ascii_uppercase()
    }

    pub fn as_str(&self) -> &str {
        // Two ASCII letters by construction.
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

// As its two letters, so a spooled event reads back through the same check.
impl serde::Serialize for Country {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Country {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&raw).ok_or_else(|| serde::de::Error::custom("not a country code"))
    }
}

#[cfg(test)]
mod tests {
    use super::Country;

    #[test]
    fn two_letters_in_either_case() {
        assert_eq!(
            Country::parse("DE").map(|c| c.as_str().to_owned()),
            Some("de".into())
        );
        assert_eq!(
            Country::parse(" br ").map(|c| c.as_str().to_owned()),
            Some("br".into())
        );
        assert_eq!(Country::parse("de").map(Country::to_iso), Some("DE".into()));
        let de = Country::parse("DE").unwrap();
        assert_eq!(serde_json::to_string(&de).unwrap(), r#""de""#);
        assert_eq!(serde_json::from_str::<Country>(r#""de""#).unwrap(), de);
        assert!(serde_json::from_str::<Country>(r#""xx""#).is_err());
        for bad in ["", "d", "deu", "XX", "xx", "T1", "1d", "é", "d-"] {
            assert_eq!(Country::parse(bad), None, "{bad:?}");
        }
    }
}
