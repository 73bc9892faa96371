//! The event stream export against a real nats-server (a private one per test) and real
//! Postgres: what is written to the shard is published, with its link's code and labels.

use std::time::Duration;

use link_core::AppId;
use link_store::events::{ClickEvent, ClickRecorder, FlushReport};
use link_store::export::testing::{TestNats, free_port, lines, message_id};
use link_store::export::{ExportConfig, Exporter};
use link_store::links::NewLink;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use crate::helpers::{TestStore, at, click, clicks_from, config, detailed_click, eventually};

fn export_to(url: &str) -> ExportConfig {
    ExportConfig {
        export_nats_url: Some(url.to_owned()),
        export_drain_deadline_ms: 5_000,
        ..ExportConfig::default()
    }
}

/// A service of its own (store, registry, pipeline) exporting to `export`, with `n`
/// clicks of a new app recorded and written; the pipeline's handles keep it running.
async fn service_with_clicks(
    name: &str,
    export: &ExportConfig,
    n: i64,
) -> (
    TestStore,
    AppId,
    (ClickRecorder, JoinHandle<()>, JoinHandle<()>),
) {
    let t = TestStore::with_shards(1).await;
    let app = t.create_app(name, "s1").await;
    let (link, _) = t.create_labelled_link(app, &NewLink::default()).await;
    let running = t.start_exporting(&config(10_000), export);
    for event in clicks_from(app, link, "2026-03-01T12:00:00Z", n) {
        running.0.record(event);
    }
    assert_eq!(running.0.flush().await, Ok(FlushReport { pending: 0 }));
    (t, app, running)
}

fn campaign_link() -> NewLink {
    NewLink {
        channel: Some("email".into()),
        feature: Some("sharing".into()),
        campaign: Some("spring-sale".into()),
        ..NewLink::default()
    }
}

/// A one-record message is a JSON document (with a trailing newline).
fn payload(message: &async_nats::jetstream::Message) -> Value {
    serde_json::from_slice(&message.payload).expect("a JSON record")
}

#[tokio::test]
async fn written_clicks_are_published_with_their_links_code_and_labels() {
    let Some(nats) = TestNats::start("written_clicks_are_published").await else {
        return;
    };
    let t = TestStore::with_shards(1).await;
    let app = t.create_app("export", "s1").await;
    let (link, code) = t.create_labelled_link(app, &campaign_link()).await;
    let (recorder, batcher, exporter) = t.start_exporting(&config(10_000), &export_to(&nats.url()));

    let human = detailed_click(
        app,
        link,
        at("2026-03-01T12:00:00.250Z"),
        "utm_source=push&$deeplink_path=sale",
    );
    let mut bot = click(app, link, at("2026-03-01T12:00:01Z"));
    bot.is_bot = true;
    recorder.record(human.clone());
    recorder.record(bot.clone());
    assert_eq!(recorder.flush().await, Ok(FlushReport { pending: 0 }));

    let subject = format!("hoplink.events.click.{}", app.get());
    let messages = nats
        .read("HOPLINK_EVENTS", &subject, 2, Duration::from_secs(10))
        .await;
    assert_eq!(messages.len(), 1, "one batch of one app: one message");
    assert_eq!(
        message_id(&messages[0]),
        format!("{}+2", human.click_id.as_uuid()),
        "a message of several records is named by its first and its count"
    );
    let records: Vec<Value> = lines(&messages[0])
        .map(|line| serde_json::from_slice(line).unwrap())
        .collect();
    assert_eq!(records.len(), 2, "one JSON record per line");
    let by_id = |event: &ClickEvent| {
        let id = event.click_id.as_uuid().to_string();
        records
            .iter()
            .find(|r| r["id"] == id.as_str())
            .cloned()
            .unwrap_or_else(|| panic!("no record of {id}"))
    };
    let labels = json!({
        "id": link,
        "code": code,
        "channel": "email",
        "feature": "sharing",
        "campaign": "spring-sale",
    });
    assert_eq!(
        by_id(&human),
        json!({
            "kind": "click",
            "id": human.click_id.as_uuid().to_string(),
            "app_id": app.get(),
            "occurred_at": "2026-03-01T12:00:00.250Z",
            "link": labels,
            "bot": false,
            "counted": true,
            "platform": "ios",
            "os": "ios",
            "os_version": "17.4",
            "browser": "web_view",
            "in_app": "instagram",
            "country": "DE",
            "query": "utm_source=push&$deeplink_path=sale",
        }),
        "no fingerprint or browser id leaves the service"
    );
    let bot_record = by_id(&bot);
    assert_eq!(bot_record["bot"], json!(true));
    assert_eq!(bot_record["link"], labels);
    assert_eq!(bot_record["platform"], json!("android"));

    // Shutdown: the pipeline writes what it holds, then the exporter publishes it.
    let last = click(app, link, at("2026-03-01T12:00:02Z"));
    recorder.record(last.clone());
    drop(recorder);
    batcher.await.expect("batcher ends");
    exporter.await.expect("exporter ends");
    let records = nats
        .records("HOPLINK_EVENTS", &subject, 3, Duration::from_secs(5))
        .await;
    assert_eq!(
        records.len(),
        3,
        "the event recorded last was published at shutdown"
    );
    assert_eq!(
        t.metric("hoplink_export_published_total", &[("kind", "click")]),
        3.0
    );
    assert_eq!(t.metric("hoplink_export_dropped_total", &[]), 0.0);
    assert_eq!(t.metric("hoplink_export_queue_depth", &[]), 0.0);
}

