//! Per-host association files, built from the app's config:
//! `/.well-known/apple-app-site-association` (and Apple's legacy root path) for Universal
//! Links, `/.well-known/assetlinks.json` for Android App Links.
//!
//! Served as `200 application/json` directly (Apple's and Google's fetchers refuse
//! redirects), cacheable for an hour; 404 when the app has not configured that platform.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use link_core::AppConfig;
use serde_json::json;

use crate::click::config_for_host;
use crate::click::respond;
use crate::pages::ErrorPage;
use crate::state::ClickState;

pub async fn apple(req: HttpRequest, state: web::Data<ClickState>) -> HttpResponse {
    match config_for_host(&req, &state).await {
        Ok(config) => match apple_association(&config.config) {
            Some(body) => json_file(&body),
            None => respond::error(ErrorPage::NotFound),
        },
        Err(response) => response,
    }
}

pub async fn android(req: HttpRequest, state: web::Data<ClickState>) -> HttpResponse {
    match config_for_host(&req, &state).await {
        Ok(config) => match android_asset_links(&config.config) {
            Some(body) => json_file(&body),
            None => respond::error(ErrorPage::NotFound),
        },
        Err(response) => response,
    }
}

fn json_file(body: &serde_json::Value) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ))
        .insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=3600"),
        ))
        .body(body.to_string())
}

/// Paths under a link domain that are ours, not links: never hand them to the app.
const NOT_LINKS: [&str; 4] = ["/.well-known/*", "/healthz", "/readyz", "/metrics"];

/// The AASA document: iOS 13+ `appIDs` + `components`, and the legacy `appID` + `paths`
/// older iOS versions read. `None` without a team id and bundle id.
pub fn apple_association(config: &AppConfig) -> Option<serde_json::Value> {
    let app_id = config.ios.app_identifier()?;
    let mut components: Vec<serde_json::Value> = NOT_LINKS
        .iter()
        .map(|path| json!({ "/": path, "exclude": true }))
        .collect();
    components.push(json!({ "/": "/*", "comment": "every short link" }));
    let mut paths: Vec<String> = NOT_LINKS.iter().map(|p| format!("NOT {p}")).collect();
    paths.push("*".to_owned());
    Some(json!({
        "applinks": {
            "apps": [],
            "details": [
                { "appIDs": [app_id], "components": components },
                { "appID": app_id, "paths": paths }
            ]
        },
        "webcredentials": { "apps": [app_id] }
    }))
}

/// The Digital Asset Links statement. `None` without a package and at least one
/// certificate fingerprint (Android refuses a statement without one).
pub fn android_asset_links(config: &AppConfig) -> Option<serde_json::Value> {
    let package = config.android.package.as_ref()?;
    if config.android.sha256_cert_fingerprints.is_empty() {
        return None;
    }
    let fingerprints: Vec<&str> = config
        .android
        .sha256_cert_fingerprints
        .iter()
        .map(|f| f.as_str())
        .collect();
    Some(json!([{
        "relation": ["delegate_permission/common.handle_all_urls"],
        "target": {
            "namespace": "android_app",
            "package_name": package.as_str(),
            "sha256_cert_fingerprints": fingerprints
        }
    }]))
}

#[cfg(test)]
mod tests {
    use link_core::app::{AndroidPackage, BundleId, CertFingerprint, TeamId};

    use super::*;

    #[test]
    fn apple_file_has_modern_and_legacy_forms() {
        let mut config = AppConfig::default();
        assert!(apple_association(&config).is_none());
        config.ios.bundle_id = BundleId::parse("com.acme.app").ok();
        config.ios.team_id = TeamId::parse("ABCDE12345").ok();
        let doc = apple_association(&config).unwrap();
        let details = &doc["applinks"]["details"];
        assert_eq!(details[0]["appIDs"][0], "ABCDE12345.com.acme.app");
        assert_eq!(details[0]["components"][0]["/"], "/.well-known/*");
        assert_eq!(details[0]["components"][0]["exclude"], true);
        assert_eq!(details[1]["appID"], "ABCDE12345.com.acme.app");
        assert_eq!(details[1]["paths"].as_array().unwrap().last().unwrap(), "*");
    }

    #[test]
    fn asset_links_need_package_and_fingerprint() {
        let mut config = AppConfig::default();
        config.android.package = AndroidPackage::parse("com.acme.app").ok();
        assert!(android_asset_links(&config).is_none());
        config.android.sha256_cert_fingerprints =
            vec![CertFingerprint::parse(&"ab".repeat(32)).unwrap()];
        let doc = android_asset_links(&config).unwrap();
        assert_eq!(doc[0]["target"]["package_name"], "com.acme.app");
        assert_eq!(
            doc[0]["target"]["sha256_cert_fingerprints"][0]
                .as_str()
                .unwrap()
                .len(),
            95
        );
    }
}
