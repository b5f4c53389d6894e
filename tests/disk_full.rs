//! A full disk, for real: the project lives on a 16 MiB tmpfs mounted by the test (so it runs
//! as root, as CI does), `bosun run --api` works it with two tasks running and two queued, and a
//! filler file takes every byte left. The running steps then finish and their commits meet the
//! full disk. Checked while it is full: the mark shows in the API's JSON (`/health`, the
//! session, `/metrics`) and in an attached interface (status bar and Inbox notice, under tmux);
//! `bosun submit` and `POST /api/tasks` are refused saying the disk is full; reads still work,
//! and no queued task is claimed even when a config edit makes room for one — the engine still
//! answers meanwhile. Then the filler goes, and everything resumes by itself: every task
//! succeeds with every step recorded (nothing acknowledged was lost) and the mark clears. And
//! an engine stopped while its writes wait for space stops at once; the next one resumes.

mod support;

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::Project;
use support::api::Api;
use support::tmux::{Tmux, pane_text, status_bar};

/// How long anything that follows from what the test did may take to show.
const LIMIT: Duration = Duration::from_secs(60);

/// A tmpfs of `size` mounted on a fresh directory; unmounted (lazily, so that a process still
/// holding a file there cannot keep it) when dropped, also when the test fails.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        assert!(is_root(), "needs root to mount a tmpfs (CI runs as root)");
        let dir = tempfile::tempdir().expect("a mount point");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "mount -t tmpfs -o size={size} tmpfs {} failed: {}",
            dir.path().display(),
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1).map(|euid| euid == "0"))
        .unwrap_or(false)
}

/// Writes zeros to `path` until the filesystem has no byte left.
fn fill(path: &Path) {
    let mut file = File::create(path).expect("create the filler");
    let chunk = vec![0u8; 1 << 20];
    loop {
        match file.write(&chunk) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.raw_os_error() == Some(nix::libc::ENOSPC) => break,
            Err(e) => panic!("filling {}: {e}", path.display()),
        }
    }
    let free = bosun::store::free_space(path.parent().expect("parent")).expect("statvfs");
    assert_eq!(free, 0, "the filler left {free} bytes free");
}

/// Steps that wait for `go` (outside the tmpfs), then one more: a commit after the first.
fn workflow(go: &Path) -> String {
    format!(
        "description: Waits for go, then says so\nsteps:\n  - id: wait\n    skill: shell\n    \
         with: {{ run: \"while [ ! -e '{}' ]; do sleep 0.05; done\" }}\n  - id: after\n    \
         skill: shell\n    with: {{ run: \"echo after\" }}\n",
        go.display()
    )
}

