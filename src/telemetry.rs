//! Logging through `tracing`: a daily-rolling file in `.bosun/logs/` (kept for a week) and,
//! for `bosun run`, stderr; for the terminal interface, a channel of [`LogLine`]s to its Logs
//! pane instead of stderr. The filter comes from `log.level` / `BOSUN_LOG`.

use std::path::Path;

use tokio::sync::mpsc;
use tracing::field::{Field, Visit};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::protocol::{LogLevel, LogLine, TaskId};

/// Keeps the file writer flushing; drop it last.
pub struct LogGuard {
    _file: WorkerGuard,
}

/// Starts logging to `logs_dir` and, when `stderr` is true, to stderr as well.
pub fn init(logs_dir: &Path, level: &str, stderr: bool) -> Result<LogGuard, String> {
    init_with(logs_dir, level, stderr, None)
}

/// Starts logging to `logs_dir` and to a channel (for the interface's Logs pane). Lines are
/// dropped, never waited for, when the channel is full.
pub fn init_for_interface(
    logs_dir: &Path,
    level: &str,
) -> Result<(LogGuard, mpsc::Receiver<LogLine>), String> {
    let (tx, rx) = mpsc::channel(4_096);
    let guard = init_with(logs_dir, level, false, Some(tx))?;
    Ok((guard, rx))
}

fn init_with(
    logs_dir: &Path,
    level: &str,
    stderr: bool,
    channel: Option<mpsc::Sender<LogLine>>,
) -> Result<LogGuard, String> {
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
        .with(channel.map(|tx| {
            ChannelLayer { tx }.with_filter(filter().unwrap_or_else(|_| EnvFilter::new("info")))
        }))
        .try_init()
        .map_err(|e| format!("cannot start logging: {e}"))?;
    Ok(LogGuard { _file: guard })
}

/// Sends each event as a [`LogLine`]: the message, then `key=value` for the other fields; a
/// `task_id` (or `task`) field names the task.
struct ChannelLayer {
    tx: mpsc::Sender<LogLine>,
}

impl<S: tracing::Subscriber> Layer<S> for ChannelLayer {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let meta = event.metadata();
        let mut fields = Fields::default();
        event.record(&mut fields);
        let level = match *meta.level() {
            tracing::Level::ERROR => LogLevel::Error,
            tracing::Level::WARN => LogLevel::Warn,
            tracing::Level::INFO => LogLevel::Info,
            tracing::Level::DEBUG => LogLevel::Debug,
            tracing::Level::TRACE => LogLevel::Trace,
        };
        let mut text = fields.message;
        for (k, v) in fields.rest {
            text.push_str(&format!(" {k}={v}"));
        }
        let _ = self.tx.try_send(LogLine {
            at: crate::time::now_rfc3339(),
            level,
            task_id: fields.task.map(TaskId),
            source: "engine".into(),
            text,
        });
    }
}

#[derive(Default)]
struct Fields {
    message: String,
    task: Option<String>,
    rest: Vec<(&'static str, String)>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.message = value.to_string(),
            "task_id" | "task" => self.task = Some(value.to_string()),
            name => self.rest.push((name, value.to_string())),
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        match field.name() {
            "message" => self.message = text,
            "task_id" | "task" => self.task = Some(text.trim_matches('"').to_string()),
            name => self.rest.push((name, text)),
        }
    }
}
