//! Accuracy of [`classify`] against the labelled User-Agent corpora in
//! `shared/corpora/` (beside the workspace, not in it; see its README), or in the folder
//! `HOPLINK_CORPORA` names.
//!
//! Prints a per-class table (OS family, device class, bot detection, in-app apps) with a
//! few misclassified examples per class, then asserts the targets: at least 99.5% of iOS,
//! Android and desktop (Windows, macOS, Linux) rows get the right OS family, at least 99%
//! of bots are caught, and under 1% of people are taken for bots. The labels come from
//! other projects' test data and about a dozen strings carry conflicting labels; the
//! thresholds leave room for those.
//!
//! The report goes straight to stderr so it shows without `--nocapture`. Where the corpora
//! are absent the test says so loudly and passes.

use link_core::client::{BotKind, ClientInfo, DeviceClass, InAppBrowser, OsFamily, classify};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

const EXAMPLES_PER_CLASS: usize = 4;

/// Set to a file path to get every misclassified row, not just a few per class.
const DUMP_VAR: &str = "HOPLINK_CORPUS_DUMP";

/// Where the corpora are when they are not beside the workspace (a clone elsewhere).
const CORPORA_VAR: &str = "HOPLINK_CORPORA";

fn corpus_dir() -> PathBuf {
    match std::env::var_os(CORPORA_VAR) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora"),
    }
}

/// Writes past libtest's output capture, so the report is seen on every run.
fn emit(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

struct Row {
    ua: String,
    os: String,
    device: String,
    is_bot: bool,
    /// `(is_inapp, app)` in in-app-browsers.tsv.
    in_app: Option<(bool, String)>,
}

fn read_rows(path: &Path) -> Option<Vec<Row>> {
    let text = std::fs::read(path).ok()?;
    // A few rows carry bytes that are not UTF-8; a real header could too.
    let text = String::from_utf8_lossy(&text);
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next()?.split('\t').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    let (ua, os, device, bot) = (
        col("ua"),
        col("os_family"),
        col("device_class"),
        col("is_bot"),
    );
    let in_app = header
        .iter()
        .position(|h| *h == "is_inapp")
        .map(|i| (i, col("app")));
    let rows = lines
        .filter(|line| !line.is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            Row {
                ua: f[ua].to_owned(),
                os: f[os].to_owned(),
                device: f[device].to_owned(),
                is_bot: f[bot] == "1",
                in_app: in_app.map(|(flag, app)| (f[flag] == "1", f[app].to_owned())),
            }
        })
        .collect();
    Some(rows)
}

fn os_label(os: OsFamily) -> &'static str {
    match os {
        OsFamily::Ios => "ios",
        OsFamily::Android => "android",
        OsFamily::Windows => "windows",
        OsFamily::Macos => "macos",
        OsFamily::Linux => "linux",
        // The corpus files Chrome OS (CrOS and Android-on-Chromebook) under "other".
        OsFamily::ChromeOs | OsFamily::Other => "other",
    }
}

fn device_label(device: DeviceClass) -> &'static str {
    match device {
        DeviceClass::Mobile => "mobile",
        DeviceClass::Tablet => "tablet",
        DeviceClass::Desktop => "desktop",
        DeviceClass::Bot => "bot",
        DeviceClass::Other => "other",
    }
}

/// Hits and misses for one class, with a few misses to look at.
#[derive(Default)]
struct Tally {
    total: usize,
    correct: usize,
    examples: Vec<String>,
}

impl Tally {
    fn add(&mut self, ok: bool, example: impl FnOnce() -> String) {
        self.total += 1;
        if ok {
            self.correct += 1;
        } else {
            self.examples.push(example());
        }
    }

