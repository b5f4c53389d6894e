//! The web dashboard against a real `bosun run --api`: its files over real HTTP (open, with
//! their types, `no-cache` and a strict Content-Security-Policy), and the page in a real browser
//! (Debian's chromium driven by playwright-core, `tests/browser/dashboard.mjs`): it lists the
//! tasks, shows one submitted from the CLI without a reload, and answers a question that the
//! engine then acts on. `bash .ci/install-browser` installs what the browser test needs; without
//! it the test fails and says so.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::Project;

const INSTALL: &str = "bash .ci/install-browser";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_is_served_open_with_its_types_no_cache_and_a_strict_policy() {
    let project = Project::new();
    let api = project.start_api(&[]);
    let files = [
        ("/", "text/html; charset=utf-8", "<title>Bosun</title>"),
        (
            "/dashboard/app.js",
            "text/javascript; charset=utf-8",
            "/ws?token=",
        ),
        (
            "/dashboard/view.js",
            "text/javascript; charset=utf-8",
            "createTextNode",
        ),
        (
            "/dashboard/style.css",
            "text/css; charset=utf-8",
            "prefers-color-scheme",
        ),
        ("/dashboard/icon.svg", "image/svg+xml", "<svg"),
    ];
    for (path, content_type, holds) in files {
        let r = api.get(path, None).await;
        assert_eq!(r.status, 200, "{path}: {:?}", r.body);
        let header = |name: &str| {
            r.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        assert_eq!(header("content-type"), content_type, "{path}");
        assert_eq!(header("cache-control"), "no-cache", "{path}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        let csp = header("content-security-policy");
        assert!(
            csp.starts_with("default-src 'self'; connect-src 'self' ws: wss:;"),
            "{path}: {csp}"
        );
        assert!(!csp.contains("unsafe"), "{path}: {csp}");
        assert!(r.body.as_str().is_some_and(|b| b.contains(holds)), "{path}");

        // A browser that has this version asks again and is told it is still good.
        let again = api
            .client
            .get(api.url(path))
            .header("if-none-match", header("etag"))
            .send()
            .await
            .expect("GET");
        assert_eq!(again.status(), 304, "{path}");
    }
    // The page holds no data: everything behind it still needs a token.
    assert_eq!(api.get("/api/tasks", None).await.status, 401);
    assert_eq!(api.get("/dashboard/nothing.js", None).await.status, 404);
}

/// The ship workflow of tests/escalation.rs: a high-risk question the policy always asks.
const SHIP: &str = r#"
steps:
  - id: ship
    decide: { question: "Push the release?", options: [push, hold], default: hold, risk: high }
  - { id: pushed, if: "steps.ship.choice == 'push'", skill: shell, with: { run: "echo pushed" } }
  - { id: held, if: "steps.ship.choice == 'hold'", skill: shell, with: { run: "echo held" } }
"#;

#[test]
fn the_dashboard_follows_tasks_live_and_answers_a_question_in_a_browser() {
    let tools = BrowserTools::find();
    let project = Project::new();
    project.write(".bosun/workflows/ship.yaml", SHIP);
    let api = project.start_api(&[]);
    let first = project.submit(&["echo '<b>markup stays text</b>'"]);
    let failed = project.submit(&["ls missing-file"]);
    for id in [&first, &failed] {
        project.wait_finished(id, Duration::from_secs(30));
    }

    let mut script = tools.start(&api, &first);
    script.expect("listed");
    let task = project.submit(&["--workflow", "ship", "release"]);
    script.send(&format!("submitted {task}"));
    script.expect("answered");

    // The click reached the engine: the question is closed and the task went on with `push`.
    let inbox = project.bosun(&["inbox", "--json"]);
    let inbox: Value = serde_json::from_slice(&inbox.stdout).expect("inbox --json");
    assert_eq!(inbox, serde_json::json!([]), "the question is still open");
    let done = project.wait_finished(&task, Duration::from_secs(30));
    assert_eq!(done["status"], "succeeded", "{done:#}");
    assert_eq!(Project::step(&done, "ship")["choice"], "push");
    assert_eq!(Project::step(&done, "pushed")["output"], "pushed\n");
    let decisions = project.bosun(&["decisions", "--task", &task, "--json"]);
    let decisions: Value = serde_json::from_slice(&decisions.stdout).expect("decisions --json");
    let asked = decisions
        .as_array()
        .and_then(|all| all.iter().find(|d| d["kind"] == "decide"))
        .unwrap_or_else(|| panic!("no decide decision: {decisions:#}"));
    assert_eq!(
        (&asked["choice"], &asked["decided_by"]),
        (&serde_json::json!("push"), &serde_json::json!("user")),
        "{asked:#}"
    );

    script.expect("done");
    script.finish();
}

/// Node, chromium and playwright-core, found or the test fails with how to install them.
struct BrowserTools {
    chromium: PathBuf,
    playwright: PathBuf,
}

impl BrowserTools {
    fn find() -> BrowserTools {
        let node = Command::new("node").arg("--version").output();
        assert!(
            node.is_ok_and(|o| o.status.success()),
            "node is missing: install it with `apt-get install nodejs npm`, then `{INSTALL}`"
        );
        let chromium = PathBuf::from(
            std::env::var("BOSUN_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
        );
        assert!(
            chromium.is_file(),
            "chromium is missing at {}: install it with `{INSTALL}`",
            chromium.display()
        );
        let playwright = match std::env::var_os("BOSUN_TEST_PLAYWRIGHT") {
            Some(dir) => PathBuf::from(dir),
            None => {
                let cache = std::env::var_os("BOSUN_NODE_CACHE")
                    .map(PathBuf::from)
                    .or_else(|| {
                        std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/bosun-node"))
                    })
                    .expect("HOME or BOSUN_NODE_CACHE");
                cache.join("node_modules")
            }
        };
        assert!(
            playwright.join("playwright-core/package.json").is_file(),
            "playwright-core is missing in {}: install it with `{INSTALL}` (or set BOSUN_TEST_PLAYWRIGHT to a node_modules folder that has it)",
            playwright.display()
        );
        BrowserTools {
            chromium,
            playwright,
        }
    }

    /// Starts the browser script against `api`; `first` is a finished task with markup in its
    /// description.
    fn start(&self, api: &support::api::Api, first: &str) -> Script {
        let artifacts = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/dashboard.mjs");
        let mut child = Command::new("node")
            .arg(&script)
            .env("BOSUN_DASHBOARD_URL", api.url("/"))
            .env("BOSUN_USER_TOKEN", &api.user)
            .env("BOSUN_READONLY_TOKEN", &api.readonly)
            .env("BOSUN_FIRST_TASK", first)
            .env("BOSUN_PLAYWRIGHT", &self.playwright)
            .env("BOSUN_CHROMIUM", &self.chromium)
            .env("BOSUN_ARTIFACTS", &artifacts)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start node");
        let (lines, log) = (channel(), Arc::new(Mutex::new(Vec::new())));
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        for (stream, tx) in [
            (
                Box::new(stdout) as Box<dyn std::io::Read + Send>,
                Some(lines.0),
            ),
            (Box::new(stderr), None),
        ] {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    log.lock().expect("log").push(line.clone());
                    if let (Some(tx), Some(step)) = (&tx, line.strip_prefix("bosun-test: ")) {
                        let _ = tx.send(step.to_string());
                    }
                }
            });
        }
        Script {
            stdin: child.stdin.take(),
            child,
            steps: lines.1,
            log,
            artifacts,
        }
    }
}

