//! The spool: events a pipeline cannot hold, or could not write before it stopped, are
//! kept on disk and written once their shard takes writes, by the same process or the
//! next one on the directory.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use link_core::AppId;
use link_store::events::spool::stock;
use link_store::events::{
    ClickRecorder, EventsConfig, PipelineError, SpoolError, start_click_pipeline,
};

use crate::helpers::{TestStore, click, eventually, registry_metric};

/// A directory of the test's own, removed when dropped.
struct SpoolDir(PathBuf);

impl SpoolDir {
    fn new() -> Self {
        Self(std::env::temp_dir().join(format!("hoplink-spool-{}", uuid::Uuid::new_v4())))
    }

    fn config(&self) -> EventsConfig {
        EventsConfig {
            events_max_batch: 10,
            events_max_pending: 100,
            events_flush_interval_ms: 20,
            events_drain_deadline_ms: 300,
            events_spool_dir: Some(self.0.clone()),
            ..EventsConfig::default()
        }
    }

    /// The click spool's files with this extension.
    fn files(&self, extension: &str) -> Vec<PathBuf> {
        files(&self.0.join("click"), extension)
    }
}

impl Drop for SpoolDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn files(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .collect();
    found.sort();
    found
}

/// A store whose one shard the test can cut, an app with a link on it, and a spool.
async fn outage(name: &str) -> (TestStore, AppId, i64, SpoolDir) {
    let t = TestStore::with_proxied_last_shard(1).await;
    let app = t.create_app(name, "s1").await;
    let link = t.create_link(app).await;
    (t, app, link, SpoolDir::new())
}

async fn stored_ids(t: &TestStore, shard: usize, app: AppId) -> Vec<uuid::Uuid> {
    sqlx::query_scalar("SELECT id FROM clicks WHERE app_id = $1")
        .bind(app.get())
        .fetch_all(t.shard(shard))
        .await
        .unwrap()
}

/// Waits up to `secs` for the recorded clicks to be stored, then checks each is stored
/// once and the rollups say (clicks, bot views).
async fn written_once(
    t: &TestStore,
    app: AppId,
    recorded: &HashSet<uuid::Uuid>,
    rollups: (i64, i64),
    secs: u64,
) {
    written_once_on(t, 1, app, recorded, rollups, secs).await;
}

/// [`written_once`] for an app on shard `shard`.
async fn written_once_on(
    t: &TestStore,
    shard: usize,
    app: AppId,
    recorded: &HashSet<uuid::Uuid>,
    rollups: (i64, i64),
    secs: u64,
) {
    let expected = recorded.len() as i64;
    assert!(
        eventually(Duration::from_secs(secs), || async {
            t.click_count(shard, app).await == expected
        })
        .await,
        "written: {} of {expected}",
        t.click_count(shard, app).await
    );
    let ids = stored_ids(t, shard, app).await;
    assert_eq!(ids.len(), recorded.len(), "each click exactly once");
    assert_eq!(&ids.into_iter().collect::<HashSet<_>>(), recorded);
    assert_eq!(t.rollup_totals(shard, app).await, rollups);
}

/// An outage, `n` clicks recorded into it, and the pipeline stopped: the clicks are in the
/// spool. Returns their ids.
async fn spooled_by_a_stopped_process(
    name: &str,
    n: usize,
) -> (TestStore, AppId, i64, SpoolDir, HashSet<uuid::Uuid>) {
    let (t, app, link, spool) = outage(name).await;
    let (recorder, batcher) = t.start(&spool.config());
    t.proxy().cut();
    let now = chrono::Utc::now();
    let recorded = (0..n)
        .map(|_| {
            let event = click(app, link, now);
            let id = event.click_id.as_uuid();
            recorder.record(event);
            id
        })
        .collect();
    // Let at least one write attempt fail first, so some go to disk marked maybe stored.
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(recorder);
    tokio::time::timeout(Duration::from_secs(10), batcher)
        .await
        .expect("stops at the drain deadline")
        .unwrap();
    (t, app, link, spool, recorded)
}

