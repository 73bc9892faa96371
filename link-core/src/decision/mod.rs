//! The redirect decision: where one click on one short link goes.
//!
//! [`decide`] is a pure function from a [`Click`] (the link, its app's config, the
//! classified client, what we know about the browser, the click's query and id, and the
//! time) to a [`Decision`]: an [`Action`] for the link service to answer with, plus how the
//! click counts and labels for metrics. It follows Branch's link-control semantics
//! (`$ios_url`, `$deeplink_path`, `$web_only`, `$uri_redirect_mode`, ...).
//!
//! It must never do I/O, read the clock or log, and it must never emit a URL other than
//! `https://`/`http://` (validated [`WebUrl`]s and store URLs), `intent://` and the app's
//! own registered [`UriScheme`](crate::app::UriScheme). Link data and the click's query
//! are untrusted: every URL from link data is re-validated, and nothing is pasted raw.
//!
//! # Layout
//! - [`controls`]: reading `$` link-control keys from link data.
//! - `query`: carrying the click's query string to destinations (destination keys win).
//! - `deeplink`: `scheme://` and `intent://` deep links.
//! - `dest`: web URLs with the carried query, App Store and Play Store URLs.
//! - `in_app`: which in-app browsers block Universal Links and scheme redirects.
//! - `platform`: the per-platform rules (iOS, Android, desktop/other, expired links).
//! - `preview`: the Open Graph data shown to link-preview bots.
//! - [`social`]: what the social-card keys (`$og_type`, `$twitter_card`, ...) may hold.

pub mod controls;
mod deeplink;
mod dest;
mod in_app;
mod platform;
mod preview;
mod query;
pub mod social;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};

use crate::app::AppConfig;
use crate::client::{BotKind, ClientInfo, Platform};
use crate::country::Country;
use crate::ids::ClickId;
use crate::link::Link;
use crate::url::WebUrl;

pub use deeplink::{DEFAULT_PATH, MAX_DEEPLINK_PATH_LEN};
pub use dest::DestinationKind;
pub use in_app::blocks_app_open;
pub use query::{
    DEVICE_HINT, LINK_CLICK_ID, MAX_CARRIED_LEN, MAX_CARRIED_PAIRS, carried_pairs,
    value_of as query_value,
};

/// Everything the decision looks at for one click.
#[derive(Debug, Clone)]
pub struct Click<'a> {
    pub link: &'a Link,
    /// The app's config; `AppConfig::default()` when the app configured nothing.
    pub app: &'a AppConfig,
    pub client: ClientInfo,
    /// The app is known to be installed for this browser (from the browser-id cookie).
    pub app_installed: bool,
    /// The click's raw query string without `?` (may be empty; untrusted).
    pub query: &'a str,
    /// The click's country, when a trusted proxy said; for `$fallback_url_xx`.
    pub country: Option<Country>,
    pub click_id: ClickId,
    /// The canonical short URL of the link, e.g. `https://go.acme.app/Ab3xK9q`.
    pub short_url: &'a str,
    /// The link's URL on the app's alternate domain (`https://go-alt.acme.app/Ab3xK9q`, no
    /// query), when the click came in on another of the app's domains. Built by the link
    /// service from a registered host and the link's code, so it is trusted as it is.
    pub alternate_url: Option<&'a str>,
    pub now: DateTime<Utc>,
}

/// What to answer, how the click counts, and labels for metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub action: Action,
    pub count_as: CountAs,
    /// The client's platform, for metrics labels.
    pub platform: Platform,
    /// Which rule answered, for metrics labels and debugging.
    pub route: Route,
}

/// The response to give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `302 Found` to `location`: an http(s) URL or an `intent://` URL.
    Redirect { location: String },
    /// `200` HTML page that opens the app (or offers a button to) with a store/web fallback.
    Interstitial(Interstitial),
    /// `200` HTML page with Open Graph tags for link-preview bots and crawlers; no redirect.
    /// Boxed: only bots get one, and it would make every click's `Action` twice as big.
    Preview(Box<Preview>),
    /// `410` page: the link expired or was deleted.
    Gone,
    /// Small page: the link has no destination configured for this device.
    NoDestination,
}

impl Action {
    /// A short name, for tests, logs and debug output.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Redirect { .. } => "redirect",
            Self::Interstitial(_) => "interstitial",
            Self::Preview(_) => "preview",
            Self::Gone => "gone",
            Self::NoDestination => "no_destination",
        }
    }

    /// The URL a redirect sends the client to.
    pub fn location(&self) -> Option<&str> {
        match self {
            Self::Redirect { location } => Some(location),
            _ => None,
        }
    }
}

/// A page that tries to open the app and offers the store or web as a way out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interstitial {
    /// What the page opens by itself, and the button unless `universal_link` is set:
    /// `{scheme}://...` or, for Android in-app browsers, `intent://...`. Always carries
    /// `link_click_id`.
    pub deep_link: String,
    /// What the "Open in app" button opens on iOS when the app has an alternate domain:
    /// the link there, with the click's query and `link_click_id`. iOS opens a Universal
    /// Link on a tap that leads to another associated domain (never on this page's own),
    /// with no prompt and no error when the app is missing: the link's page on the
    /// alternate domain then sends the person on as usual.
    pub universal_link: Option<String>,
    /// Where to go without the app (store or web), when anything is configured.
    pub fallback: Option<Fallback>,
    /// Navigate to `deep_link` on load and to `fallback` after `fallback_after_ms` unless
    /// the page was hidden (the app opened). `false` in in-app browsers that block scheme
    /// navigation: the page then only shows the button and the fallback link.
    pub auto_open: bool,
    pub fallback_after_ms: u32,
    /// `$after_click_url` with the click's query: where the page goes when the person
    /// returns to it after the app opened.
    pub after_click: Option<String>,
    /// A heading for the page (`$og_title` or the app's preview title), at most
    /// [`PreviewDefaults::MAX_TITLE`](crate::app::PreviewDefaults::MAX_TITLE) characters.
    pub title: Option<String>,
}