/// The running browser script; stopped (SIGTERM, so playwright closes chromium) when dropped.
struct Script {
    child: Child,
    stdin: Option<ChildStdin>,
    steps: Receiver<String>,
    log: Arc<Mutex<Vec<String>>>,
    artifacts: PathBuf,
}

impl Script {
    /// Waits for the script to report `step`; fails with what it printed if it does not.
    fn expect(&mut self, step: &str) {
        // The script's own waits are 30 s each; this only catches a script that hangs.
        match self.steps.recv_timeout(Duration::from_secs(180)) {
            Ok(got) if got == step => {}
            Ok(got) => self.fail(&format!("expected `{step}`, the script said `{got}`")),
            Err(RecvTimeoutError::Timeout) => self.fail(&format!("no `{step}` in 180 s")),
            Err(RecvTimeoutError::Disconnected) => {
                let status = self.child.wait().ok();
                self.fail(&format!("the script ended ({status:?}) before `{step}`"))
            }
        }
    }

    fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin");
        writeln!(stdin, "{line}").expect("write to the script");
    }

    /// Waits for the script to exit successfully.
    fn finish(mut self) {
        drop(self.stdin.take());
        let start = Instant::now();
        loop {
            match self.child.try_wait().expect("wait for node") {
                Some(status) if status.success() => return,
                Some(status) => self.fail(&format!("the script exited with {status}")),
                None if start.elapsed() > Duration::from_secs(60) => {
                    self.fail("the script did not exit")
                }
                None => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    fn fail(&mut self, why: &str) -> ! {
        stop(&mut self.child);
        // The reader threads finish once the script's pipes close.
        std::thread::sleep(Duration::from_millis(200));
        let log = self.log.lock().map(|l| l.join("\n")).unwrap_or_default();
        panic!(
            "dashboard browser test: {why}\nscreenshots in {}\nthe script printed:\n{log}",
            self.artifacts.display()
        );
    }
}

impl Drop for Script {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// SIGTERM (playwright then closes its browser), SIGKILL if it lingers.
fn stop(child: &mut Child) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    support::signal(child.id() as i32, nix::sys::signal::Signal::SIGTERM);
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}
