//! The spool: events a pipeline cannot hold in memory or write before it stops go to files
//! on local disk, and come back once their shards take writes again, from this process or
//! the next one started on the same directory.
//!
//! - **When:** events beyond `events_max_pending` (the oldest, failing shards first), and at
//!   shutdown whatever the drain deadline left unwritten. Without a spool directory those
//!   are dropped and counted, as before.
//! - **Where:** `<events_spool_dir>/<kind>/<number>.spool`, one file per batch of at most
//!   `events_max_batch` events ([`segment`] has the format), numbered in the order written.
//!   A lock file keeps a second process off the directory: each process needs its own
//!   (in Kubernetes a volume per pod, e.g. a StatefulSet's volume claim).
//! - **Back:** the oldest file is read when the pipeline holds less than
//!   `events_max_pending` minus a batch and the shard the file names could start writing
//!   it (it is not backing off, and holds less than a batch per writer): one shard's
//!   outage does not hold back the others' files, and its own files do not fill memory
//!   before its first failure shows. A file that names no shard (events whose app had no
//!   route, or a file of an older version) waits until no shard backs off. Its events are
//!   routed like new ones, always with the statement that skips stored rows, and the file
//!   is deleted only once every one of them is written (or dropped for a reason that is
//!   counted). Until then it stays on disk: a process killed outright while writing it
//!   leaves it for the next start, which writes what is missing and skips the rest. Events
//!   of a file that must leave memory unwritten (the pipeline overflows again, or stops)
//!   are not spooled a second time; the file is put back to be read again.
//! - **Bounded:** at most `events_spool_max_bytes` on disk; beyond it events are dropped
//!   (`spool_full`). A file that cannot be read is renamed `<number>.bad`, logged and left
//!   for an operator; a file that cannot be written drops its events (`spool_error`).
//!
//! File work runs on a thread of its own, so the batcher never waits on the disk except
//! at shutdown, for the last file to be synced.
//!
//! [`stock`] reads what a directory holds without opening it; [`drain`] writes out a
//! directory no service runs on any more (`hoplink spool status` and `drain`).

mod drain;
pub(crate) mod segment;
mod stock;

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex, PoisonError};

use link_core::ShardId;
use prometheus::{IntCounter, IntGauge};
use tokio::sync::{mpsc, oneshot};

use super::kind::ShardEvent;
use super::metrics::{DropReason, KindMetrics, SpoolFiles};
pub use drain::{DrainReport, drain};
pub(crate) use segment::Spooled;
pub use stock::{SpoolStock, stock};

const EXTENSION: &str = "spool";
const TEMPORARY: &str = "tmp";
const UNREADABLE: &str = "bad";
const LOCK: &str = ".lock";

#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("could not use the event spool directory {}", dir.display())]
    Io {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the event spool directory {0} is in use by another process; give each process its own"
    )]
    Locked(PathBuf),
}

enum Request<E> {
    /// Events bound for a shard (or for none known), to be written to files naming it.
    Store(Option<ShardId>, Vec<Spooled<E>>),
    /// The oldest file that may be read now.
    Load(LoadFilter),
    /// Every event of this file read back is written: delete it.
    Done(u64),
    /// Some events of this file read back left memory unwritten: read it again later.
    Return(u64),
    Stop(oneshot::Sender<()>),
}

/// One file read back: its number, to settle it with [`Spool::done`] or
/// [`Spool::give_back`], and its events.
pub(crate) struct Loaded<E> {
    pub file: u64,
    pub events: Vec<Spooled<E>>,
}

/// Files waiting to be read, counted by the shard they name; kept by the writer thread.
type Waiting = Arc<Mutex<HashMap<Option<ShardId>, usize>>>;

/// Which files may be read now, by the shard they name.
#[derive(Debug, Clone, Default)]
pub(crate) struct LoadFilter {
    /// Shards that cannot start writing a file now.
    pub closed: Vec<ShardId>,
    /// Whether a file naming no shard may be read (no shard backs off).
    pub unnamed: bool,
}

