//! Shared helpers for the end-to-end tests: a temporary project, the real `bosun` binary run
//! against it, and an engine process that is always killed when a test ends.

#![allow(dead_code)] // each test file uses a different subset

pub mod agents;
pub mod api;
pub mod backups;
pub mod git;
pub mod redis;
pub mod redis_engine;
pub mod tmux;
pub mod watch;
pub mod ws;

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A temporary project with its own user config dir and Redis off.
pub struct Project {
    pub dir: tempfile::TempDir,
    config_home: tempfile::TempDir,
    /// The project's directory: `dir`, or a subdirectory of it (a project in a larger tree).
    root: PathBuf,
}

impl Project {
    /// The user config names a Claude Code binary that does not exist, so a `claude` on the
    /// developer's PATH never turns requests in words into agent work; a test that wants the
    /// agent configures it in the project (`agents::configure_claude`), which wins.
    pub fn new() -> Project {
        Project::with_dir(tempfile::tempdir().expect("project dir"))
    }

    /// A project in a temporary directory under `parent`: a filesystem the test mounted (the
    /// user config dir stays in the usual temporary directory).
    pub fn new_in(parent: &Path) -> Project {
        Project::with_dir(tempfile::tempdir_in(parent).expect("project dir"))
    }

    fn with_dir(dir: tempfile::TempDir) -> Project {
        let config_home = tempfile::tempdir().expect("config dir");
        let user = config_home.path().join("bosun");
        std::fs::create_dir_all(&user).expect("user config dir");
        std::fs::write(
            user.join("config.yaml"),
            "agents:\n  claude-code:\n    command: no-claude-in-tests\n",
        )
        .expect("user config");
        Project {
            root: dir.path().to_path_buf(),
            dir,
            config_home,
        }
    }

    /// A project in the subdirectory `sub` of a temporary tree (`top()`), as in a monorepo.
    pub fn in_subdirectory(sub: &str) -> Project {
        let mut project = Project::new();
        project.root = project.dir.path().join(sub);
        std::fs::create_dir_all(&project.root).expect("project subdirectory");
        project
    }

    /// The temporary tree holding the project.
    pub fn top(&self) -> &Path {
        self.dir.path()
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    /// Writes a file under the project, creating folders.
    pub fn write(&self, rel: &str, text: &str) {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_default()
    }

    fn configure(&self, cmd: &mut std::process::Command) {
        cmd.arg("--project")
            .arg(self.root())
            .env("XDG_CONFIG_HOME", self.config_home.path())
            .env("BOSUN_REDIS_URL", "off")
            .env("BOSUN_LOG", "info")
            .env_remove("BOSUN_PROJECT");
    }

    /// `bosun ARGS...` against this project.
    pub fn bosun(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_bosun"));
        cmd.args(args);
        self.configure(&mut cmd);
        cmd.output().expect("run bosun")
    }

    /// `bosun ARGS...` against this project, not started yet: for a test that talks to its
    /// stdin, or hands the command (and its environment) to another program.
    pub fn command(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_bosun"));
        cmd.args(args);
        self.configure(&mut cmd);
        cmd
    }

    /// `bosun ARGS...` run from inside the project, so paths it prints are relative.
    pub fn bosun_from_root(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_bosun"));
        cmd.args(args).current_dir(self.root());
        self.configure(&mut cmd);
        cmd.output().expect("run bosun")
    }

    /// Submits a task and returns its id, failing the test if submission fails.
    pub fn submit(&self, args: &[&str]) -> String {
        let mut all = vec!["submit"];
        all.extend_from_slice(args);
        let out = self.bosun(&all);
        assert!(
            out.status.success(),
            "submit failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let id = String::from_utf8(out.stdout)
            .expect("utf8")
            .trim()
            .to_string();
        assert!(id.starts_with("t-"), "submit printed `{id}`");
        id
    }

    pub fn show(&self, id: &str) -> Value {
        let out = self.bosun(&["show", id, "--json"]);
        assert!(
            out.status.success(),
            "show failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("show --json is JSON")
    }

    /// Polls `show` until the task is finished (or `limit` passes), returning the last view.
    pub fn wait_finished(&self, id: &str, limit: Duration) -> Value {
        self.wait_for(id, limit, |t| {
            matches!(
                t["status"].as_str(),
                Some("succeeded" | "failed" | "cancelled")
            )
        })
    }

    /// Polls `show` until `done(task)` holds; panics with the last view after `limit`.
    pub fn wait_for(&self, id: &str, limit: Duration, done: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let task = self.show(id);
            if done(&task) {
                return task;
            }
            assert!(
                start.elapsed() < limit,
                "gave up waiting; last state: {task:#}"
            );
            std::thread::sleep(Duration::from_millis(40));
        }
    }

    /// Starts `bosun run` for this project and waits until it holds the project's lease.
    pub fn start_engine(&self, extra: &[&str]) -> EngineProcess {
        self.until_leased(self.spawn_engine(extra))
    }

    /// [`Project::start_engine`] with the file-creation mask `umask` (the user's, as a shell's
    /// `umask` sets it) in the engine's process.
    pub fn start_engine_with_umask(&self, umask: u32, extra: &[&str]) -> EngineProcess {
        let mut cmd = self.engine_command(extra);
        with_umask(&mut cmd, umask);
        let child = cmd.spawn().expect("start bosun run");
        self.until_leased(EngineProcess { child: Some(child) })
    }

    /// Waits until `engine` holds the project's lease.
    fn until_leased(&self, mut engine: EngineProcess) -> EngineProcess {
        let pid = i64::from(engine.pid());
        let start = Instant::now();
        while self.lease_holder() != Some(pid) {
            assert!(
                engine.is_running(),
                "engine exited before it took the lease"
            );
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "engine did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        engine
    }

    /// Starts `bosun run` for this project without waiting for anything.
    pub fn spawn_engine(&self, extra: &[&str]) -> EngineProcess {
        let child = self.engine_command(extra).spawn().expect("start bosun run");
        EngineProcess { child: Some(child) }
    }

    fn engine_command(&self, extra: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_bosun"));
        cmd.arg("run").args(extra);
        self.configure(&mut cmd);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        cmd
    }

    /// The PID of the engine holding this project's lease, if a live one does.
    pub fn lease_holder(&self) -> Option<i64> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let db = self.path(".bosun/state/bosun.db");
        // While the engine creates the database, reading it may fail: not held yet.
        runtime
            .block_on(bosun::engine::lock::live_holder(&db))
            .ok()
            .flatten()
            .map(|holder| holder.pid)
    }

    /// The step with `id` in a `show --json` view.
    pub fn step<'a>(task: &'a Value, id: &str) -> &'a Value {
        task["steps"]
            .as_array()
            .and_then(|steps| steps.iter().find(|s| s["id"] == id))
            .unwrap_or_else(|| panic!("no step `{id}` in {task:#}"))
    }
}

