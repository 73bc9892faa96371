//! The click handler.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::http::{Method, header};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use link_core::appended_controls::may_hold_controls;
use link_core::client::Platform;
use link_core::code::{is_code_byte, is_code_path};
use link_core::decision::controls::Controls;
use link_core::decision::{Click, CountAs, LINK_CLICK_ID, carried_pairs, decide, query_value};
use link_core::{AppConfig, AppId, ClickId, Country, Link, LinkCode, LinkType};
use link_store::events::ClickEvent;
use shard_router::app_config::StoredConfig;
use shard_router::router::Routes;
use shard_router::{AppRoute, AppState, ShardHandle};
use uuid::Uuid;

use super::browser_id::today;
use super::device::{self, DeviceHint};
use super::metrics::Outcome;
use super::respond;
use crate::long_link;
use crate::pages::ErrorPage;
use crate::state::ClickState;

pub async fn click(req: HttpRequest, state: web::Data<ClickState>) -> HttpResponse {
    timed(&state, answer(&req, &state)).await
}

/// `GET /a/{key}?…`: a long link as Branch SDKs write it. The host already names the app;
/// the key segment is only checked for its shape.
pub async fn long(req: HttpRequest, state: web::Data<ClickState>) -> HttpResponse {
    let key = req.path().strip_prefix("/a/").unwrap_or_default();
    let key = key.strip_suffix('/').unwrap_or(key);
    let shaped = (key.starts_with("key_live_") || key.starts_with("key_test_"))
        && key.len() <= 128
        && key.bytes().all(is_code_byte);
    if !shaped {
        state.metrics.count(Outcome::NotFound, Platform::Other);
        return respond::error(ErrorPage::NotFound);
    }
    timed(&state, answer_long(&req, &state)).await
}

async fn timed(state: &ClickState, answer: impl Future<Output = HttpResponse>) -> HttpResponse {
    let started = Instant::now();
    let response = answer.await;
    state
        .metrics
        .latency
        .observe(started.elapsed().as_secs_f64());
    response
}

/// `GET /` on a link domain: a long link when the query names one, else the app's
/// fallback URL, as a visitor of the bare domain expects its website.
pub async fn root(req: HttpRequest, state: web::Data<ClickState>) -> HttpResponse {
    if long_link::defines_link(req.query_string()) {
        return timed(&state, answer_long(&req, &state)).await;
    }
    match config_for_host(&req, &state).await {
        Ok(stored) => match (&stored.config.fallback_url, &stored.config.desktop_url) {
            (Some(url), _) | (None, Some(url)) => respond::redirect(url.as_str()),
            (None, None) => respond::error(ErrorPage::NotFound),
        },
        Err(response) => response,
    }
}

/// The config of the app serving the request's host, or the response to give instead.
pub async fn config_for_host(
    req: &HttpRequest,
    state: &ClickState,
) -> Result<Arc<StoredConfig>, HttpResponse> {
    let routes = state.router.routes();
    let Some((route, shard)) = routes.resolve_host(request_host(req)) else {
        return Err(respond::error(ErrorPage::NotFound));
    };
    if route.state == AppState::Suspended {
        return Err(respond::error(ErrorPage::NotFound));
    }
    match state.cache.config(route, shard).await {
        Ok(Some(stored)) => Ok(stored),
        Ok(None) => Err(respond::error(ErrorPage::NotFound)),
        Err(_) => Err(respond::error(ErrorPage::Unavailable)),
    }
}

/// The app serving `host` and its shard; `None` (answered 404, outcome counted) for an
/// unknown host or a suspended app.
fn app_of_host<'r>(
    routes: &'r Routes,
    host: &str,
    state: &ClickState,
) -> Option<(&'r AppRoute, &'r ShardHandle)> {
    match routes.resolve_host(host) {
        None => {
            state.metrics.count(Outcome::UnknownHost, Platform::Other);
            None
        }
        Some((route, _)) if route.state == AppState::Suspended => {
            state.metrics.count(Outcome::NotFound, Platform::Other);
            None
        }
        found => found,
    }
}

