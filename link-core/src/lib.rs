//! Hoplink's pure domain: everything that decides, validates or names things, and nothing
//! that waits on I/O.
//!
//! # Layout
//! - [`invalid`]: the validation error every parser returns.
//! - [`ids`]: identifiers that cross crate boundaries ([`AppId`], [`ShardId`], [`ClickId`]).
//! - [`country`]: [`Country`], where a click came from, for country-specific links.
//! - [`host`]: [`Host`], a registered link domain or the host of a request.
//! - [`code`]: [`LinkCode`], the path segment of a short link.
//! - [`url`]: [`WebUrl`], an http(s) destination that is safe to emit.
//! - [`app`]: an app's platform configuration ([`AppConfig`]).
//! - [`link`]: the link model ([`Link`]).
//! - [`link_data`]: a link's data held compactly ([`LinkData`]).
//! - [`link_labels`]: a link's channel, feature, campaign, stage and tags held compactly
//!   ([`LinkLabels`]).
//! - [`link_input`]: validation of link data, tags and attributes at the API edge.
//! - [`appended_controls`]: link-control (`$`) keys appended to an existing link's URL.
//! - [`jsonb`]: what JSON must not hold to be stored in Postgres and read back.
//! - [`client`]: User-Agent classification ([`client::ClientInfo`]) and its memo.
//! - [`decision`]: the redirect decision, a pure function of a click.
//! - [`keys`]: API key generation, display prefix and hashing.
//! - [`fingerprint`]: keyed click fingerprints for probabilistic attribution.
//!
//! This crate must never open a socket, a file or a database connection, and must not depend
//! on any other Hoplink crate: every service depends on it, never the other way round.

pub mod app;
pub mod appended_controls;
pub mod client;
pub mod code;
pub mod country;
pub mod decision;
pub mod fingerprint;
pub mod host;
pub mod ids;
pub mod invalid;
pub mod jsonb;
pub mod keys;
pub mod link;
pub mod link_data;
pub mod link_input;
pub mod link_labels;
pub mod url;

pub use app::{AndroidConfig, AppConfig, ExpiredLinkBehavior, IosConfig, PreviewDefaults};
pub use code::LinkCode;
pub use country::Country;
pub use host::Host;
pub use ids::{AppId, ClickId, ShardId};
pub use invalid::{FieldError, Invalid};
pub use keys::{KeyHash, KeyKind, NewKey};
pub use link::{Link, LinkType};
pub use link_data::{DataValue, LinkData};
pub use link_labels::{LabelParts, LinkLabels};
pub use url::WebUrl;
