//! [`ClassifierMemo`]: a bounded, thread-safe memo from User-Agent to [`ClientInfo`].
//!
//! Clicks repeat User-Agents heavily (a flash crowd is a few hundred distinct strings), so
//! the click path asks the memo instead of [`classify`]: a hit is one hash of the string, a
//! read lock on one shard and a copy of a `Copy` value, with no allocation. A miss
//! classifies and stores the string.
//!
//! # Bounds
//! - At most `capacity` entries in total, split over shards so that concurrent hits on
//!   different strings do not share a lock. A full shard evicts one arbitrary entry per
//!   insert; with a randomly seeded hash that is a random entry, which keeps the hot strings
//!   of a skewed workload resident without LRU bookkeeping on the hit path.
//! - User-Agents longer than [`ClassifierMemo::MAX_KEY_BYTES`] are classified but never
//!   stored, so junk headers cannot fill memory.
//!
//! The hash is foldhash with a per-memo random seed: keys are attacker-chosen, and a fixed
//! seed would let them aim collisions at one shard.
//!
//! Why not `moka::sync::Cache`: on a hit it measured about five times slower than this
//! table (`benches/classify.rs`), and its admission and expiry policies buy nothing for
//! values that never go stale.

use super::{ClientInfo, classify};
use foldhash::fast::RandomState;
use hashbrown::HashTable;
use std::hash::BuildHasher;
use std::sync::{PoisonError, RwLock};

/// Number of shards; a power of two, so the top bits of the hash pick one.
const SHARDS: usize = 16;

/// A bounded map from User-Agent to [`ClientInfo`], shared by all request handlers.
pub struct ClassifierMemo {
    shards: Box<[RwLock<HashTable<Entry>>]>,
    shard_capacity: usize,
    hasher: RandomState,
}

struct Entry {
    user_agent: Box<str>,
    info: ClientInfo,
}

impl ClassifierMemo {
    /// Entries kept by [`ClassifierMemo::default`].
    pub const DEFAULT_CAPACITY: usize = 10_000;

    /// User-Agents longer than this are classified on every request and never stored.
    pub const MAX_KEY_BYTES: usize = 1024;

    /// A memo holding at most `capacity` entries (0 disables storing).
    pub fn new(capacity: usize) -> Self {
        let shard_capacity = capacity.div_ceil(SHARDS);
        let shards = (0..SHARDS)
            .map(|_| RwLock::new(HashTable::with_capacity(shard_capacity)))
            .collect();
        Self {
            shards,
            shard_capacity,
            hasher: RandomState::default(),
        }
    }

    /// The classification of `user_agent`, from the memo when it has been seen before.
    pub fn classify(&self, user_agent: &str) -> ClientInfo {
        if user_agent.len() > Self::MAX_KEY_BYTES || self.shard_capacity == 0 {
            return classify(user_agent);
        }
        let hash = self.hasher.hash_one(user_agent);
        let shard = &self.shards[shard_index(hash)];
        let eq = |entry: &Entry| &*entry.user_agent == user_agent;

        // The map is never left half-updated (no user code runs under the lock), so a
        // poisoned lock still guards a consistent map.
        if let Some(entry) = shard
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .find(hash, eq)
        {
            return entry.info;
        }

        // Classify outside the lock: it is the slow part, and racing misses for one string
        // just compute the same value twice.
        let info = classify(user_agent);
        let mut table = shard.write().unwrap_or_else(PoisonError::into_inner);
        if table.find(hash, eq).is_none() {
            if table.len() >= self.shard_capacity {
                evict_one(&mut table, hash);
            }
            table.insert_unique(
                hash,
                Entry {
                    user_agent: user_agent.into(),
                    info,
                },
                |e| self.hasher.hash_one(&*e.user_agent),
            );
        }
        info
    }

    /// Number of stored User-Agents.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.read().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most entries the memo holds (the requested capacity rounded up to whole shards).
    pub fn capacity(&self) -> usize {
        self.shard_capacity * SHARDS
    }
}

impl Default for ClassifierMemo {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY)
    }
}

impl std::fmt::Debug for ClassifierMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClassifierMemo")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .finish()
    }
}

/// The top bits pick the shard; hashbrown uses the low and the top 7 bits inside a
/// table, so shards still spread well.
fn shard_index(hash: u64) -> usize {
    (hash >> (64 - SHARDS.trailing_zeros())) as usize
}

/// Removes one entry: the first occupied bucket at or after a position taken from the
/// incoming key's hash. Hashes are random, so the victim is a random entry; the scan is
/// short because a full shard still has most of its buckets occupied.
fn evict_one(table: &mut HashTable<Entry>, hash: u64) {
    let buckets = table.num_buckets();
    if buckets == 0 {
        return;
    }
    let start = (hash as usize) % buckets;
    for offset in 0..buckets {
        if let Ok(entry) = table.get_bucket_entry((start + offset) % buckets) {
            entry.remove();
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Platform;
    use std::sync::Arc;

    const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 \
                          (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";

    #[test]
    fn hit_returns_the_same_as_classify() {
        let memo = ClassifierMemo::new(100);
        let first = memo.classify(IPHONE);
        let second = memo.classify(IPHONE);
        assert_eq!(first, classify(IPHONE));
        assert_eq!(second, first);
        assert_eq!(first.platform, Platform::Ios);
        assert_eq!(memo.len(), 1);
    }

    #[test]
    fn capacity_is_a_bound() {
        let memo = ClassifierMemo::new(64);
        for i in 0..1_000 {
            memo.classify(&format!(
                "Mozilla/5.0 (Linux; Android {i}; Pixel) Chrome/1 Mobile Safari/537.36"
            ));
        }
        assert!(
            memo.len() <= memo.capacity(),
            "{} > {}",
            memo.len(),
            memo.capacity()
        );
        assert!(
            memo.len() >= memo.capacity() / 2,
            "eviction should keep shards nearly full"
        );
    }

    #[test]
    fn long_user_agents_are_classified_but_not_stored() {
        let memo = ClassifierMemo::new(100);
        let long = format!("{IPHONE} {}", "x".repeat(2_000));
        assert_eq!(memo.classify(&long).platform, Platform::Ios);
        assert!(memo.is_empty());
    }

    #[test]
    fn zero_capacity_stores_nothing() {
        let memo = ClassifierMemo::new(0);
        assert_eq!(memo.classify(IPHONE), classify(IPHONE));
        assert!(memo.is_empty());
    }

    #[test]
    fn shared_across_threads() {
        let memo = Arc::new(ClassifierMemo::default());
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let memo = Arc::clone(&memo);
                std::thread::spawn(move || {
                    for i in 0..200 {
                        let ua = format!("curl/8.{}", (i + t) % 50);
                        assert!(memo.classify(&ua).is_bot());
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().expect("worker thread");
        }
        assert_eq!(memo.len(), 50);
    }
}
