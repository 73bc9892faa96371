//! What a spool directory holds, read from the files alone: for an operator looking at a
//! directory (`hoplink spool status`), and for a drain to know when it is done. Nothing
//! here takes the directory's lock or changes a file.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::path::Path;
use std::time::SystemTime;

use super::segment;
use super::{EXTENSION, LOCK, SpoolError, UNREADABLE};

/// One kind's spool, as found on disk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpoolStock {
    /// Files waiting to be written (including any a running process is writing now).
    pub files: usize,
    /// Their events, as the files' headers announce them.
    pub events: u64,
    /// Of those, the events of files that name the shard they wait for, by shard; the rest
    /// wait for every shard to take writes.
    pub by_shard: BTreeMap<String, u64>,
    pub bytes: u64,
    /// Files set aside as unreadable (`<number>.bad`), left for an operator.
    pub unreadable: usize,
    /// When the oldest waiting file was written.
    pub oldest: Option<SystemTime>,
    /// A process holds the directory (a service running on it, or a drain).
    pub in_use: bool,
}

/// Takes stock of `root/<kind>`; an absent directory holds nothing.
pub fn stock(root: &Path, kind: &str) -> Result<SpoolStock, SpoolError> {
    let dir = root.join(kind);
    let io = |source| SpoolError::Io {
        dir: dir.clone(),
        source,
    };
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(SpoolStock::default()),
        Err(e) => return Err(io(e)),
    };
    let mut stock = SpoolStock {
        in_use: locked(&dir.join(LOCK)).map_err(io)?,
        ..SpoolStock::default()
    };
    for entry in entries {
        let path = entry.map_err(io)?.path();
        let numbered = path
            .file_stem()
            .and_then(|s| s.to_str())
            .is_some_and(|s| s.parse::<u64>().is_ok());
        if !numbered {
            continue;
        }
        match path.extension().and_then(|e| e.to_str()) {
            Some(EXTENSION) => {
                // Deleted between the listing and now: written meanwhile.
                let Ok(metadata) = fs::metadata(&path) else {
                    continue;
                };
                stock.files += 1;
                stock.bytes += metadata.len();
                // A header that cannot be read counts nothing: loading the file will set it
                // aside.
                if let Some(announced) = segment::read_announced(&path) {
                    let events = announced.events as u64;
                    stock.events += events;
                    if let Some(shard) = announced.shard {
                        *stock.by_shard.entry(shard.as_str().to_owned()).or_default() += events;
                    }
                }
                if let Ok(modified) = metadata.modified() {
                    stock.oldest = Some(stock.oldest.map_or(modified, |o| o.min(modified)));
                }
            }
            Some(UNREADABLE) => stock.unreadable += 1,
            _ => {}
        }
    }
    Ok(stock)
}

/// Whether another process holds the lock file. A shared lock is tried and let go at once,
/// so a process that starts meanwhile is not refused for long.
fn locked(lock: &Path) -> std::io::Result<bool> {
    let file = match File::open(lock) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    match file.try_lock_shared() {
        Ok(()) => Ok(false),
        Err(fs::TryLockError::WouldBlock) => Ok(true),
        Err(fs::TryLockError::Error(e)) => Err(e),
    }
}