    fn rate(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.correct as f64 / self.total as f64
        }
    }

    /// A table line with a few examples to `out`, and every example to `dump`.
    fn line(&self, out: &mut Report, name: &str) {
        let (out, dump) = (&mut out.text, &mut out.dump);
        for example in &self.examples {
            let _ = writeln!(dump, "{name}\t{example}");
        }
        let _ = writeln!(
            out,
            "  {name:<22} {:>6} rows  {:>6} right  {:>6} wrong  {:>7.3}%",
            self.total,
            self.correct,
            self.total - self.correct,
            100.0 * self.rate()
        );
        for example in self.examples.iter().take(EXAMPLES_PER_CLASS) {
            let _ = writeln!(out, "      x {example}");
        }
    }
}

/// The printed table, and the full list of misses for [`DUMP_VAR`].
#[derive(Default)]
struct Report {
    text: String,
    dump: String,
}

fn short(ua: &str) -> String {
    let mut s: String = ua.chars().take(150).collect();
    if s.len() < ua.len() {
        s.push_str("...");
    }
    s
}

fn describe(info: &ClientInfo) -> String {
    format!(
        "[{} {} {} bot={:?} app={:?}]",
        os_label(info.os),
        device_label(info.device),
        info.platform.as_str(),
        info.bot,
        info.in_app.map(InAppBrowser::as_str)
    )
}

#[test]
fn corpus_accuracy() {
    let dir = corpus_dir();
    let ua_path = dir.join("user-agents.tsv");
    let in_app_path = dir.join("in-app-browsers.tsv");
    let (Some(rows), Some(in_app_rows)) = (read_rows(&ua_path), read_rows(&in_app_path)) else {
        emit(&format!(
            "\n!!!!!!!!\nSKIPPED: corpus not found at {} (need user-agents.tsv and in-app-browsers.tsv)\n!!!!!!!!\n\n",
            dir.display()
        ));
        return;
    };

    let mut report = Report::default();
    let out = &mut report;
    let _ = writeln!(
        out.text,
        "\n=== client classification vs {} ===",
        dir.display()
    );
    let _ = writeln!(
        out.text,
        "user-agents.tsv: {} rows; in-app-browsers.tsv: {} rows",
        rows.len(),
        in_app_rows.len()
    );
    report_conflicts(&mut out.text, &rows);

    let mut os: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut desktop = Tally::default();
    let mut device: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut bot_recall = Tally::default();
    let mut human = Tally::default();
    let mut bot_kinds: BTreeMap<String, usize> = BTreeMap::new();

    for row in &rows {
        let info = classify(&row.ua);
        let example = || {
            format!(
                "want {}/{} got {} {}",
                row.os,
                row.device,
                describe(&info),
                short(&row.ua)
            )
        };
        if row.is_bot {
            bot_recall.add(info.is_bot(), example);
            *bot_kinds.entry(format!("{:?}", info.bot)).or_default() += 1;
            continue;
        }
        human.add(!info.is_bot(), example);
        let predicted = os_label(info.os);
        os.entry(row.os.as_str())
            .or_default()
            .add(predicted == row.os, example);
        if matches!(row.os.as_str(), "windows" | "macos" | "linux") {
            desktop.add(predicted == row.os, example);
        }
        if matches!(row.device.as_str(), "mobile" | "tablet" | "desktop") {
            device
                .entry(row.device.as_str())
                .or_default()
                .add(device_label(info.device) == row.device, example);
        }
    }

    let _ = writeln!(
        out.text,
        "\nOS family (people only; bot rows carry os=other):"
    );
    for (label, tally) in &os {
        tally.line(out, label);
    }
    desktop.line(out, "desktop (win+mac+linux)");

    let _ = writeln!(out.text, "\nDevice class (people only):");
    for (label, tally) in &device {
        tally.line(out, label);
    }

    let _ = writeln!(out.text, "\nBots:");
    bot_recall.line(out, "bots caught (recall)");
    human.line(out, "people not taken as bots");
    let false_positives = human.total - human.correct;
    let caught = bot_recall.correct;
    let precision = caught as f64 / (caught + false_positives).max(1) as f64;
    let _ = writeln!(
        out.text,
        "  bot precision {:.3}%  false-positive rate {:.3}% ({} of {} people)",
        100.0 * precision,
        100.0 * (1.0 - human.rate()),
        false_positives,
        human.total
    );
    let _ = writeln!(out.text, "  kinds given to bot rows: {bot_kinds:?}");

    let in_app_summary = measure_in_app(out, &in_app_rows);

    emit(&out.text);
    if let Ok(path) = std::env::var(DUMP_VAR) {
        std::fs::write(&path, &out.dump).expect("write the dump file");
        emit(&format!("all misclassified rows written to {path}\n"));
    }

    let ios = os.get("ios").map_or(1.0, Tally::rate);
    let android = os.get("android").map_or(1.0, Tally::rate);
    assert!(ios >= 0.995, "iOS OS accuracy {:.3}% < 99.5%", 100.0 * ios);
    assert!(
        android >= 0.995,
        "Android OS accuracy {:.3}% < 99.5%",
        100.0 * android
    );
    assert!(
        desktop.rate() >= 0.995,
        "desktop OS accuracy {:.3}% < 99.5%",
        100.0 * desktop.rate()
    );
    assert!(
        bot_recall.rate() >= 0.99,
        "bot recall {:.3}% < 99%",
        100.0 * bot_recall.rate()
    );
    assert!(
        human.rate() > 0.99,
        "bot false-positive rate {:.3}% >= 1%",
        100.0 * (1.0 - human.rate())
    );
    assert!(
        in_app_summary.rate() >= 0.95,
        "in-app detection {:.3}% < 95%",
        100.0 * in_app_summary.rate()
    );
}

