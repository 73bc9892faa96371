//! [`ExportConfig`]: where the event stream export publishes, and its limits.
//!
//! Field names carry the `export_` prefix so a service can `#[serde(flatten)]` this struct
//! into its own config and read it from `HOPLINK_EXPORT_*` variables (see the table in
//! [`crate::export`]).

use std::time::Duration;

use serde::Deserialize;

/// See `export_events_per_message`.
const DEFAULT_EVENTS_PER_MESSAGE: usize = 100;
/// More records per message save next to nothing and make a resend bigger.
const MAX_EVENTS_PER_MESSAGE: usize = 1_000;
/// A message is closed before its payload passes this, well under NATS' default
/// `max_payload` (1 MB); a single bigger record still goes alone.
pub(crate) const MESSAGE_BYTES_SOFT_LIMIT: usize = 256 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ExportConfig {
    /// The NATS server(s), e.g. `nats://127.0.0.1:4222` (comma-separated for a cluster).
    /// Unset, nothing is exported.
    pub export_nats_url: Option<String>,
    /// The JetStream stream the events go to. Created when missing (capturing
    /// `<subject prefix>.>`); an existing stream is used as its operator configured it.
    pub export_stream: String,
    /// Subjects are `<prefix>.<kind>.<app id>`: `hoplink.events.click.42`.
    pub export_subject_prefix: String,
    /// How long a stream this service creates keeps events (its `max_age`).
    pub export_stream_max_age_secs: u64,
    /// Records per message: 1 publishes each event as its own message; more packs up to
    /// that many events of one kind and app into a message, one JSON record per line,
    /// which costs NATS and this service far less per event.
    pub export_events_per_message: usize,
    /// Events waiting to be published; beyond it the oldest are dropped (`queue_full`).
    pub export_queue_capacity: usize,
    /// At shutdown, how long the exporter keeps publishing what it holds.
    pub export_drain_deadline_ms: u64,
    /// PEM certificate(s) of the authority that signed the NATS servers' certificates, for
    /// a private CA. Set, the connection must be TLS (`tls://` URLs need it only for a CA
    /// the system does not trust).
    pub export_nats_ca_file: Option<std::path::PathBuf>,
}

impl Default for ExportConfig {
    fn default() -> Self {
        Self {
            export_nats_url: None,
            export_stream: "HOPLINK_EVENTS".into(),
            export_subject_prefix: "hoplink.events".into(),
            export_stream_max_age_secs: 7 * 24 * 3600,
            export_events_per_message: DEFAULT_EVENTS_PER_MESSAGE,
            export_queue_capacity: 200_000,
            export_drain_deadline_ms: 10_000,
            export_nats_ca_file: None,
        }
    }
}

impl ExportConfig {
    /// The server list when export is on: unset or blank means off.
    pub(crate) fn nats_url(&self) -> Option<&str> {
        self.export_nats_url
            .as_deref()
            .map(str::trim)
            .filter(|url| !url.is_empty())
    }

    /// The servers of a comma-separated `HOPLINK_EXPORT_NATS_URL`.
    pub(crate) fn servers(&self) -> Result<Vec<async_nats::ServerAddr>, String> {
        match self.nats_url() {
            Some(urls) => parse_servers(urls),
            None => Ok(Vec::new()),
        }
    }

    pub(crate) fn events_per_message(&self) -> usize {
        self.export_events_per_message
            .clamp(1, MAX_EVENTS_PER_MESSAGE)
    }

    pub(crate) fn queue_capacity(&self) -> usize {
        self.export_queue_capacity.max(1)
    }

    pub(crate) fn drain_deadline(&self) -> Duration {
        Duration::from_millis(self.export_drain_deadline_ms)
    }

    pub(crate) fn max_age(&self) -> Duration {
        Duration::from_secs(self.export_stream_max_age_secs)
    }

    /// Checks what NATS would refuse only at the first publish, so a typo stops the
    /// service at start instead of dropping every event.
    pub(crate) fn validate(&self) -> Result<(), String> {
        self.servers()?;
        if let Some(path) = &self.export_nats_ca_file {
            check_ca_file(path)?;
        }
        let stream = &self.export_stream;
        if stream.is_empty()
            || stream.len() > 255
            || stream
                .bytes()
                .any(|b| b.is_ascii_whitespace() || b.is_ascii_control() || b"*>./\\".contains(&b))
        {
            return Err(format!(
                "HOPLINK_EXPORT_STREAM {stream:?}: a stream name is 1-255 characters without \
                 spaces, '.', '*', '>', '/' or '\\'"
            ));
        }
        let prefix = &self.export_subject_prefix;
        let tokens_ok = prefix.split('.').all(|token| {
            !token.is_empty()
                && token
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && b != b'*' && b != b'>')
        });
        if prefix.is_empty() || !tokens_ok {
            return Err(format!(
                "HOPLINK_EXPORT_SUBJECT_PREFIX {prefix:?}: dot-separated non-empty tokens \
                 without spaces or wildcards"
            ));
        }
        Ok(())
    }
}