/// `bosun tasks --json`, by id: reads work on a full disk.
fn statuses(p: &Project) -> Vec<(String, String)> {
    let out = p.bosun(&["tasks", "--json"]);
    assert!(
        out.status.success(),
        "bosun tasks --json: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tasks: Value = serde_json::from_slice(&out.stdout).expect("tasks --json is JSON");
    tasks
        .as_array()
        .expect("a list")
        .iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap_or_default().to_string(),
                t["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn status_of(p: &Project, id: &str) -> String {
    statuses(p)
        .into_iter()
        .find(|(t, _)| t == id)
        .map(|(_, s)| s)
        .unwrap_or_else(|| panic!("no task {id}"))
}

/// The API's session JSON.
async fn session(api: &Api) -> Value {
    let r = api.get("/api/state/session", Some(&api.readonly)).await;
    assert_eq!(r.status, 200, "session: {:?}", r.body);
    r.body
}

/// Polls the session until `check` holds.
async fn session_until(api: &Api, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let s = session(api).await;
        if check(&s) {
            return s;
        }
        assert!(
            start.elapsed() < LIMIT,
            "never happened: {what}; session: {s:#}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Overwrites the limit in `.bosun/config.yaml` in place: no byte more, so it needs no space.
fn raise_limit(config: &PathBuf, from: &str, to: &str) {
    let text = std::fs::read_to_string(config).expect("read the config");
    let at = text.find(from).expect("the limit in the config");
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(config)
        .expect("open the config");
    file.write_all_at(to.as_bytes(), at as u64)
        .expect("overwrite the limit");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_pauses_shows_and_resumes_by_itself() {
    let disk = Tmpfs::mount("16m");
    let outside = tempfile::tempdir().expect("a directory outside the tmpfs");
    let go = outside.path().join("go");
    let p = Project::new_in(disk.path());
    p.write(".bosun/workflows/wait.yaml", &workflow(&go));
    p.write(
        ".bosun/config.yaml",
        "engine:\n  max_concurrent_workflows: 2\n",
    );
    let api = p.start_api(&[]);
    let tasks: Vec<String> = ["first", "second", "third", "fourth"]
        .iter()
        .map(|d| p.submit(&["--workflow", "wait", d]))
        .collect();
    let (running, queued) = tasks.split_at(2);
    for id in running {
        p.wait_for(id, LIMIT, |t| {
            support::step_status(t, "wait") == Some("running")
        });
    }
    for id in queued {
        assert_eq!(status_of(&p, id), "queued");
    }
    // An interface attached to the engine, started while there is room for its files.
    let tmux = Tmux::start(&p, &[]);
    tmux.wait_for("the interface, attached", |s| {
        pane_text(s, "Logs").contains("attached to the engine")
            && status_bar(s).contains("running 2/")
    });

    fill(&disk.path().join("filler"));
    // The running steps end; their commits meet the full disk and wait.
    std::fs::write(&go, "").expect("let the steps end");
    let full = session_until(&api, "the disk-full mark", |s| {
        !s["health"]["disk_full"].is_null()
    })
    .await;
    let reason = full["health"]["disk_full"].as_str().unwrap_or_default();
    assert!(reason.contains("full"), "the reason: {reason}");
    let health = api.get("/health", None).await;
    assert!(
        !health.body["disk_full"].is_null(),
        "/health: {:?}",
        health.body
    );
    let metrics = api.get("/metrics", Some(&api.readonly)).await;
    let text = metrics.body.as_str().unwrap_or_default();
    assert!(
        text.lines().any(|l| l == "bosun_disk_full 1"),
        "/metrics:\n{text}"
    );

    // The interface: the status bar and the Inbox's notice.
    let screen = tmux.wait_for("the full disk in the interface", |s| {
        status_bar(s).contains("disk full") && pane_text(s, "Inbox").contains("The disk is full")
    });
    assert!(
        pane_text(&screen, "Inbox").contains("resumes by itself"),
        "{screen}"
    );

    // Submissions are refused, saying why; nothing was saved.
    let out = p.bosun(&["submit", "--workflow", "wait", "fifth"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "bosun submit: {stderr}");
    assert!(
        stderr.contains("the disk is full, nothing was saved"),
        "bosun submit: {stderr}"
    );
    let body = serde_json::json!({ "description": "sixth", "workflow_id": "wait" }).to_string();
    let refused = api.post("/api/tasks", Some(&api.user), &body).await;
    assert_eq!(refused.status, 503, "{:?}", refused.body);
    let said = refused.body["error"].as_str().unwrap_or_default();
    assert!(said.contains("The disk is full"), "{said}");
    assert_eq!(statuses(&p).len(), 4, "a refused submission was saved");
    // `bosun doctor` warns of the space left, without failing on it.
    let out = p.bosun(&["doctor", "--json"]);
    let checks: Value = serde_json::from_slice(&out.stdout).expect("doctor --json is JSON");
    let disk_check = checks
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "disk"))
        .unwrap_or_else(|| panic!("no disk check in {checks:#}"));
    assert_eq!(disk_check["ok"], false, "{disk_check:#}");
    assert_eq!(disk_check["required"], false, "{disk_check:#}");
    let detail = disk_check["detail"].as_str().unwrap_or_default();
    assert!(detail.starts_with("0.0 MB free"), "{detail}");

    // Room for a third task, by a config edit that needs no space: the engine claims nothing
    // while the disk is full, and keeps answering. A queued task cannot be cancelled (that
    // is a write): asked twice, each answered with 503, the second after the scheduler
    // looked at the queue again.
    raise_limit(&p.path(".bosun/config.yaml"), "2\n", "3");
    session_until(&api, "the raised limit", |s| {
        s["limits"]["max_concurrent_workflows"] == 3
    })
    .await;
    for _ in 0..2 {
        let cancel = tokio::time::timeout(
            LIMIT,
            api.post(
                &format!("/api/tasks/{}/cancel", queued[1]),
                Some(&api.user),
                "",
            ),
        )
        .await
        .expect("the engine answers while the disk is full");
        assert_eq!(cancel.status, 503, "{:?}", cancel.body);
    }
    for id in queued {
        assert_eq!(
            status_of(&p, id),
            "queued",
            "claimed while the disk was full"
        );
    }
    for id in running {
        // Its step ended, but that is not saved yet: still running in the store.
        assert_eq!(status_of(&p, id), "running");
    }
    assert!(
        !session(&api).await["health"]["disk_full"].is_null(),
        "the mark cleared while the disk was still full"
    );

    // Space comes back: everything resumes by itself.
    std::fs::remove_file(disk.path().join("filler")).expect("remove the filler");
    for id in &tasks {
        let done = p.wait_finished(id, LIMIT);
        assert_eq!(done["status"], "succeeded", "{done:#}");
        for step in ["wait", "after"] {
            assert_eq!(
                support::step_status(&done, step),
                Some("succeeded"),
                "step {step} of {id}: {done:#}"
            );
        }
    }
    session_until(&api, "the mark cleared", |s| {
        s["health"]["disk_full"].is_null()
    })
    .await;
    tmux.wait_for("the interface without the mark", |s| {
        !status_bar(s).contains("disk full") && !pane_text(s, "Inbox").contains("The disk is full")
    });
    assert_eq!(statuses(&p).len(), 4);
    drop(tmux);
    api.engine.stop();
}

/// Stopping the engine while its writes wait for space is not held up by them: they fail,
/// unacknowledged, and the engine exits cleanly. Once space is back the next engine runs the
/// task again, to success.
#[tokio::test(flavor = "multi_thread")]
async fn stopping_on_a_full_disk_is_not_held_up_and_the_next_engine_resumes() {
    let disk = Tmpfs::mount("16m");
    let outside = tempfile::tempdir().expect("a directory outside the tmpfs");
    let go = outside.path().join("go");
    let p = Project::new_in(disk.path());
    p.write(".bosun/workflows/wait.yaml", &workflow(&go));
    let api = p.start_api(&[]);
    let id = p.submit(&["--workflow", "wait", "only"]);
    p.wait_for(&id, LIMIT, |t| {
        support::step_status(t, "wait") == Some("running")
    });
    fill(&disk.path().join("filler"));
    std::fs::write(&go, "").expect("let the step end");
    session_until(&api, "the disk-full mark", |s| {
        !s["health"]["disk_full"].is_null()
    })
    .await;

    let mut engine = api.engine;
    support::signal(
        i32::try_from(engine.pid()).expect("a pid"),
        nix::sys::signal::Signal::SIGINT,
    );
    let start = Instant::now();
    while engine.is_running() {
        assert!(
            start.elapsed() < LIMIT,
            "the engine did not stop while its writes waited for space"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let out = engine.finish();
    assert!(
        out.status.success(),
        "bosun run exited with {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );

    std::fs::remove_file(disk.path().join("filler")).expect("remove the filler");
    // Waiting for the lease runs a runtime of its own: off the async workers.
    let engine = tokio::task::block_in_place(|| p.start_engine(&[]));
    let done = p.wait_finished(&id, LIMIT);
    assert_eq!(done["status"], "succeeded", "{done:#}");
    for step in ["wait", "after"] {
        assert_eq!(
            support::step_status(&done, step),
            Some("succeeded"),
            "{done:#}"
        );
    }
    engine.stop();
}
