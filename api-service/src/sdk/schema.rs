//! Wire shapes of the SDK API for the OpenAPI document. Requests are parsed leniently
//! from raw JSON (see `body.rs`); these types describe what SDKs send and get, and the
//! responses are serialised from them. Names carry an `Sdk` prefix so they cannot collide
//! with the developer API's schemas in the shared document.

use serde::Serialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

/// Link parameters (`POST /v1/url`, each item of `POST /v1/url/bulk/{branch_key}`).
#[derive(ToSchema)]
#[allow(
    dead_code,
    reason = "documentation only: requests are read leniently from JSON"
)]
pub struct SdkUrlRequest {
    /// The app's SDK key (`key_live_...`). Not needed in bulk items.
    pub branch_key: Option<String>,
    /// Deep link data: a JSON object, or a string holding one. `$`-keys control redirects
    /// (`$deeplink_path`, `$ios_url`, `$android_url`, `$desktop_url`, `$fallback_url`,
    /// `$og_title`, ...); the others are the app's own.
    #[schema(value_type = Object)]
    pub data: Option<Value>,
    /// A chosen code (1-128 of `A-Za-z0-9_-`). Re-sending the same alias with the same
    /// parameters returns the same URL; with other parameters it is a 409.
    pub alias: Option<String>,
    /// 0 standard, 1 one-time, 2 marketing (a number or a numeric string).
    #[schema(value_type = Option<i64>)]
    pub r#type: Option<Value>,
    /// Attribution window of this link's clicks, seconds (default: the app's, 7200).
    #[schema(value_type = Option<i64>)]
    pub duration: Option<Value>,
    pub channel: Option<String>,
    pub feature: Option<String>,
    pub campaign: Option<String>,
    pub stage: Option<String>,
    pub tags: Option<Vec<String>>,
}

/// `PUT /v1/url`: the fields to change (link data is merged key by key, `null` removes a
/// key), plus both of the app's keys.
#[derive(ToSchema)]
#[allow(
    dead_code,
    reason = "documentation only: requests are read leniently from JSON"
)]
pub struct SdkUrlUpdateRequest {
    /// The app's SDK key.
    pub branch_key: String,
    /// The same app's secret key (`secret_live_...`).
    pub branch_secret: String,
    #[schema(value_type = Object)]
    pub data: Option<Value>,
    pub channel: Option<String>,
    pub feature: Option<String>,
    pub campaign: Option<String>,
    pub stage: Option<String>,
    pub tags: Option<Vec<String>>,
    #[schema(value_type = Option<i64>)]
    pub duration: Option<Value>,
}

#[derive(Serialize, ToSchema)]
pub struct SdkUrlResponse {
    /// The short URL: `https://<the app's primary domain>/<code>`.
    pub url: String,
}

/// One result of a bulk creation, in request order: `{"url"}` or `{"error"}`.
#[derive(Serialize, ToSchema)]
pub struct SdkBulkItem {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<SdkBulkError>,
}

#[derive(Serialize, ToSchema)]
pub struct SdkBulkError {
    /// The HTTP status this item alone would have had (400, 409, 503).
    pub code: u16,
    /// The stable problem code (`invalid_field`, `alias_taken`, ...).
    pub kind: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// A link as Branch's "read deep link" answers it.
#[derive(ToSchema)]
#[allow(dead_code, reason = "documentation only: built as JSON in shape.rs")]
pub struct SdkLinkRead {
    pub channel: Option<String>,
    pub feature: Option<String>,
    pub campaign: Option<String>,
    pub stage: Option<String>,
    pub tags: Vec<String>,
    /// The alias, or `""` for a generated code.
    pub alias: String,
    /// 0 standard, 1 one-time, 2 marketing.
    pub r#type: i16,
    pub duration: Option<u32>,
    /// The link's data plus `~id`, `url`, `+url`, `~channel`... and `$one_time_use`.
    #[schema(value_type = Object)]
    pub data: Value,
}

#[derive(serde::Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SdkUrlQuery {
    /// The short URL to read, on one of the app's domains.
    pub url: Option<String>,
    /// The app's SDK key.
    pub branch_key: Option<String>,
}

#[derive(serde::Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SdkUrlUpdateQuery {
    /// The short URL to change, on one of the app's domains.
    pub url: Option<String>,
}

