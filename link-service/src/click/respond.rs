//! Turning a decision (or an error) into an HTTP response. Headers are static strings
//! wherever they can be, so the common redirect allocates only its `Location`.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use link_core::decision::Action;

use crate::pages::{self, ErrorPage, Page};

/// Seconds a client should wait before retrying when we cannot answer.
pub const RETRY_AFTER_SECS: &str = "2";

pub fn action(action: &Action) -> HttpResponse {
    match action {
        Action::Redirect { location } => redirect(location),
        Action::Interstitial(page) => page_response(pages::render_interstitial(page)),
        Action::Preview(preview) => page_response(pages::render_preview(preview)),
        Action::Gone => error(ErrorPage::Gone),
        Action::NoDestination => error(ErrorPage::NoDestination),
    }
}

/// A 302 to `location`, which the decision has already restricted to safe schemes. A
/// value that still cannot be a header (it can't: control characters never pass
/// validation) becomes an error page rather than a panic.
pub fn redirect(location: &str) -> HttpResponse {
    match HeaderValue::from_str(location) {
        Ok(value) => HttpResponse::Found()
            .insert_header((header::LOCATION, value))
            .insert_header((
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            ))
            .finish(),
        Err(_) => error(ErrorPage::BadRequest),
    }
}

pub fn error(kind: ErrorPage) -> HttpResponse {
    let unavailable = matches!(kind, ErrorPage::Unavailable);
    let mut response = page_response(pages::render_error(kind));
    if unavailable {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_static(RETRY_AFTER_SECS),
        );
    }
    response
}

pub fn page_response(page: Page) -> HttpResponse {
    let status = StatusCode::from_u16(page.status).unwrap_or(StatusCode::OK);
    HttpResponse::build(status)
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static(pages::CONTENT_TYPE),
        ))
        .insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_static(pages::CACHE_CONTROL),
        ))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(page.csp),
        ))
        .insert_header((
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .insert_header((
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .body(page.body)
}
