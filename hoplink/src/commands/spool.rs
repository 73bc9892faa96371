//! `spool status` and `spool drain`: the event spool of a service
//! (`HOPLINK_EVENTS_SPOOL_DIR`), looked at or written out once no service runs on it.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use chrono::{DateTime, Utc};
use link_store::events::spool::{self, DrainReport, SpoolError, SpoolStock};
use link_store::events::{
    ClickEvent, EventMetrics, InstallEvent, OpenEvent, PipelineError, SdkEvent, ShardEvent,
};
use serde::Serialize;
use shard_router::ShardRouter;

use crate::cli::{DrainArgs, SpoolCommand, SpoolDirArgs};
use crate::output;

/// Every kind a service spools, in the order they are reported.
const KINDS: [&str; 4] = [
    ClickEvent::KIND,
    InstallEvent::KIND,
    OpenEvent::KIND,
    SdkEvent::KIND,
];

pub async fn run(cmd: SpoolCommand) -> anyhow::Result<()> {
    match cmd {
        SpoolCommand::Status(args) => status(&args),
        SpoolCommand::Drain(args) => drain(&args).await,
    }
}

#[derive(Debug, Serialize)]
struct StatusLine {
    kind: &'static str,
    files: usize,
    events: u64,
    /// Events of files that wait for one shard, by shard; the rest wait for all.
    by_shard: BTreeMap<String, u64>,
    bytes: u64,
    /// Files set aside because they could not be read (`<number>.bad`).
    unreadable: usize,
    oldest: Option<DateTime<Utc>>,
    in_use: bool,
}

#[derive(Debug, Serialize)]
struct DrainLine {
    kind: &'static str,
    events_before: u64,
    written: u64,
    dropped: BTreeMap<&'static str, u64>,
    files_left: usize,
    events_left: u64,
    /// What is left, by the shard it waits for.
    events_left_by_shard: BTreeMap<String, u64>,
    unreadable: usize,
}

fn existing_dir(args: &SpoolDirArgs) -> anyhow::Result<&Path> {
    let dir = args.dir.as_path();
    ensure!(
        dir.is_dir(),
        "{} is not a directory (the spool of a service is its HOPLINK_EVENTS_SPOOL_DIR)",
        dir.display()
    );
    Ok(dir)
}

fn status(args: &SpoolDirArgs) -> anyhow::Result<()> {
    let dir = existing_dir(args)?;
    for kind in KINDS {
        let SpoolStock {
            files,
            events,
            by_shard,
            bytes,
            unreadable,
            oldest,
            in_use,
        } = spool::stock(dir, kind)?;
        output::json(&StatusLine {
            kind,
            files,
            events,
            by_shard,
            bytes,
            unreadable,
            oldest: oldest.map(DateTime::<Utc>::from),
            in_use,
        });
    }
    Ok(())
}

async fn drain(args: &DrainArgs) -> anyhow::Result<()> {
    let dir = existing_dir(&args.spool)?;
    let router = super::router(&args.catalog).await?;
    let registry = prometheus::Registry::new();
    let metrics = EventMetrics::register(&registry)?;
    let deadline = Instant::now() + Duration::from_secs(args.timeout_secs);
    let reports = [
        drain_kind::<ClickEvent>(&router, dir, &metrics, deadline).await?,
        drain_kind::<InstallEvent>(&router, dir, &metrics, deadline).await?,
        drain_kind::<OpenEvent>(&router, dir, &metrics, deadline).await?,
        drain_kind::<SdkEvent>(&router, dir, &metrics, deadline).await?,
    ];
    let (mut files_left, mut events_left, mut set_aside) = (0, 0, 0);
    let mut waiting_for = std::collections::BTreeSet::new();
    for (kind, report) in KINDS.into_iter().zip(reports) {
        files_left += report.after.files;
        events_left += report.after.events;
        waiting_for.extend(report.after.by_shard.keys().cloned());
        set_aside += report
            .after
            .unreadable
            .saturating_sub(report.before.unreadable);
        output::json(&DrainLine {
            kind,
            events_before: report.before.events,
            written: report.written,
            dropped: report.dropped.into_iter().collect(),
            files_left: report.after.files,
            events_left: report.after.events,
            events_left_by_shard: report.after.by_shard,
            unreadable: report.after.unreadable,
        });
    }
    if files_left > 0 {
        let shards = if waiting_for.is_empty() {
            "their shards".to_owned()
        } else {
            format!(
                "their shards ({})",
                waiting_for.into_iter().collect::<Vec<_>>().join(", ")
            )
        };
        bail!(
            "{events_left} events in {files_left} files are still in {}: {shards} did not \
             take writes within {} s; run the drain again once they do",
            dir.display(),
            args.timeout_secs
        );
    }
    if set_aside > 0 {
        bail!(
            "{set_aside} spool files could not be read and were set aside as <number>.bad in \
             {}; the service's log says why",
            dir.display()
        );
    }
    Ok(())
}

async fn drain_kind<E: ShardEvent>(
    router: &ShardRouter,
    dir: &Path,
    metrics: &EventMetrics,
    deadline: Instant,
) -> anyhow::Result<DrainReport> {
    match spool::drain::<E>(router.clone(), dir, metrics, deadline).await {
        Err(PipelineError::Spool(SpoolError::Locked(path))) => bail!(
            "{} is in use by another process; a service running on its spool writes the \
             events itself",
            path.display()
        ),
        other => other.with_context(|| format!("draining the {} spool", E::KIND)),
    }
}
