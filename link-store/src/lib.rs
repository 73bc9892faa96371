//! Where links and clicks live.
//!
//! # Layout
//! - [`links`]: link rows on an app's shard (create, read).
//! - [`error`]: [`StoreError`].
//!
//! Every function takes the shard pool (or a fenced transaction) of the app it works on;
//! this crate never decides which shard an app lives on, the shard router does.

pub mod error;
pub mod links;

pub use error::StoreError;
