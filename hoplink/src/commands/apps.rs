use link_core::app::{AndroidPackage, AppStoreId, BundleId, CertFingerprint, TeamId, UriScheme};
use link_core::{AndroidConfig, AppConfig, FieldError, Host, Invalid, IosConfig, ShardId, WebUrl};
use serde_json::json;
use shard_router::catalog::apps::{self, CreatedApp, NewApp};

use crate::cli::{AppsCommand, CreateApp};
use crate::output;

pub async fn run(cmd: AppsCommand) -> anyhow::Result<()> {
    match cmd {
        AppsCommand::Create(args) => {
            let new = parse(&args)?;
            let router = super::router(&args.catalog).await?;
            let created = apps::create(&router, new).await?;
            output::json(&created_json(&created));
        }
        AppsCommand::List(catalog) => {
            let router = super::router(&catalog).await?;
            for app in apps::list(&router).await? {
                output::json(&app);
            }
        }
    }
    Ok(())
}

pub fn created_json(created: &CreatedApp) -> serde_json::Value {
    json!({
        "app_id": created.app_id,
        "name": created.name,
        "shard": created.shard,
        "domains": created.domains,
        "alternate_domain": created.alternate_domain,
        "sdk_key": created.sdk_key.key.expose(),
        "secret_key": created.secret_key.key.expose(),
    })
}

/// Flags to a validated [`NewApp`]; errors name the offending flag.
fn parse(args: &CreateApp) -> Result<NewApp, FieldError> {
    fn opt<T>(
        value: &Option<String>,
        flag: &'static str,
        parse: fn(&str) -> Result<T, Invalid>,
    ) -> Result<Option<T>, FieldError> {
        value
            .as_deref()
            .map(parse)
            .transpose()
            .map_err(|e| e.at(flag))
    }
    let domains = args
        .domains
        .iter()
        .map(|d| Host::parse(d).map_err(|e| e.at(format!("--domain {d}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let fingerprints = args
        .android_sha256
        .iter()
        .map(|f| CertFingerprint::parse(f).map_err(|e| e.at("--android-sha256")))
        .collect::<Result<Vec<_>, _>>()?;
    let config = AppConfig {
        ios: IosConfig {
            bundle_id: opt(&args.ios_bundle_id, "--ios-bundle-id", BundleId::parse)?,
            team_id: opt(&args.ios_team_id, "--ios-team-id", TeamId::parse)?,
            app_store_id: opt(
                &args.ios_app_store_id,
                "--ios-app-store-id",
                AppStoreId::parse,
            )?,
            uri_scheme: opt(&args.ios_scheme, "--ios-scheme", UriScheme::parse)?,
        },
        android: AndroidConfig {
            package: opt(
                &args.android_package,
                "--android-package",
                AndroidPackage::parse,
            )?,
            sha256_cert_fingerprints: fingerprints,
            uri_scheme: opt(&args.android_scheme, "--android-scheme", UriScheme::parse)?,
        },
        fallback_url: opt(&args.fallback_url, "--fallback-url", WebUrl::parse)?,
        desktop_url: opt(&args.desktop_url, "--desktop-url", WebUrl::parse)?,
        long_link_hosts: args
            .long_link_hosts
            .iter()
            .map(|h| Host::parse(h).map_err(|e| e.at("--long-link-host")))
            .collect::<Result<Vec<_>, _>>()?,
        ..AppConfig::default()
    };
    if config.long_link_hosts.len() > link_core::app::MAX_LONG_LINK_HOSTS {
        return Err(FieldError::new("--long-link-host", "at most 50 hosts"));
    }
    // Checked again by the catalog; here so the error names the flag.
    let alternate_domain = opt(&args.alternate_domain, "--alternate-domain", Host::parse)?;
    if let Some(alternate) = &alternate_domain {
        if domains.is_empty() {
            return Err(FieldError::new(
                "--alternate-domain",
                "needs a --domain beside it (short URLs are never built on the alternate domain)",
            ));
        }
        if domains.contains(alternate) {
            return Err(FieldError::new(
                "--alternate-domain",
                format!("{alternate} is also given as --domain"),
            ));
        }
    }
    Ok(NewApp {
        name: args.name.clone(),
        domains,
        alternate_domain,
        config,
        shard: opt(&args.shard, "--shard", ShardId::parse)?,
    })
}
