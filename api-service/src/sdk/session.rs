//! `POST /v1/install` and `POST /v1/open`: start an SDK session, attribute it, answer
//! Branch's session body, record it.
//!
//! # Matching rules
//! In this order; the first that finds a live link of the caller's app wins:
//! 1. **Click ids** (deterministic): `link_click_id` (Play install referrer),
//!    `link_identifier`, a `link_click_id=` inside `install_referrer_extras`, and the
//!    `link_click_id` query parameter of `universal_link_url`, `android_app_link_url`,
//!    `ios_app_link_url` or `external_intent_uri` (URI-scheme opens), in that priority.
//!    The click is claimed if it was still unclaimed; it answers even if it was claimed
//!    before (the device holds its id). A click id that is not on the shard yet (the
//!    link service writes clicks in batches) is looked up once more after
//!    [`CLICK_ID_RETRY`].
//! 2. **The link's own URL** (deterministic): a Universal Link / App Link URL on one of
//!    the app's domains names its link by its path. No click is claimed.
//! 3. **Fingerprint** (probabilistic), only for a first session: see
//!    [`super::matching::claim_by_fingerprint`]. The fingerprint is
//!    HMAC(app, client IP, OS family), exactly as the link service computes it for
//!    clicks; the client IP honours `X-Forwarded-For` from trusted proxies only.
//! 4. Otherwise organic.
//!
//! **Appended pairs**: the pairs appended to the link (`?coupon=X`) join the session
//! data under keys the link does not set; its link-control keys (`?$deeplink_path=…`),
//! checked as the click path checks them, win over the link's own. Both come from the URL
//! that opened the app, else from the click, which stored them.
//!
//! **First session**: every install, and an open that presents no install token
//! (`randomized_bundle_token` / `identity_id`; Android's `bnc_no_value` counts as none).
//! An open with a token is a later session of a known install: it is attributed by
//! rules 1-2 only (a returning user who taps a link arrives with its URL or click id), so
//! an organic open costs no query at all.
//!
//! **Tokens**: an install always gets a new install token (`randomized_bundle_token`,
//! also sent as `identity_id`); a device token (`randomized_device_token`, also
//! `device_fingerprint_id` and the Web SDK's `browser_fingerprint_id`) is kept when the
//! SDK presents one and issued otherwise. An open echoes what it presents and issues
//! what it lacks. Tokens are opaque to the server and kept only in the SDK and in the
//! `installs` and `opens` rows: no per-install state is looked up, and Branch-issued
//! tokens of an app that moved here keep working. A presented token proves nothing and
//! needs not: it only turns off fingerprint matching for its own session.
//!
//! The claim is synchronous (it decides the answer); the install or open row, its
//! rollup and the browser's "has the app" mark are written by the event pipeline.

use std::borrow::Cow;
use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::Utc;
use link_core::appended_controls::{MAX_APPENDED_CONTROLS, appended_controls};
use link_core::decision::controls::{json_flag, keys};
use link_core::{AppId, ClickId, FieldError, LinkCode};
use link_store::events::{InstallEvent, MatchType, OpenEvent, SessionStart};
use serde_json::{Map, Value};
use shard_router::Resolved;
use uuid::Uuid;

use super::body::{self, Fields};
use super::device::{Device, new_token, presented_token};
use super::matching::{self, MatchedClick, MatchedLink, Probe};
use super::metrics::SessionKind;
use super::schema::{SdkSessionRequest, SdkSessionResponse};
use super::shape::{Referral, session_data};
use crate::error::ApiError;
use crate::state::ApiState;

/// How long a click id that is not on the shard yet gets to arrive (the link service
/// writes clicks every `HOPLINK_EVENTS_FLUSH_INTERVAL_MS`, 200 ms by default).
pub const CLICK_ID_RETRY: Duration = Duration::from_millis(300);

/// Click ids considered per request (a request names one, rarely two).
const MAX_CLICK_IDS: usize = 4;

