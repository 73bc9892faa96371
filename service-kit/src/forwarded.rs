//! Who the client is and whether it came over https, believing `X-Forwarded-For` and
//! `X-Forwarded-Proto` only from configured trusted proxies (a client can write anything
//! into those headers).

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::http::header::HeaderName;
use ipnet::IpNet;
use serde::{Deserialize, Deserializer};

#[derive(Debug, Clone, Default)]
pub struct Forwarded {
    trusted: Vec<IpNet>,
}

impl Forwarded {
    pub fn new(trusted: Vec<IpNet>) -> Self {
        Self { trusted }
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|net| net.contains(&ip))
    }

    /// The client's address: the peer, unless the peer is a trusted proxy, in which case
    /// the right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
    pub fn client_ip(&self, peer: Option<IpAddr>, forwarded_for: Option<&str>) -> Option<IpAddr> {
        let peer = peer?;
        if !self.is_trusted(peer) {
            return Some(peer);
        }
        let Some(chain) = forwarded_for else {
            return Some(peer);
        };
        let mut client = peer;
        for hop in chain.rsplit(',') {
            match parse_hop(hop) {
                Some(ip) => {
                    client = ip;
                    if !self.is_trusted(ip) {
                        break;
                    }
                }
                // Garbage in the chain: stop at the last address we could trust.
                None => break,
            }
        }
        Some(client)
    }

    /// Whether the original request was https, per a trusted proxy's `X-Forwarded-Proto`.
    pub fn is_https(&self, peer: Option<IpAddr>, forwarded_proto: Option<&str>) -> bool {
        self.from_trusted(peer, forwarded_proto)
            .and_then(|proto| proto.rsplit(',').next())
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
    }

    /// A header value that only a trusted proxy may set (a client's own is dropped).
    pub fn from_trusted<'a>(
        &self,
        peer: Option<IpAddr>,
        value: Option<&'a str>,
    ) -> Option<&'a str> {
        value.filter(|_| peer.is_some_and(|peer| self.is_trusted(peer)))
    }

    /// The value of header `name` (when one is configured) from a trusted proxy, such as
    /// the client's country in `CF-IPCountry`.
    pub fn trusted_header<'r>(
        &self,
        req: &'r HttpRequest,
        name: Option<&HeaderName>,
    ) -> Option<&'r str> {
        let value = req.headers().get(name?).and_then(|v| v.to_str().ok());
        self.from_trusted(req.peer_addr().map(|a| a.ip()), value)
    }
}

/// A header name (`CF-IPCountry`) from config; empty means none.
pub fn optional_header_name<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<HeaderName>, D::Error> {
    match Option::<String>::deserialize(deserializer)? {
        Some(name) if !name.trim().is_empty() => HeaderName::try_from(name.trim())
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("not a header name: {name:?}"))),
        _ => Ok(None),
    }
}

/// An `X-Forwarded-For` hop: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or `[2001:db8::1]:80`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    hop.rsplit_once(':').and_then(|(ip, _)| ip.parse().ok())
}

/// `"10.0.0.0/8, 127.0.0.1"`, a TOML list, or nothing, as `HOPLINK_TRUSTED_PROXIES` is
/// written. Bare addresses mean one host.
pub fn cidr_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<IpNet>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        One(String),
        Many(Vec<String>),
    }
    let items = match Option::<Raw>::deserialize(deserializer)? {
        None => return Ok(Vec::new()),
        Some(Raw::One(text)) => text.split(',').map(str::to_owned).collect(),
        Some(Raw::Many(list)) => list,
    };
    items
        .iter()
        .map(|item| item.trim())
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| serde::de::Error::custom(format!("not an IP network: {item:?}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fwd() -> Forwarded {
        Forwarded::new(vec![
            "10.0.0.0/8".parse().unwrap(),
            "127.0.0.1/32".parse().unwrap(),
        ])
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn untrusted_peers_are_the_client() {
        let f = fwd();
        assert_eq!(
            f.client_ip(Some(ip("203.0.113.9")), Some("1.1.1.1")),
            Some(ip("203.0.113.9"))
        );
        assert!(!f.is_https(Some(ip("203.0.113.9")), Some("https")));
        assert_eq!(f.from_trusted(Some(ip("203.0.113.9")), Some("DE")), None);
        assert_eq!(f.from_trusted(None, Some("DE")), None);
        assert_eq!(f.from_trusted(Some(ip("10.1.2.3")), Some("DE")), Some("DE"));
    }

    #[test]
    fn trusted_proxies_pass_the_client_on() {
        let f = fwd();
        assert_eq!(
            f.client_ip(Some(ip("10.1.2.3")), Some("198.51.100.7")),
            Some(ip("198.51.100.7"))
        );
        // A client-supplied prefix is ignored: the right-most untrusted hop wins.
        assert_eq!(
            f.client_ip(
                Some(ip("10.1.2.3")),
                Some("6.6.6.6, 198.51.100.7, 10.9.9.9")
            ),
            Some(ip("198.51.100.7"))
        );
        assert_eq!(
            f.client_ip(Some(ip("10.1.2.3")), Some("[2001:db8::5]:443")),
            Some(ip("2001:db8::5"))
        );
        assert_eq!(
            f.client_ip(Some(ip("10.1.2.3")), Some("garbage")),
            Some(ip("10.1.2.3"))
        );
        assert_eq!(
            f.client_ip(Some(ip("10.1.2.3")), None),
            Some(ip("10.1.2.3"))
        );
        assert!(f.is_https(Some(ip("127.0.0.1")), Some("https")));
        assert!(!f.is_https(Some(ip("127.0.0.1")), Some("http")));
    }
}