impl LoadFilter {
    fn admits(&self, shard: Option<&ShardId>) -> bool {
        match shard {
            Some(shard) => !self.closed.contains(shard),
            None => self.unnamed,
        }
    }
}

/// A file waiting to be read, or read and not yet settled.
#[derive(Debug, Clone)]
struct FileInfo {
    len: u64,
    shard: Option<ShardId>,
}

/// The batcher's end of one kind's spool.
pub(crate) struct Spool<E> {
    requests: std_mpsc::Sender<Request<E>>,
    loaded: mpsc::UnboundedReceiver<Option<Loaded<E>>>,
    waiting: Waiting,
    /// A load was asked for and its answer has not arrived.
    loading: bool,
    dir: PathBuf,
}

impl<E: ShardEvent> Spool<E> {
    /// Opens (creating it if needed) `root/<kind>`, locks it, takes stock of the files a
    /// previous process left, and starts the writer thread.
    pub(crate) fn open(
        root: &Path,
        max_bytes: u64,
        chunk: usize,
        metrics: &KindMetrics,
    ) -> Result<Self, SpoolError> {
        let dir = root.join(E::KIND);
        let io = |source| SpoolError::Io {
            dir: dir.clone(),
            source,
        };
        fs::create_dir_all(&dir).map_err(io)?;
        restrict(&dir).map_err(io)?;
        let lock = File::create(dir.join(LOCK)).map_err(io)?;
        lock.try_lock().map_err(|error| match error {
            fs::TryLockError::WouldBlock => SpoolError::Locked(dir.clone()),
            fs::TryLockError::Error(source) => io(source),
        })?;
        let mut files = BTreeMap::new();
        for entry in fs::read_dir(&dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            let number = path
                .file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.parse::<u64>().ok());
            match (number, path.extension().and_then(|e| e.to_str())) {
                // Cut short by a crash before its rename: never handed over as written.
                (Some(_), Some(TEMPORARY)) => fs::remove_file(&path).map_err(io)?,
                (Some(number), Some(EXTENSION)) => {
                    let len = fs::metadata(&path).map_err(io)?.len();
                    // A header that cannot be read names no shard; loading the file sets
                    // it aside.
                    let shard = segment::read_announced(&path).and_then(|a| a.shard);
                    files.insert(number, FileInfo { len, shard });
                }
                _ => {}
            }
        }
        let waiting = Waiting::default();
        let (requests, inbox) = std_mpsc::channel();
        let (loaded_tx, loaded) = mpsc::unbounded_channel();
        let bytes: u64 = files.values().map(|f| f.len).sum();
        if !files.is_empty() {
            tracing::info!(kind = E::KIND, dir = %dir.display(), files = files.len(), bytes, "event spool holds events from before; writing them once their shards take writes");
        }
        let mut writer = Writer {
            dir: dir.clone(),
            next: files.last_key_value().map_or(1, |(n, _)| n + 1),
            files,
            checked_out: BTreeMap::new(),
            bytes,
            max_bytes,
            chunk: chunk.max(1),
            waiting: waiting.clone(),
            loaded: loaded_tx,
            spooled: metrics.spooled.clone(),
            replayed: metrics.replayed.clone(),
            spool_bytes: metrics.spool_bytes.clone(),
            spool_files: metrics.spool_files.clone(),
            on_disk: HashMap::new(),
            full: metrics.dropped(DropReason::SpoolFull).clone(),
            failed: metrics.dropped(DropReason::SpoolError).clone(),
            _lock: lock,
        };
        writer.publish();
        std::thread::Builder::new()
            .name(format!("hoplink-spool-{}", E::KIND))
            .spawn(move || writer.run(inbox))
            .map_err(io)?;
        Ok(Self {
            requests,
            loaded,
            waiting,
            loading: false,
            dir,
        })
    }

    /// Hands events bound for `shard` to the writer thread; the thread counts them spooled
    /// or dropped.
    pub(crate) fn store(&self, shard: Option<ShardId>, events: Vec<Spooled<E>>) {
        if events.is_empty() {
            return;
        }
        if let Err(std_mpsc::SendError(Request::Store(_, events))) =
            self.requests.send(Request::Store(shard, events))
        {
            // Only after the thread died (it logged why).
            tracing::error!(
                kind = E::KIND,
                events = events.len(),
                "event spool is gone; dropping events"
            );
        }
    }

    /// Whether no load is under way and a file waits: the cheap check before
    /// [`Self::can_load`].
    pub(crate) fn may_load(&self) -> bool {
        !self.loading
            && !self
                .waiting
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .is_empty()
    }

    /// Whether no load is under way and a file waits that `filter` admits.
    pub(crate) fn can_load(&self, filter: &LoadFilter) -> bool {
        !self.loading
            && self
                .waiting
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .any(|(shard, &n)| n > 0 && filter.admits(shard.as_ref()))
    }

    /// Asks for the oldest file `filter` admits; its events arrive through
    /// [`Self::loaded`].
    pub(crate) fn request_load(&mut self, filter: LoadFilter) {
        self.loading = self.requests.send(Request::Load(filter)).is_ok();
    }

    /// The answer to a load: one file's events, or `None` when no file could be read;
    /// nothing once the writer thread is gone. Every event is marked maybe stored: a file
    /// is read again after a crash or a [`Self::give_back`], and must not write a row twice.
    pub(crate) async fn loaded(&mut self) -> Option<Option<Loaded<E>>> {
        let mut answer = self.loaded.recv().await;
        self.loading = false;
        for spooled in answer
            .iter_mut()
            .flatten()
            .flat_map(|l| l.events.iter_mut())
        {
            spooled.maybe_stored = true;
        }
        answer
    }

    /// Every event of `file` was written or counted dropped: the file can go.
    pub(crate) fn done(&self, file: u64) {
        let _ = self.requests.send(Request::Done(file));
    }

    /// Puts `file` back with the files waiting to be read.
    pub(crate) fn give_back(&self, file: u64) {
        let _ = self.requests.send(Request::Return(file));
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes what was handed over, then ends the thread.
    pub(crate) async fn close(self) {
        let (ack, done) = oneshot::channel();
        if self.requests.send(Request::Stop(ack)).is_ok() {
            let _ = done.await;
        }
    }
}