/// In-app detection on in-app-browsers.tsv: is it an in-app browser at all, and which app.
fn measure_in_app(out: &mut Report, rows: &[Row]) -> Tally {
    let mut detected = Tally::default();
    let mut not_in_app = Tally::default();
    let mut per_app: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut imessage_previews = Tally::default();

    for row in rows {
        let Some((is_in_app, app)) = &row.in_app else {
            continue;
        };
        let info = classify(&row.ua);
        let example = || format!("want {app} got {} {}", describe(&info), short(&row.ua));
        if !is_in_app {
            not_in_app.add(info.in_app.is_none(), example);
            continue;
        }
        if app == "imessage" {
            // Not an in-app browser (Messages opens links in Safari): these are Messages'
            // own fetches, which we treat as link-preview traffic.
            imessage_previews.add(info.bot == Some(BotKind::LinkPreview), example);
            continue;
        }
        detected.add(info.in_app.is_some(), example);
        let named = info.in_app.map(InAppBrowser::as_str) == Some(app.as_str());
        per_app.entry(app.as_str()).or_default().add(named, example);
    }

    let _ = writeln!(out.text, "\nIn-app browsers (in-app-browsers.tsv):");
    detected.line(out, "in-app detected");
    not_in_app.line(out, "plain browsers left alone");
    imessage_previews.line(out, "imessage -> preview bot");
    let _ = writeln!(out.text, "  app named correctly, per app:");
    for (app, tally) in &per_app {
        tally.line(out, app);
    }
    detected
}

/// Strings that appear more than once with different labels.
fn report_conflicts(out: &mut String, rows: &[Row]) {
    let mut labels: HashMap<&str, Vec<(&str, &str, bool)>> = HashMap::new();
    for row in rows {
        labels
            .entry(row.ua.as_str())
            .or_default()
            .push((&row.os, &row.device, row.is_bot));
    }
    let mut conflicts: Vec<&str> = labels
        .iter()
        .filter(|(_, l)| l.windows(2).any(|w| w[0] != w[1]))
        .map(|(ua, _)| *ua)
        .collect();
    conflicts.sort_unstable();
    let _ = writeln!(out, "strings with conflicting labels: {}", conflicts.len());
    for ua in conflicts.iter().take(EXAMPLES_PER_CLASS) {
        let _ = writeln!(out, "      ~ {} {:?}", short(ua), labels[ua]);
    }
}