/// A running `bosun run`; killed (SIGKILL) when dropped unless stopped first.
pub struct EngineProcess {
    child: Option<Child>,
}

impl EngineProcess {
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or_default()
    }

    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// `kill -9`: the engine gets no chance to clean up.
    pub fn kill_hard(mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Waits for the engine to exit by itself; its exit status and stderr.
    pub fn finish(mut self) -> std::process::Output {
        let child = self.child.take().expect("engine");
        child.wait_with_output().expect("wait for engine")
    }

    /// SIGINT and wait: the clean stop. Returns its stderr.
    pub fn stop(mut self) -> String {
        let child = self.child.take().expect("engine");
        signal(child.id() as i32, nix::sys::signal::Signal::SIGINT);
        let out = child.wait_with_output().expect("wait for engine");
        assert!(out.status.success(), "engine exited with {:?}", out.status);
        String::from_utf8_lossy(&out.stderr).into_owned()
    }
}

impl Drop for EngineProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs `cmd` with the file-creation mask `umask`, set in the child alone (the test process's
/// own mask, which its other threads' files get, stays as it is).
pub fn with_umask(cmd: &mut std::process::Command, umask: u32) {
    use std::os::unix::process::CommandExt;
    let mask = nix::sys::stat::Mode::from_bits_truncate(umask);
    // SAFETY: `umask(2)` is async-signal-safe, allocates nothing and cannot fail, so it may
    // run between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            nix::sys::stat::umask(mask);
            Ok(())
        });
    }
}

pub fn signal(pid: i32, signal: nix::sys::signal::Signal) {
    let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), signal);
}

/// True while a process with this PID exists (and is not a zombie).
pub fn alive(pid: i32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat
        .rsplit(')')
        .next()
        .and_then(|rest| rest.split_whitespace().next());
    !stat.is_empty() && state != Some("Z")
}

/// True while any process of the group led by `pgid` exists.
pub fn group_alive(pgid: i32) -> bool {
    std::fs::read_dir("/proc")
        .expect("/proc")
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()))
        .any(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let fields: Vec<&str> = stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .collect();
            fields.first() != Some(&"Z")
                && fields.get(2).and_then(|g| g.parse::<i32>().ok()) == Some(pgid)
        })
}

/// Waits (bounded) for a condition that follows from something already done.
pub fn eventually(limit: Duration, what: &str, check: impl Fn() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < limit, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// A step's status in a `show --json` view, if the task has that step yet.
pub fn step_status<'a>(task: &'a Value, id: &str) -> Option<&'a str> {
    task["steps"].as_array()?.iter().find(|s| s["id"] == id)?["status"].as_str()
}
