//! Logging through `tracing`: a daily-rolling file in `.bosun/logs/` (kept for a week) and,
//! for `bosun run`, stderr. The filter comes from `log.level` / `BOSUN_LOG`.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Keeps the file writer flushing; drop it last.
pub struct LogGuard {
    _file: WorkerGuard,
}

/// Starts logging to `logs_dir` and, when `stderr` is true, to stderr as well.
pub fn init(logs_dir: &Path, level: &str, stderr: bool) -> Result<LogGuard, String> {
    let filter = || {
        EnvFilter::try_new(level)
            .map_err(|e| format!("log level `{level}` is not a valid filter: {e}"))
    };
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("bosun")
        .filename_suffix("log")
        .max_log_files(7)
        .build(logs_dir)
        .map_err(|e| format!("cannot write logs in {}: {e}", logs_dir.display()))?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let file_layer = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(false)
        .with_filter(filter()?);
    let stderr_layer = stderr.then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_target(false)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .compact()
    });
    tracing_subscriber::registry()
        .with(file_layer)
        .with(
            stderr_layer
                .map(|l| l.with_filter(filter().unwrap_or_else(|_| EnvFilter::new("info")))),
        )
        .try_init()
        .map_err(|e| format!("cannot start logging: {e}"))?;
    Ok(LogGuard { _file: guard })
}
