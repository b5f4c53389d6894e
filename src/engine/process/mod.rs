//! Running one skill process: its own process group, bounded output capture, timeout and
//! cancellation that end the whole group (SIGTERM, then SIGKILL after a grace period), and a
//! parent-death signal so it does not outlive a crashed engine by much.
//!
//! Running a process is two-phase — [`spawn`] then [`Running::wait`] — so the caller can commit
//! the PID and start time before the step is considered running.

mod procfs;
mod supervise;
mod tail;

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};
use tokio_util::sync::CancellationToken;

pub use procfs::{
    end_group_if_ours, end_leftover_groups, live_process_start_time, process_start_time,
};
pub use supervise::{SUPERVISE_VERB, supervise};
pub use tail::TailBuffer;

/// What to run and how.
#[derive(Debug, Clone)]
pub struct ProcessSpec {
    pub argv: Vec<String>,
    pub cwd: PathBuf,
    pub env: Vec<(String, String)>,
    pub timeout: Option<Duration>,
    /// Bytes kept of stdout and of stderr (each keeps its tail).
    pub output_limit: usize,
    pub kill_grace: Duration,
    /// The `bosun` binary, to lead the step's group as `bosun __step` (see `supervise`);
    /// `None` runs the command directly, with a parent-death signal for it alone.
    pub supervisor: Option<PathBuf>,
    /// A protocol on stdin and stdout (an agent): both are piped and left to the caller
    /// ([`Running::take_pipes`]); only stderr is captured. Its engine's death gives it this
    /// long after SIGTERM to save its state.
    pub protocol: Option<Duration>,
}

/// Why the process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Exited,
    TimedOut,
    Cancelled,
}

/// The result of a finished process.
#[derive(Debug, Clone)]
pub struct ProcessOutcome {
    pub ended: Ended,
    /// The exit code, or `None` when a signal ended it.
    pub exit_code: Option<i64>,
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// A started process, not yet waited for.
pub struct Running {
    child: Child,
    pub pid: u32,
    /// The kernel's start time of the process (clock ticks since boot): with the PID it
    /// identifies the process even after PIDs are reused.
    pub start_time: Option<u64>,
    spec: ProcessSpec,
    readers: Vec<tokio::task::JoinHandle<()>>,
    stdout: Arc<Mutex<TailBuffer>>,
    stderr: Arc<Mutex<TailBuffer>>,
}

/// Starts the process in a new process group with piped, bounded output.
pub fn spawn(spec: ProcessSpec) -> std::io::Result<Running> {
    let (program, args) = spec
        .argv
        .split_first()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "empty command"))?;
    let mut command = match &spec.supervisor {
        Some(bosun) => {
            let mut c = Command::new(bosun);
            c.arg(SUPERVISE_VERB)
                .arg("--parent")
                .arg(std::process::id().to_string());
            if let Some(grace) = spec.protocol {
                c.arg("--grace-ms").arg(grace.as_millis().to_string());
            }
            c.arg("--").arg(program).args(args);
            c
        }
        None => {
            let mut c = Command::new(program);
            c.args(args);
            // SAFETY: the closure runs in the child between fork and exec and only makes the
            // prctl system call, which is async-signal-safe; it allocates and locks nothing.
            unsafe {
                c.pre_exec(|| {
                    nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
                        .map_err(std::io::Error::from)
                });
            }
            c
        }
    };
    command
        .current_dir(&spec.cwd)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(if spec.protocol.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(false);
    let mut child = command.spawn()?;
    let pid = child.id().unwrap_or_default();
    let stdout = Arc::new(Mutex::new(TailBuffer::new(spec.output_limit)));
    let stderr = Arc::new(Mutex::new(TailBuffer::new(spec.output_limit)));
    let mut readers = Vec::new();
    if spec.protocol.is_none()
        && let Some(out) = child.stdout.take()
    {
        readers.push(tokio::spawn(read_tail(out, stdout.clone())));
    }
    if let Some(err) = child.stderr.take() {
        readers.push(tokio::spawn(read_tail(err, stderr.clone())));
    }
    Ok(Running {
        child,
        pid,
        start_time: process_start_time(pid),
        spec,
        readers,
        stdout,
        stderr,
    })
}

/// Reads a pipe into a shared tail buffer, so that what was read survives if the reader has to
/// be abandoned (a detached process may hold the pipe open forever).
async fn read_tail(mut pipe: impl AsyncReadExt + Unpin, tail: Arc<Mutex<TailBuffer>>) {
    let mut chunk = vec![0u8; 16 * 1024];
    while let Ok(n) = pipe.read(&mut chunk).await {
        if n == 0 {
            break;
        }
        if let Ok(mut tail) = tail.lock() {
            tail.push(&chunk[..n]);
        }
    }
}