struct Writer<E> {
    dir: PathBuf,
    /// The number the next file gets.
    next: u64,
    /// Files waiting to be read, by number.
    files: BTreeMap<u64, FileInfo>,
    /// Files read back whose events are not all written yet; they stay on disk (and in
    /// `bytes`) until then, and a stop leaves them for the next start.
    checked_out: BTreeMap<u64, FileInfo>,
    bytes: u64,
    max_bytes: u64,
    /// Events per file.
    chunk: usize,
    waiting: Waiting,
    loaded: mpsc::UnboundedSender<Option<Loaded<E>>>,
    spooled: IntCounter,
    replayed: IntCounter,
    spool_bytes: IntGauge,
    spool_files: SpoolFiles,
    /// Files on disk (waiting or read back) by the shard they name, as last published.
    on_disk: HashMap<Option<ShardId>, usize>,
    full: IntCounter,
    failed: IntCounter,
    /// Held for the thread's life: the directory's lock.
    _lock: File,
}

impl<E: ShardEvent> Writer<E> {
    fn run(mut self, inbox: std_mpsc::Receiver<Request<E>>) {
        for request in inbox {
            match request {
                Request::Store(shard, events) => {
                    for chunk in events.chunks(self.chunk) {
                        self.store(shard.as_ref(), chunk);
                    }
                }
                Request::Load(filter) => {
                    let events = self.load(&filter);
                    if self.loaded.send(events).is_err() {
                        return;
                    }
                }
                Request::Done(number) => self.delete(number),
                Request::Return(number) => {
                    if let Some(file) = self.checked_out.remove(&number) {
                        self.files.insert(number, file);
                        self.publish();
                    }
                }
                Request::Stop(ack) => {
                    // Unlock the directory first: a pipeline started right after this one
                    // (a restart in the same process) must find it free.
                    drop(self);
                    let _ = ack.send(());
                    return;
                }
            }
        }
    }