#[tokio::test]
async fn clicks_beyond_max_pending_are_spooled_and_written_once_the_shard_is_back() {
    let (t, app, link, spool) = outage("spill").await;
    let (recorder, _batcher) = t.start(&spool.config());

    t.proxy().cut();
    let now = chrono::Utc::now();
    let mut recorded = HashSet::new();
    for i in 0..300 {
        let mut event = click(app, link, now);
        event.is_bot = i % 3 == 0;
        recorded.insert(event.click_id.as_uuid());
        recorder.record(event);
        if i % 50 == 49 {
            // Let the batcher take them, so the queue never overflows.
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }
    let spooled = || t.metric("hoplink_events_spooled_total", &[("kind", "click")]);
    assert!(
        eventually(Duration::from_secs(5), || async { spooled() >= 200.0 }).await,
        "held 100, the other 200 go to disk; spooled {}",
        spooled()
    );
    assert_eq!(t.dropped("write_failed"), 0, "spooled instead");
    assert_eq!(t.dropped("queue_full"), 0);
    assert!(!spool.files("spool").is_empty());
    assert!(t.metric("hoplink_events_spool_bytes", &[("kind", "click")]) > 0.0);
    assert_eq!(t.click_count(1, app).await, 0);

    t.proxy().restore();
    written_once(&t, app, &recorded, (200, 100), 30).await;
    let spooled = spooled();
    assert_eq!(
        t.metric("hoplink_events_replayed_total", &[("kind", "click")]),
        spooled,
        "every spooled click read back"
    );
    assert!(spool.files("spool").is_empty(), "read files are deleted");
    assert_eq!(
        t.metric("hoplink_events_spool_bytes", &[("kind", "click")]),
        0.0
    );
}

#[tokio::test]
async fn clicks_unwritten_at_shutdown_are_written_by_the_next_process() {
    let (t, app, _, spool, recorded) = spooled_by_a_stopped_process("restart", 50).await;
    assert_eq!(t.dropped("shutdown"), 0, "spooled, not lost");
    assert_eq!(
        t.metric("hoplink_events_spooled_total", &[("kind", "click")]),
        50.0
    );
    assert!(!spool.files("spool").is_empty());
    assert_eq!(t.click_count(1, app).await, 0);

    // The next process: the shard is back; it has nothing recorded of its own.
    t.proxy().restore();
    let registry = prometheus::Registry::new();
    let (recorder, batcher) =
        start_click_pipeline(t.router.clone(), &spool.config(), &registry, None).unwrap();
    written_once(&t, app, &recorded, (50, 0), 15).await;
    assert!(spool.files("spool").is_empty());
    drop(recorder);
    tokio::time::timeout(Duration::from_secs(10), batcher)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t.click_count(1, app).await, 50, "nothing written twice");
}

/// Stops a pipeline as SIGTERM would: its recorders gone, then the batcher's drain.
async fn stop(recorder: ClickRecorder, batcher: tokio::task::JoinHandle<()>) {
    drop(recorder);
    tokio::time::timeout(Duration::from_secs(10), batcher)
        .await
        .expect("stops at the drain deadline")
        .unwrap();
}

/// Records 30 clicks of `app` and returns their ids.
fn record_30(recorder: &ClickRecorder, app: AppId, link: i64) -> HashSet<uuid::Uuid> {
    let now = chrono::Utc::now();
    (0..30)
        .map(|_| {
            let event = click(app, link, now);
            let id = event.click_id.as_uuid();
            recorder.record(event);
            id
        })
        .collect()
}