fn take_text(tail: &Arc<Mutex<TailBuffer>>) -> String {
    tail.lock()
        .map(|mut t| std::mem::replace(&mut *t, TailBuffer::new(0)).into_text())
        .unwrap_or_default()
}

/// True while any process of the group led by `pid` exists.
fn group_exists(pid: u32) -> bool {
    i32::try_from(pid)
        .is_ok_and(|pid| nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid), None).is_ok())
}

/// A view of a running process's stdout, for showing progress before it ends.
#[derive(Clone)]
pub struct OutputProbe {
    stdout: Arc<Mutex<TailBuffer>>,
    stderr: Arc<Mutex<TailBuffer>>,
}

impl OutputProbe {
    /// The stdout tail so far, and how many bytes were written in all (to tell a change).
    pub fn stdout(&self) -> (String, u64) {
        Self::read(&self.stdout)
    }

    /// The stderr tail so far, and how many bytes were written in all.
    pub fn stderr(&self) -> (String, u64) {
        Self::read(&self.stderr)
    }

    fn read(buffer: &Mutex<TailBuffer>) -> (String, u64) {
        buffer
            .lock()
            .map(|t| (t.clone().into_text(), t.total()))
            .unwrap_or_default()
    }
}

impl Running {
    /// A protocol process's stdin and stdout (once).
    pub fn take_pipes(
        &mut self,
    ) -> Option<(tokio::process::ChildStdin, tokio::process::ChildStdout)> {
        Some((self.child.stdin.take()?, self.child.stdout.take()?))
    }

    /// Lets the caller look at stdout while the process runs.
    pub fn output_probe(&self) -> OutputProbe {
        OutputProbe {
            stdout: self.stdout.clone(),
            stderr: self.stderr.clone(),
        }
    }

    /// Waits for the process to end, or ends its group on timeout or cancellation.
    /// Processes it left behind in its group are ended too.
    pub async fn wait(mut self, cancel: &CancellationToken) -> std::io::Result<ProcessOutcome> {
        let timeout = self.spec.timeout.unwrap_or(Duration::MAX);
        let deadline = tokio::time::Instant::now().checked_add(timeout);
        let sleep = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        let (status, ended) = tokio::select! {
            status = self.child.wait() => (status?, Ended::Exited),
            () = sleep => (self.end_group().await?, Ended::TimedOut),
            () = cancel.cancelled() => (self.end_group().await?, Ended::Cancelled),
        };
        // Stragglers (background jobs) would keep the pipes open forever.
        signal_group(self.pid, nix::sys::signal::Signal::SIGKILL);
        // A process that left the group (setsid) may still hold a pipe: stop reading after a
        // moment, keeping what was read.
        let readers = futures_util::future::join_all(self.readers.drain(..));
        if tokio::time::timeout(Duration::from_millis(500), readers)
            .await
            .is_err()
        {
            tracing::warn!(
                pid = self.pid,
                "a process outside the step's group holds its output open"
            );
        }
        let stdout = take_text(&self.stdout);
        let stderr = take_text(&self.stderr);
        use std::os::unix::process::ExitStatusExt;
        Ok(ProcessOutcome {
            ended,
            exit_code: status.code().map(i64::from),
            signal: status.signal(),
            stdout,
            stderr,
        })
    }

    /// SIGTERM to the group; SIGKILL to whatever of it is left after the grace period (the
    /// leader often dies at once while its children still clean up). Returns the leader's
    /// status.
    async fn end_group(&mut self) -> std::io::Result<std::process::ExitStatus> {
        signal_group(self.pid, nix::sys::signal::Signal::SIGTERM);
        let deadline = tokio::time::Instant::now() + self.spec.kill_grace;
        let status = match tokio::time::timeout_at(deadline, self.child.wait()).await {
            Ok(status) => status?,
            Err(_) => {
                signal_group(self.pid, nix::sys::signal::Signal::SIGKILL);
                return self.child.wait().await;
            }
        };
        while group_exists(self.pid) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        Ok(status)
    }
}

/// Sends `signal` to the process group led by `pid`; a group that is already gone is fine.
pub(crate) fn signal_group(pid: u32, signal: nix::sys::signal::Signal) {
    if let Ok(pid) = i32::try_from(pid)
        && pid > 0
    {
        let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid), signal);
    }
}