#[tokio::test]
async fn events_wait_out_a_nats_outage_and_are_published_once_it_is_back() {
    let port = free_port();
    let t = TestStore::with_shards(1).await;
    let app = t.create_app("outage", "s1").await;
    let (link, _) = t.create_labelled_link(app, &NewLink::default()).await;
    let url = format!("nats://127.0.0.1:{port}");
    let (recorder, _batcher, _exporter) = t.start_exporting(&config(10_000), &export_to(&url));

    for event in clicks_from(app, link, "2026-03-01T12:00:00Z", 50) {
        recorder.record(event);
    }
    assert_eq!(recorder.flush().await, Ok(FlushReport { pending: 0 }));
    assert_eq!(
        t.click_count(1, app).await,
        50,
        "the shard write does not wait for NATS"
    );
    assert!(
        eventually(Duration::from_secs(10), || async {
            t.metric("hoplink_export_errors_total", &[]) >= 1.0
        })
        .await,
        "the exporter notices that NATS is down"
    );
    assert_eq!(t.metric("hoplink_export_queue_depth", &[]), 50.0);
    assert_eq!(t.metric("hoplink_export_healthy", &[]), 0.0);

    let Some(nats) = TestNats::start_on("events_wait_out_a_nats_outage", port).await else {
        return;
    };
    let subject = format!("hoplink.events.click.{}", app.get());
    let records = nats
        .records("HOPLINK_EVENTS", &subject, 50, Duration::from_secs(20))
        .await;
    assert_eq!(
        records.len(),
        50,
        "every held event published once NATS is back"
    );
    assert!(
        eventually(Duration::from_secs(5), || async {
            t.metric("hoplink_export_healthy", &[]) == 1.0
                && t.metric("hoplink_export_queue_depth", &[]) == 0.0
        })
        .await
    );
    assert_eq!(
        t.metric("hoplink_export_published_total", &[("kind", "click")]),
        50.0
    );

    // The server comes back with an empty store: the stream is created again.
    drop(nats);
    let Some(fresh) = TestNats::start_on("events_wait_out_a_nats_outage", port).await else {
        return;
    };
    for event in clicks_from(app, link, "2026-03-01T13:00:00Z", 10) {
        recorder.record(event);
    }
    assert_eq!(recorder.flush().await, Ok(FlushReport { pending: 0 }));
    let records = fresh
        .records("HOPLINK_EVENTS", &subject, 10, Duration::from_secs(20))
        .await;
    assert_eq!(records.len(), 10, "published to the recreated stream");
}

