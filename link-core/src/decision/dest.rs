//! Destination URLs: web URLs with the click's query merged in, and the two stores.
//!
//! Every string built here starts with `https://` or `http://`: web URLs come from a
//! [`WebUrl`] (validated), store URLs from constant prefixes plus validated ids.

use super::query::{Carry, LINK_CLICK_ID, QueryWriter};
use crate::app::{AndroidPackage, AppStoreId};
use crate::ids::ClickId;
use crate::url::WebUrl;

const APP_STORE: &str = "https://apps.apple.com/app/id";
const PLAY_STORE: &str = "https://play.google.com/store/apps/details?id=";
/// The keys of the Play Store URL's own query, in query form for the conflict check.
const PLAY_STORE_KEYS: &str = "id=&referrer=";

/// What kind of place a destination is; pages word their links after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DestinationKind {
    AppStore,
    PlayStore,
    Web,
}

/// A web destination, either validated from link data now or taken from the app config.
pub enum Web<'a> {
    Link(WebUrl),
    App(&'a WebUrl),
}

impl Web<'_> {
    fn as_web(&self) -> &WebUrl {
        match self {
            Web::Link(url) => url,
            Web::App(url) => url,
        }
    }

    /// The URL to send the person to. A link-data URL with nothing to carry is handed over
    /// as is: its serialization becomes the Location without another allocation.
    pub fn into_location(self, carry: &Carry<'_>) -> String {
        match self {
            Web::Link(url) if carry.is_empty() => String::from(url),
            other => merge(other.as_web(), carry),
        }
    }
}

/// `url` with the carried query appended to its own (before any fragment).
pub fn merge(web: &WebUrl, carry: &Carry<'_>) -> String {
    let full = web.as_str();
    let url = web.as_url();
    let (head, fragment) = match url.fragment() {
        // The fragment is the last component of a serialized URL, after its '#'.
        Some(f) => full.split_at(full.len() - f.len() - 1),
        None => (full, ""),
    };
    let mut out = String::with_capacity(full.len() + carry.size_hint());
    out.push_str(head);
    let mut q = QueryWriter::after(&mut out, url.query());
    carry.append_to(&mut q, url.query());
    out.push_str(fragment);
    out
}

/// `https://apps.apple.com/app/id{id}` plus the carried query.
pub fn app_store(id: &AppStoreId, carry: &Carry<'_>) -> String {
    let mut out = String::with_capacity(APP_STORE.len() + id.as_str().len() + carry.size_hint());
    out.push_str(APP_STORE);
    out.push_str(id.as_str());
    let mut q = QueryWriter::after(&mut out, None);
    carry.append_to(&mut q, None);
    out
}

/// The Play Store page with `referrer=link_click_id%3D{id}`: Play hands the referrer to the
/// app after install, which makes the install match its click deterministically.
pub fn play_store(package: &AndroidPackage, click_id: ClickId, carry: &Carry<'_>) -> String {
    let mut out =
        String::with_capacity(PLAY_STORE.len() + package.as_str().len() + 64 + carry.size_hint());
    out.push_str(PLAY_STORE);
    // Package names are `[A-Za-z0-9_.]`: safe in a query as they are.
    out.push_str(package.as_str());
    out.push_str("&referrer=");
    out.push_str(LINK_CLICK_ID);
    out.push_str("%3D");
    let mut id = [0u8; uuid::fmt::Simple::LENGTH];
    out.push_str(click_id.as_uuid().simple().encode_lower(&mut id));
    // The store URL's own keys win over the click's (see the module docs of `query`).
    let mut q = QueryWriter::after(&mut out, Some(PLAY_STORE_KEYS));
    carry.append_to(&mut q, Some(PLAY_STORE_KEYS));
    out
}

/// The link on the app's alternate domain (`alternate_url`, trusted) with the carried query
/// and `link_click_id`, which the SDK reads from the Universal Link it opens with, so the
/// open matches this click exactly.
pub fn universal_link(alternate_url: &str, click_id: ClickId, carry: &Carry<'_>) -> String {
    let mut out = String::with_capacity(alternate_url.len() + 64 + carry.size_hint());
    out.push_str(alternate_url);
    // The link's own appended control keys may already be there.
    let existing = alternate_url.split_once('?').map(|(_, query)| query);
    let mut q = QueryWriter::after(&mut out, existing);
    carry.append_to(&mut q, existing);
    let mut id = [0u8; uuid::fmt::Simple::LENGTH];
    q.pair_encoded(
        LINK_CLICK_ID,
        click_id.as_uuid().simple().encode_lower(&mut id),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn web(raw: &str) -> WebUrl {
        WebUrl::parse(raw).expect("valid url")
    }

    #[test]
    fn merges_before_fragment() {
        let c = Carry::new("utm_source=push&b=9");
        assert_eq!(
            merge(&web("https://a.b/x"), &c),
            "https://a.b/x?utm_source=push&b=9"
        );
        assert_eq!(
            merge(&web("https://a.b/x?b=1#f"), &c),
            "https://a.b/x?b=1&utm_source=push#f"
        );
        assert_eq!(
            merge(&web("https://a.b/x?#f"), &c),
            "https://a.b/x?utm_source=push&b=9#f"
        );
        assert_eq!(merge(&web("https://a.b"), &Carry::new("")), "https://a.b/");
    }

    #[test]
    fn stores() {
        let id = AppStoreId::parse("123").expect("valid id");
        assert_eq!(
            app_store(&id, &Carry::new("")),
            "https://apps.apple.com/app/id123"
        );
        assert_eq!(
            app_store(&id, &Carry::new("ct=x")),
            "https://apps.apple.com/app/id123?ct=x"
        );
        let pkg = AndroidPackage::parse("com.acme.app").expect("valid package");
        let click = ClickId::parse("0190a0b0c0d0e0f00112233445566778").expect("valid id");
        assert_eq!(
            play_store(
                &pkg,
                click,
                &Carry::new("id=com.evil&referrer=x&utm_source=a")
            ),
            "https://play.google.com/store/apps/details?id=com.acme.app\
             &referrer=link_click_id%3D0190a0b0c0d0e0f00112233445566778&utm_source=a"
        );
    }

    #[test]
    fn universal_links_carry_the_query_and_the_click_id() {
        let click = ClickId::parse("0190a0b0c0d0e0f00112233445566778").expect("valid id");
        assert_eq!(
            universal_link("https://alt.acme.app/Ab3", click, &Carry::new("")),
            "https://alt.acme.app/Ab3?link_click_id=0190a0b0c0d0e0f00112233445566778"
        );
        // A forged click id and the device hint stay behind; the click's own pairs go.
        assert_eq!(
            universal_link(
                "https://alt.acme.app/Ab3",
                click,
                &Carry::new("utm_source=a%20b&link_click_id=f&hl_device=mac")
            ),
            "https://alt.acme.app/Ab3?utm_source=a+b\
             &link_click_id=0190a0b0c0d0e0f00112233445566778"
        );
        // The link's appended control keys come first.
        assert_eq!(
            universal_link(
                "https://alt.acme.app/Ab3?%24web_only=1",
                click,
                &Carry::new("utm_source=a&$web_only=0")
            ),
            "https://alt.acme.app/Ab3?%24web_only=1&utm_source=a\
             &link_click_id=0190a0b0c0d0e0f00112233445566778"
        );
    }
}
