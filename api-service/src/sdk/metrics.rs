//! The SDK API's own metrics (the event pipelines report theirs, labelled by kind):
//!
//! - `hoplink_sdk_sessions_total{kind="install|open", match="deterministic|probabilistic|none"}`:
//!   sessions answered, by how they were attributed.

use link_store::events::MatchType;
use prometheus::{IntCounter, IntCounterVec, Opts, Registry};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Install,
    Open,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Install => "install",
            Self::Open => "open",
        }
    }
}

const MATCHES: [MatchType; 3] = [
    MatchType::Deterministic,
    MatchType::Probabilistic,
    MatchType::None,
];

/// Counters resolved up front, so answering a session hashes no label values.
pub struct SdkMetrics {
    /// Indexed by [`SessionKind`], then by the position in [`MATCHES`].
    sessions: [[IntCounter; 3]; 2],
}

impl SdkMetrics {
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let family = IntCounterVec::new(
            Opts::new(
                "hoplink_sdk_sessions_total",
                "SDK installs and opens answered, by how they were attributed.",
            ),
            &["kind", "match"],
        )?;
        registry.register(Box::new(family.clone()))?;
        let row = |kind: SessionKind| {
            MATCHES.map(|m| family.with_label_values(&[kind.as_str(), m.as_str()]))
        };
        Ok(Self {
            sessions: [row(SessionKind::Install), row(SessionKind::Open)],
        })
    }

    pub fn session(&self, kind: SessionKind, matched: MatchType) {
        let row = &self.sessions[kind as usize];
        let column = MATCHES.iter().position(|m| *m == matched).unwrap_or(2);
        row[column].inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_kind_and_match() {
        let registry = Registry::new();
        let metrics = SdkMetrics::register(&registry).unwrap();
        metrics.session(SessionKind::Open, MatchType::Probabilistic);
        metrics.session(SessionKind::Open, MatchType::Probabilistic);
        metrics.session(SessionKind::Install, MatchType::None);
        assert_eq!(metrics.sessions[1][1].get(), 2);
        assert_eq!(metrics.sessions[0][2].get(), 1);
        assert_eq!(metrics.sessions[0][0].get(), 0);
    }
}