    fn store(&mut self, shard: Option<&ShardId>, events: &[Spooled<E>]) {
        let n = events.len() as u64;
        let bytes = match segment::encode(E::KIND, shard, events) {
            Ok(bytes) => bytes,
            Err(error) => {
                self.failed.inc_by(n);
                tracing::error!(kind = E::KIND, events = n, %error, "could not encode events for the spool; dropping them");
                return;
            }
        };
        let len = bytes.len() as u64;
        if self.bytes + len > self.max_bytes {
            self.full.inc_by(n);
            tracing::warn!(
                kind = E::KIND,
                events = n,
                spooled_bytes = self.bytes,
                "event spool is full; dropping events"
            );
            return;
        }
        let number = self.next;
        self.next += 1;
        match self.write_file(number, &bytes) {
            Ok(()) => {
                self.files.insert(
                    number,
                    FileInfo {
                        len,
                        shard: shard.cloned(),
                    },
                );
                self.bytes += len;
                self.spooled.inc_by(n);
                self.publish();
            }
            Err(error) => {
                self.failed.inc_by(n);
                tracing::error!(kind = E::KIND, events = n, dir = %self.dir.display(), %error, "could not write to the event spool; dropping events");
            }
        }
    }

    /// Synced under a temporary name, then renamed: a file either is whole or is not there.
    fn write_file(&self, number: u64, bytes: &[u8]) -> std::io::Result<()> {
        let temporary = self.path(number, TEMPORARY);
        let result = (|| {
            let mut file = File::create(&temporary)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            fs::rename(&temporary, self.path(number, EXTENSION))?;
            // The rename itself must survive a crash too.
            File::open(&self.dir)?.sync_all()
        })();
        if result.is_err() {
            let _ = fs::remove_file(&temporary);
        }
        result
    }

    /// Reads the oldest readable file `filter` admits and checks it out. Unreadable ones are
    /// set aside.
    fn load(&mut self, filter: &LoadFilter) -> Option<Loaded<E>> {
        loop {
            let number = *self
                .files
                .iter()
                .find(|(_, file)| filter.admits(file.shard.as_ref()))?
                .0;
            let file = self.files.remove(&number)?;
            let path = self.path(number, EXTENSION);
            let read = fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|bytes| segment::decode::<E>(E::KIND, &bytes).map_err(|e| e.to_string()));
            match read {
                Ok(events) => {
                    self.checked_out.insert(number, file);
                    self.replayed.inc_by(events.len() as u64);
                    self.publish();
                    return Some(Loaded {
                        file: number,
                        events,
                    });
                }
                Err(error) => {
                    self.bytes = self.bytes.saturating_sub(file.len);
                    let aside = self.path(number, UNREADABLE);
                    let _ = fs::rename(&path, &aside);
                    tracing::error!(kind = E::KIND, file = %aside.display(), %error, "could not read a spool file; set it aside");
                    self.publish();
                }
            }
        }
    }

    fn delete(&mut self, number: u64) {
        let Some(file) = self.checked_out.remove(&number) else {
            return;
        };
        self.bytes = self.bytes.saturating_sub(file.len);
        let path = self.path(number, EXTENSION);
        if let Err(error) = fs::remove_file(&path) {
            // Not read again by this process; the next start skips what it holds.
            tracing::error!(kind = E::KIND, file = %path.display(), %error, "could not delete a spool file whose events are written; the next start reads it again");
        }
        self.publish();
    }

    fn path(&self, number: u64, extension: &str) -> PathBuf {
        self.dir.join(format!("{number:020}.{extension}"))
    }

    fn publish(&mut self) {
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        waiting.clear();
        for file in self.files.values() {
            *waiting.entry(file.shard.clone()).or_default() += 1;
        }
        let mut on_disk = waiting.clone();
        drop(waiting);
        for file in self.checked_out.values() {
            *on_disk.entry(file.shard.clone()).or_default() += 1;
        }
        // A shard whose files are all gone reads 0 rather than its last count.
        for shard in self.on_disk.keys() {
            if !on_disk.contains_key(shard) {
                self.spool_files.set(shard.as_ref().map(ShardId::as_str), 0);
            }
        }
        for (shard, &files) in &on_disk {
            self.spool_files
                .set(shard.as_ref().map(ShardId::as_str), files);
        }
        self.on_disk = on_disk;
        self.spool_bytes
            .set(i64::try_from(self.bytes).unwrap_or(i64::MAX));
    }
}