/// String fields the SDKs send; checked for type, most only recorded or ignored.
const TEXT_FIELDS: &[&str] = &[
    "hardware_id",
    "hardware_id_type",
    "brand",
    "model",
    "os",
    "os_version",
    "os_version_android",
    "app_version",
    "sdk",
    "sdk_version",
    "identity",
    "link_click_id",
    "link_identifier",
    "install_referrer_extras",
    "universal_link_url",
    "android_app_link_url",
    "ios_app_link_url",
    "external_intent_uri",
    "spotlight_identifier",
    "randomized_device_token",
    "device_fingerprint_id",
    "browser_fingerprint_id",
    "randomized_bundle_token",
    "identity_id",
    "session_id",
    "user_agent",
    "uri_scheme",
    "country",
    "language",
    "locale",
];
const BOOL_FIELDS: &[&str] = &["is_hardware_id_real", "debug", "is_referrable"];
const NUMBER_FIELDS: &[&str] = &[
    "screen_width",
    "screen_height",
    "screen_dpi",
    "update",
    "first_install_time",
    "latest_install_time",
    "latest_update_time",
    "lastest_update_time",
    "previous_update_time",
    "clicked_referrer_ts",
    "install_begin_ts",
];

/// An install or open request, checked.
struct SessionRequest {
    branch_key: Option<String>,
    os: Option<String>,
    os_version: Option<String>,
    os_version_android: Option<String>,
    model: Option<String>,
    user_agent: Option<String>,
    identity: Option<String>,
    device_token: Option<String>,
    bundle_token: Option<String>,
    /// Deterministic click ids, highest priority first.
    click_ids: Vec<ClickId>,
    /// http(s) URLs that opened the app (Universal Links, App Links).
    link_urls: Vec<url::Url>,
    /// Pairs appended to the link the app opened with (`?coupon=X`), for its data.
    appended: Vec<(String, String)>,
    /// Its appended link-control pairs (`?$deeplink_path=…`), unchecked.
    controls: Vec<(String, String)>,
}

impl SessionRequest {
    fn parse(f: Fields<'_>) -> Result<Self, FieldError> {
        for name in TEXT_FIELDS {
            f.str(name)?;
        }
        for name in BOOL_FIELDS {
            f.bool(name)?;
        }
        for name in NUMBER_FIELDS {
            f.number(name)?;
        }
        let mut click_ids = Vec::new();
        let mut push = |id: Option<ClickId>| {
            if let Some(id) = id
                && !click_ids.contains(&id)
                && click_ids.len() < MAX_CLICK_IDS
            {
                click_ids.push(id);
            }
        };
        push(
            f.text("link_click_id")?
                .and_then(|v| ClickId::parse(&v).ok()),
        );
        push(
            f.text("link_identifier")?
                .and_then(|v| ClickId::parse(&v).ok()),
        );
        push(
            f.text("install_referrer_extras")?
                .and_then(|v| referrer_click_id(&v)),
        );
        let mut link_urls = Vec::new();
        let mut appended = None;
        let mut controls = Vec::new();
        for name in [
            "universal_link_url",
            "android_app_link_url",
            "ios_app_link_url",
            "external_intent_uri",
        ] {
            let Some(raw) = f.text(name)? else { continue };
            let Ok(url) = url::Url::parse(&raw) else {
                continue;
            };
            push(query_click_id(&url));
            if appended.is_none() {
                appended = Some(appended_pairs(url.query_pairs()));
                controls = control_pairs(url.query_pairs());
            }
            let target = applink_target(&url);
            if matches!(url.scheme(), "http" | "https") {
                link_urls.push(url);
            }
            link_urls.extend(target);
        }
        Ok(Self {
            branch_key: f.text("branch_key")?,
            os: f.text("os")?,
            os_version: f.text("os_version")?,
            os_version_android: f.text("os_version_android")?,
            model: f.text("model")?,
            user_agent: f.text("user_agent")?,
            identity: f.text("identity")?,
            device_token: presented_token(
                f.str("randomized_device_token")?
                    .or(f.str("device_fingerprint_id")?)
                    .or(f.str("browser_fingerprint_id")?)
                    .as_deref(),
            ),
            bundle_token: presented_token(
                f.str("randomized_bundle_token")?
                    .or(f.str("identity_id")?)
                    .as_deref(),
            ),
            click_ids,
            link_urls,
            appended: appended.unwrap_or_default(),
            controls,
        })
    }
}

