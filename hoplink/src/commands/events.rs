//! `hoplink events tail`: reads the event stream export, so an operator can see what the
//! services publish without a NATS client of their own.

use std::time::Duration;

use anyhow::Context;
use async_nats::jetstream::{self, consumer};
use futures_util::StreamExt;

use crate::cli::{EventsCommand, TailArgs};
use crate::output;

pub async fn run(cmd: EventsCommand) -> anyhow::Result<()> {
    match cmd {
        EventsCommand::Tail(args) => tail(args).await,
    }
}

/// `<prefix>.<kind or *>.<app or *>`.
fn filter_subject(args: &TailArgs) -> String {
    let kind = args.kind.map_or("*", |k| k.token());
    let app = args
        .app
        .map_or_else(|| "*".to_owned(), |app| app.to_string());
    format!("{}.{kind}.{app}", args.subject_prefix)
}

async fn tail(args: TailArgs) -> anyhow::Result<()> {
    if let Some(app) = args.app {
        anyhow::ensure!(app > 0, "--app must be a positive app id");
    }
    if args.limit == Some(0) {
        return Ok(());
    }
    let servers = link_store::export::parse_servers(&args.nats_url).map_err(anyhow::Error::msg)?;
    if let Some(path) = &args.nats_ca_file {
        link_store::export::check_ca_file(path).map_err(anyhow::Error::msg)?;
    }
    let client = link_store::export::client_options(&servers, args.nats_ca_file.as_deref())
        .name("hoplink-events-tail")
        .connection_timeout(Duration::from_secs(5))
        .connect(servers)
        .await
        .context("connecting to the NATS server")?;
    let js = jetstream::new(client);
    let stream = js.get_stream(&args.stream).await.with_context(|| {
        format!(
            "reading stream {} (is HOPLINK_EXPORT_NATS_URL set on the services, and have they \
             exported anything yet?)",
            args.stream
        )
    })?;
    let deliver_policy = if args.from_start {
        consumer::DeliverPolicy::All
    } else {
        consumer::DeliverPolicy::New
    };
    // An ordered consumer: ephemeral, nothing to clean up, recreated by the client if the
    // server drops it.
    let consumer = stream
        .create_consumer(consumer::pull::OrderedConfig {
            filter_subject: filter_subject(&args),
            deliver_policy,
            ..Default::default()
        })
        .await
        .context("creating a consumer on the stream")?;
    let mut messages = consumer
        .messages()
        .await
        .context("reading from the stream")?;
    let mut printed = 0u64;
    while let Some(message) = messages.next().await {
        let message = message.context("reading from the stream")?;
        for line in message.payload.split(|b| *b == b'\n') {
            if line.is_empty() {
                continue;
            }
            // Records are JSON already; printed as they came, one per line.
            output::text(&String::from_utf8_lossy(line));
            printed += 1;
            if args.limit.is_some_and(|limit| printed >= limit) {
                return Ok(());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::EventKind;

    fn args(app: Option<i64>, kind: Option<EventKind>) -> TailArgs {
        TailArgs {
            nats_url: "nats://127.0.0.1:4222".into(),
            stream: "HOPLINK_EVENTS".into(),
            subject_prefix: "hoplink.events".into(),
            app,
            kind,
            from_start: false,
            limit: None,
            nats_ca_file: None,
        }
    }

    #[test]
    fn the_filter_narrows_by_kind_and_app() {
        assert_eq!(filter_subject(&args(None, None)), "hoplink.events.*.*");
        assert_eq!(
            filter_subject(&args(Some(7), Some(EventKind::SdkEvent))),
            "hoplink.events.sdk_event.7"
        );
        assert_eq!(
            filter_subject(&args(None, Some(EventKind::Click))),
            "hoplink.events.click.*"
        );
    }
}