async fn answer(req: &HttpRequest, state: &ClickState) -> HttpResponse {
    let routes = state.router.routes();
    let host = request_host(req);
    let Some((route, shard)) = app_of_host(&routes, host, state) else {
        return respond::error(ErrorPage::NotFound);
    };
    // `/Ab3xK9q` or `/product/id1234`, or either with the `/` that links pasted into
    // messages sometimes end with; a doubled slash, an escape or an odd byte is no code.
    let code = req.path().strip_prefix('/').unwrap_or_default();
    let code = code.strip_suffix('/').unwrap_or(code);
    if !plausible_code(code) {
        state.metrics.count(Outcome::NotFound, Platform::Other);
        return respond::error(ErrorPage::NotFound);
    }

    let config = match app_config(state, route, shard).await {
        Ok(config) => config,
        Err(response) => return response,
    };
    let link = match state.cache.link(route, shard, code).await {
        Ok(Some(link)) => link,
        // A long link under a path prefix, as Firebase custom domains had them
        // (`/links/?link=…`): looked at only once no link has that code.
        Ok(None) if long_link::defines_link(req.query_string()) => {
            return answer_long(req, state).await;
        }
        Ok(None) => {
            state.metrics.count(Outcome::NotFound, Platform::Other);
            return respond::error(ErrorPage::NotFound);
        }
        // Fail fast: nothing cached and the shard cannot answer now.
        Err(_) => {
            return match &config.config.fallback_url {
                Some(url) => {
                    state
                        .metrics
                        .count(Outcome::FallbackWhileUnavailable, Platform::Other);
                    respond::redirect(url.as_str())
                }
                None => {
                    state.metrics.count(Outcome::Unavailable, Platform::Other);
                    respond::error(ErrorPage::Unavailable)
                }
            };
        }
    };

    // `?$deeplink_path=…` appended to the link overrides its own for this click; a link
    // that is gone answers as such whatever was appended.
    let query = req.query_string();
    let overridden = if may_hold_controls(query) && !link.is_gone_at(Utc::now()) {
        match state
            .appended_controls
            .apply(&link, query, &config.config, config.version)
        {
            Ok(overridden) => overridden,
            Err(error) => return invalid_link_query(state, &error),
        }
    } else {
        None
    };
    let (link, controls) = match &overridden {
        Some(o) => (&o.link, &*o.controls),
        None => (&*link, ""),
    };

    // `/Ab3xK9q` without a trailing slash.
    let own_path = req.path().get(..=code.len()).unwrap_or_default();
    respond_to(
        req,
        state,
        &Target {
            app_id: route.app_id,
            host,
            own_path,
            config: &config.config,
            link,
            query,
            controls,
            stored: true,
            check_path: Some(own_path),
            alternate: Alternate::of(&routes, route.app_id, host),
        },
    )
    .await
}