#[tokio::test]
async fn one_event_per_message_on_an_existing_stream_and_resends_are_stored_once() {
    let Some(nats) = TestNats::start("an_existing_stream_is_used").await else {
        return;
    };
    // The operator's own stream, on a prefix of their choosing.
    let js = nats.jetstream().await;
    js.create_stream(async_nats::jetstream::stream::Config {
        name: "ANALYTICS".into(),
        subjects: vec!["acme.hoplink.>".into()],
        duplicate_window: Duration::from_secs(300),
        ..Default::default()
    })
    .await
    .expect("operator's stream");
    let t = TestStore::with_shards(1).await;
    let app: AppId = t.create_app("operator", "s1").await;
    let (link, code) = t.create_labelled_link(app, &NewLink::default()).await;
    let export = ExportConfig {
        export_stream: "ANALYTICS".into(),
        export_subject_prefix: "acme.hoplink".into(),
        export_events_per_message: 1,
        ..export_to(&nats.url())
    };
    let (recorder, _batcher, _exporter) = t.start_exporting(&config(10_000), &export);
    let event = click(app, link, at("2026-03-01T12:00:00Z"));
    recorder.record(event.clone());
    assert_eq!(recorder.flush().await, Ok(FlushReport { pending: 0 }));
    let subject = format!("acme.hoplink.click.{}", app.get());
    let messages = nats
        .read("ANALYTICS", &subject, 1, Duration::from_secs(10))
        .await;
    assert_eq!(messages.len(), 1);
    assert_eq!(
        message_id(&messages[0]),
        event.click_id.as_uuid().to_string()
    );
    let record = payload(&messages[0]);
    assert_eq!(record["link"]["code"], json!(code));
    assert_eq!(record["link"]["channel"], Value::Null);

    // A resend (a batch written again after an unknown outcome) carries the same id.
    js.publish_with_headers(
        subject.clone(),
        {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert("Nats-Msg-Id", event.click_id.as_uuid().to_string().as_str());
            headers
        },
        messages[0].payload.clone(),
    )
    .await
    .expect("publish")
    .await
    .expect("ack");
    assert_eq!(
        nats.stored("ANALYTICS").await,
        1,
        "the stream keeps one copy"
    );
    let info = js
        .get_stream("ANALYTICS")
        .await
        .expect("stream")
        .cached_info()
        .clone();
    assert_eq!(
        info.config.duplicate_window,
        Duration::from_secs(300),
        "left as configured"
    );
}