/// Parses a comma-separated list of NATS URLs (`nats://[user:password@]host:port`).
pub fn parse_servers(urls: &str) -> Result<Vec<async_nats::ServerAddr>, String> {
    urls.split(',')
        .map(|url| {
            // The error never repeats the URL: it may hold a password.
            url.trim()
                .parse()
                .map_err(|error| format!("a NATS server URL in HOPLINK_EXPORT_NATS_URL: {error}"))
        })
        .collect()
}

/// Client options for `servers`, with the credentials their URLs carry: async-nats
/// ignores a URL's `user:password@` (or `token@`) itself, so they are passed on here.
/// With `ca_file`, TLS is required and that authority is trusted besides the system's.
pub fn client_options(
    servers: &[async_nats::ServerAddr],
    ca_file: Option<&std::path::Path>,
) -> async_nats::ConnectOptions {
    let credentials = servers
        .iter()
        .find_map(|s| s.username().map(|user| (user.to_owned(), s.password())));
    let options = match credentials {
        Some((user, Some(password))) => {
            async_nats::ConnectOptions::with_user_and_password(user, password.to_owned())
        }
        Some((token, None)) => async_nats::ConnectOptions::with_token(token),
        None => async_nats::ConnectOptions::new(),
    };
    match ca_file {
        Some(path) => options
            .add_root_certificates(path.to_path_buf())
            .require_tls(true),
        None => options,
    }
}

/// A CA file the client could not load would only show as failed connections, forever.
pub fn check_ca_file(path: &std::path::Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("HOPLINK_EXPORT_NATS_CA_FILE {}: {error}", path.display()))?;
    if text.contains("-----BEGIN CERTIFICATE-----") {
        Ok(())
    } else {
        Err(format!(
            "HOPLINK_EXPORT_NATS_CA_FILE {}: no PEM certificate in it",
            path.display()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_unless_a_url_is_set() {
        let parsed: ExportConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(parsed, ExportConfig::default());
        assert_eq!(parsed.nats_url(), None);
        let blank: ExportConfig = serde_json::from_str(r#"{"export_nats_url": "  "}"#).unwrap();
        assert_eq!(blank.nats_url(), None);
        let on: ExportConfig =
            serde_json::from_str(r#"{"export_nats_url": "nats://127.0.0.1:4222"}"#).unwrap();
        assert_eq!(on.nats_url(), Some("nats://127.0.0.1:4222"));
    }

    #[test]
    fn names_nats_would_refuse_are_refused_at_start() {
        let mut config = ExportConfig::default();
        assert_eq!(config.validate(), Ok(()));
        for stream in ["", "HOP.EVENTS", "HOP EVENTS", "HOP*", "a/b"] {
            config.export_stream = stream.into();
            assert!(config.validate().is_err(), "{stream:?}");
        }
        config.export_stream = "HOPLINK_EVENTS".into();
        for prefix in ["", "a..b", ".a", "a.", "a.*", "a.>", "a b"] {
            config.export_subject_prefix = prefix.into();
            assert!(config.validate().is_err(), "{prefix:?}");
        }
        config.export_subject_prefix = "acme.hoplink-events".into();
        assert_eq!(config.validate(), Ok(()));
        config.export_nats_url = Some("nats://a:4222, nats://b:4222".into());
        assert_eq!(config.servers().map(|s| s.len()), Ok(2));
        config.export_nats_url = Some("nats://a:4222,nats://:x".into());
        let refused = config.validate().unwrap_err();
        config.export_nats_url = Some("nats://u:hunter2@a:4222,nats://u:hunter2@:x".into());
        let refused_with_password = config.validate().unwrap_err();
        assert!(
            !refused_with_password.contains("hunter2"),
            "{refused_with_password}"
        );
        assert!(refused.contains("HOPLINK_EXPORT_NATS_URL"), "{refused}");
    }

    #[test]
    fn zeroes_are_clamped_to_working_values() {
        let config = ExportConfig {
            export_queue_capacity: 0,
            export_events_per_message: 0,
            ..ExportConfig::default()
        };
        assert_eq!(config.queue_capacity(), 1);
        assert_eq!(config.events_per_message(), 1);
        let config = ExportConfig {
            export_events_per_message: 1_000_000,
            ..ExportConfig::default()
        };
        assert_eq!(config.events_per_message(), MAX_EVENTS_PER_MESSAGE);
    }
}
