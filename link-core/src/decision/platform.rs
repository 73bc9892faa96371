//! The per-platform rules: which destination, and whether to try the app first.
//!
//! Every chain reads link overrides before app defaults, and the first usable candidate
//! wins; a link URL that fails validation is skipped as if it were absent.

use super::controls::{Controls, keys};
use super::deeplink::{self, DeepPath};
use super::dest::{self, DestinationKind, Web};
use super::in_app::blocks_app_open;
use super::query::Carry;
use super::{Action, Click, FALLBACK_AFTER_MS, Fallback, Interstitial, Route, preview};
use crate::app::{AndroidPackage, AppStoreId, ExpiredLinkBehavior, UriScheme};
use crate::client::{Browser, DeviceVendor, InAppBrowser};
use crate::url::WebUrl;

/// A fallback longer than this (once encoded into the intent extra) is replaced by the
/// bare Play Store URL there, so the `Location` header stays within proxy limits.
const MAX_INTENT_FALLBACK_LEN: usize = 2048;

/// A destination chosen but not yet rendered: rendering is the one allocation we pay.
enum Target<'a> {
    Web(Web<'a>),
    AppStore(&'a AppStoreId),
    PlayStore(&'a AndroidPackage),
}

impl Target<'_> {
    fn kind(&self) -> DestinationKind {
        match self {
            Target::Web(_) => DestinationKind::Web,
            Target::AppStore(_) => DestinationKind::AppStore,
            Target::PlayStore(_) => DestinationKind::PlayStore,
        }
    }

    fn route(&self) -> Route {
        match self {
            Target::Web(_) => Route::Web,
            Target::AppStore(_) => Route::AppStore,
            Target::PlayStore(_) => Route::PlayStore,
        }
    }
}

/// One click, with its link controls and query ready to consult.
pub struct Ctx<'c, 'a> {
    click: &'c Click<'a>,
    controls: Controls<'a>,
    carry: Carry<'a>,
}

impl<'c, 'a> Ctx<'c, 'a> {
    pub fn new(click: &'c Click<'a>) -> Self {
        Self {
            click,
            controls: Controls::new(&click.link.data),
            carry: Carry::new(click.query),
        }
    }

    fn link_url(&self, key: &str) -> Option<Target<'a>> {
        self.controls
            .url(key)
            .map(|url| Target::Web(Web::Link(url)))
    }

    /// `<prefix><click's country>`, when a trusted proxy gave the country.
    fn country_url(&self, prefix: &str) -> Option<Target<'a>> {
        self.click
            .country
            .and_then(|country| self.controls.country_url(prefix, country))
            .map(|url| Target::Web(Web::Link(url)))
    }

    fn app_url(url: &'a Option<WebUrl>) -> Option<Target<'a>> {
        url.as_ref().map(|url| Target::Web(Web::App(url)))
    }

    /// `$fallback_url_<click's country>`, `$fallback_url`, then the app's fallback: the
    /// end of every chain.
    fn fallbacks(&self) -> Option<Target<'a>> {
        self.country_url(keys::COUNTRY_FALLBACK_PREFIX)
            .or_else(|| self.link_url(keys::FALLBACK_URL))
            .or_else(|| Self::app_url(&self.click.app.fallback_url))
    }

    fn render(&self, target: Target<'a>) -> String {
        match target {
            Target::Web(web) => web.into_location(&self.carry),
            Target::AppStore(id) => dest::app_store(id, &self.carry),
            Target::PlayStore(package) => {
                dest::play_store(package, self.click.click_id, &self.carry)
            }
        }
    }

    fn redirect(&self, target: Option<Target<'a>>) -> (Route, Action) {
        match target {
            Some(target) => (
                target.route(),
                Action::Redirect {
                    location: self.render(target),
                },
            ),
            None => (Route::NoDestination, Action::NoDestination),
        }
    }

    fn fallback(&self, target: Option<Target<'a>>) -> Option<Fallback> {
        target.map(|target| Fallback {
            kind: target.kind(),
            url: self.render(target),
        })
    }

    /// `timeout_key`: the link's own wait for the app on this OS
    /// (`$ios_redirect_timeout`), in place of [`FALLBACK_AFTER_MS`].
    fn interstitial(
        &self,
        deep_link: String,
        universal_link: Option<String>,
        fallback: Option<Fallback>,
        auto_open: bool,
        timeout_key: &str,
    ) -> (Route, Action) {
        let route = if auto_open {
            Route::OpenApp
        } else {
            Route::InAppPrompt
        };
        let page = Interstitial {
            deep_link,
            universal_link,
            fallback,
            auto_open,
            fallback_after_ms: self
                .controls
                .redirect_timeout_ms(timeout_key)
                .unwrap_or(FALLBACK_AFTER_MS),
            after_click: self
                .controls
                .url(keys::AFTER_CLICK_URL)
                .map(|url| Web::Link(url).into_location(&self.carry)),
            title: preview::title(self.click),
        };
        (route, Action::Interstitial(page))
    }

    fn deep_path(&self, platform_key: &str, scheme: &UriScheme) -> DeepPath<'a> {
        DeepPath::or_default(self.controls.deeplink_path(platform_key), scheme)
    }

    /// Whether to try the scheme although no Universal/App Link fired: the app is known to
    /// be installed here, or the link forces it on this OS (`$always_deeplink`, redirect
    /// mode 2).
    fn try_scheme(&self, os_mode_key: &str) -> bool {
        self.click.app_installed || self.controls.forces_scheme(os_mode_key)
    }

    /// Expired or deleted: 410, or the app's fallback when the app asks for that.
    pub fn expired(&self) -> (Route, Action) {
        let app = self.click.app;
        match (&app.expired_link_behavior, &app.fallback_url) {
            (ExpiredLinkBehavior::Fallback, Some(url)) => (
                Route::Expired,
                Action::Redirect {
                    location: Web::App(url).into_location(&self.carry),
                },
            ),
            _ => (Route::Expired, Action::Gone),
        }
    }

    /// Devices with no app of ours: a Windows Phone or BlackBerry goes to the link's page
    /// for it (`$windows_phone_url`, `$blackberry_url`), and anything else (and those
    /// without one) where a desktop would.
    pub fn other(&self) -> (Route, Action) {
        let own = match self.click.client.vendor {
            Some(DeviceVendor::Microsoft) => self.link_url(keys::WINDOWS_PHONE_URL),
            Some(DeviceVendor::BlackBerry) => self.link_url(keys::BLACKBERRY_URL),
            _ => None,
        };
        match own {
            Some(page) => self.redirect(Some(page)),
            None => self.desktop(),
        }
    }

    /// `$desktop_url` -> app desktop URL -> `$fallback_url` -> app fallback.
    pub fn desktop(&self) -> (Route, Action) {
        let target = self
            .link_url(keys::DESKTOP_URL)
            .or_else(|| Self::app_url(&self.click.app.desktop_url))
            .or_else(|| self.fallbacks());
        self.redirect(target)
    }

    /// `$ipad_url` (tablets) -> `$ios_url_<country>` -> `$ios_url`. The iPad's own
    /// page comes first: it is for another app or layout, wherever the click comes from.
    fn ios_url(&self) -> Option<Target<'a>> {
        let ipad = if self.click.client.is_tablet() {
            self.link_url(keys::IPAD_URL)
        } else {
            None
        };
        ipad.or_else(|| self.country_url(keys::COUNTRY_IOS_PREFIX))
            .or_else(|| self.link_url(keys::IOS_URL))
    }

    /// `$ios_wechat_url` / `$android_wechat_url` inside WeChat, which blocks the stores,
    /// schemes and intents alike and lets through only pages it allows: where the link
    /// names such a page, it is the destination whatever else the link says.
    fn wechat_url(&self, key: &str) -> Option<Target<'a>> {
        if self.click.client.in_app == Some(InAppBrowser::WeChat) {
            self.link_url(key)
        } else {
            None
        }
    }

    /// Universal Links open the app before a request reaches us, so a click that arrives
    /// here either has no app, or came through something that blocked the Universal Link.
    pub fn ios(&self) -> (Route, Action) {
        if let Some(page) = self.wechat_url(keys::IOS_WECHAT_URL) {
            return self.redirect(Some(page));
        }
        if self.controls.mobile_web_only() {
            return self.redirect(self.ios_url().or_else(|| self.fallbacks()));
        }
        let app = self.click.app;
        let store = || {
            self.ios_url()
                .or_else(|| app.ios.app_store_id.as_ref().map(Target::AppStore))
                .or_else(|| self.fallbacks())
        };
        if let Some(scheme) = &app.ios.uri_scheme {
            let client = &self.click.client;
            let blocked = match client.in_app {
                Some(browser) => blocks_app_open(browser),
                None => client.browser == Browser::WebView,
            };
            if blocked || self.try_scheme(keys::IOS_URI_REDIRECT_MODE) {
                let deep = deeplink::scheme_link(
                    scheme,
                    self.deep_path(keys::IOS_DEEPLINK_PATH, scheme),
                    &self.carry,
                    Some(self.click.click_id),
                );
                // In-app browsers that block app opening hold Universal Links back too:
                // there the button keeps the scheme, which a tap gets through.
                let universal = match self.click.alternate_url {
                    Some(url) if !blocked && app.ios.has_universal_links() => {
                        Some(dest::universal_link(url, self.click.click_id, &self.carry))
                    }
                    _ => None,
                };
                return self.interstitial(
                    deep,
                    universal,
                    self.fallback(store()),
                    !blocked,
                    keys::IOS_REDIRECT_TIMEOUT,
                );
            }
        }
        self.redirect(store())
    }

    /// The maker's own store page (`$samsung_url`, `$huawei_url`, `$fire_url`) on that
    /// maker's devices, then `$android_url_<country>`, then `$android_url`: where Android
    /// goes without the app.
    fn android_url(&self) -> Option<Target<'a>> {
        let maker = match self.click.client.vendor {
            Some(DeviceVendor::Samsung) => self.link_url(keys::SAMSUNG_URL),
            Some(DeviceVendor::Huawei) => self.link_url(keys::HUAWEI_URL),
            Some(DeviceVendor::Amazon) => self.link_url(keys::FIRE_URL),
            Some(DeviceVendor::Microsoft | DeviceVendor::BlackBerry) | None => None,
        };
        maker
            .or_else(|| self.country_url(keys::COUNTRY_ANDROID_PREFIX))
            .or_else(|| self.link_url(keys::ANDROID_URL))
    }

    /// [`Self::android_url`] -> `$fallback_url` -> app fallback: Android without the app's
    /// package.
    fn android_web(&self) -> Option<Target<'a>> {
        self.android_url().or_else(|| self.fallbacks())
    }

    pub fn android(&self) -> (Route, Action) {
        if let Some(page) = self.wechat_url(keys::ANDROID_WECHAT_URL) {
            return self.redirect(Some(page));
        }
        let app = self.click.app;
        let package = match &app.android.package {
            Some(package) if !self.controls.mobile_web_only() => package,
            _ => return self.redirect(self.android_web()),
        };
        let store = || self.android_url().unwrap_or(Target::PlayStore(package));
        let Some(scheme) = &app.android.uri_scheme else {
            return self.redirect(Some(store()));
        };
        let client = &self.click.client;
        let in_app = client.in_app.is_some() || client.browser == Browser::WebView;
        let chrome = client.browser == Browser::ChromeFamily;
        if !in_app && !chrome && !self.try_scheme(keys::ANDROID_URI_REDIRECT_MODE) {
            return self.redirect(Some(store()));
        }

        let fallback = self.fallback(Some(store()));
        let deep = self.deep_path(keys::ANDROID_DEEPLINK_PATH, scheme);
        if !in_app && !chrome {
            // Firefox and other browsers: try the scheme itself; the page falls back.
            let link = deeplink::scheme_link(scheme, deep, &self.carry, Some(self.click.click_id));
            return self.interstitial(link, None, fallback, true, keys::ANDROID_REDIRECT_TIMEOUT);
        }
        let full = fallback.as_ref().map_or("", |f| f.url.as_str());
        let bare;
        let intent_fallback = if deeplink::encoded_extra_len(full) <= MAX_INTENT_FALLBACK_LEN {
            full
        } else {
            bare = dest::play_store(package, self.click.click_id, &Carry::new(""));
            bare.as_str()
        };
        let intent = deeplink::intent_link(
            scheme,
            package,
            deep,
            &self.carry,
            self.click.click_id,
            intent_fallback,
        );
        if in_app {
            self.interstitial(
                intent,
                None,
                fallback,
                false,
                keys::ANDROID_REDIRECT_TIMEOUT,
            )
        } else {
            (Route::Intent, Action::Redirect { location: intent })
        }
    }
}
