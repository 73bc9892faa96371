//! Errors of the catalog and the router, classified by cause so callers can map them to a
//! status (bad input -> 4xx, an outage -> 503) without string matching.

use link_core::{AppId, FieldError, Host, ShardId};

#[derive(Debug, thiserror::Error)]
pub enum RouterError {
    /// A value failed validation; nothing was written.
    #[error(transparent)]
    Invalid(#[from] FieldError),

    #[error("domain {0} is already registered")]
    DomainTaken(Host),

    #[error("a shard named {0} already exists")]
    ShardExists(ShardId),

    #[error("no shard named {0}")]
    UnknownShard(ShardId),

    #[error("shard {0} is not active")]
    ShardNotActive(ShardId),

    #[error("no app with id {0}")]
    UnknownApp(AppId),

    #[error("no active shard to place a new app on; add one with `hoplink shards add`")]
    NoActiveShard,

    /// The app moved (or is moving) since this router's map was loaded; refresh and retry.
    #[error("app {0} is not writable on this shard (moved or moving)")]
    StaleRoute(AppId),

    /// A shard could not be reached or answered with an error.
    #[error("shard {shard} is unavailable")]
    ShardUnavailable {
        shard: ShardId,
        #[source]
        source: sqlx::Error,
    },

    #[error("the catalog database is unavailable")]
    CatalogUnavailable(#[source] sqlx::Error),

    /// The catalog's rows contradict each other; the previous map stays in use.
    #[error("the catalog is inconsistent: {0}")]
    InconsistentCatalog(String),

    #[error("migration failed on {target}")]
    Migration {
        target: String,
        #[source]
        source: sqlx::migrate::MigrateError,
    },
}

impl RouterError {
    /// True when the cause is a dependency outage rather than the request: callers answer
    /// 503 with Retry-After, never 500.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            Self::ShardUnavailable { .. } | Self::CatalogUnavailable(_) | Self::StaleRoute(_)
        )
    }

    pub(crate) fn shard(shard: &ShardId) -> impl FnOnce(sqlx::Error) -> Self + '_ {
        move |source| Self::ShardUnavailable {
            shard: shard.clone(),
            source,
        }
    }
}

/// The constraint a Postgres unique violation names, if that is what `err` is.
pub(crate) fn unique_violation(err: &sqlx::Error) -> Option<&str> {
    match err {
        sqlx::Error::Database(db) if db.is_unique_violation() => db.constraint(),
        _ => None,
    }
}

/// An error and its causes on one line, for logs and CLI output.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
