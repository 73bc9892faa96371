//! Command-line definitions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "hoplink", version, about = "Operate a Hoplink deployment.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Clone)]
pub struct CatalogArgs {
    /// Catalog database URL.
    #[arg(long, env = "HOPLINK_CATALOG_URL", hide_env_values = true)]
    pub catalog_url: String,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the catalog and every registered shard (idempotent).
    Migrate(CatalogArgs),
    /// Register and list Postgres shards.
    #[command(subcommand)]
    Shards(ShardsCommand),
    /// Create and list apps.
    #[command(subcommand)]
    Apps(AppsCommand),
    /// Manage API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Raw click data.
    #[command(subcommand)]
    Clicks(ClicksCommand),
    /// Raw installs, opens and SDK events.
    #[command(subcommand)]
    Sessions(SessionsCommand),
    /// The event stream export (NATS JetStream).
    #[command(subcommand)]
    Events(EventsCommand),
    /// The events a service keeps on disk while their shards do not take writes
    /// (HOPLINK_EVENTS_SPOOL_DIR).
    #[command(subcommand)]
    Spool(SpoolCommand),
    /// Run the whole stack locally with demo data (a private Postgres unless
    /// HOPLINK_CATALOG_URL is set).
    Dev(DevArgs),
}

#[derive(Debug, Subcommand)]
pub enum ShardsCommand {
    /// Check, migrate and register a shard database.
    Add {
        /// Shard name: a-z, 0-9, '-' and '_'.
        name: String,
        /// postgres:// URL of the shard database.
        url: String,
        /// Relative capacity used by placement.
        #[arg(long, default_value_t = 100)]
        weight: i32,
        #[command(flatten)]
        catalog: CatalogArgs,
    },
    /// List shards as JSON lines.
    List(CatalogArgs),
}

#[derive(Debug, Subcommand)]
pub enum AppsCommand {
    /// Create an app and print its id, shard and keys as one JSON object.
    Create(Box<CreateApp>),
    /// List apps as JSON lines.
    List(CatalogArgs),
}

#[derive(Debug, Args)]
pub struct CreateApp {
    /// Display name of the app.
    pub name: String,
    /// A link domain of the app (repeatable).
    #[arg(long = "domain", value_name = "HOST")]
    pub domains: Vec<String>,
    /// A further domain that serves the app's links but never its short URLs: the iOS
    /// interstitial's "Open in app" button links there, so iOS opens the app by
    /// Universal Link. Needs a --domain beside it; list it in the app's Associated
    /// Domains entitlement too.
    #[arg(long, value_name = "HOST")]
    pub alternate_domain: Option<String>,
    /// Place on this shard instead of the least loaded one.
    #[arg(long)]
    pub shard: Option<String>,
    #[arg(long)]
    pub ios_bundle_id: Option<String>,
    #[arg(long)]
    pub ios_team_id: Option<String>,
    #[arg(long)]
    pub ios_app_store_id: Option<String>,
    #[arg(long)]
    pub ios_scheme: Option<String>,
    #[arg(long)]
    pub android_package: Option<String>,
    /// SHA-256 signing certificate fingerprint (repeatable).
    #[arg(long = "android-sha256", value_name = "FINGERPRINT")]
    pub android_sha256: Vec<String>,
    #[arg(long)]
    pub android_scheme: Option<String>,
    #[arg(long)]
    pub fallback_url: Option<String>,
    #[arg(long)]
    pub desktop_url: Option<String>,
    /// A site, besides the fallback and desktop URLs' hosts, that long links may lead to,
    /// with its subdomains (repeatable).
    #[arg(long = "long-link-host", value_name = "HOST")]
    pub long_link_hosts: Vec<String>,
    #[command(flatten)]
    pub catalog: CatalogArgs,
}

#[derive(Debug, Subcommand)]
pub enum ClicksCommand {
    /// Delete raw clicks older than the retention from every shard (stats are kept in
    /// the daily rollups); prints one JSON line per shard. Run it on a schedule.
    Prune(PruneArgs),
}

#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// Delete raw installs, opens and SDK events older than the retention from every shard
    /// (their counts are kept in the daily rollups); prints one JSON line per shard and
    /// table. Run it on a schedule.
    Prune(PruneArgs),
}

#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Print exported event records as JSON lines as they arrive (or from the oldest the
    /// stream keeps), optionally of one app or kind.
    Tail(TailArgs),
}