/// The pairs of a link's appended query (`https://go.acme.app/promo?coupon=X`: of the URL
/// that opened the app, or as its click stored them), which Branch passes into the session
/// data. Ours and Branch's own keys (`link_click_id`, `$...`, `~...`, `+...`) are left
/// out: a URL anyone can write must not change how the link behaves or is labelled.
/// Bounded like the pairs the click path carries; the first value of a key counts.
fn appended_pairs<'q>(
    query: impl Iterator<Item = (Cow<'q, str>, Cow<'q, str>)>,
) -> Vec<(String, String)> {
    use link_core::decision::{DEVICE_HINT, LINK_CLICK_ID, MAX_CARRIED_LEN, MAX_CARRIED_PAIRS};
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut size = 0;
    for (key, value) in query {
        if pairs.len() == MAX_CARRIED_PAIRS {
            break;
        }
        let ours = key.is_empty()
            || key.starts_with(['$', '~', '+'])
            || key == LINK_CLICK_ID
            || key == DEVICE_HINT
            || key == "al_applink_data";
        if ours || pairs.iter().any(|(k, _)| *k == key) {
            continue;
        }
        if size + key.len() + value.len() > MAX_CARRIED_LEN {
            continue;
        }
        size += key.len() + value.len();
        pairs.push((key.into_owned(), value.into_owned()));
    }
    pairs
}

/// The link-control (`$`) pairs of a link's appended query, at most one over what may be
/// appended, so a longer list still fails its check.
fn control_pairs<'q>(
    query: impl Iterator<Item = (Cow<'q, str>, Cow<'q, str>)>,
) -> Vec<(String, String)> {
    query
        .filter(|(key, _)| key.starts_with('$'))
        .take(MAX_APPENDED_CONTROLS + 1)
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect()
}

/// The control keys appended to the link, checked against the app as the click path
/// checks them: those of the URL that opened the app, else those its click stored. The
/// click path refused the click itself when they failed; here they are only left out.
async fn appended_controls_of(
    resolved: &Resolved,
    request: &SessionRequest,
    attribution: Option<&Attribution>,
) -> Result<Map<String, Value>, ApiError> {
    let Some(attribution) = attribution else {
        return Ok(Map::new());
    };
    let pairs = if request.controls.is_empty() {
        let stored = attribution
            .click
            .as_ref()
            .and_then(|c| c.query.as_deref())
            .unwrap_or_default();
        control_pairs(url::form_urlencoded::parse(stored.as_bytes()))
    } else {
        request.controls.clone()
    };
    if pairs.is_empty() {
        return Ok(Map::new());
    }
    let Some(stored) =
        shard_router::app_config::load(resolved.shard.pool()?, resolved.route.app_id).await?
    else {
        return Ok(Map::new());
    };
    let pairs = pairs
        .into_iter()
        .map(|(key, value)| (Cow::Owned(key), Cow::Owned(value)));
    Ok(
        appended_controls(pairs, &stored.config).unwrap_or_else(|error| {
            tracing::debug!(field = %error.field, "appended control keys left out");
            Map::new()
        }),
    )
}

/// The link a Facebook App Links open came from: Facebook adds
/// `al_applink_data={"target_url": "<the shared link>", ...}` to the URI it opens the app
/// with, and the link's own deep link carries no click id.
fn applink_target(url: &url::Url) -> Option<url::Url> {
    let (_, data) = url.query_pairs().find(|(k, _)| k == "al_applink_data")?;
    let data: serde_json::Value = serde_json::from_str(&data).ok()?;
    let target = url::Url::parse(data.get("target_url")?.as_str()?).ok()?;
    matches!(target.scheme(), "http" | "https").then_some(target)
}

