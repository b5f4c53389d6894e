//! Running the built `bosun` against a project from a benchmark (each bench that needs it
//! includes this file as a module), and reading the times it records.

use std::path::Path;
use std::process::Command;

/// `bosun ARGS --project PROJECT`, Redis off.
pub fn bosun(project: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_bosun"))
        .args(args)
        .arg("--project")
        .arg(project)
        .env("BOSUN_REDIS_URL", "off")
        .output()
        .expect("bosun")
}

/// Milliseconds between two RFC 3339 times the store recorded.
pub fn millis_between(from: &str, to: &str) -> f64 {
    let from = bosun::time::parse_rfc3339(from).expect("time");
    let to = bosun::time::parse_rfc3339(to).expect("time");
    (to - from).as_seconds_f64() * 1000.0
}