/// How long an auto-opening interstitial waits before the fallback: long enough for iOS to
/// show its "Open in app?" prompt and hide the page, short enough not to lose people.
pub const FALLBACK_AFTER_MS: u32 = 2000;

/// An interstitial's way out: a store page or a web page (always http(s)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fallback {
    pub url: String,
    pub kind: DestinationKind,
}

/// Open Graph data for a link-preview card. Text is cut to the app-config limits
/// ([`PreviewDefaults::MAX_TITLE`](crate::app::PreviewDefaults::MAX_TITLE) and
/// `MAX_DESCRIPTION` characters) but not escaped: escaping is the page's job.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preview {
    pub title: Option<String>,
    pub description: Option<String>,
    pub image_url: Option<WebUrl>,
    /// `og:url`: `$og_url` when valid, else the short URL.
    pub url: Option<WebUrl>,
    /// `og:type` (`$og_type`); the page says `website` without one.
    pub kind: Option<String>,
    /// `og:image:width` / `og:image:height`, which let Facebook lay a card out before
    /// it has fetched the image.
    pub image_width: Option<u32>,
    pub image_height: Option<u32>,
    /// `fb:app_id` (`$og_app_id`): digits only.
    pub facebook_app_id: Option<String>,
    /// `og:video` (`$og_video`).
    pub video_url: Option<WebUrl>,
    pub twitter: TwitterPreview,
    pub app_links: AppLinks,
    /// `$custom_meta_tags`: namespaced names, values not yet escaped.
    pub custom_tags: Vec<(String, String)>,
}

/// Facebook App Links tags (`al:ios:url`, `al:android:package`, ...): how Facebook's apps,
/// which hold Universal Links back, open the app from a shared link when it is installed.
/// From the app's config and the link's deep-link path; empty for web-only links. The deep
/// links carry no click id (one fetch serves everyone who sees the post); the SDK's open
/// names the link through the `target_url` Facebook adds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppLinks {
    /// `{scheme}://{path}`.
    pub ios_url: Option<String>,
    /// Digits only.
    pub ios_app_store_id: Option<String>,
    pub android_url: Option<String>,
    pub android_package: Option<String>,
}

/// What the X (Twitter) card says differently from the Open Graph tags; each absent field
/// takes the Open Graph value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TwitterPreview {
    /// Without one: a large-image card when there is an image, else a summary.
    pub card: Option<social::TwitterCard>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub image_url: Option<WebUrl>,
    /// `twitter:site`: the publisher's handle, without its `@`.
    pub site: Option<String>,
    /// The player card's https iframe URL; set only with [`social::TwitterCard::Player`],
    /// which is left out (the default card instead) when there is no such URL.
    pub player_url: Option<WebUrl>,
    pub player_width: Option<u32>,
    pub player_height: Option<u32>,
}

/// How a click is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CountAs {
    /// A person's click: counted in link stats and eligible for install matching.
    Click,
    /// A bot or tool fetched the link: counted apart, never matched to an install.
    BotView,
}

impl CountAs {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Click => "click",
            Self::BotView => "bot_view",
        }
    }
}

/// Which rule answered a click. Low cardinality: safe as a metrics label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// A web URL from the link or the app config.
    Web,
    AppStore,
    PlayStore,
    /// An Android `intent://` redirect.
    Intent,
    /// A page that opens the app automatically.
    OpenApp,
    /// A page with an "Open in app" button, for in-app browsers that block app opening.
    InAppPrompt,
    Preview,
    /// The link expired or was deleted (410, or the app's fallback).
    Expired,
    NoDestination,
}

impl Route {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Web => "web",
            Self::AppStore => "app_store",
            Self::PlayStore => "play_store",
            Self::Intent => "intent",
            Self::OpenApp => "open_app",
            Self::InAppPrompt => "in_app_prompt",
            Self::Preview => "preview",
            Self::Expired => "expired",
            Self::NoDestination => "no_destination",
        }
    }
}

/// Decides where a click goes. Pure: the same click always gets the same decision.
pub fn decide(click: &Click<'_>) -> Decision {
    let client = &click.client;
    let count_as = if client.is_bot() {
        CountAs::BotView
    } else {
        CountAs::Click
    };
    let ctx = platform::Ctx::new(click);
    let (route, action) = if click.link.is_gone_at(click.now) {
        ctx.expired()
    } else {
        match client.bot {
            Some(BotKind::LinkPreview | BotKind::Crawler) => {
                (Route::Preview, preview::answer(click))
            }
            // Tools (curl, monitors) follow the platform their User-Agent implies, so a
            // health check sees the same redirect a person would.
            Some(BotKind::Tool) | None => match client.platform {
                Platform::Ios => ctx.ios(),
                Platform::Android => ctx.android(),
                Platform::Desktop => ctx.desktop(),
                Platform::Other => ctx.other(),
            },
        }
    };
    Decision {
        action,
        count_as,
        platform: client.platform,
        route,
    }
}