#[derive(Debug, Args)]
pub struct TailArgs {
    /// The NATS server the services export to.
    #[arg(
        long,
        env = "HOPLINK_EXPORT_NATS_URL",
        default_value = "nats://127.0.0.1:4222"
    )]
    pub nats_url: String,
    /// The export's stream.
    #[arg(long, env = "HOPLINK_EXPORT_STREAM", default_value = "HOPLINK_EVENTS")]
    pub stream: String,
    /// The export's subject prefix.
    #[arg(
        long,
        env = "HOPLINK_EXPORT_SUBJECT_PREFIX",
        default_value = "hoplink.events"
    )]
    pub subject_prefix: String,
    /// Only this app's events.
    #[arg(long)]
    pub app: Option<i64>,
    /// Only events of this kind.
    #[arg(long, value_enum)]
    pub kind: Option<EventKind>,
    /// Start at the oldest record the stream keeps instead of the next one to arrive.
    #[arg(long)]
    pub from_start: bool,
    /// Exit after this many records.
    #[arg(long)]
    pub limit: Option<u64>,
    /// PEM certificate of the authority that signed the NATS server's (TLS required).
    #[arg(long, env = "HOPLINK_EXPORT_NATS_CA_FILE")]
    pub nats_ca_file: Option<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum SpoolCommand {
    /// What a spool directory holds: one JSON line per event kind.
    Status(SpoolDirArgs),
    /// Write to their shards the events of a spool no service runs on any more (a pod
    /// scaled away, a retired host); one JSON line per event kind. Fails while a service
    /// holds the directory (it writes them itself), and when events are left at the
    /// timeout (their shards did not take writes): run it again.
    Drain(DrainArgs),
}

#[derive(Debug, Args)]
pub struct SpoolDirArgs {
    /// The spool directory: the service's HOPLINK_EVENTS_SPOOL_DIR.
    #[arg(long, env = "HOPLINK_EVENTS_SPOOL_DIR")]
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct DrainArgs {
    #[command(flatten)]
    pub spool: SpoolDirArgs,
    /// Stop after this many seconds; what is not written by then stays in the spool.
    #[arg(long, default_value_t = 600)]
    pub timeout_secs: u64,
    #[command(flatten)]
    pub catalog: CatalogArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EventKind {
    Click,
    Install,
    Open,
    SdkEvent,
}

impl EventKind {
    /// The kind's subject token.
    pub fn token(self) -> &'static str {
        match self {
            Self::Click => "click",
            Self::Install => "install",
            Self::Open => "open",
            Self::SdkEvent => "sdk_event",
        }
    }
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Keep this many days of rows; at least 91, one day beyond the longest attribution
    /// window, so no attribution changes.
    #[arg(long, value_name = "DAYS")]
    pub older_than_days: u32,
    /// Rows deleted per statement.
    #[arg(long, default_value_t = link_store::retention::DEFAULT_BATCH)]
    pub batch_size: u32,
    #[command(flatten)]
    pub catalog: CatalogArgs,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Revoke an app's keys and issue new ones; prints them as JSON.
    Rotate {
        app_id: String,
        /// Which keys to rotate.
        #[arg(long, value_enum, default_value_t = KeySelection::Both)]
        kind: KeySelection,
        #[command(flatten)]
        catalog: CatalogArgs,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KeySelection {
    Sdk,
    Secret,
    Both,
}

#[derive(Debug, Args)]
pub struct DevArgs {
    /// Folder for the private Postgres cluster and demo state.
    #[arg(long, default_value = ".hoplink-dev")]
    pub dir: PathBuf,
    /// Port of the link service.
    #[arg(long, default_value_t = 8080)]
    pub link_port: u16,
    /// Port of the API service.
    #[arg(long, default_value_t = 8081)]
    pub api_port: u16,
    /// Use this catalog instead of a private Postgres.
    #[arg(long, env = "HOPLINK_CATALOG_URL", hide_env_values = true)]
    pub catalog_url: Option<String>,
    /// Also publish every event to this NATS server's JetStream (stream `HOPLINK_EVENTS`,
    /// subjects `hoplink.events.<kind>.<app id>`).
    #[arg(long, env = "HOPLINK_EXPORT_NATS_URL")]
    pub export_nats_url: Option<String>,
}
