//! Logging through `tracing`: a daily-rolling file in `.bosun/logs/` (kept for a week) and,
//! for `bosun run`, stderr; for the terminal interface, a channel of [`LogLine`]s to its Logs
//! pane instead of stderr. The filter comes from `log.level` / `BOSUN_LOG`. The log files are
//! private to their owner, as all of Bosun's files are (see [`PrivateRolling`]).

use std::io::Write;
use std::path::{Path, PathBuf};

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
    let (writer, guard) = tracing_appender::non_blocking(PrivateRolling::new(logs_dir)?);
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

/// The daily-rolling log file, each new file of which is made private (mode 0600).
///
/// `tracing-appender` creates a day's file with the default mode (0644 less the umask) and has
/// no option for it, nor a hook when it rolls over. Its folder, `.bosun/logs`, is private
/// (0700), so others never reach the file through it; on top of that, the first write that
/// finds a new UTC day's file (the appender rolls over inside a write, at UTC midnight) makes
/// that file 0600. One clock reading per line, a `chmod` per day. The file's name is the
/// appender's `bosun.YYYY-MM-DD.log` (a test holds it to that).
pub struct PrivateRolling {
    inner: tracing_appender::rolling::RollingFileAppender,
    dir: PathBuf,
    /// The UTC day whose file was made private.
    done: Option<time::Date>,
}

impl PrivateRolling {
    /// Logs to `logs_dir`, a file a day, the newest 7 kept.
    pub fn new(logs_dir: &Path) -> Result<PrivateRolling, String> {
        let inner = tracing_appender::rolling::Builder::new()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .filename_prefix("bosun")
            .filename_suffix("log")
            .max_log_files(7)
            .build(logs_dir)
            .map_err(|e| format!("cannot write logs in {}: {e}", logs_dir.display()))?;
        let mut appender = PrivateRolling {
            inner,
            dir: logs_dir.to_path_buf(),
            done: None,
        };
        // The appender made today's file as it started: private before the first line.
        appender.make_private();
        Ok(appender)
    }

    /// The file of `day`, as the appender names it.
    fn file(&self, day: time::Date) -> PathBuf {
        self.dir.join(format!(
            "bosun.{:04}-{:02}-{:02}.log",
            day.year(),
            u8::from(day.month()),
            day.day()
        ))
    }

    /// Makes today's file private once it exists.
    fn make_private(&mut self) {
        let today = time::OffsetDateTime::now_utc().date();
        if self.done == Some(today) {
            return;
        }
        let file = self.file(today);
        if std::fs::symlink_metadata(&file).is_ok() {
            // A failure leaves the file in its private folder; it is tried again at the start.
            let _ = crate::config::private::tighten_file(&file);
            self.done = Some(today);
        }
    }
}

impl Write for PrivateRolling {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.make_private();
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
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

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;

    use super::PrivateRolling;

    #[test]
    fn the_day_file_is_named_as_the_appender_names_it_and_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut appender = PrivateRolling::new(dir.path()).expect("appender");
        appender.write_all(b"a line\n").expect("write");
        appender.flush().expect("flush");
        let file = dir
            .path()
            .join(format!("bosun.{}.log", crate::time::utc_day()));
        let meta = std::fs::metadata(&file).expect("today's file, by the name we expect");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read_to_string(&file).expect("read"), "a line\n");
    }
}