/// A long link: its row when it has one (made on a person's first click), else the link
/// as its query writes it, answered without recording the click.
async fn answer_long(req: &HttpRequest, state: &ClickState) -> HttpResponse {
    let routes = state.router.routes();
    let host = request_host(req);
    let Some((route, shard)) = app_of_host(&routes, host, state) else {
        return respond::error(ErrorPage::NotFound);
    };
    let config = match app_config(state, route, shard).await {
        Ok(config) => config,
        Err(response) => return response,
    };
    let parsed = state.parsed_long_links.parse(
        req.query_string(),
        route.app_id,
        &config.config,
        config.version,
    );
    let long = match parsed {
        Ok(long) => long,
        Err(error) => return invalid_long_link(state, &error),
    };
    let row =
        match state.cache.link(route, shard, long.code.as_str()).await {
            Ok(Some(link)) => Some(link),
            // The cache or the shard has no row: a person's click makes one.
            // Boxed: moka's collapsing future is large, and only a first click awaits it.
            Ok(None) | Err(_) if wants_row(req, state) => Box::pin(
                state
                    .long_links
                    .find_or_create(&state.cache, route, shard, &long.new, &long.code),
            )
            .await
            .inspect_err(|error| tracing::debug!(%error, "long link answered unsaved"))
            .ok(),
            Ok(None) | Err(_) => None,
        };
    let (link, stored) = match row {
        Some(link) => (link, true),
        None => match long.unsaved(route.app_id, Utc::now()) {
            Ok(link) => (Arc::new(link), false),
            Err(error) => return invalid_long_link(state, &error.at("data")),
        },
    };
    // Previews name the long URL itself unless it would crowd the page; the derived code's
    // URL is the same link once a person has clicked it.
    let long_url = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let code_path;
    let own_path = if long_url.len() <= MAX_OWN_URL_IN_PREVIEW {
        long_url
    } else {
        code_path = format!("/{}", long.code.as_str());
        &code_path
    };
    respond_to(
        req,
        state,
        &Target {
            app_id: route.app_id,
            host,
            own_path,
            config: &config.config,
            link: &link,
            query: &long.carried,
            controls: "",
            stored,
            // `/a/key_…`, `/` or a Firebase-style prefix: always one of ours, never `//host`.
            check_path: Some(req.path()).filter(|p| !p.starts_with("//")),
            // Only a saved long link has a code the alternate domain can serve.
            alternate: match Alternate::of(&routes, route.app_id, host) {
                Alternate::Elsewhere(_) if !stored => Alternate::None,
                alternate => alternate,
            },
        },
    )
    .await
}

/// Longest long-link path and query a preview shows as its `og:url` (pages stay under 8 KB).
const MAX_OWN_URL_IN_PREVIEW: usize = 2048;

fn invalid_long_link(state: &ClickState, error: &link_core::FieldError) -> HttpResponse {
    state.long_links.count_invalid();
    invalid_link_query(state, error)
}

/// A long link, or control keys appended to a link, that the app's rules refuse.
fn invalid_link_query(state: &ClickState, error: &link_core::FieldError) -> HttpResponse {
    state.metrics.count(Outcome::BadRequest, Platform::Other);
    tracing::debug!(field = %error.field, reason = %error.reason, "invalid link query");
    respond::error(ErrorPage::BadRequest)
}

/// Whether this request may create a long link's row: a person's click, not a bot's look
/// or a HEAD.
fn wants_row(req: &HttpRequest, state: &ClickState) -> bool {
    req.method() == Method::GET && !state.memo.classify(user_agent(req)).is_bot()
}

/// The app's config, or the response to give without one.
async fn app_config(
    state: &ClickState,
    route: &AppRoute,
    shard: &ShardHandle,
) -> Result<Arc<StoredConfig>, HttpResponse> {
    match state.cache.config(route, shard).await {
        Ok(Some(config)) => Ok(config),
        Ok(None) => {
            state.metrics.count(Outcome::NotFound, Platform::Other);
            Err(respond::error(ErrorPage::NotFound))
        }
        Err(_) => {
            state.metrics.count(Outcome::Unavailable, Platform::Other);
            Err(respond::error(ErrorPage::Unavailable))
        }
    }
}

/// What a click resolved to.
struct Target<'a> {
    app_id: AppId,
    host: &'a str,
    /// The path (and for a long link the query) of the URL the link is shared as, for
    /// previews' `og:url`.
    own_path: &'a str,
    config: &'a AppConfig,
    link: &'a Link,
    /// The query pairs the click carries to the destination.
    query: &'a str,
    /// The control keys appended to the link, form-encoded (empty for none): they are in
    /// `link` already, and go with the click's row and its alternate-domain URL.
    controls: &'a str,
    /// Whether the link has a row to record the click against.
    stored: bool,
    /// The path the device check sends Safari claiming a Mac back to, with the request's
    /// query and the hint; `None` where no check is made.
    check_path: Option<&'a str>,
    /// Where the click stands to the app's alternate domain.
    alternate: Alternate<'a>,
}

