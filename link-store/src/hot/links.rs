//! The `links` and `configs` sets: read a snapshot, write one only if it is newer.
//!
//! Every write carries a filter expression, evaluated by the server on the stored record,
//! so a late write can never replace a newer copy, whoever sends it (a write-through that
//! was retried, a repair that read Postgres just before a change):
//! - a link is ordered by (id, version): a link re-created under the same code after a hard
//!   delete has a larger id, so it replaces the old one whatever their versions;
//! - a live copy replaces only an older one (`version` strictly lower); a tombstone also
//!   replaces a live copy of the same version, so a delete that did not bump the version
//!   still wins, and nothing at or below its version can bring the link back.
//!
//! A record without those bins (or no record) is always written.

use aerospike::expressions::{and, bin_exists, eq, int_bin, int_val, le, lt, not, or};
use aerospike::{Bin, Bins, Key, RecordExistsAction, ResultCode, Value};
use link_core::{AppId, Link};
use shard_router::app_config::StoredConfig;

use super::client::{HotClient, HotError, Op};
use super::metrics::Outcome;
use super::records::{
    BIN_BODY, BIN_DELETED, BIN_ID, BIN_VERSION, decode_config, decode_link, encode_config,
    encode_link, key_bytes,
};

/// What a read of the hot tier found.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum HotRead<T> {
    /// A usable copy (for links, possibly a deleted one: the click path answers 410).
    Found(T),
    Missing,
    /// A record this version cannot use: unknown format, or a tombstone without a deleted
    /// link in it. Postgres answers, and the repair may overwrite it at the same version.
    Unusable,
}

/// Result of a versioned write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    Written,
    /// Refused: the stored copy is as new or newer.
    Stale,
    /// The hot tier is off.
    Disabled,
    /// Not written (breaker open, not connected, timeout or error); counted.
    Failed,
}

/// How a link write competes with the stored copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkWrite {
    /// A live (or soft-deleted) copy: replaces only older ones.
    Live,
    /// A delete: also replaces a live copy of the same version.
    Tombstone,
    /// A repair of a record that could not be used: replaces the same version too.
    Overwrite,
}

fn read_outcome<T>(read: &HotRead<T>) -> Outcome {
    match read {
        HotRead::Found(_) => Outcome::Hit,
        HotRead::Missing | HotRead::Unusable => Outcome::Miss,
    }
}

fn write_outcome(written: &bool) -> Outcome {
    if *written {
        Outcome::Written
    } else {
        Outcome::Stale
    }
}

impl HotClient {
    fn link_key(&self, app: AppId, code: &str) -> aerospike::Result<Key> {
        Key::new(
            self.inner.namespace.as_str(),
            self.inner.sets.links.as_str(),
            Value::Blob(key_bytes(app, code.as_bytes())),
        )
    }

    fn config_key(&self, app: AppId) -> aerospike::Result<Key> {
        Key::new(
            self.inner.namespace.as_str(),
            self.inner.sets.configs.as_str(),
            Value::Blob(key_bytes(app, &[])),
        )
    }

    pub(crate) async fn get_link(&self, app: AppId, code: &str) -> Result<HotRead<Link>, HotError> {
        let key = self.link_key(app, code).map_err(HotError::Failed)?;
        self.call("links", Op::Read, read_outcome, |client| async move {
            let record = match client.get(self.read_policy(), &key, Bins::All).await {
                Ok(record) => record,
                Err(e) if e.matches(&[ResultCode::KeyNotFoundError]) => {
                    return Ok(HotRead::Missing);
                }
                Err(e) => return Err(e),
            };
            let bins = &record.bins;
            let tombstone = matches!(bins.get(BIN_DELETED), Some(Value::Int(1)));
            let link = match bins.get(BIN_BODY) {
                Some(Value::Blob(bytes)) => decode_link(app, bytes),
                _ => None,
            };
            let version = match bins.get(BIN_VERSION) {
                Some(Value::Int(v)) => Some(*v),
                _ => None,
            };
            Ok(match link {
                Some(link)
                    if link.code.as_str() == code
                        && Some(link.version) == version
                        && (!tombstone || link.deleted_at.is_some()) =>
                {
                    HotRead::Found(link)
                }
                _ => HotRead::Unusable,
            })
        })
        .await
    }

