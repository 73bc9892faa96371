//! Error pages: unknown link, gone, temporarily unavailable, bad request, and "nothing for
//! this device". Constant text only: an error page never echoes the request or link data.

use super::assets::STYLE;
use super::{HEAD_START, Page, csp};

/// Which error page to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorPage {
    /// 404: no link with this code on this domain (or an unknown domain).
    NotFound,
    /// 410: the link expired or was deleted.
    Gone,
    /// 503: nothing cached and the store cannot answer now (send `Retry-After` with it).
    Unavailable,
    /// 400: a malformed request (bad path or query).
    BadRequest,
    /// 200: the link exists but has no destination for this kind of device. Not an error
    /// of the link or the client, so not a 4xx: monitors should not flag the link.
    NoDestination,
}

impl ErrorPage {
    pub fn status(self) -> u16 {
        match self {
            Self::NotFound => 404,
            Self::Gone => 410,
            Self::Unavailable => 503,
            Self::BadRequest => 400,
            Self::NoDestination => 200,
        }
    }

    fn heading(self) -> &'static str {
        match self {
            Self::NotFound => "Link not found",
            Self::Gone => "This link has expired",
            Self::Unavailable => "Temporarily unavailable",
            Self::BadRequest => "Bad request",
            Self::NoDestination => "Not available on this device",
        }
    }

    fn message(self) -> &'static str {
        match self {
            Self::NotFound => "Check that the link is complete and try again.",
            Self::Gone => "The link you followed is no longer active.",
            Self::Unavailable => {
                "We could not open this link right now. Please try again in a moment."
            }
            Self::BadRequest => "The link could not be read.",
            Self::NoDestination => {
                "This link has nowhere to go on this device. Try opening it on your phone."
            }
        }
    }
}

/// Renders the page for `kind`, with its status.
pub fn render_error(kind: ErrorPage) -> Page {
    let (heading, message) = (kind.heading(), kind.message());
    let mut out = String::with_capacity(HEAD_START.len() + STYLE.len() + 320);
    out.push_str(HEAD_START);
    out.push_str("<meta name=\"robots\" content=\"noindex\"><title>");
    out.push_str(heading);
    out.push_str("</title><style>");
    out.push_str(STYLE);
    out.push_str("</style></head><body><main><h1>");
    out.push_str(heading);
    out.push_str("</h1><p>");
    out.push_str(message);
    out.push_str("</p></main></body></html>");
    Page {
        status: kind.status(),
        body: out,
        csp: csp::style_only(),
    }
}