/// The `link_click_id` of a URL's query.
fn query_click_id(url: &url::Url) -> Option<ClickId> {
    url.query_pairs()
        .find(|(k, _)| k == link_core::decision::LINK_CLICK_ID)
        .and_then(|(_, v)| ClickId::parse(&v).ok())
}

/// The `link_click_id` of a Play install referrer (`link_click_id=...&utm_source=...`),
/// also when it arrives percent-encoded once more.
fn referrer_click_id(referrer: &str) -> Option<ClickId> {
    let find = |raw: &str| {
        url::form_urlencoded::parse(raw.as_bytes())
            .find(|(k, _)| k == link_core::decision::LINK_CLICK_ID)
            .and_then(|(_, v)| ClickId::parse(&v).ok())
    };
    find(referrer).or_else(|| {
        let decoded: String = url::form_urlencoded::parse(format!("r={referrer}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())?;
        find(&decoded)
    })
}

/// What an install or open was attributed to.
struct Attribution {
    match_type: MatchType,
    link: MatchedLink,
    click: Option<MatchedClick>,
}

#[utoipa::path(
    tag = "sdk",
    request_body = SdkSessionRequest,
    responses(
        (status = 200, description = "The session, its tokens and its (deferred) deep link data", body = SdkSessionResponse),
        (status = 400, description = "Malformed body or a known field of the wrong type (problem+json naming the field)"),
        (status = 401, description = "Missing, unknown or revoked `branch_key`"),
        (status = 413, description = "Body over 1 MB"),
        (status = 429, description = "The key's rate limit (Retry-After)"),
        (status = 503, description = "The app's shard cannot answer now (Retry-After)"),
    )
)]
#[post("/v1/install")]
pub async fn install(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    start_session(&req, payload, &state, SessionKind::Install).await
}

#[utoipa::path(
    tag = "sdk",
    request_body = SdkSessionRequest,
    responses(
        (status = 200, description = "The session, its tokens and its deep link data", body = SdkSessionResponse),
        (status = 400, description = "Malformed body or a known field of the wrong type (problem+json naming the field)"),
        (status = 401, description = "Missing, unknown or revoked `branch_key`"),
        (status = 413, description = "Body over 1 MB"),
        (status = 429, description = "The key's rate limit (Retry-After)"),
        (status = 503, description = "The app's shard cannot answer now (Retry-After)"),
    )
)]
#[post("/v1/open")]
pub async fn open(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    start_session(&req, payload, &state, SessionKind::Open).await
}

