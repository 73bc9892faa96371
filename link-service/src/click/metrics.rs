//! Click-path metrics. Counters are resolved once at start-up into a table indexed by
//! outcome and platform, so counting a click is an array index and an atomic add, not a
//! label hash look-up.

use link_core::client::Platform;
use link_core::decision::Route;
use prometheus::{Histogram, HistogramOpts, IntCounter, IntCounterVec, Opts, Registry};

/// How a request to the click path ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Decided(Route),
    UnknownHost,
    NotFound,
    /// Nothing cached, origin unavailable: answered with the app's fallback.
    FallbackWhileUnavailable,
    /// Nothing cached, origin unavailable, no fallback known: 503.
    Unavailable,
    /// A long link whose query is not a valid link: 400.
    BadRequest,
    /// Safari claiming a Mac got the page that asks whether it is an iPad; its click is
    /// counted when the page sends it back.
    DeviceCheck,
}

const ROUTES: [Route; 9] = [
    Route::Web,
    Route::AppStore,
    Route::PlayStore,
    Route::Intent,
    Route::OpenApp,
    Route::InAppPrompt,
    Route::Preview,
    Route::Expired,
    Route::NoDestination,
];
const PLATFORMS: [Platform; 4] = [
    Platform::Ios,
    Platform::Android,
    Platform::Desktop,
    Platform::Other,
];
const OTHER_OUTCOMES: [&str; 6] = [
    "unknown_host",
    "not_found",
    "fallback_unavailable",
    "unavailable",
    "bad_request",
    "device_check",
];

pub struct ClickMetrics {
    by_outcome: Vec<IntCounter>,
    pub latency: Histogram,
}

impl ClickMetrics {
    pub fn new(registry: &Registry) -> prometheus::Result<Self> {
        let requests = IntCounterVec::new(
            Opts::new(
                "hoplink_link_requests_total",
                "Click-path requests by outcome (the decision's route, or why none was made) and platform.",
            ),
            &["outcome", "platform"],
        )?;
        let latency = Histogram::with_opts(
            HistogramOpts::new(
                "hoplink_link_request_duration_seconds",
                "Server time spent answering a click, from routing to response.",
            )
            .buckets(vec![
                0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.1,
                0.25, 1.0,
            ]),
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        let labels = ROUTES
            .iter()
            .map(|r| r.as_str())
            .chain(OTHER_OUTCOMES)
            .collect::<Vec<_>>();
        let mut by_outcome = Vec::with_capacity(labels.len() * PLATFORMS.len());
        for outcome in labels {
            for platform in PLATFORMS {
                by_outcome.push(requests.with_label_values(&[outcome, platform.as_str()]));
            }
        }
        Ok(Self {
            by_outcome,
            latency,
        })
    }

    pub fn count(&self, outcome: Outcome, platform: Platform) {
        let row = match outcome {
            Outcome::Decided(route) => ROUTES.iter().position(|r| *r == route).unwrap_or(0),
            Outcome::UnknownHost => ROUTES.len(),
            Outcome::NotFound => ROUTES.len() + 1,
            Outcome::FallbackWhileUnavailable => ROUTES.len() + 2,
            Outcome::Unavailable => ROUTES.len() + 3,
            Outcome::BadRequest => ROUTES.len() + 4,
            Outcome::DeviceCheck => ROUTES.len() + 5,
        };
        let column = PLATFORMS.iter().position(|p| *p == platform).unwrap_or(3);
        if let Some(counter) = self.by_outcome.get(row * PLATFORMS.len() + column) {
            counter.inc();
        }
    }
}