#[tokio::test]
async fn messages_hold_one_apps_records_in_order_up_to_the_limit_and_an_oversized_one_alone() {
    let Some(nats) = TestNats::start("messages_hold_one_apps_records").await else {
        return;
    };
    let t = TestStore::with_shards(1).await;
    let (a, b) = (
        t.create_app("batch-a", "s1").await,
        t.create_app("batch-b", "s1").await,
    );
    let (link_a, _) = t.create_labelled_link(a, &campaign_link()).await;
    let (link_b, _) = t.create_labelled_link(b, &NewLink::default()).await;
    let export = ExportConfig {
        export_events_per_message: 40,
        ..export_to(&nats.url())
    };
    let (recorder, _batcher, _exporter) = t.start_exporting(&config(10_000), &export);
    let start = at("2026-03-01T12:00:00Z");
    let mut expected_a = Vec::new();
    for i in 0..100 {
        let event = click(a, link_a, start + chrono::Duration::milliseconds(i));
        expected_a.push(event.click_id.as_uuid().to_string());
        recorder.record(event);
        if i % 2 == 0 {
            recorder.record(click(b, link_b, start + chrono::Duration::milliseconds(i)));
        }
    }
    // Over NATS' 1 MB max_payload on its own: dropped and counted, the rest unaffected.
    let mut huge = click(a, link_a, start + chrono::Duration::seconds(1));
    huge.query = Some(format!("q={}", "x".repeat(1_100_000)).into());
    recorder.record(huge);
    recorder.record(click(a, link_a, start + chrono::Duration::seconds(2)));
    assert_eq!(recorder.flush().await, Ok(FlushReport { pending: 0 }));

    let subject_a = format!("hoplink.events.click.{}", a.get());
    let messages_a = nats
        .read("HOPLINK_EVENTS", &subject_a, 101, Duration::from_secs(10))
        .await;
    let sizes: Vec<usize> = messages_a.iter().map(|m| lines(m).count()).collect();
    assert_eq!(
        sizes,
        vec![40, 40, 20, 1],
        "at most 40 a message, oversized alone"
    );
    let records_a = nats
        .records("HOPLINK_EVENTS", &subject_a, 101, Duration::from_secs(1))
        .await;
    let ids: Vec<String> = records_a
        .iter()
        .map(|(_, r)| r["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        ids[..100],
        expected_a[..100],
        "an app's records keep their order"
    );
    assert!(records_a.iter().all(|(_, r)| r["app_id"] == a.get()));
    let subject_b = format!("hoplink.events.click.{}", b.get());
    let records_b = nats
        .records("HOPLINK_EVENTS", &subject_b, 50, Duration::from_secs(10))
        .await;
    assert_eq!(records_b.len(), 50);
    assert!(
        records_b
            .iter()
            .all(|(_, r)| r["link"]["campaign"].is_null())
    );
    assert_eq!(
        t.metric("hoplink_export_dropped_total", &[("reason", "too_large")]),
        1.0
    );
    assert_eq!(
        t.metric("hoplink_export_published_total", &[("kind", "click")]),
        151.0
    );
}

#[tokio::test]
async fn shutdown_with_nats_down_gives_up_at_the_drain_deadline_and_counts_what_is_left() {
    let t = TestStore::with_shards(1).await;
    let app = t.create_app("no-nats", "s1").await;
    let (link, _) = t.create_labelled_link(app, &NewLink::default()).await;
    let export = ExportConfig {
        export_drain_deadline_ms: 1_000,
        ..export_to(&format!("nats://127.0.0.1:{}", free_port()))
    };
    let (recorder, batcher, exporter) = t.start_exporting(&config(10_000), &export);
    for event in clicks_from(app, link, "2026-03-01T12:00:00Z", 3) {
        recorder.record(event);
    }
    assert_eq!(recorder.flush().await, Ok(FlushReport { pending: 0 }));
    // The exporter is now waiting on a stream request that cannot be answered (5 s).
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stopping = std::time::Instant::now();
    drop(recorder);
    batcher.await.expect("batcher ends");
    exporter.await.expect("exporter ends");
    let took = stopping.elapsed();
    assert!(
        took < Duration::from_millis(4_500),
        "stopped after {took:?}, not at the 1 s drain deadline"
    );
    assert_eq!(t.click_count(1, app).await, 3, "Postgres has them all");
    assert_eq!(
        t.metric("hoplink_export_dropped_total", &[("reason", "shutdown")]),
        3.0
    );
}

#[tokio::test]
async fn credentials_in_the_url_are_used_and_wrong_ones_publish_nothing() {
    let Some(nats) =
        TestNats::start_with_password("credentials_in_the_url", "hoplink", "s3cret").await
    else {
        return;
    };
    let wrong = format!("nats://hoplink:wrong@127.0.0.1:{}", nats.port());
    let (t, _, _running) = service_with_clicks("auth", &export_to(&wrong), 3).await;
    assert!(
        eventually(Duration::from_secs(10), || async {
            t.metric("hoplink_export_errors_total", &[]) >= 1.0
        })
        .await,
        "a refused login is an export error"
    );
    assert_eq!(
        t.metric("hoplink_export_queue_depth", &[]),
        3.0,
        "held for a retry"
    );
    assert_eq!(nats.stored("HOPLINK_EVENTS").await, 0);

    // Another service (its own registry) with the right credentials.
    let (_right, app, _running) =
        service_with_clicks("auth-ok", &export_to(&nats.authorized_url()), 3).await;
    let subject = format!("hoplink.events.click.{}", app.get());
    let records = nats
        .records("HOPLINK_EVENTS", &subject, 3, Duration::from_secs(10))
        .await;
    assert_eq!(records.len(), 3);
}

#[tokio::test]
async fn a_tls_server_is_reached_with_its_ca_and_refused_without() {
    let Some(nats) = TestNats::start_with_tls("tls_server").await else {
        return;
    };
    let export = ExportConfig {
        export_nats_ca_file: nats.ca_file().map(std::path::Path::to_path_buf),
        ..export_to(&format!("tls://127.0.0.1:{}", nats.port()))
    };
    let (_t, app, _running) = service_with_clicks("tls", &export, 3).await;
    let subject = format!("hoplink.events.click.{}", app.get());
    let records = nats
        .records("HOPLINK_EVENTS", &subject, 3, Duration::from_secs(10))
        .await;
    assert_eq!(records.len(), 3, "published over TLS");

    // Another service that does not trust the server's CA publishes nothing.
    let (untrusting, _, _running) =
        service_with_clicks("tls-no-ca", &export_to(&nats.url()), 2).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        untrusting.metric("hoplink_export_published_total", &[]),
        0.0
    );
    assert_eq!(untrusting.metric("hoplink_export_queue_depth", &[]), 2.0);

    // A CA file that holds no certificate stops the service at start.
    let bogus = std::env::temp_dir().join(format!("hoplink-ca-{}.pem", uuid::Uuid::new_v4()));
    std::fs::write(&bogus, "not a certificate").unwrap();
    let refused = Exporter::start(
        &ExportConfig {
            export_nats_ca_file: Some(bogus.clone()),
            ..export_to(&nats.url())
        },
        &prometheus::Registry::new(),
    );
    assert!(refused.is_err());
    let _ = std::fs::remove_file(bogus);
}
