//! What the CLI prints: JSON on stdout for results (one object, or one per line for
//! lists), a one-line `error: ...` with its causes on stderr.

use serde::Serialize;

#[allow(clippy::print_stdout, reason = "printing results is the CLI's job")]
pub fn json(value: &impl Serialize) {
    match serde_json::to_string(value) {
        Ok(line) => println!("{line}"),
        Err(e) => eprintln!("error: could not encode output: {e}"),
    }
}

#[allow(clippy::print_stdout, reason = "printing results is the CLI's job")]
pub fn text(line: &str) {
    println!("{line}");
}

pub fn error(error: &anyhow::Error) {
    let mut text = error.to_string();
    for cause in error.chain().skip(1) {
        text.push_str(": ");
        text.push_str(&cause.to_string());
    }
    eprintln!("error: {text}");
}