fn user_agent(req: &HttpRequest) -> &str {
    req.headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// Decides, answers and records the click.
async fn respond_to(req: &HttpRequest, state: &ClickState, target: &Target<'_>) -> HttpResponse {
    let Target {
        app_id,
        host,
        own_path,
        config,
        link,
        query,
        controls,
        stored,
        check_path,
        alternate,
    } = *target;
    let headers = req.headers();
    let agent = user_agent(req);
    let mut client = state.memo.classify(agent);
    // Safari claiming a Mac may be an iPad: the device check's answer, fresh from the page
    // or kept from an earlier click.
    let (fresh, kept) = if check_path.is_some() && client.maybe_ipad() {
        (
            DeviceHint::of_query(req.query_string()),
            DeviceHint::of_cookie(req.headers()),
        )
    } else {
        (None, None)
    };
    let hint = fresh.or(kept);
    if hint == Some(DeviceHint::Ipad) {
        client = client.as_ipad(agent);
    }
    let peer = req.peer_addr().map(|addr| addr.ip());
    let secure = state.forwarded.is_https(
        peer,
        headers
            .get(header::X_FORWARDED_PROTO)
            .and_then(|v| v.to_str().ok()),
    );
    let now = Utc::now();
    let today = today(now);
    let browser = state
        .browser_ids
        .read(headers.get_all(header::COOKIE), today);

    // Only the app-open decisions look at this; ask only when they will.
    let app_installed = match &browser {
        Some(existing) if !client.is_bot() && install_state_matters(client.platform, config) => {
            state.installed.check(app_id, existing.id).await
        }
        _ => false,
    };
    // Only link previews show the short URL (`og:url`); build it only for them.
    let short_url = if client.is_bot() {
        short_url(secure, host, own_path)
    } else {
        String::new()
    };
    // Only iOS pages link there (Universal Links); build it only for them.
    let alternate_url =
        match alternate {
            Alternate::Elsewhere(alternate) if client.platform == Platform::Ios => Some(
                alternate_url(secure, alternate, host, link.code.as_str(), controls),
            ),
            _ => None,
        };
    let click_id = ClickId::generate();
    let country = country(req, state);
    let click = Click {
        link,
        app: config,
        client,
        app_installed,
        query,
        country,
        click_id,
        short_url: &short_url,
        alternate_url: alternate_url.as_deref(),
        now,
    };
    let decision = decide(&click);
    // Nothing is recorded yet: the answer comes back with the hint and is recorded then,
    // as the device it is.
    if hint.is_none()
        && client.maybe_ipad()
        && let Some(path) = check_path
        && let Some(response) = device::check(req, state, &click, &decision, path, agent)
    {
        return response;
    }
    let mut response = respond::action(&decision.action);
    if let Some(answer) = fresh.filter(|answer| kept != Some(*answer)) {
        response
            .headers_mut()
            .append(header::SET_COOKIE, answer.cookie(secure));
    }
    state
        .metrics
        .count(Outcome::Decided(decision.route), decision.platform);

    // HEAD is a link checker's look, not a click; a link without a row has nothing to
    // record the click against.
    if req.method() != Method::GET || !stored {
        return response;
    }
    let is_person = decision.count_as == CountAs::Click;
    let browser_id = if is_person {
        let id = match browser {
            Some(existing) if !existing.needs_refresh => existing.id,
            Some(existing) => issue(state, &mut response, existing.id, today, secure),
            None => issue(state, &mut response, Uuid::new_v4(), today, secure),
        };
        Some(id)
    } else {
        None
    };
    let fingerprint = match (
        is_person,
        state.forwarded.client_ip(peer, forwarded_for(req)),
    ) {
        (true, Some(ip)) => Some(link_core::fingerprint::fingerprint(
            &state.fingerprint_key,
            app_id,
            ip,
            client.os,
        )),
        _ => None,
    };
    let event = ClickEvent {
        click_id,
        app_id,
        link_id: link.id,
        occurred_at: now,
        platform: client.platform,
        os: client.os,
        os_version: client.os_version,
        browser: client.browser,
        in_app: client.in_app,
        is_bot: !is_person,
        fingerprint,
        browser_id,
        country,
        counted: !Controls::new(&link.data).no_attribution() && !relayed(alternate, query),
        uses_up_link: is_person && link.link_type == LinkType::OneTime,
        // Only a person's click can lead to an install; most clicks carry nothing.
        query: if is_person && !query.is_empty() {
            stored_pairs(query, controls)
        } else {
            None
        },
    };
    let window = link.duration_secs.unwrap_or(config.attribution_window_secs);
    state
        .clicks
        .record_event(&event, Duration::from_secs(u64::from(window)));
    state.recorder.record(event);
    response
}

fn short_url(secure: bool, host: &str, path: &str) -> String {
    let scheme = if secure { "https://" } else { "http://" };
    let mut url = String::with_capacity(scheme.len() + host.len() + path.len());
    url.push_str(scheme);
    url.push_str(host);
    url.push_str(path);
    url
}

/// Where a click stands to its app's alternate domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Alternate<'r> {
    /// The app has none (or the link has no code to serve there).
    None,
    /// The click came in on it.
    Here,
    /// The click came in on another of the app's domains: iOS pages link there.
    Elsewhere(&'r str),
}

impl<'r> Alternate<'r> {
    fn of(routes: &'r Routes, app_id: AppId, host: &str) -> Self {
        let Some(alternate) = routes.map.alternate_domain(app_id) else {
            return Self::None;
        };
        let alternate = alternate.as_str();
        let here = link_core::host::strip_port(host);
        let here = here.strip_suffix('.').unwrap_or(here);
        if here.eq_ignore_ascii_case(alternate) {
            Self::Here
        } else {
            Self::Elsewhere(alternate)
        }
    }
}

/// A click on the alternate domain that the link's own page sent on (its button carries
/// the first click's id): the same person's same click, stored for matching but counted
/// once, where it first came in.
fn relayed(alternate: Alternate<'_>, query: &str) -> bool {
    alternate == Alternate::Here
        && query.contains(LINK_CLICK_ID)
        && query_value(query, LINK_CLICK_ID).is_some()
}

/// What a person's click stores of its query: the pairs it carries, then the control keys
/// it appended (checked already), so the install it leads to gets both.
fn stored_pairs(query: &str, controls: &str) -> Option<Box<str>> {
    let carried = carried_pairs(query);
    if controls.is_empty() {
        return carried.map(String::into_boxed_str);
    }
    let mut pairs = carried.unwrap_or_default();
    if !pairs.is_empty() {
        pairs.push('&');
    }
    pairs.push_str(controls);
    Some(pairs.into_boxed_str())
}

/// `https://{alternate}/{code}`, on the port the click came in on when it named one (the
/// same service answers there; in `hoplink dev` that is not 80), with the control keys
/// appended to the link, so a tap that lands there without the app gets the same answer.
fn alternate_url(secure: bool, alternate: &str, host: &str, code: &str, controls: &str) -> String {
    let host = host.trim();
    let port = &host[link_core::host::strip_port(host).len()..];
    let port = match port.strip_prefix(':') {
        Some(digits)
            if (1..=5).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) =>
        {
            port
        }
        _ => "",
    };
    let scheme = if secure { "https://" } else { "http://" };
    let mut url = String::with_capacity(
        scheme.len() + alternate.len() + port.len() + code.len() + controls.len() + 2,
    );
    url.push_str(scheme);
    url.push_str(alternate);
    url.push_str(port);
    url.push('/');
    url.push_str(code);
    if !controls.is_empty() {
        url.push('?');
        url.push_str(controls);
    }
    url
}