async fn start_session(
    req: &HttpRequest,
    payload: web::Payload,
    state: &ApiState,
    kind: SessionKind,
) -> Result<HttpResponse, ApiError> {
    let body = body::object(req, payload).await?;
    let request = SessionRequest::parse(Fields(&body))?;
    let caller = state.sdk_caller(request.branch_key.as_deref()).await?;
    let resolved = state.app(caller.app_id)?;
    let user_agent = request.user_agent.as_deref().or_else(|| {
        req.headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
    });
    let device = Device::describe(
        request.os.as_deref(),
        request.os_version.as_deref(),
        request.os_version_android.as_deref(),
        request.model.as_deref(),
        user_agent,
        &state.sdk.memo,
    );
    let first_session = kind == SessionKind::Install || request.bundle_token.is_none();
    let attribution = attribute(state, req, &resolved, &request, &device, first_session).await?;

    let app_id = caller.app_id;
    let bundle_token = match kind {
        SessionKind::Install => new_token(),
        SessionKind::Open => request.bundle_token.clone().unwrap_or_else(new_token),
    };
    let device_token = request.device_token.clone().unwrap_or_else(new_token);
    let session_id = new_token();
    let referring_link = attribution
        .as_ref()
        .and_then(|a| state.short_url(app_id, &a.link.code));
    let appended = appended_to(&request, attribution.as_ref());
    let controls = appended_controls_of(&resolved, &request, attribution.as_ref()).await?;
    let referral = attribution.as_ref().map(|a| Referral {
        link: &a.link,
        click: a.click.as_ref(),
        guaranteed: a.match_type == MatchType::Deterministic,
        referring_link: referring_link.as_deref(),
        controls: &controls,
        appended: &appended,
    });
    let response = SdkSessionResponse {
        session_id: session_id.clone(),
        randomized_bundle_token: bundle_token.clone(),
        identity_id: bundle_token.clone(),
        randomized_device_token: device_token.clone(),
        device_fingerprint_id: device_token.clone(),
        browser_fingerprint_id: device_token.clone(),
        link: identity_link(state, app_id, &bundle_token),
        data: session_data(referral.as_ref(), first_session),
        link_click_id: attribution
            .as_ref()
            .and_then(|a| a.click.as_ref())
            .map(|c| c.id.to_string()),
        identity: request.identity.clone(),
    };

    // A `$deeplink_no_attribution` link gave the SDK its data above, but the session is
    // recorded as organic, so the link takes no credit from the campaign behind it.
    let credited = attribution
        .as_ref()
        .filter(|a| !json_flag(&a.link.data, keys::DEEPLINK_NO_ATTRIBUTION));
    let match_type = credited.map_or(MatchType::None, |a| a.match_type);
    state.sdk.metrics.session(kind, match_type);
    let click = attribution.as_ref().and_then(|a| a.click.as_ref());
    let credited_click = credited.and_then(|a| a.click.as_ref());
    let start = SessionStart {
        id: Uuid::now_v7(),
        app_id,
        occurred_at: Utc::now(),
        platform: device.platform,
        os: device.os,
        os_version: device.os_version,
        device_model: device.model,
        device_token,
        bundle_token,
        match_type,
        // One install per click: an install names the click only when it claimed it.
        click_id: credited_click
            .filter(|c| kind == SessionKind::Open || c.claimed)
            .map(|c| c.id),
        link_id: credited.map(|a| a.link.id),
        // The browser has the app now, credited or not.
        browser_id: click.and_then(|c| c.browser_id),
        country: state.country(req),
    };
    // The batch writes the shard's `browser_apps`; the hot tier, when on, is told now so
    // the very next click from that browser can open the app.
    if let (true, Some(browser)) = (state.hot.is_hot(), start.browser_id) {
        let browsers = state.hot.browsers.clone();
        tokio::spawn(async move {
            let _ = browsers.mark_installed(app_id, browser).await;
        });
    }
    match kind {
        SessionKind::Install => state.sdk.installs.record(InstallEvent(start)),
        SessionKind::Open => state.sdk.opens.record(OpenEvent { start, session_id }),
    }
    Ok(HttpResponse::Ok().json(response))
}

/// The pairs appended to the link: those of the URL that opened the app, then those its
/// click stored (how an install through the store gets them) under keys not seen yet.
fn appended_to(
    request: &SessionRequest,
    attribution: Option<&Attribution>,
) -> Vec<(String, String)> {
    let mut pairs = request.appended.clone();
    let stored = attribution
        .and_then(|a| a.click.as_ref())
        .and_then(|c| c.query.as_deref());
    if let Some(stored) = stored {
        for (key, value) in appended_pairs(url::form_urlencoded::parse(stored.as_bytes())) {
            if !pairs.iter().any(|(k, _)| *k == key) {
                pairs.push((key, value));
            }
        }
    }
    pairs
}