#[tokio::test]
async fn one_shards_outage_does_not_hold_back_the_clicks_spooled_for_another() {
    let t = TestStore::with_proxied_shards(2).await;
    let (healthy, down) = (
        t.create_app("healthy", "s1").await,
        t.create_app("down", "s2").await,
    );
    let (healthy_link, down_link) = (t.create_link(healthy).await, t.create_link(down).await);
    let spool = SpoolDir::new();

    // A process stops while s2 is down: its clicks for s2 are the spool's oldest files.
    t.shard_proxy(2).cut();
    let (recorder, batcher, _) = next_process(&t, &spool).await;
    let for_down = record_30(&recorder, down, down_link);
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop(recorder, batcher).await;
    // The next one stops while both are down: its clicks for s1 come after them.
    t.shard_proxy(1).cut();
    let (recorder, batcher, _) = next_process(&t, &spool).await;
    let for_healthy = record_30(&recorder, healthy, healthy_link);
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop(recorder, batcher).await;
    let held = stock(&spool.0, "click").unwrap();
    assert_eq!(held.events, 60);
    assert_eq!(
        held.by_shard,
        BTreeMap::from([("s1".to_owned(), 30), ("s2".to_owned(), 30)]),
        "each file names the shard its clicks were bound for"
    );

    // s1 is back and s2 is not: s1's clicks are written though s2's files are older.
    t.shard_proxy(1).restore();
    let (recorder, batcher, registry) = next_process(&t, &spool).await;
    written_once_on(&t, 1, healthy, &for_healthy, (30, 0), 15).await;
    assert!(click_counter(&registry, "hoplink_events_write_errors_total") >= 1.0);
    assert_eq!(t.click_count(2, down).await, 0);
    let held = stock(&spool.0, "click").unwrap();
    assert_eq!(
        (held.events, held.by_shard),
        (30, BTreeMap::from([("s2".to_owned(), 30)])),
        "s2's files stay until s2 takes them"
    );
    assert_eq!(
        (spool_files(&registry, "s1"), spool_files(&registry, "s2")),
        (0.0, 3.0),
        "hoplink_events_spool_files by shard: s1's files are gone, s2's three remain"
    );
    // Read back no faster than s2 could write them: a batch per writer, not the whole
    // spool, waits in memory while s2 is down.
    let replayed = click_counter(&registry, "hoplink_events_replayed_total") - 30.0;
    assert!(
        (10.0..=20.0).contains(&replayed),
        "read back for s2: {replayed}"
    );

    t.shard_proxy(2).restore();
    written_once_on(&t, 2, down, &for_down, (30, 0), 20).await;
    assert!(
        eventually(Duration::from_secs(5), || async {
            spool_files(&registry, "s2") == 0.0
        })
        .await
    );
    stop(recorder, batcher).await;
    assert!(spool.files("spool").is_empty());
    assert_eq!(t.click_count(1, healthy).await, 30, "nothing written twice");
}

/// `hoplink_events_spool_files` of the click spool for `shard`, in `registry`.
fn spool_files(registry: &prometheus::Registry, shard: &str) -> f64 {
    registry_metric(
        registry,
        "hoplink_events_spool_files",
        &[("kind", "click"), ("shard", shard)],
    )
}

/// A click counter of `registry` (a pipeline of its own, as in another process).
fn click_counter(registry: &prometheus::Registry, name: &str) -> f64 {
    registry_metric(registry, name, &[("kind", "click")])
}

/// Starts a pipeline on the spool directory as a new process would (with a registry of
/// its own), waiting for a killed one's writer thread to let go of the lock.
async fn next_process(
    t: &TestStore,
    spool: &SpoolDir,
) -> (
    link_store::events::ClickRecorder,
    tokio::task::JoinHandle<()>,
    prometheus::Registry,
) {
    for _ in 0..100 {
        // A refused start has registered its metrics already: each attempt gets a new
        // registry, as each start of a process would.
        let registry = prometheus::Registry::new();
        match start_click_pipeline(t.router.clone(), &spool.config(), &registry, None) {
            Err(PipelineError::Spool(SpoolError::Locked(_))) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            started => {
                let (recorder, batcher) = started.unwrap();
                return (recorder, batcher, registry);
            }
        }
    }
    panic!("the spool directory stayed locked");
}

