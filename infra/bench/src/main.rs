//! `hoplink-bench`: Hoplink's benchmark suite.
//!
//! `hoplink-bench suite` builds bench databases on the local Postgres, starts the services
//! under test in their own processes (this binary re-executed as `serve-link` /
//! `serve-api`), drives them with a seeded load generator, measures nginx with the same
//! generator in the same run, and writes a Markdown table and JSON to the results folder.
//! `hoplink-bench smoke` is the seconds-long version CI runs. No timing is asserted:
//! the figures are reported, and goals are marked met or not.

// mimalloc rather than glibc's malloc: measured faster on the click path and about 15%
// less memory per cached link (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod load;
mod report;
mod scenarios;
mod stack;
mod workload;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::report::Report;
use crate::scenarios::Ctx;
use crate::stack::db::BenchDb;

#[derive(Parser)]
#[command(name = "hoplink-bench", about = "Hoplink's benchmark suite")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The whole suite (under 10 minutes on 2 cores).
    Suite(SuiteArgs),
    /// A seconds-long run of every scenario, for CI: checks the suite works, asserts no
    /// timing.
    Smoke(SuiteArgs),
    /// Internal: run a link service from `HOPLINK_*` (a process under test).
    #[command(hide = true)]
    ServeLink,
    /// Internal: run an API service from `HOPLINK_*` (a process under test).
    #[command(hide = true)]
    ServeApi,
    /// Internal: run the bare actix-web 302 server (the framework's floor).
    #[command(hide = true)]
    ServeFloor,
}

#[derive(clap::Args)]
struct SuiteArgs {
    /// Where results go (ignored by git).
    #[arg(long, default_value = "infra/bench/results")]
    out: PathBuf,
    /// Seed of every generated workload.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Run only these scenarios, comma-separated.
    #[arg(long = "only", value_delimiter = ',', value_parser = clap::builder::PossibleValuesParser::new(SCENARIOS))]
    only: Vec<String>,
    /// Labelled User-Agent corpora.
    #[arg(long, env = "HOPLINK_CORPORA", default_value = "../shared/corpora")]
    corpora: PathBuf,
    /// Concurrent connections of the closed-loop runs.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Link counts of the hot scenario (the smoke uses 1000 only).
    #[arg(
        long = "hot-links",
        value_delimiter = ',',
        default_value = "1000,100000,1000000"
    )]
    hot_links: Vec<u64>,
    /// Seconds measured per run.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::ServeLink => serve_link().await,
        Command::ServeApi => serve_api().await,
        Command::ServeFloor => stack::floor::serve().await,
        Command::Suite(args) => suite(args, false).await,
        Command::Smoke(args) => suite(args, true).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve_link() -> anyhow::Result<()> {
    service_kit::telemetry::init();
    let config = link_service::LinkServiceConfig::load().map_err(|e| anyhow::anyhow!("{e}"))?;
    let app = link_service::Application::build(config, service_kit::shutdown::on_signal()).await?;
    app.run_until_stopped().await?;
    Ok(())
}

async fn serve_api() -> anyhow::Result<()> {
    service_kit::telemetry::init();
    let config = api_service::ApiServiceConfig::load().map_err(|e| anyhow::anyhow!("{e}"))?;
    let app = api_service::Application::build(config, service_kit::shutdown::on_signal()).await?;
    app.run_until_stopped().await?;
    Ok(())
}

/// The suite's scenarios, in the order they run.
const SCENARIOS: [&str; 7] = [
    "hot",
    "wrk",
    "export",
    "flash",
    "purge",
    "sdk",
    "cold-start",
];

async fn suite(args: SuiteArgs, quick: bool) -> anyhow::Result<()> {
    let started = chrono::Utc::now();
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    eprintln!(
        "hoplink-bench {}: seed {}",
        if quick { "smoke" } else { "suite" },
        args.seed
    );
    let db = BenchDb::create().await?;
    // The services' variable, else the tests' one (which `.ci/run` exports).
    let aerospike = ["HOPLINK_AEROSPIKE_HOSTS", "HOPLINK_TEST_AEROSPIKE_HOSTS"]
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|h| !h.is_empty()));
    let mut ctx = Ctx {
        db,
        uas: workload::UaMix::load(&args.corpora, 2_000, args.seed),
        seed: args.seed,
        quick,
        report: Report {
            machine: machine(),
            commit: commit(),
            command,
            started_at: started.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            ..Report::default()
        },
        connections: if quick { 16 } else { args.connections },
        warmup: if quick {
            Duration::from_millis(500)
        } else {
            Duration::from_secs(3)
        },
        measure: if quick {
            Duration::from_secs(1)
        } else {
            Duration::from_secs(args.seconds)
        },
        aerospike,
        hot_links: if quick {
            vec![1_000]
        } else {
            args.hot_links.clone()
        },
    };
    let wanted = |name: &str| args.only.is_empty() || args.only.iter().any(|o| o == name);
    if wanted("hot") {
        scenarios::hot::run(&mut ctx).await?;
    }
    if wanted("wrk") {
        scenarios::wrk::run(&mut ctx).await?;
    }
    if wanted("export") {
        scenarios::export::run(&mut ctx).await?;
    }
    if wanted("flash") {
        scenarios::flash::run(&mut ctx).await?;
    }
    if wanted("purge") {
        scenarios::purge::run(&mut ctx).await?;
    }
    if wanted("sdk") {
        scenarios::sdk::run(&mut ctx).await?;
    }
    if wanted("cold-start") {
        scenarios::cold_start::run(&mut ctx).await?;
    }
    let markdown = ctx.report.markdown();
    ctx.report.write(&args.out)?;
    #[allow(clippy::print_stdout, reason = "the report is the command's output")]
    {
        println!("{markdown}");
    }
    eprintln!(
        "results written to {} ({:.0} s)",
        args.out.display(),
        (chrono::Utc::now() - started).num_seconds()
    );
    Ok(())
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let mem_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1048576.0);
    format!("{cores} cores ({cpu}), {mem_gib:.0} GiB")
}

fn commit() -> String {
    std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned())
}
