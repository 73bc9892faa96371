//! Errors of the store, classified by cause: a conflict or bad input is the caller's to
//! report as 4xx; an outage is 503.

use link_core::{FieldError, LinkCode};
use shard_router::RouterError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Invalid(#[from] FieldError),

    /// The alias is taken by a different link.
    #[error("the alias {0} is already taken")]
    AliasTaken(LinkCode),

    #[error(transparent)]
    Router(#[from] RouterError),

    /// The shard failed the query (unreachable, timed out, or refused it).
    #[error("shard query failed")]
    Shard(#[from] sqlx::Error),
}

impl StoreError {
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Router(e) => e.is_unavailable(),
            Self::Shard(_) => true,
            Self::Invalid(_) | Self::AliasTaken(_) => false,
        }
    }

    /// The shard answered, but a stored row could not be read back (a value written past
    /// the API's checks, or by an older version). The row is broken, not the shard.
    pub fn is_unreadable_row(&self) -> bool {
        matches!(
            self,
            Self::Invalid(_)
                | Self::Shard(sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_))
        )
    }
}