/// The matching rules of the module docs, in order.
async fn attribute(
    state: &ApiState,
    req: &HttpRequest,
    resolved: &Resolved,
    request: &SessionRequest,
    device: &Device,
    first_session: bool,
) -> Result<Option<Attribution>, ApiError> {
    let pool = resolved.shard.pool()?;
    let route = &resolved.route;
    if !request.click_ids.is_empty() {
        let mut hits = matching::by_click_ids(pool, route, &request.click_ids).await?;
        if hits.is_empty() {
            tokio::time::sleep(CLICK_ID_RETRY).await;
            hits = matching::by_click_ids(pool, route, &request.click_ids).await?;
        }
        if let Some((click, link)) = hits.into_iter().next() {
            return Ok(Some(Attribution {
                match_type: MatchType::Deterministic,
                link,
                click: Some(click),
            }));
        }
    }
    for url in &request.link_urls {
        let Some(code) = own_link_code(state, route.app_id, url) else {
            continue;
        };
        if let Some(link) = matching::by_code(pool, route.app_id, code.as_str()).await? {
            return Ok(Some(Attribution {
                match_type: MatchType::Deterministic,
                link,
                click: None,
            }));
        }
    }
    if !first_session {
        return Ok(None);
    }
    let Some(ip) = state.client_ip(req) else {
        return Ok(None);
    };
    let fingerprint =
        link_core::fingerprint::fingerprint(&state.fingerprint_key, route.app_id, ip, device.os);
    let majors = device.click_majors();
    let probe = Probe {
        fingerprint: &fingerprint,
        click_majors: majors.as_deref(),
        model: device.model.as_deref(),
    };
    let claimed = if state.hot.is_hot() {
        let window = Duration::from_secs(u64::from(attribution_window(resolved).await?));
        matching::claim_by_hot_fingerprint(pool, route, state.hot.clicks.as_ref(), probe, window)
            .await?
    } else {
        matching::claim_by_fingerprint(pool, route, probe).await?
    };
    Ok(claimed.map(|(click, link)| Attribution {
        match_type: MatchType::Probabilistic,
        link,
        click: Some(click),
    }))
}

/// The app's attribution window, in seconds: what the hot tier's Postgres fallback may
/// look back over (Aerospike's click records expire at their own link's window).
async fn attribution_window(resolved: &Resolved) -> Result<u32, ApiError> {
    let stored =
        shard_router::app_config::load(resolved.shard.pool()?, resolved.route.app_id).await?;
    Ok(
        stored.map_or(link_core::app::DEFAULT_ATTRIBUTION_WINDOW_SECS, |s| {
            s.config.attribution_window_secs
        }),
    )
}

/// The link code a URL names when its host is one of `app`'s domains:
/// `https://host/code` or `https://host/product/id1234`, with or without a final `/`.
pub fn own_link_code(state: &ApiState, app: AppId, url: &url::Url) -> Option<LinkCode> {
    let host = url.host_str()?;
    let routes = state.router.routes();
    let route = routes.map.resolve_host(host)?;
    if route.app_id != app {
        return None;
    }
    let path = url.path().strip_prefix('/')?;
    LinkCode::parse(path.strip_suffix('/').unwrap_or(path)).ok()
}

