//! [`Host`]: a link domain (`go.acme.app`) as registered for an app, or as sent by a client.

use std::borrow::Borrow;
use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use crate::invalid::Invalid;

/// A lower-case DNS name (IDNs in their punycode form) or an IP address, without a port.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Host(String);

impl Host {
    pub const MAX_LEN: usize = 253;

    /// Parses a host name as an operator or developer types it: `Go.Acme.App`,
    /// `münchen.example`, `127.0.0.1` or `[::1]`. Schemes, ports, paths and wildcards are
    /// rejected, so every registered domain names exactly one host.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(Invalid::new("host name must not be empty"));
        }
        if raw.starts_with('[') && raw.ends_with(']') {
            let ip: Ipv6Addr = raw[1..raw.len() - 1]
                .parse()
                .map_err(|_| Invalid::new("not a valid IPv6 address"))?;
            return Ok(Self(format!("[{ip}]")));
        }
        if let Ok(ip) = raw.parse::<IpAddr>() {
            return Ok(match ip {
                IpAddr::V4(v4) => Self(v4.to_string()),
                IpAddr::V6(v6) => Self(format!("[{v6}]")),
            });
        }
        if raw.contains(['/', ':', '@', '?', '#', '*', ' ']) {
            return Err(Invalid::new(
                "host name must be a bare domain, without scheme, port, path or wildcard",
            ));
        }
        // IDNA mapping (lower-casing, punycode) by the WHATWG host parser.
        let ascii = match ::url::Host::parse(raw) {
            Ok(::url::Host::Domain(domain)) => domain,
            Ok(_) => return Err(Invalid::new("not a valid host name")),
            Err(_) => return Err(Invalid::new("not a valid host name")),
        };
        validate_dns_name(&ascii)?;
        Ok(Self(ascii))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// RFC 1123 labels: letters, digits and inner hyphens, 1 to 63 characters each.
fn validate_dns_name(name: &str) -> Result<(), Invalid> {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() || name.len() > Host::MAX_LEN {
        return Err(Invalid::new("host name must be 1 to 253 characters"));
    }
    for label in name.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(Invalid::new(
                "each label of a host name must be 1 to 63 characters",
            ));
        }
        let bytes = label.as_bytes();
        if bytes[0] == b'-' || bytes[bytes.len() - 1] == b'-' {
            return Err(Invalid::new(
                "host name labels must not start or end with '-'",
            ));
        }
        if !bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        {
            return Err(Invalid::new(
                "host name may only contain letters, digits, '-' and '.'",
            ));
        }
    }
    if name
        .rsplit('.')
        .next()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(Invalid::new("not a valid host name"));
    }
    Ok(())
}

/// The host part of a `Host` header value (`go.acme.app:8080` -> `go.acme.app`,
/// `[::1]:80` -> `[::1]`), without allocating. The result still has to be looked up; it is
/// not validated.
pub fn strip_port(header: &str) -> &str {
    let header = header.trim();
    if header.starts_with('[') {
        return match header.find(']') {
            Some(end) => &header[..=end],
            None => header,
        };
    }
    match header.rfind(':') {
        Some(idx) if header[idx + 1..].bytes().all(|b| b.is_ascii_digit()) => &header[..idx],
        _ => header,
    }
}

impl Borrow<str> for Host {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Host {
    type Error = Invalid;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Host> for String {
    fn from(value: Host) -> Self {
        value.0
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_idn_and_ips() {
        let cases = [
            ("Go.Acme.App", "go.acme.app"),
            ("localhost", "localhost"),
            ("127.0.0.1", "127.0.0.1"),
            ("[::1]", "[::1]"),
            ("::1", "[::1]"),
            ("münchen.example", "xn--mnchen-3ya.example"),
            (" links.example.com ", "links.example.com"),
        ];
        for (raw, want) in cases {
            assert_eq!(
                Host::parse(raw).map(String::from),
                Ok(want.to_owned()),
                "{raw}"
            );
        }
    }

    #[test]
    fn rejects_anything_but_a_bare_host() {
        for bad in [
            "",
            "https://go.acme.app",
            "go.acme.app:8080",
            "go.acme.app/x",
            "*.acme.app",
            "-bad.example",
            "bad-.example",
            "a..b",
            "under_score.example",
            "user@go.acme.app",
            "1.2.3.4.5",
            &format!("{}.com", "a".repeat(64)),
        ] {
            assert!(Host::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn strips_ports_from_headers() {
        assert_eq!(strip_port("go.acme.app:8080"), "go.acme.app");
        assert_eq!(strip_port("go.acme.app"), "go.acme.app");
        assert_eq!(strip_port("[::1]:8080"), "[::1]");
        assert_eq!(strip_port("[::1]"), "[::1]");
        assert_eq!(strip_port("127.0.0.1:80"), "127.0.0.1");
    }
}
