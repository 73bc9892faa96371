//! The browser-id cookie: a random id per browser, signed so it cannot be forged, that
//! lets an SDK open tell us "this app is installed for the browser that clicked".
//!
//! Value: `<uuid>.<issue day>` (days since the Unix epoch), signed with the cookie crate.
//! Set on the first click, re-issued when older than [`REFRESH_AFTER_DAYS`] so active
//! browsers keep it past its one-year lifetime. A tampered or malformed cookie is ignored
//! and replaced.

use std::fmt::Write as _;

use actix_web::http::header::HeaderValue;
use actix_web::web::BytesMut;
use cookie::{Cookie, CookieJar, Key};
use uuid::Uuid;

pub const COOKIE_NAME: &str = "hl_bid";
const MAX_AGE_DAYS: i64 = 365;
pub const REFRESH_AFTER_DAYS: i64 = 30;
/// `Max-Age` is one year ([`MAX_AGE_DAYS`]).
const ATTRIBUTES: &str = "; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax";
const SECURE: &str = "; Secure";

pub struct BrowserIds {
    key: Key,
}

/// A verified browser id and whether its cookie should be re-issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrowserId {
    pub id: Uuid,
    pub needs_refresh: bool,
}

impl BrowserIds {
    pub fn new(key: Key) -> Self {
        Self { key }
    }

    /// The verified id from the request's `Cookie` headers, if any.
    pub fn read<'a>(
        &self,
        cookie_headers: impl Iterator<Item = &'a HeaderValue>,
        today: i64,
    ) -> Option<BrowserId> {
        for header in cookie_headers {
            let Ok(text) = header.to_str() else { continue };
            for parsed in Cookie::split_parse(text).flatten() {
                if parsed.name() != COOKIE_NAME {
                    continue;
                }
                let mut jar = CookieJar::new();
                jar.add_original(parsed.into_owned());
                let Some(verified) = jar.signed(&self.key).get(COOKIE_NAME) else {
                    continue;
                };
                if let Some(id) = parse_value(verified.value(), today) {
                    return Some(id);
                }
            }
        }
        None
    }

    /// A `Set-Cookie` value for `id`, issued today.
    ///
    /// The cookie crate signs the value; the header is written here because its general
    /// formatter (attributes, percent-encoding) costs more than the signature, and the
    /// signed value (base64 and our id) needs no encoding.
    pub fn issue(&self, id: Uuid, today: i64, secure: bool) -> Option<HeaderValue> {
        let mut value = String::with_capacity(uuid::fmt::Simple::LENGTH + 1 + 20);
        value.push_str(id.simple().encode_lower(&mut Uuid::encode_buffer()));
        value.push('.');
        write!(value, "{today}").ok()?;
        let mut jar = CookieJar::new();
        jar.signed_mut(&self.key)
            .add(Cookie::new(COOKIE_NAME, value));
        let signed = jar.get(COOKIE_NAME)?.value();
        let mut header = BytesMut::with_capacity(
            COOKIE_NAME.len() + 1 + signed.len() + ATTRIBUTES.len() + SECURE.len(),
        );
        header.extend_from_slice(COOKIE_NAME.as_bytes());
        header.extend_from_slice(b"=");
        header.extend_from_slice(signed.as_bytes());
        header.extend_from_slice(ATTRIBUTES.as_bytes());
        if secure {
            header.extend_from_slice(SECURE.as_bytes());
        }
        // Handed over without another copy; still checked for bytes a header cannot hold.
        HeaderValue::from_maybe_shared(header.freeze()).ok()
    }
}

fn parse_value(value: &str, today: i64) -> Option<BrowserId> {
    let (id, day) = value.split_once('.')?;
    let id = Uuid::try_parse(id).ok()?;
    let issued: i64 = day.parse().ok()?;
    if issued > today + 1 || today - issued > MAX_AGE_DAYS {
        return None;
    }
    Some(BrowserId {
        id,
        needs_refresh: today - issued >= REFRESH_AFTER_DAYS,
    })
}

/// Days since the Unix epoch.
pub fn today(now: chrono::DateTime<chrono::Utc>) -> i64 {
    now.timestamp().div_euclid(86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> BrowserIds {
        BrowserIds::new(Key::derive_from(&[7u8; 32]))
    }

    fn header(set_cookie: &HeaderValue) -> HeaderValue {
        // A browser sends back only `name=value`.
        let pair = set_cookie
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        HeaderValue::from_str(&pair).unwrap()
    }

    #[test]
    fn issued_cookies_verify_and_carry_their_id() {
        let id = Uuid::new_v4();
        let set = ids().issue(id, 20_000, true).unwrap();
        let text = set.to_str().unwrap();
        for attr in [
            "HttpOnly",
            "SameSite=Lax",
            "Secure",
            "Path=/",
            "Max-Age=31536000",
        ] {
            assert!(text.contains(attr), "{text} lacks {attr}");
        }
        let sent = header(&set);
        let read = ids().read(std::iter::once(&sent), 20_000).unwrap();
        assert_eq!(
            read,
            BrowserId {
                id,
                needs_refresh: false
            }
        );
        let later = ids().read(std::iter::once(&sent), 20_040).unwrap();
        assert!(later.needs_refresh);
        assert!(
            ids().read(std::iter::once(&sent), 20_400).is_none(),
            "expired"
        );
    }

    #[test]
    fn tampered_or_foreign_cookies_are_ignored() {
        let set = ids().issue(Uuid::new_v4(), 20_000, false).unwrap();
        assert!(!set.to_str().unwrap().contains("Secure"));
        let sent = header(&set).to_str().unwrap().to_owned();
        let tampered = format!("{}x", sent);
        let other_key = BrowserIds::new(Key::derive_from(&[8u8; 32]));
        for bad in [
            tampered.as_str(),
            "hl_bid=abc",
            "hl_bid=",
            "other=1",
            "%%%;;=",
            "",
        ] {
            let h = HeaderValue::from_str(bad).unwrap();
            assert!(ids().read(std::iter::once(&h), 20_000).is_none(), "{bad}");
        }
        let h = HeaderValue::from_str(&sent).unwrap();
        assert!(other_key.read(std::iter::once(&h), 20_000).is_none());
    }
}
