//! Telling an iPad from a Mac when Safari sends a Mac's User-Agent (iPadOS 13 and later do
//! by default): a small page asks the touch screen and sends the browser back with its
//! answer in `hl_device`; the answer is then remembered in the `hl_dev` cookie, so the
//! same browser is asked once per link domain.
//!
//! Neither carries a secret: a browser that lies about being an iPad gets an iPad's answer,
//! as it would by sending an iPad's User-Agent.

use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use cookie::Cookie;
use link_core::client::Platform;
use link_core::decision::{Click, DEVICE_HINT, Decision, decide, query_value};

use super::metrics::Outcome;
use super::respond;
use crate::pages;
use crate::state::ClickState;

const COOKIE_NAME: &str = "hl_dev";

/// What the device check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceHint {
    Mac,
    Ipad,
}

impl DeviceHint {
    fn parse(value: &str) -> Option<Self> {
        match value {
            "ipad" => Some(Self::Ipad),
            "mac" => Some(Self::Mac),
            _ => None,
        }
    }

    /// The page's answer, as it sends the browser back with it.
    pub fn of_query(query: &str) -> Option<Self> {
        if !query.contains(DEVICE_HINT) {
            return None;
        }
        query_value(query, DEVICE_HINT)
            .as_deref()
            .and_then(Self::parse)
    }

    /// An earlier answer, as the browser kept it.
    pub fn of_cookie(headers: &HeaderMap) -> Option<Self> {
        headers
            .get_all(header::COOKIE)
            .filter_map(|h| h.to_str().ok())
            .flat_map(Cookie::split_parse)
            .flatten()
            .find(|c| c.name() == COOKIE_NAME)
            .and_then(|c| Self::parse(c.value()))
    }

    /// The `Set-Cookie` that keeps this answer for a year.
    pub fn cookie(self, secure: bool) -> HeaderValue {
        HeaderValue::from_static(match (self, secure) {
            (Self::Mac, false) => "hl_dev=mac; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax",
            (Self::Mac, true) => {
                "hl_dev=mac; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax; Secure"
            }
            (Self::Ipad, false) => "hl_dev=ipad; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax",
            (Self::Ipad, true) => {
                "hl_dev=ipad; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax; Secure"
            }
        })
    }
}

/// The device check for Safari claiming a Mac that has given no answer yet, when an iPad
/// would be answered otherwise (the App Store or the app instead of the website); `None`
/// to answer as a Mac now. `path` is where the page sends the browser back to.
pub fn check(
    req: &HttpRequest,
    state: &ClickState,
    click: &Click<'_>,
    as_mac: &Decision,
    path: &str,
    agent: &str,
) -> Option<HttpResponse> {
    let as_ipad = decide(&Click {
        client: click.client.as_ipad(agent),
        app_installed: false,
        ..*click
    });
    if as_ipad.route == as_mac.route && as_ipad.action.location() == as_mac.action.location() {
        return None;
    }
    let with_hint = |value: &str| {
        let query = req.query_string();
        let sep = if query.is_empty() || query.ends_with('&') {
            ""
        } else {
            "&"
        };
        format!("{path}?{query}{sep}{DEVICE_HINT}={value}")
    };
    let page = pages::render_device_check(&with_hint("mac"), &with_hint("ipad"))?;
    state.metrics.count(Outcome::DeviceCheck, Platform::Desktop);
    Some(respond::page_response(page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_from_the_query_and_the_cookie() {
        assert_eq!(
            DeviceHint::of_query("a=1&hl_device=ipad"),
            Some(DeviceHint::Ipad)
        );
        assert_eq!(DeviceHint::of_query("hl_device=mac"), Some(DeviceHint::Mac));
        assert_eq!(DeviceHint::of_query("hl_device=tv"), None);
        assert_eq!(DeviceHint::of_query("utm_source=x"), None);

        let mut headers = HeaderMap::new();
        assert_eq!(DeviceHint::of_cookie(&headers), None);
        headers.append(header::COOKIE, HeaderValue::from_static("a=b; hl_dev=ipad"));
        assert_eq!(DeviceHint::of_cookie(&headers), Some(DeviceHint::Ipad));
        let mut bad = HeaderMap::new();
        bad.append(header::COOKIE, HeaderValue::from_static("hl_dev=android"));
        assert_eq!(DeviceHint::of_cookie(&bad), None);

        for hint in [DeviceHint::Mac, DeviceHint::Ipad] {
            for secure in [false, true] {
                let set = hint.cookie(secure);
                let set = set.to_str().unwrap();
                let pair = set.split(';').next().unwrap();
                let mut back = HeaderMap::new();
                back.append(header::COOKIE, HeaderValue::from_str(pair).unwrap());
                assert_eq!(DeviceHint::of_cookie(&back), Some(hint), "{set}");
                assert_eq!(set.ends_with("; Secure"), secure, "{set}");
            }
        }
    }
}
