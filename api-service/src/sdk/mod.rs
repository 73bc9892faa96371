//! The Branch-compatible SDK API: what Branch's Android, iOS and Web SDKs (and servers
//! using Branch's link API) call, answered in Branch's wire format, with deferred deep
//! linking.
//!
//! | route | what |
//! |---|---|
//! | `POST /v1/url` | create a link; `{"url"}` |
//! | `POST /v1/url/bulk/{branch_key}` | create up to 1000 links; `[{"url"} or {"error"}]` |
//! | `GET /v1/url?url=&branch_key=` | read a link in Branch's shape |
//! | `PUT /v1/url?url=` | merge changes into a link (needs `branch_secret`) |
//! | `POST /v1/install`, `POST /v1/open` | start a session; tokens and deep link data |
//! | `POST /v1/close` | end a session; `{}` |
//! | `POST /v2/event/standard`, `/v2/event/custom` | record an event; `{"branch_view_enabled": false}` |
//!
//! Every route authenticates `branch_key` (401) within the key's rate limit (429); errors
//! are `application/problem+json`; success bodies keep Branch's shapes, because Branch
//! SDKs read the status code and those bodies. Attribution (the matching rules, what a
//! first session is) is described in [`session`]; the look-ups in [`matching`].
//!
//! Installs, opens and events are recorded through the batched event pipeline
//! ([`link_store::events`], kinds `install`, `open` and `sdk_event`): a request never
//! waits for an analytics write. The click claim that decides an answer is synchronous.
//!
//! # Layout
//! - [`session`]: `/v1/install`, `/v1/open` and the matching rules.
//! - [`matching`]: the attribution look-ups and claims on the app's shard.
//! - [`urls`]: `/v1/url` and its bulk variant.
//! - [`events`]: `/v1/close` and `/v2/event/*`.
//! - `body.rs`: lenient request bodies (JSON or form) and typed field access.
//! - `device.rs`: OS, version, model and platform of a request; install tokens.
//! - `shape.rs`: Branch's session data string and link read shape.
//! - `schema.rs`: the wire shapes in the OpenAPI document.
//! - `metrics.rs`: `hoplink_sdk_sessions_total`.
//!
//! Nothing here logs IP addresses, keys, tokens or device identifiers.

mod body;
mod device;
pub mod events;
pub mod matching;
mod metrics;
mod schema;
pub mod session;
mod shape;
pub mod urls;

use link_core::client::ClassifierMemo;
use link_store::events::{
    EventMetrics, InstallEvent, OpenEvent, Recorder, SdkEvent, start_pipeline,
};
use link_store::export::Exporter;
use prometheus::Registry;
use shard_router::ShardRouter;
use tokio::task::JoinHandle;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::config::ApiServiceConfig;
use crate::startup::StartupError;
use metrics::SdkMetrics;

/// State only the SDK endpoints use: the event pipelines' recorders, the User-Agent
/// memo (for SDKs that name no OS) and the SDK metrics.
pub struct SdkState {
    installs: Recorder<InstallEvent>,
    opens: Recorder<OpenEvent>,
    events: Recorder<SdkEvent>,
    memo: ClassifierMemo,
    metrics: SdkMetrics,
}

impl std::fmt::Debug for SdkState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SdkState")
            .field("installs", &self.installs)
            .field("opens", &self.opens)
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

/// Builds the SDK state and its background tasks: one batcher per event kind, and the
/// event stream export when it is configured. They end (after writing and publishing what
/// they hold) once the server has dropped the state, which happens after shutdown.
pub fn start(
    router: &ShardRouter,
    config: &ApiServiceConfig,
    registry: &Registry,
) -> Result<(SdkState, Vec<JoinHandle<()>>), StartupError> {
    let event_metrics = EventMetrics::register(registry)?;
    let (exporter, export_task) = Exporter::start(&config.export, registry)?.unzip();
    let events_config = &config.events;
    let (installs, installs_task) = start_pipeline(
        router.clone(),
        events_config,
        &event_metrics,
        exporter.clone(),
    )?;
    let (opens, opens_task) = start_pipeline(
        router.clone(),
        events_config,
        &event_metrics,
        exporter.clone(),
    )?;
    let (events, events_task) =
        start_pipeline(router.clone(), events_config, &event_metrics, exporter)?;
    let state = SdkState {
        installs,
        opens,
        events,
        memo: ClassifierMemo::default(),
        metrics: SdkMetrics::register(registry)?,
    };
    let mut tasks = vec![installs_task, opens_task, events_task];
    // Last: it ends after the pipelines, which hold its handles.
    tasks.extend(export_task);
    Ok((state, tasks))
}

/// Registers the SDK routes (documented in the OpenAPI document).
pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(urls::create)
        .service(urls::bulk)
        .service(urls::read)
        .service(urls::update)
        .service(session::install)
        .service(session::open)
        .service(events::close)
        .service(events::standard)
        .service(events::custom);
}