/// Waits until the pipeline of `registry` has read files back and failed to write them.
async fn read_back_and_failed(registry: &prometheus::Registry) {
    assert!(
        eventually(Duration::from_secs(5), || async {
            // Files of ten; reading stops once a write has failed.
            click_counter(registry, "hoplink_events_replayed_total") >= 10.0
                && click_counter(registry, "hoplink_events_write_errors_total") >= 1.0
        })
        .await,
        "read back {} and failed to write them",
        click_counter(registry, "hoplink_events_replayed_total")
    );
}

#[tokio::test]
async fn a_process_killed_while_writing_a_spool_file_back_leaves_it_for_the_next() {
    let (t, app, _, spool, recorded) = spooled_by_a_stopped_process("killed", 50).await;
    assert_eq!(
        t.metric("hoplink_events_spooled_total", &[("kind", "click")]),
        50.0
    );
    let on_disk = spool.files("spool");

    // A second process reads the files back while the shard is still down, and is killed
    // outright (no drain, no shutdown) before it could write them.
    let (recorder, batcher, registry) = next_process(&t, &spool).await;
    read_back_and_failed(&registry).await;
    assert_eq!(
        spool.files("spool"),
        on_disk,
        "files read back stay until written"
    );
    batcher.abort();
    assert!(batcher.await.unwrap_err().is_cancelled());
    drop(recorder);

    // The third process finds them and writes each click once.
    t.proxy().restore();
    let (recorder, batcher, _) = next_process(&t, &spool).await;
    written_once(&t, app, &recorded, (50, 0), 15).await;
    assert!(
        eventually(Duration::from_secs(5), || async {
            spool.files("spool").is_empty()
        })
        .await,
        "written files are deleted: {:?}",
        spool.files("spool")
    );
    drop(recorder);
    batcher.await.unwrap();
}

