//! Logging setup, done once per process.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `HOPLINK_LOG` (or `RUST_LOG`) | `info,sqlx::postgres::notice=warn` | `tracing` filter, e.g. `info,link_service=debug` |
//! | `HOPLINK_LOG_FORMAT` | `text` | `json` for one JSON object per line (production) |
//!
//! Logs must never carry IPs, cookies, keys or device ids: callers log ids of apps,
//! links and shards only.
//!
//! actix-http reports every connection it drops at ERROR, whatever the cause. On a public
//! link domain most are the client's doing (scanners sending garbage, phones losing their
//! connection mid-request, slow clients timing out), so an ERROR line per dropped
//! connection would bury real errors and page operators for the internet's noise. Those
//! are counted in `hoplink_http_client_errors_total{kind}` and logged at DEBUG under the
//! `hoplink::http_client` target instead; the server-side kinds stay at ERROR.

use std::fmt;
use std::io;
use std::sync::OnceLock;

use prometheus::{IntCounterVec, Opts, Registry};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// Postgres' routine notices ("relation ... already exists, skipping" at every start, from
/// idempotent migrations) are not news; its warnings still are.
const DEFAULT_FILTER: &str = "info,sqlx::postgres::notice=warn";

/// Installs the global subscriber, logging to stderr. Calling it again (tests,
/// `hoplink dev`) is harmless.
pub fn init() {
    init_with_writer(io::stderr);
}

/// [`init`] with another destination for the log lines (tests read them back).
pub fn init_with_writer<W>(writer: W)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = std::env::var("HOPLINK_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| DEFAULT_FILTER.to_owned());
    let filter = EnvFilter::try_new(&filter).unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let json = std::env::var("HOPLINK_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    // The filter applies to the log lines only, so client errors are counted even when
    // the operator turns actix-http's logging off.
    let lines = tracing_subscriber::fmt::layer().with_writer(writer);
    let lines = if json {
        lines.json().flatten_event(true).with_filter(filter).boxed()
    } else {
        lines.with_filter(filter).boxed()
    };
    // Its own filter, so the counter makes no other callsite interesting: without one,
    // every trace event in the process would be built only for the log filter to drop it.
    let client_errors =
        ClientErrors.with_filter(Targets::new().with_target(DISPATCHER_TARGET, Level::ERROR));
    let _ = tracing_subscriber::registry()
        .with(client_errors)
        .with(lines)
        .try_init();
}

/// Adds the client-error counter to a service's registry (both services of `hoplink dev`
/// share it: it counts the process's connections).
pub fn register_metrics(registry: &Registry) -> prometheus::Result<()> {
    let counter = match CLIENT_ERRORS.get() {
        Some(counter) => counter.clone(),
        None => {
            let counter = IntCounterVec::new(
                Opts::new(
                    "hoplink_http_client_errors_total",
                    "HTTP connections dropped because of the client: malformed requests, \
                     lost connections, requests that did not arrive in time.",
                ),
                &["kind"],
            )?;
            CLIENT_ERRORS.get_or_init(|| counter).clone()
        }
    };
    registry.register(Box::new(counter))
}

static CLIENT_ERRORS: OnceLock<IntCounterVec> = OnceLock::new();

/// Where actix-http logs the connections it drops, and how it words them.
const DISPATCHER_TARGET: &str = "actix_http::h1::dispatcher";
const STREAM_ERROR: &str = "stream error: ";

/// The client-caused kinds of a dropped connection, from actix-http's wording of its
/// `DispatchError`; `None` for the kinds that are the server's own.
fn client_error_kind(error: &str) -> Option<&'static str> {
    if error.starts_with("request parse error") {
        Some("malformed")
    } else if error.starts_with("I/O error") {
        Some("io")
    } else if error.starts_with("request did not complete within the specified timeout")
        || error.starts_with("connection shutdown timeout")
    {
        Some("timeout")
    } else {
        None
    }
}

/// Takes actix-http's client-caused connection errors out of the ERROR log (see the
/// module's documentation).
struct ClientErrors;

impl<S: Subscriber> Layer<S> for ClientErrors {
    fn event_enabled(&self, event: &Event<'_>, _ctx: Context<'_, S>) -> bool {
        let meta = event.metadata();
        if *meta.level() != Level::ERROR || meta.target() != DISPATCHER_TARGET {
            return true;
        }
        let mut message = MessageText(String::new());
        event.record(&mut message);
        let Some(error) = message.0.strip_prefix(STREAM_ERROR) else {
            return true;
        };
        let Some(kind) = client_error_kind(error) else {
            return true;
        };
        if let Some(counter) = CLIENT_ERRORS.get() {
            counter.with_label_values(&[kind]).inc();
        }
        tracing::debug!(target: "hoplink::http_client", kind, "connection dropped: {error}");
        false
    }
}

struct MessageText(String);

impl Visit for MessageText {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            value.clone_into(&mut self.0);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_clients_kinds_are_taken_out_of_the_error_log() {
        for (error, kind) in [
            ("request parse error: invalid Header provided", "malformed"),
            ("request parse error: request head was too big", "malformed"),
            ("I/O error: Connection reset by peer (os error 104)", "io"),
            (
                "request did not complete within the specified timeout",
                "timeout",
            ),
            ("connection shutdown timeout", "timeout"),
        ] {
            assert_eq!(client_error_kind(error), Some(kind), "{error}");
        }
        for error in [
            "service error",
            "internal error",
            "body error: boom",
            "upgrade error",
            "handler dropped payload before reading EOF",
        ] {
            assert_eq!(client_error_kind(error), None, "{error}");
        }
    }
}