    /// Writes `link` unless the stored copy is as new or newer. `Ok(false)`: refused.
    pub(crate) async fn put_link(&self, link: &Link, mode: LinkWrite) -> Result<bool, HotError> {
        let key = self
            .link_key(link.app_id, link.code.as_str())
            .map_err(HotError::Failed)?;
        let id = link.id;
        let version = link.version;
        let same_id_older = match mode {
            LinkWrite::Live => lt(int_bin(BIN_VERSION), int_val(version)),
            LinkWrite::Tombstone | LinkWrite::Overwrite => {
                le(int_bin(BIN_VERSION), int_val(version))
            }
        };
        let mut policy = self.write_policy();
        policy.record_exists_action = RecordExistsAction::Replace;
        policy.expiration = self.inner.link_ttl;
        policy.base_policy.filter_expression = Some(or(vec![
            not(bin_exists(BIN_ID)),
            lt(int_bin(BIN_ID), int_val(id)),
            and(vec![eq(int_bin(BIN_ID), int_val(id)), same_id_older]),
        ]));
        let bins = [
            Bin::new(BIN_ID, Value::Int(id)),
            Bin::new(BIN_VERSION, Value::Int(version)),
            Bin::new(
                BIN_DELETED,
                Value::Int(i64::from(mode == LinkWrite::Tombstone)),
            ),
            Bin::new(BIN_BODY, Value::Blob(encode_link(link))),
        ];
        self.call("links", Op::Write, write_outcome, |client| async move {
            versioned(client.put(&policy, &key, &bins).await)
        })
        .await
    }

    pub(crate) async fn get_config(&self, app: AppId) -> Result<HotRead<StoredConfig>, HotError> {
        let key = self.config_key(app).map_err(HotError::Failed)?;
        self.call("configs", Op::Read, read_outcome, |client| async move {
            let record = match client.get(self.read_policy(), &key, Bins::All).await {
                Ok(record) => record,
                Err(e) if e.matches(&[ResultCode::KeyNotFoundError]) => {
                    return Ok(HotRead::Missing);
                }
                Err(e) => return Err(e),
            };
            let config = match (record.bins.get(BIN_VERSION), record.bins.get(BIN_BODY)) {
                (Some(Value::Int(version)), Some(Value::Blob(bytes))) => {
                    decode_config(*version, bytes)
                }
                _ => None,
            };
            Ok(config.map_or(HotRead::Unusable, HotRead::Found))
        })
        .await
    }

    /// Writes `stored` unless the stored copy is as new or newer (`overwrite`: or equal).
    pub(crate) async fn put_config(
        &self,
        app: AppId,
        stored: &StoredConfig,
        overwrite: bool,
    ) -> Result<bool, HotError> {
        let key = self.config_key(app).map_err(HotError::Failed)?;
        let version = stored.version;
        let older = if overwrite {
            le(int_bin(BIN_VERSION), int_val(version))
        } else {
            lt(int_bin(BIN_VERSION), int_val(version))
        };
        let mut policy = self.write_policy();
        policy.record_exists_action = RecordExistsAction::Replace;
        policy.expiration = self.inner.link_ttl;
        policy.base_policy.filter_expression = Some(or(vec![not(bin_exists(BIN_VERSION)), older]));
        let bins = [
            Bin::new(BIN_VERSION, Value::Int(version)),
            Bin::new(BIN_BODY, Value::Blob(encode_config(&stored.config))),
        ];
        self.call("configs", Op::Write, write_outcome, |client| async move {
            versioned(client.put(&policy, &key, &bins).await)
        })
        .await
    }
}

/// A filtered-out write is an answer (the stored copy is newer), not a failure.
fn versioned(result: aerospike::Result<()>) -> aerospike::Result<bool> {
    match result {
        Ok(()) => Ok(true),
        Err(e) if e.matches(&[ResultCode::FilteredOut]) => Ok(false),
        Err(e) => Err(e),
    }
}
