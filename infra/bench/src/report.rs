//! Results: one row per measured run, written as a Markdown table and a JSON file.

use std::path::Path;

use serde::Serialize;

use crate::load::stats::Summary;

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub scenario: String,
    pub system: String,
    pub label: String,
    #[serde(flatten)]
    pub summary: Summary,
    /// Hoplink throughput divided by nginx's in the same run, where measured.
    pub ratio_to_nginx: Option<f64>,
    pub origin_loads: Option<f64>,
    pub rss_mib: Option<f64>,
    pub cpu_us_per_request: Option<f64>,
    /// Postgres CPU per request over the same window (all of the machine's `postgres`).
    pub db_cpu_us_per_request: Option<f64>,
    pub errors: u64,
    pub notes: String,
}

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub machine: String,
    pub commit: String,
    pub command: String,
    pub started_at: String,
    pub rows: Vec<Row>,
    pub goals: Vec<Goal>,
}

/// A target from the issue and whether this run met it.
#[derive(Debug, Clone, Serialize)]
pub struct Goal {
    pub goal: String,
    pub measured: String,
    pub met: bool,
}

impl Report {
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "Machine: {}  \nCommit: {}  \nCommand: `{}`  \nStarted: {}\n\n",
            self.machine, self.commit, self.command, self.started_at
        ));
        out.push_str("| scenario | system | run | req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | errors | x nginx | origin loads | RSS MiB | CPU µs/req | Postgres CPU µs/req | notes |\n");
        out.push_str("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for r in &self.rows {
            let opt = |v: Option<f64>, digits: usize| {
                v.map_or("".to_owned(), |v| format!("{v:.digits$}"))
            };
            out.push_str(&format!(
                "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {} | {} | {} | {} | {} | {} |\n",
                r.scenario,
                r.system,
                r.label,
                r.summary.throughput,
                r.summary.p50_ms,
                r.summary.p90_ms,
                r.summary.p99_ms,
                r.summary.p999_ms,
                r.errors,
                opt(r.ratio_to_nginx, 2),
                opt(r.origin_loads, 0),
                opt(r.rss_mib, 1),
                opt(r.cpu_us_per_request, 1),
                opt(r.db_cpu_us_per_request, 1),
                r.notes,
            ));
        }
        if !self.goals.is_empty() {
            out.push_str("\n| goal | measured | met |\n|---|---|---|\n");
            for g in &self.goals {
                out.push_str(&format!(
                    "| {} | {} | {} |\n",
                    g.goal,
                    g.measured,
                    if g.met { "yes" } else { "**no**" }
                ));
            }
        }
        out
    }

    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir)?;
        let stamp = self.started_at.replace([':', ' '], "-");
        std::fs::write(
            dir.join(format!("bench-{stamp}.json")),
            serde_json::to_string_pretty(self)?,
        )?;
        std::fs::write(dir.join(format!("bench-{stamp}.md")), self.markdown())?;
        std::fs::write(dir.join("latest.md"), self.markdown())?;
        std::fs::write(dir.join("latest.json"), serde_json::to_string_pretty(self)?)?;
        Ok(())
    }
}
