//! The bench's project and its engine: a temporary project whose `claude-code` adapter is
//! the fake agent, a workflow `bench` of one `claude` step given the task's description as
//! its prompt, and `bosun run` on it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::fake_claude;

/// Agent steps at once: the engine's `max_parallel_skills`.
pub const AGENTS: usize = 5;

/// A temporary project with `bosun run` going on it.
pub struct Engine {
    pub project: tempfile::TempDir,
    config_home: tempfile::TempDir,
    pub child: Child,
}

impl Engine {
    /// A project in `parent` with the fake agent as `claude-code` and a workflow of one
    /// `claude` step whose prompt is the task's description; then its engine.
    pub fn start(parent: &Path) -> Engine {
        let project = tempfile::tempdir_in(parent).expect("project dir");
        let config_home = tempfile::tempdir().expect("config dir");
        let me = std::env::current_exe().expect("the bench's own path");
        let bosun = project.path().join(".bosun");
        std::fs::create_dir_all(bosun.join("workflows")).expect("mkdir .bosun/workflows");
        std::fs::write(
            bosun.join("config.yaml"),
            format!(
                "engine:\n  max_parallel_skills: {AGENTS}\nagents:\n  claude-code:\n    \
                 command: {:?}\n    env:\n      {}: \"1\"\n",
                me.display().to_string(),
                fake_claude::ENV
            ),
        )
        .expect("config.yaml");
        std::fs::write(
            bosun.join("workflows/bench.yaml"),
            "name: bench\ndescription: one fake agent step\nsteps:\n  - id: work\n    \
             skill: claude\n    with: { prompt: \"{{ task.description }}\" }\n",
        )
        .expect("bench.yaml");
        let child = Command::new(env!("CARGO_BIN_EXE_bosun"))
            .args(["run", "--project"])
            .arg(project.path())
            .env("XDG_CONFIG_HOME", config_home.path())
            .env("BOSUN_REDIS_URL", "off")
            .env_remove("BOSUN_PROJECT")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("bosun run");
        Engine {
            project,
            config_home,
            child,
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.project.path().join(rel)
    }

    pub fn bosun(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_bosun"))
            .args(args)
            .arg("--project")
            .arg(self.project.path())
            .env("XDG_CONFIG_HOME", self.config_home.path())
            .env("BOSUN_REDIS_URL", "off")
            .env_remove("BOSUN_PROJECT")
            .output()
            .expect("bosun")
    }

    /// Submits a `bench` task whose agent is told `prompt`; its id.
    pub fn submit(&self, prompt: &str) -> String {
        let out = self.bosun(&["submit", "--workflow", "bench", prompt]);
        assert!(
            out.status.success(),
            "submit: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub fn show(&self, id: &str) -> serde_json::Value {
        serde_json::from_slice(&self.bosun(&["show", id, "--json"]).stdout).unwrap_or_default()
    }

    /// Waits for the fake agent of task `id` to have written its timings to `out`.
    pub fn wait_timings(&self, id: &str, out: &Path) {
        let done = PathBuf::from(format!("{}.done", out.display()));
        let start = Instant::now();
        while !done.exists() {
            assert!(
                start.elapsed() < Duration::from_secs(180),
                "the fake agent never finished; the task: {:#}",
                self.show(id)
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn wait_finished(&self, id: &str) -> serde_json::Value {
        let start = Instant::now();
        loop {
            let task = self.show(id);
            if matches!(
                task["status"].as_str(),
                Some("succeeded" | "failed" | "cancelled")
            ) {
                return task;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "task {id} did not end: {task:#}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn stop(mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT);
        let _ = self.child.wait();
    }
}
