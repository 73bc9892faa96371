//! [`WebUrl`]: a web destination Hoplink may send a person to.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::invalid::Invalid;

/// An absolute `http`/`https` URL with a host, no credentials and no control characters.
///
/// Anything else (`javascript:`, `data:`, `file:`, `//evil`, `https://user:pw@...`) is
/// rejected here, once, so the redirect code can emit a `WebUrl` without re-checking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WebUrl(::url::Url);

impl WebUrl {
    pub const MAX_LEN: usize = 2048;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.len() > Self::MAX_LEN {
            return Err(Invalid::new("URL must be at most 2048 characters"));
        }
        if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(Invalid::new(
                "URL must not contain whitespace or control characters",
            ));
        }
        let url = ::url::Url::parse(raw).map_err(|_| Invalid::new("not an absolute URL"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Invalid::new("URL must use http or https"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(Invalid::new("URL must have a host"));
        }
        // The WHATWG parser keeps `"`, `'`, `$`, `{` and other punctuation in a domain,
        // and would emit them raw. No DNS name holds them, so such a URL can only be a
        // mistake or an attempt to break out of where the URL is written.
        if let Some(::url::Host::Domain(domain)) = url.host()
            && !domain
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        {
            return Err(Invalid::new(
                "URL host must be a domain name (letters, digits, '-', '.', '_') or an IP address",
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Invalid::new("URL must not contain credentials"));
        }
        // Percent-encoding can triple what was typed (`é` is `%C3%A9`): the bound is on
        // what is sent, so a Location stays within what proxies take in a header.
        if url.as_str().len() > Self::MAX_LEN {
            return Err(Invalid::new(
                "URL must be at most 2048 characters once percent-encoded",
            ));
        }
        Ok(Self(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn as_url(&self) -> &::url::Url {
        &self.0
    }
}

impl TryFrom<String> for WebUrl {
    type Error = Invalid;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<WebUrl> for String {
    fn from(value: WebUrl) -> Self {
        value.0.into()
    }
}

impl fmt::Display for WebUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_web_urls() {
        for ok in [
            "https://acme.app/",
            "http://localhost:3000/x?y=1#z",
            "https://acme.app/p/%3Cb%3E",
            "https://münchen.example/",
            "https://my_shop.acme.app/",
            "http://192.168.0.1:8080/x",
            "https://[::1]/x",
        ] {
            assert!(WebUrl::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn the_length_bound_holds_once_percent_encoded() {
        // 1,417 bytes as typed, 4,217 as sent.
        let typed = format!("https://acme.app/{}", "é".repeat(700));
        assert!(typed.len() < WebUrl::MAX_LEN);
        assert!(WebUrl::parse(&typed).is_err());
        let fits = format!("https://acme.app/{}", "é".repeat(300));
        let url = WebUrl::parse(&fits).expect("fits once encoded");
        assert!(url.as_str().len() <= WebUrl::MAX_LEN);
    }

    #[test]
    fn rejects_dangerous_or_malformed_urls() {
        for bad in [
            "javascript:alert(1)",
            "data:text/html,<script>",
            "file:///etc/passwd",
            "ftp://acme.app",
            "//acme.app/x",
            "/relative",
            "https://user:pw@acme.app/",
            "https://acme.app/\nLocation: x",
            "https://acme.app/a b",
            "acme://open",
            "",
            // Punctuation the WHATWG parser lets through in a domain.
            "http://u\"twit$teo/",
            "https://acme.app'onload=x/",
            "https://a{b}.example/",
            "https://a!b.example/",
            "https://a`b.example/",
        ] {
            assert!(WebUrl::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