/// The install's own link, as Branch answers it (`link`).
fn identity_link(state: &ApiState, app: AppId, bundle_token: &str) -> String {
    state
        .short_url(app, "")
        .map(|root| format!("{root}?%24identity_id={bundle_token}"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn parse(v: &Value) -> Result<SessionRequest, FieldError> {
        SessionRequest::parse(Fields(v.as_object().unwrap()))
    }

    const ID: &str = "0190a0b0c0d0e0f00112233445566778";
    const OTHER: &str = "0190a0b0c0d0e0f00112233445566779";

    #[test]
    fn click_ids_come_from_every_place_sdks_put_them_in_priority_order() {
        let r = parse(&json!({
            "external_intent_uri": format!("acme://product/1?link_click_id={OTHER}"),
            "install_referrer_extras": format!("link_click_id={ID}&utm_source=x"),
        }))
        .unwrap();
        assert_eq!(
            r.click_ids,
            [ClickId::parse(ID).unwrap(), ClickId::parse(OTHER).unwrap()]
        );
        let r =
            parse(&json!({"install_referrer_extras": format!("link_click_id%3D{ID}")})).unwrap();
        assert_eq!(r.click_ids, [ClickId::parse(ID).unwrap()]);
        let r =
            parse(&json!({"link_identifier": "123456789012345678", "link_click_id": ID})).unwrap();
        assert_eq!(
            r.click_ids,
            [ClickId::parse(ID).unwrap()],
            "Branch-era numeric ids are ignored"
        );
    }

    #[test]
    fn universal_links_are_kept_for_link_resolution() {
        let r = parse(&json!({
            "universal_link_url": "https://go.acme.test/summer",
            "external_intent_uri": "acme://open",
        }))
        .unwrap();
        assert_eq!(r.link_urls.len(), 1);
        assert!(r.click_ids.is_empty());
    }

    #[test]
    fn the_opening_urls_own_pairs_are_kept_for_the_data() {
        let r = parse(&json!({
            "universal_link_url": format!(
                "https://go.acme.test/summer?coupon=A%20B&coupon=C&$fallback_url=x&~channel=y\
                 &%2Bclicked_branch_link=false&link_click_id={ID}&hl_device=ipad&=z&color=red"
            ),
            "external_intent_uri": "acme://open?other=1",
        }))
        .unwrap();
        assert_eq!(
            r.appended,
            [
                ("coupon".to_owned(), "A B".to_owned()),
                ("color".to_owned(), "red".to_owned())
            ]
        );
        // A scheme open has them in its URI; bounded like the click path's carried pairs.
        let many: String = (0..40)
            .map(|i| format!("k{i}={}&", "v".repeat(40)))
            .collect();
        let r = parse(&json!({"external_intent_uri": format!("acme://open?{many}")})).unwrap();
        let size: usize = r.appended.iter().map(|(k, v)| k.len() + v.len()).sum();
        assert!(!r.appended.is_empty() && size <= 1024, "{size}");
        assert!(parse(&json!({})).unwrap().appended.is_empty());
    }

    #[test]
    fn a_facebook_app_links_open_names_its_shared_link() {
        let data = r#"{"target_url":"https://go.acme.test/summer?utm_source=fb","version":"1.0"}"#;
        let uri =
            url::Url::parse_with_params("acme://product/42", [("al_applink_data", data)]).unwrap();
        let r = parse(&json!({"external_intent_uri": uri.as_str()})).unwrap();
        let urls: Vec<&str> = r.link_urls.iter().map(url::Url::as_str).collect();
        assert_eq!(urls, ["https://go.acme.test/summer?utm_source=fb"]);
        // Anything else in that parameter names nothing.
        for data in [
            r#"{"target_url":"javascript:x"}"#,
            "not json",
            r#"{"target_url":7}"#,
        ] {
            let uri = url::Url::parse_with_params("acme://x", [("al_applink_data", data)]).unwrap();
            let r = parse(&json!({"external_intent_uri": uri.as_str()})).unwrap();
            assert!(r.link_urls.is_empty(), "{data}");
        }
    }

    #[test]
    fn tokens_use_either_name_and_numbers_may_be_strings() {
        let r = parse(&json!({"identity_id": "123", "device_fingerprint_id": 456,
                              "screen_width": "1080", "debug": 1}))
        .unwrap();
        assert_eq!(r.bundle_token.as_deref(), Some("123"));
        assert_eq!(r.device_token.as_deref(), Some("456"));
        let r = parse(&json!({"randomized_bundle_token": "bnc_no_value"})).unwrap();
        assert_eq!(r.bundle_token, None);
    }

    #[test]
    fn wrong_types_name_the_field() {
        for (body, field) in [
            (json!({"os": {"name": "iOS"}}), "os"),
            (json!({"screen_width": "wide"}), "screen_width"),
            (
                json!({"is_hardware_id_real": "perhaps"}),
                "is_hardware_id_real",
            ),
            (json!({"universal_link_url": ["x"]}), "universal_link_url"),
            (
                json!({"randomized_bundle_token": true}),
                "randomized_bundle_token",
            ),
        ] {
            match parse(&body) {
                Err(e) => assert_eq!(e.field, field, "{body}"),
                Ok(_) => panic!("{body} was accepted"),
            }
        }
    }
}