/// What Branch's Android, iOS and Web SDKs send on install and open. Every field is
/// optional but `branch_key`; unknown fields are ignored; numbers may arrive as strings.
#[derive(ToSchema)]
#[allow(
    dead_code,
    reason = "documentation only: requests are read leniently from JSON"
)]
pub struct SdkSessionRequest {
    pub branch_key: String,
    /// `iOS`, `Android`, ... (the User-Agent decides when absent).
    pub os: Option<String>,
    /// iOS: `17.4`; Android: the API level (`34`).
    pub os_version: Option<String>,
    /// Android's release (`14`).
    pub os_version_android: Option<String>,
    pub brand: Option<String>,
    pub model: Option<String>,
    pub hardware_id: Option<String>,
    pub is_hardware_id_real: Option<bool>,
    pub screen_width: Option<i64>,
    pub screen_height: Option<i64>,
    pub screen_dpi: Option<i64>,
    pub app_version: Option<String>,
    pub sdk: Option<String>,
    pub debug: Option<bool>,
    /// The developer's user id (`setIdentity`); echoed as `identity`.
    pub identity: Option<String>,
    /// A click id from the Play install referrer.
    pub link_click_id: Option<String>,
    /// A click id the SDK took from a link (`link_click_id` of a URI-scheme open).
    pub link_identifier: Option<String>,
    /// The raw Play install referrer (`link_click_id=...&utm_source=...`).
    pub install_referrer_extras: Option<String>,
    /// The Universal Link that opened the app (iOS).
    pub universal_link_url: Option<String>,
    /// The App Link that opened the app (Android).
    pub android_app_link_url: Option<String>,
    /// The URI-scheme URL that opened the app (`acme://path?link_click_id=...`).
    pub external_intent_uri: Option<String>,
    pub spotlight_identifier: Option<String>,
    /// The install's tokens from an earlier answer (opens); the deprecated names
    /// `device_fingerprint_id` and `identity_id` are read too.
    pub randomized_device_token: Option<String>,
    pub randomized_bundle_token: Option<String>,
}

/// The answer to install and open.
#[derive(Serialize, ToSchema)]
pub struct SdkSessionResponse {
    pub session_id: String,
    /// The install's token (Branch's `identity_id`, sent under both names).
    pub randomized_bundle_token: String,
    pub identity_id: String,
    /// The device's token (Branch's `device_fingerprint_id`, sent under both names).
    pub randomized_device_token: String,
    pub device_fingerprint_id: String,
    /// The device token once more, under the Web SDK's name.
    pub browser_fingerprint_id: String,
    /// The install's own link (`https://<domain>/?%24identity_id=...`).
    pub link: String,
    /// The session data as a JSON-ENCODED STRING, as Branch sends it:
    /// `"{\"+clicked_branch_link\":true,\"+is_first_session\":true,\"~channel\":...}"`.
    pub data: String,
    /// The attributed click (compact form), when the match was by click.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_click_id: Option<String>,
    /// The developer identity the request carried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
}

/// `POST /v1/close`.
#[derive(ToSchema)]
#[allow(
    dead_code,
    reason = "documentation only: requests are read leniently from JSON"
)]
pub struct SdkCloseRequest {
    pub branch_key: String,
    pub session_id: Option<String>,
    pub randomized_bundle_token: Option<String>,
    pub randomized_device_token: Option<String>,
}

/// A Branch v2 event.
#[derive(ToSchema)]
#[allow(
    dead_code,
    reason = "documentation only: requests are read leniently from JSON"
)]
pub struct SdkEventRequest {
    pub branch_key: String,
    /// `PURCHASE`, `ADD_TO_CART`, ... or a custom name (at most 128 characters).
    pub name: String,
    pub customer_event_alias: Option<String>,
    /// Device and user: `os`, `os_version`, `developer_identity`,
    /// `randomized_bundle_token`, `randomized_device_token`, ... Identifiers (IDFA, AAID,
    /// IP, hardware ids) are not stored.
    #[schema(value_type = Object)]
    pub user_data: Option<Value>,
    /// `transaction_id`, `currency`, `revenue`, ... (at most 16 KB).
    #[schema(value_type = Object)]
    pub event_data: Option<Value>,
    /// The app's own keys (at most 16 KB).
    #[schema(value_type = Object)]
    pub custom_data: Option<Value>,
    /// Content items (`$sku`, `$price`, ...; at most 16 KB).
    #[schema(value_type = Vec<Object>)]
    pub content_items: Option<Value>,
}

#[derive(Serialize, ToSchema)]
pub struct SdkEventResponse {
    pub branch_view_enabled: bool,
}

/// `{}`.
#[derive(Serialize, ToSchema)]
pub struct SdkEmpty {}
