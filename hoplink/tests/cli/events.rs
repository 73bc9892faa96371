//! `hoplink events tail` against a private nats-server.

use std::time::Duration;

use link_store::export::testing::TestNats;

use crate::helpers::{json_lines, stderr};

async fn tail(nats: &str, args: &[&str]) -> std::process::Output {
    let run = tokio::process::Command::new(crate::helpers::BIN)
        .args(["events", "tail", "--nats-url", nats])
        .args(args)
        .env("HOPLINK_LOG", "warn")
        .output();
    tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("tail ends")
        .expect("run hoplink")
}

/// The stream the services would have created, on `nats`.
async fn export_stream(nats: &TestNats) -> async_nats::jetstream::Context {
    let js = nats.jetstream().await;
    js.create_stream(async_nats::jetstream::stream::Config {
        name: "HOPLINK_EVENTS".into(),
        subjects: vec!["hoplink.events.>".into()],
        ..Default::default()
    })
    .await
    .unwrap();
    js
}

#[tokio::test]
async fn tail_prints_one_line_per_record_of_the_chosen_app_and_kind() {
    let Some(nats) = TestNats::start("tail_prints_one_line_per_record").await else {
        return;
    };
    let js = export_stream(&nats).await;
    // As the services pack them: records of one kind and app, one per line.
    for (subject, payload) in [
        (
            "hoplink.events.click.7",
            "{\"kind\":\"click\",\"n\":1}\n{\"kind\":\"click\",\"n\":2}\n",
        ),
        (
            "hoplink.events.install.7",
            "{\"kind\":\"install\",\"n\":3}\n",
        ),
        ("hoplink.events.click.8", "{\"kind\":\"click\",\"n\":4}\n"),
        ("hoplink.events.click.7", "{\"kind\":\"click\",\"n\":5}\n"),
    ] {
        js.publish(subject, payload.as_bytes().to_vec().into())
            .await
            .unwrap()
            .await
            .unwrap();
    }

    let out = tail(
        &nats.url(),
        &[
            "--from-start",
            "--app",
            "7",
            "--kind",
            "click",
            "--limit",
            "3",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let n: Vec<i64> = json_lines(&out)
        .iter()
        .map(|r| r["n"].as_i64().unwrap())
        .collect();
    assert_eq!(n, vec![1, 2, 5]);

    let out = tail(&nats.url(), &["--from-start", "--limit", "5"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json_lines(&out).len(), 5, "every app and kind");
}

#[tokio::test]
async fn tail_explains_a_missing_stream_and_refuses_a_bad_app() {
    let Some(nats) = TestNats::start("tail_explains_a_missing_stream").await else {
        return;
    };
    let out = tail(&nats.url(), &["--limit", "1"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("reading stream HOPLINK_EVENTS"),
        "{}",
        stderr(&out)
    );
    let out = tail(&nats.url(), &["--app", "0"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--app"), "{}", stderr(&out));
    let out = tail(&nats.url(), &["--kind", "everything"]).await;
    assert_eq!(out.status.code(), Some(2), "clap refuses an unknown kind");
}

#[tokio::test]
async fn tail_logs_in_with_the_credentials_in_its_url() {
    let Some(nats) = TestNats::start_with_password("tail_logs_in", "ops", "s3cret").await else {
        return;
    };
    let js = export_stream(&nats).await;
    js.publish("hoplink.events.open.3", "{\"kind\":\"open\"}\n".into())
        .await
        .unwrap()
        .await
        .unwrap();
    let out = tail(&nats.authorized_url(), &["--from-start", "--limit", "1"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json_lines(&out)[0]["kind"], "open");
    let out = tail(&nats.url(), &["--limit", "1"]).await;
    assert_eq!(out.status.code(), Some(1), "no credentials, no stream");
    assert!(!stderr(&out).contains("s3cret"));
}

#[tokio::test]
async fn tail_reaches_a_tls_server_through_its_ca_file() {
    let Some(nats) = TestNats::start_with_tls("tail_over_tls").await else {
        return;
    };
    let js = export_stream(&nats).await;
    js.publish(
        "hoplink.events.install.4",
        "{\"kind\":\"install\"}\n".into(),
    )
    .await
    .unwrap()
    .await
    .unwrap();
    let ca = nats.ca_file().unwrap().to_str().unwrap().to_owned();
    let url = format!("tls://127.0.0.1:{}", nats.port());
    let out = tail(
        &url,
        &["--nats-ca-file", &ca, "--from-start", "--limit", "1"],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json_lines(&out)[0]["kind"], "install");
    let out = tail(&url, &["--limit", "1"]).await;
    assert_eq!(out.status.code(), Some(1), "the server's CA is not trusted");
}
