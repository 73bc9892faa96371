//! Where links and clicks live.
//!
//! # Layout
//! - [`links`]: link rows on an app's shard (create, read).
//! - [`origin`]: what the cache loads from ([`origin::Origin`]; Postgres by default).
//! - [`cache`]: [`cache::LinkCache`], the flash-crowd-proof in-process cache, and its
//!   invalidation by shard notifications.
//! - [`events`]: click (and later install/open) recording: a non-blocking queue and
//!   batched, fenced writes to each app's shard.
//! - [`export`]: the event stream export to NATS JetStream, fed with what the event
//!   pipelines wrote.
//! - [`hot`]: the Aerospike hot tier (links, configs, click fingerprints, installed
//!   browsers) and the Postgres implementations of the same interfaces.
//! - [`retention`]: pruning raw clicks past the longest attribution window.
//! - [`error`]: [`StoreError`], the store's error enum.
//!
//! Every function takes the shard pool (or a fenced transaction) of the app it works on;
//! this crate never decides which shard an app lives on, the shard router does.

pub mod cache;
pub mod error;
pub mod events;
pub mod export;
pub mod hot;
pub mod links;
pub mod origin;
pub mod retention;

pub use error::StoreError;
