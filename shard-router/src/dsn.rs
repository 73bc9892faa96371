//! [`ShardDsn`]: a Postgres connection URL, checked when it is given rather than when the
//! first query fails, and redacted whenever it is shown.

use std::fmt;
use std::str::FromStr;

use link_core::Invalid;
use sqlx::postgres::PgConnectOptions;

#[derive(Clone, PartialEq, Eq)]
pub struct ShardDsn(String);

impl ShardDsn {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let raw = raw.trim();
        if !(raw.starts_with("postgres://") || raw.starts_with("postgresql://")) {
            return Err(Invalid::new("must be a postgres:// or postgresql:// URL"));
        }
        let url =
            url::Url::parse(raw).map_err(|e| Invalid::new(format!("not a valid URL: {e}")))?;
        if url.host_str().is_none_or(str::is_empty) && !raw.contains("host=") {
            return Err(Invalid::new("must name a host"));
        }
        if url.path().trim_start_matches('/').is_empty() {
            return Err(Invalid::new(
                "must name a database, e.g. postgres://host/hoplink_shard_1",
            ));
        }
        PgConnectOptions::from_str(raw)
            .map_err(|e| Invalid::new(format!("not a valid Postgres URL: {e}")))?;
        Ok(Self(raw.to_owned()))
    }

    pub fn connect_options(&self) -> PgConnectOptions {
        // Parsed once in `parse`; a parse failure here would mean the string changed.
        PgConnectOptions::from_str(&self.0).unwrap_or_default()
    }

    /// The URL with credentials, for connecting and for storing in the catalog.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL without password, for logs and CLI output.
    pub fn redacted(&self) -> String {
        match url::Url::parse(&self.0) {
            Ok(mut url) => {
                if url.password().is_some() {
                    let _ = url.set_password(Some("****"));
                }
                url.into()
            }
            Err(_) => "<unparseable>".to_owned(),
        }
    }
}

impl fmt::Debug for ShardDsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ShardDsn({})", self.redacted())
    }
}

impl fmt::Display for ShardDsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_postgres_urls_and_redacts_passwords() {
        let dsn = ShardDsn::parse("postgres://hop:s3cret@db1:5432/shard_1?sslmode=prefer").unwrap();
        assert_eq!(
            dsn.redacted(),
            "postgres://hop:****@db1:5432/shard_1?sslmode=prefer"
        );
        assert!(!format!("{dsn:?}").contains("s3cret"));
        assert!(ShardDsn::parse("postgresql://127.0.0.1/x").is_ok());
    }

    #[test]
    fn rejects_malformed_urls() {
        for bad in [
            "",
            "mysql://db/x",
            "postgres://",
            "postgres://db1",
            "postgres://db1:notaport/x",
            "not a url",
            "postgres://db1/x?sslmode=bogus",
        ] {
            assert!(ShardDsn::parse(bad).is_err(), "{bad:?}");
        }
    }
}