/// Whether the decision for this platform can depend on the app being installed: only
/// where the app has a URI scheme to open it with.
fn install_state_matters(platform: Platform, app: &link_core::AppConfig) -> bool {
    match platform {
        Platform::Ios => app.ios.uri_scheme.is_some(),
        Platform::Android => app.android.uri_scheme.is_some(),
        Platform::Desktop | Platform::Other => false,
    }
}

fn issue(
    state: &ClickState,
    response: &mut HttpResponse,
    id: Uuid,
    today: i64,
    secure: bool,
) -> Uuid {
    if let Some(cookie) = state.browser_ids.issue(id, today, secure) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    id
}

/// The click's country from `HOPLINK_COUNTRY_HEADER`, when a trusted proxy set it.
fn country(req: &HttpRequest, state: &ClickState) -> Option<Country> {
    state
        .forwarded
        .trusted_header(req, state.country_header.as_ref())
        .and_then(Country::parse)
}

fn forwarded_for(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(header::X_FORWARDED_FOR)
        .and_then(|v| v.to_str().ok())
}

/// The request's host: the `Host` header, or the authority of an absolute-form or
/// HTTP/2 request.
pub fn request_host(req: &HttpRequest) -> &str {
    req.headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
        .unwrap_or_default()
}

/// Whether a path could be a link code (`Ab3xK9q`, `product/id1234`); anything else is
/// answered 404 without a look-up, so odd paths never reach the cache or a shard.
fn plausible_code(code: &str) -> bool {
    code.len() <= LinkCode::MAX_LEN && is_code_path(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_code_shaped_segments_are_looked_up() {
        assert!(plausible_code("Ab3xK9q"));
        assert!(plausible_code("summer-sale_2"));
        assert!(plausible_code("product/id1234"));
        for bad in [
            "",
            "..",
            "a%2Fb",
            "a b",
            "<script>",
            "é",
            &"x".repeat(129),
            "x//y",
            "x/./y",
            "x/../y",
        ] {
            assert!(!plausible_code(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_alternate_url_keeps_the_clicks_port_and_scheme() {
        let url = |secure, host| alternate_url(secure, "alt.acme.app", host, "Ab3", "");
        assert_eq!(url(true, "go.acme.app"), "https://alt.acme.app/Ab3");
        assert_eq!(url(false, "localhost:8080"), "http://alt.acme.app:8080/Ab3");
        assert_eq!(
            url(true, " go.acme.app:443 "),
            "https://alt.acme.app:443/Ab3"
        );
        assert_eq!(url(false, "[::1]:8080"), "http://alt.acme.app:8080/Ab3");
        for odd in ["[::1]x", "[::1]:x1", "go.acme.app:123456", "go.acme.app:"] {
            assert_eq!(url(true, odd), "https://alt.acme.app/Ab3", "{odd}");
        }
        assert_eq!(
            alternate_url(true, "alt.acme.app", "go.acme.app", "Ab3", "%24web_only=1"),
            "https://alt.acme.app/Ab3?%24web_only=1"
        );
    }

    #[test]
    fn a_click_stores_its_carried_pairs_then_its_control_keys() {
        assert_eq!(stored_pairs("", ""), None);
        assert_eq!(stored_pairs("$x=1", ""), None);
        assert_eq!(
            stored_pairs("coupon=X&$web_only=1", "%24web_only=1").as_deref(),
            Some("coupon=X&%24web_only=1")
        );
        assert_eq!(
            stored_pairs("$web_only=1", "%24web_only=1").as_deref(),
            Some("%24web_only=1")
        );
    }
}