#[tokio::test]
async fn events_read_back_that_overflow_again_go_back_to_their_file_and_are_written_once() {
    let (t, app, link, spool, mut recorded) = spooled_by_a_stopped_process("overflow", 50).await;

    // The next process reads files back, fails to write them, then records more clicks
    // than it may hold: the oldest it holds, those read back, must give way.
    let (recorder, _batcher, registry) = next_process(&t, &spool).await;
    read_back_and_failed(&registry).await;
    let now = chrono::Utc::now();
    for i in 0..150 {
        let event = click(app, link, now);
        recorded.insert(event.click_id.as_uuid());
        recorder.record(event);
        if i % 50 == 49 {
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }
    let spooled = || click_counter(&registry, "hoplink_events_spooled_total");
    assert!(
        eventually(Duration::from_secs(5), || async { spooled() >= 50.0 }).await,
        "spooled {}",
        spooled()
    );
    // 50 + R over the limit, R the clicks read back: those went back to their files, so
    // fewer than 50 + R were spooled (all of them would be if R were spooled again).
    // Let the last spill reach the disk (sent on the 20 ms tick).
    tokio::time::sleep(Duration::from_millis(200)).await;
    let read_back = click_counter(&registry, "hoplink_events_replayed_total");
    assert!(
        spooled() < 50.0 + read_back,
        "spooled {} with {read_back} read back",
        spooled()
    );

    t.proxy().restore();
    written_once(&t, app, &recorded, (200, 0), 30).await;
    assert!(
        eventually(Duration::from_secs(5), || async {
            spool.files("spool").is_empty()
        })
        .await,
        "every file deleted once written: {:?}",
        spool.files("spool")
    );
}

#[tokio::test]
async fn a_spool_serves_one_process_and_sets_unreadable_files_aside() {
    let t = TestStore::with_shards(1).await;
    let app = t.create_app("files", "s1").await;
    let link = t.create_link(app).await;
    let spool = SpoolDir::new();
    let dir = spool.0.join("click");
    std::fs::create_dir_all(&dir).unwrap();
    // A damaged file, and one a crash left before its rename.
    std::fs::write(
        dir.join("00000000000000000001.spool"),
        b"{\"format\":\"hoplink-spool/1\",\"kind\":\"click\",\"events\":2}\n{\"maybe\n",
    )
    .unwrap();
    std::fs::write(dir.join("00000000000000000002.tmp"), b"half").unwrap();
    let before = link_store::events::spool::stock(&spool.0, "click").unwrap();
    assert_eq!(
        (
            before.files,
            before.events,
            before.unreadable,
            before.in_use
        ),
        (1, 2, 0, false),
        "as its header announces"
    );

    let (recorder, _batcher) = t.start(&spool.config());
    assert!(
        spool.files("tmp").is_empty(),
        "a half-written file is removed"
    );
    assert!(
        eventually(Duration::from_secs(5), || async {
            spool.files("bad").len() == 1
        })
        .await,
        "the damaged file is set aside"
    );
    assert!(spool.files("spool").is_empty());
    let held = link_store::events::spool::stock(&spool.0, "click").unwrap();
    assert_eq!(
        (held.files, held.events, held.unreadable, held.in_use),
        (0, 0, 1, true)
    );

    let second = start_click_pipeline(
        t.router.clone(),
        &spool.config(),
        &prometheus::Registry::new(),
        None,
    );
    match second {
        Err(PipelineError::Spool(SpoolError::Locked(locked))) => assert_eq!(locked, dir),
        other => panic!("a second process got {:?}", other.map(|_| ())),
    }

    // The pipeline carries on as usual.
    let now = chrono::Utc::now();
    for _ in 0..5 {
        recorder.record(click(app, link, now));
    }
    recorder.flush().await.unwrap();
    assert_eq!(t.click_count(1, app).await, 5);
}

#[tokio::test]
async fn a_full_spool_drops_and_counts() {
    let (t, app, link, spool) = outage("full").await;
    let config = EventsConfig {
        // About two files of ten clicks.
        events_spool_max_bytes: 8_000,
        ..spool.config()
    };
    let (recorder, _batcher) = t.start(&config);

    t.proxy().cut();
    let now = chrono::Utc::now();
    for i in 0..200 {
        recorder.record(click(app, link, now));
        if i % 50 == 49 {
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }
    let spooled = || t.metric("hoplink_events_spooled_total", &[("kind", "click")]) as u64;
    assert!(
        eventually(Duration::from_secs(5), || async {
            spooled() + t.dropped("spool_full") == 100
        })
        .await,
        "spooled {} and dropped {}",
        spooled(),
        t.dropped("spool_full")
    );
    assert!(spooled() > 0 && spooled() < 100, "spooled {}", spooled());
    assert!(t.metric("hoplink_events_spool_bytes", &[("kind", "click")]) <= 8_000.0);
    assert_eq!(t.dropped("write_failed"), 0);
}

#[tokio::test]
async fn a_spool_that_cannot_be_written_drops_and_counts_and_recording_goes_on() {
    let (t, app, link, spool) = outage("unwritable").await;
    let (recorder, _batcher) = t.start(&spool.config());
    // The directory disappears under the running service (a volume unmounted, say).
    std::fs::remove_dir_all(&spool.0).unwrap();

    t.proxy().cut();
    let now = chrono::Utc::now();
    for i in 0..150 {
        recorder.record(click(app, link, now));
        if i % 50 == 49 {
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }
    assert!(
        eventually(Duration::from_secs(5), || async {
            t.dropped("spool_error") == 50
        })
        .await,
        "the 50 beyond max_pending are counted; dropped {}",
        t.dropped("spool_error")
    );
    assert_eq!(
        t.metric("hoplink_events_spooled_total", &[("kind", "click")]),
        0.0
    );

    // What memory held is written once the shard is back.
    t.proxy().restore();
    assert!(
        eventually(Duration::from_secs(15), || async {
            t.click_count(1, app).await == 100
        })
        .await,
        "written: {}",
        t.click_count(1, app).await
    );
}