/// Spooled events carry device tokens and fingerprints, as the shard does: owner only.
#[cfg(unix)]
fn restrict(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
}

#[cfg(not(unix))]
fn restrict(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use link_core::client::{Browser, InAppBrowser, OsFamily, Platform};
    use link_core::{AppId, ClickId, Country};
    use serde_json::json;

    use super::segment::{Spooled, decode, encode};
    use crate::events::{
        ClickEvent, InstallEvent, MatchType, OpenEvent, SdkEvent, SdkEventCategory, SessionStart,
        ShardEvent,
    };

    /// Every field set, so a field serde would lose or refuse shows.
    fn round_trip<E: ShardEvent + PartialEq + std::fmt::Debug>(event: E) {
        let spooled = vec![Spooled {
            maybe_stored: true,
            event,
        }];
        let bytes = encode(E::KIND, None, &spooled).unwrap();
        let back: Vec<Spooled<E>> = decode(E::KIND, &bytes).unwrap();
        assert_eq!(back, spooled, "{}", String::from_utf8_lossy(&bytes));
    }

    fn start() -> SessionStart {
        SessionStart {
            id: uuid::Uuid::now_v7(),
            app_id: AppId::new(7).unwrap(),
            occurred_at: Utc.with_ymd_and_hms(2026, 12, 7, 3, 30, 1).unwrap(),
            platform: Platform::Ios,
            os: OsFamily::Ios,
            os_version: Some((17, 4)),
            device_model: Some("iPhone15,2".into()),
            device_token: "device".into(),
            bundle_token: "bundle".into(),
            match_type: MatchType::Probabilistic,
            click_id: Some(ClickId::generate()),
            link_id: Some(42),
            browser_id: Some(uuid::Uuid::new_v4()),
            country: Country::parse("BR"),
        }
    }

    #[test]
    fn every_event_kind_reads_back_whole() {
        round_trip(ClickEvent {
            click_id: ClickId::generate(),
            app_id: AppId::new(7).unwrap(),
            link_id: 42,
            occurred_at: Utc::now(),
            platform: Platform::Android,
            os: OsFamily::Android,
            os_version: Some((14, 0)),
            browser: Browser::WebView,
            in_app: Some(InAppBrowser::Instagram),
            is_bot: false,
            fingerprint: Some([0xab; 32]),
            browser_id: Some(uuid::Uuid::new_v4()),
            country: Country::parse("de"),
            counted: false,
            uses_up_link: true,
            query: Some("utm_source=push&coupon=%C3%A9".into()),
        });
        round_trip(InstallEvent(start()));
        round_trip(OpenEvent {
            start: SessionStart {
                match_type: MatchType::Deterministic,
                ..start()
            },
            session_id: "session-1".into(),
        });
        round_trip(SdkEvent {
            id: uuid::Uuid::now_v7(),
            app_id: AppId::new(7).unwrap(),
            occurred_at: Utc::now(),
            category: SdkEventCategory::Custom,
            name: "level_up".into(),
            customer_event_alias: Some("lvl".into()),
            platform: Platform::Android,
            os: Some(OsFamily::Android),
            os_version: Some((13, 1)),
            session_id: Some("s".into()),
            device_token: Some("d".into()),
            bundle_token: Some("b".into()),
            developer_identity: Some("user-9".into()),
            user_data: json!({"os": "Android", "screen_dpi": 420})
                .as_object()
                .unwrap()
                .clone(),
            event_data: json!({"revenue": 1.5, "currency": "EUR"})
                .as_object()
                .unwrap()
                .clone(),
            custom_data: json!({"level": "7"}).as_object().unwrap().clone(),
            content_items: vec![json!({"$sku": "a1", "$quantity": 2})],
        });
    }
}
