//! `GET /api/v1/links/{code}/qr`: the link's short URL as a QR code, for print, posters
//! and screens, as Branch, Dub and Shlink offer it.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::schemas::Problem;
use crate::error::ApiError;
use crate::links as link_ops;
use crate::qr::QrOptions;
use crate::state::ApiState;

/// Query of `GET /api/v1/links/{code}/qr`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QrParams {
    /// `svg` (default) or `png`.
    pub format: Option<String>,
    /// Side of the square image in pixels, 64 to 2048 (default 512).
    pub size: Option<String>,
    /// Light border in modules, 0 to 16 (default 4, as the standard asks).
    pub margin: Option<String>,
    /// Error correction: `L`, `M` (default), `Q` or `H` (for a code printed over a logo).
    pub level: Option<String>,
}

#[utoipa::path(
    tag = "links",
    summary = "A link's QR code",
    description = "The link's short URL on the app's primary domain, as an SVG or PNG QR code.",
    params(("code" = String, Path, description = "The link's code; a path alias with its `/` escaped (`product%2Fid1234`)"), QrParams),
    responses(
        (status = 200, description = "The image, as `format` asks", content(
            (String = "image/svg+xml"),
            (Vec<u8> = "image/png"),
        )),
        (status = 400, description = "An invalid parameter (named in `field`: `format`, `size`, `margin`, `level`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, unknown or revoked key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a secret key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The app has no such live link", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The app has no link domain yet", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The app's shard is unavailable", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("secret_key" = []))
)]
#[get("/{code}/qr")]
pub async fn link_qr(
    req: HttpRequest,
    state: web::Data<ApiState>,
    path: web::Path<String>,
    query: web::Query<QrParams>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.secret_caller(&req).await?;
    let options = QrOptions::parse(
        query.format.as_deref(),
        query.size.as_deref(),
        query.margin.as_deref(),
        query.level.as_deref(),
    )?;
    let link = link_ops::get(&state, caller.app_id, &path).await?;
    if link.deleted_at.is_some() {
        return Err(ApiError::NotFound("link"));
    }
    let url = state
        .short_url(caller.app_id, link.code.as_str())
        .ok_or_else(|| {
            ApiError::conflict(
                "no_domain",
                "the app has no link domain yet; add one before making QR codes",
            )
        })?;
    let image = options.draw(&url)?;
    Ok(HttpResponse::Ok()
        .content_type(options.format.content_type())
        // The code only changes with the app's primary domain.
        .insert_header((header::CACHE_CONTROL, "private, max-age=300"))
        .body(image))
}
