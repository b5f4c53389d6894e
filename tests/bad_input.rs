//! Bad input through the real `bosun` binary (DESIGN.md §3, §7): malformed or invalid
//! workflows, skills and config, and wrong command-line arguments each exit with status 2 and
//! name the file and position as `FILE:LINE:COL: message`; and a running engine is not
//! affected by any of it.
//!
//! Every run gets its own project directory, its own `XDG_CONFIG_HOME` (the user's real config
//! is never read), no inherited `BOSUN_*` variables, and `BOSUN_REDIS_URL=off`.

use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tempfile::TempDir;

/// A project directory and a private user-config directory.
struct Sandbox {
    project: TempDir,
    home: TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox {
            project: tempfile::tempdir().expect("a temporary project directory"),
            home: tempfile::tempdir().expect("a temporary XDG_CONFIG_HOME"),
        }
    }

    /// The project root as bosun prints it (canonical).
    fn root(&self) -> PathBuf {
        std::fs::canonicalize(self.project.path()).expect("the project directory exists")
    }

    /// Writes `text` at `relative` (under the project root) and returns its full path.
    fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.root().join(relative);
        let parent = path.parent().expect("a file path has a parent");
        std::fs::create_dir_all(parent).expect("create the file's directory");
        std::fs::write(&path, text).expect("write the test file");
        path
    }

    /// The environment every bosun process of this sandbox gets.
    fn env(&self) -> Vec<(&'static str, PathBuf)> {
        vec![
            ("XDG_CONFIG_HOME", self.home.path().to_path_buf()),
            ("BOSUN_REDIS_URL", PathBuf::from("off")),
        ]
    }

    /// Runs `bosun --project ROOT ARGS...` to completion (stdin and stdout are pipes).
    fn run(&self, args: &[&str]) -> Output {
        let mut cmd = Command::cargo_bin("bosun").expect("the bosun binary is built");
        for name in inherited_bosun_vars() {
            cmd.env_remove(name);
        }
        cmd.envs(self.env())
            .arg("--project")
            .arg(self.root())
            .args(args);
        cmd.output().expect("bosun runs")
    }

    /// Runs bosun, asserts it exits with 2 (bad input), and returns its stderr.
    fn bad_input(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            out.status.code(),
            Some(2),
            "`bosun {}` should exit 2\nstdout: {}\nstderr: {stderr}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
        );
        stderr
    }

    /// Runs bosun, asserts it succeeds, and returns its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "`bosun {}` should succeed\nstderr: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr),
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// `BOSUN_*` variables of the test's own environment, which must not leak into bosun.
fn inherited_bosun_vars() -> Vec<std::ffi::OsString> {
    std::env::vars_os()
        .map(|(name, _)| name)
        .filter(|name| name.to_string_lossy().starts_with("BOSUN_"))
        .collect()
}

/// Asserts that `stderr` contains every one of `needles`.
fn assert_mentions(stderr: &str, needles: &[&str]) {
    let missing: Vec<&&str> = needles.iter().filter(|n| !stderr.contains(**n)).collect();
    assert!(missing.is_empty(), "stderr lacks {missing:?}:\n{stderr}");
}

/// Asserts that one line of `stderr` reads `FILE:LINE:COL: ...needle...`.
fn assert_reported(stderr: &str, file: &Path, line: u64, column: u64, needle: &str) {
    let at = format!("{}:{line}:{column}: ", file.display());
    assert!(
        stderr
            .lines()
            .any(|l| l.contains(&at) && l.contains(needle)),
        "expected a line with `{at}` and `{needle}` in stderr:\n{stderr}"
    );
}

/// The `LINE:COL` that stderr gives for `file`, if any.
fn reported_position(stderr: &str, file: &Path) -> Option<(u64, u64)> {
    let prefix = format!("{}:", file.display());
    let rest = &stderr[stderr.find(&prefix)? + prefix.len()..];
    let mut numbers = rest.splitn(3, ':').map(|n| n.parse::<u64>().ok());
    Some((numbers.next()??, numbers.next()??))
}

const WORKFLOW: &str = ".bosun/workflows/x.yaml";

/// Writes `.bosun/workflows/x.yaml` and checks both `validate` and `submit --workflow x`
/// report the problem at `line:column`.
fn assert_workflow_error(yaml: &str, line: u64, column: u64, needle: &str) {
    let sandbox = Sandbox::new();
    let file = sandbox.write(WORKFLOW, yaml);
    let stderr = sandbox.bad_input(&["validate"]);
    assert_reported(&stderr, &file, line, column, needle);
    let stderr = sandbox.bad_input(&["submit", "--workflow", "x", "desc"]);
    assert_reported(&stderr, &file, line, column, needle);
}

#[test]
fn valid_definitions_validate_and_submit() {
    let sandbox = Sandbox::new();
    sandbox.write(
        ".bosun/skills/greet.yaml",
        "name: greet\nkind: command\ninputs:\n  who: { required: true }\ncommand: [echo, \"{{ who }}\"]\n",
    );
    sandbox.write(
        WORKFLOW,
        "steps:\n  - id: a\n    skill: greet\n    with: { who: world }\n  - id: b\n    if: \"steps.a.ok\"\n    skill: shell\n    with: { run: echo }\n",
    );
    assert!(sandbox.ok(&["validate"]).contains("all valid"));
    let id = sandbox.ok(&["submit", "--workflow", "x", "desc"]);
    assert!(!id.trim().is_empty(), "submit prints the task id");
}

#[test]
fn malformed_yaml_is_reported_with_its_position() {
    let unclosed = "steps:\n  - id: a\n    skill: shell\n    with: { run: [echo\n";
    assert_workflow_error(unclosed, 4, 18, "unclosed bracket");
    // A tab used as indentation. The position is the tab or right after it (the YAML parser
    // points just past it), and always its line.
    let sandbox = Sandbox::new();
    let file = sandbox.write(WORKFLOW, "steps:\n\t- id: a\n    skill: shell\n");
    for args in [&["validate"][..], &["submit", "--workflow", "x", "desc"]] {
        let stderr = sandbox.bad_input(args);
        let (line, column) = reported_position(&stderr, &file).expect("a FILE:LINE:COL position");
        assert!(
            line == 2 && column <= 2,
            "tab at 2:1, reported at {line}:{column}:\n{stderr}"
        );
        assert_mentions(&stderr, &["tab"]);
    }
}

#[test]
fn unknown_skill_points_at_the_skill_value() {
    let yaml = "steps:\n  - id: a\n    skill: shel\n    with: { run: echo }\n";
    assert_workflow_error(yaml, 3, 12, "unknown skill `shel`");
}

#[test]
fn duplicate_step_id_points_at_the_second_id() {
    let yaml = "steps:\n  - id: a\n    skill: shell\n    with: { run: echo }\n  - id: a\n    skill: shell\n    with: { run: echo }\n";
    assert_workflow_error(yaml, 5, 9, "duplicate step id `a`");
}

#[test]
fn a_step_needs_exactly_one_kind() {
    let both = "steps:\n  - id: a\n    skill: shell\n    with: { run: echo }\n    decide: { question: q, options: [x], default: x }\n";
    assert_workflow_error(both, 2, 5, "exactly one of");
    let neither = "steps:\n  - id: a\n    with: { run: echo }\n";
    assert_workflow_error(neither, 2, 5, "exactly one of");
}

#[test]
fn a_decide_question_is_checked_like_a_template() {
    let yaml = "steps:\n  - id: ship\n    decide:\n      question: \"Push {{ steps.nope.output }}?\"\n      options: [push, hold]\n      default: hold\n";
    assert_workflow_error(yaml, 4, 7, "`steps.nope` names no step");
}

#[test]
fn bad_if_expressions_point_at_the_expression() {
    let steps = "steps:\n  - id: a\n    skill: shell\n    with: { run: echo }\n  - id: b\n";
    let tail = "    skill: shell\n    with: { run: echo }\n";
    let syntax = format!("{steps}    if: \"steps.a.ok and\"\n{tail}");
    assert_workflow_error(&syntax, 6, 9, "bad expression");
    let unknown = format!("{steps}    if: \"steps.zz.ok\"\n{tail}");
    assert_workflow_error(&unknown, 6, 9, "`steps.zz` names no step");
}

#[test]
fn a_skill_step_missing_a_required_skill_input_is_refused() {
    let yaml = "steps:\n  - id: a\n    skill: shell\n";
    assert_workflow_error(yaml, 3, 12, "needs the input `run`");
}

#[test]
fn a_required_workflow_input_must_be_given_at_submit() {
    let sandbox = Sandbox::new();
    sandbox.write(
        WORKFLOW,
        "inputs:\n  target: { required: true }\nsteps:\n  - id: a\n    skill: shell\n    with: { run: \"echo {{ inputs.target }}\" }\n",
    );
    let stderr = sandbox.bad_input(&["submit", "--workflow", "x", "desc"]);
    assert_mentions(&stderr, &["`target`"]);
    let given = [
        "submit",
        "--workflow",
        "x",
        "--input",
        "target=here",
        "desc",
    ];
    sandbox.ok(&given);
}

#[test]
fn bad_submit_arguments_exit_2() {
    let sandbox = Sandbox::new();
    let stderr = sandbox.bad_input(&["submit", "--input", "foo", "desc"]);
    assert_mentions(&stderr, &["`foo`", "KEY=VALUE"]);
    let stderr = sandbox.bad_input(&["submit", "--priority", "urgent", "desc"]);
    assert_mentions(&stderr, &["urgent", "--priority"]);
}

/// docs/cli.md: `show` and `cancel` of a task that does not exist are bad input.
#[test]
fn an_unknown_task_id_exits_2_and_names_it() {
    let sandbox = Sandbox::new();
    for verb in [
        &["show", "t-nope"][..],
        &["show", "--json", "t-nope"],
        &["cancel", "t-nope"],
    ] {
        let stderr = sandbox.bad_input(verb);
        assert_mentions(&stderr, &["t-nope"]);
    }
}

/// Verbs that all load the settings first.
const VERBS: &[&[&str]] = &[
    &["tasks"],
    &["workflows"],
    &["validate"],
    &["submit", "desc"],
];

#[test]
fn an_unknown_config_key_stops_every_verb_with_its_position() {
    let sandbox = Sandbox::new();
    let typo = "engine:\n  max_paralel_skills: 3\n";
    let config = sandbox.write(".bosun/config.yaml", typo);
    for verb in VERBS {
        let stderr = sandbox.bad_input(verb);
        assert_reported(&stderr, &config, 2, 3, "max_paralel_skills");
    }
    // The same in the user's config file, which is read first.
    std::fs::remove_file(&config).expect("remove the project config");
    let user = sandbox.home.path().join("bosun/config.yaml");
    std::fs::create_dir_all(user.parent().expect("a parent")).expect("create the user config dir");
    std::fs::write(&user, typo).expect("write the user config");
    assert_reported(
        &sandbox.bad_input(&["tasks"]),
        &user,
        2,
        3,
        "max_paralel_skills",
    );
}

#[test]
fn a_config_value_of_the_wrong_type_points_at_the_value() {
    let sandbox = Sandbox::new();
    let wrong_type = "engine:\n  max_parallel_skills: many\n";
    let config = sandbox.write(".bosun/config.yaml", wrong_type);
    let stderr = sandbox.bad_input(&["tasks"]);
    // 2:24 is `many`. (The message itself says only "invalid u64", not the key.)
    assert_reported(&stderr, &config, 2, 24, "");
}

#[test]
fn an_agent_pause_of_nothing_is_refused() {
    let sandbox = Sandbox::new();
    sandbox.write(
        ".bosun/config.yaml",
        "agents:\n  claude-code:\n    pause: 0s\n",
    );
    let stderr = sandbox.bad_input(&["tasks"]);
    assert!(
        stderr.contains("agents.claude-code.pause must be at least 1s"),
        "{stderr}"
    );
}

#[test]
fn an_unreadable_config_is_named() {
    let sandbox = Sandbox::new();
    // A directory where the file should be: unreadable even for root.
    let config = sandbox.root().join(".bosun/config.yaml");
    std::fs::create_dir_all(&config).expect("create config.yaml as a directory");
    for verb in VERBS {
        let stderr = sandbox.bad_input(verb);
        assert_mentions(&stderr, &[&format!("{}: cannot be read", config.display())]);
    }
}

#[test]
fn bad_skill_files_are_reported_with_their_position() {
    let sandbox = Sandbox::new();
    let unknown = sandbox.write(
        ".bosun/skills/unknown.yaml",
        "name: unknown\nkind: command\ncommand: [echo, hi]\nretries: 3\n",
    );
    let undeclared = sandbox.write(
        ".bosun/skills/undeclared.yaml",
        "name: undeclared\nkind: command\ninputs:\n  who: { required: true }\ncommand: [echo, \"{{ whom }}\"]\n",
    );
    let stderr = sandbox.bad_input(&["validate"]);
    assert_reported(&stderr, &unknown, 4, 1, "retries");
    assert_reported(&stderr, &undeclared, 5, 17, "`whom` is not an input");
    // Naming the file checks just that file, with the same report.
    let stderr = sandbox.bad_input(&["validate", &undeclared.display().to_string()]);
    assert_reported(&stderr, &undeclared, 5, 17, "`whom` is not an input");
}

#[test]
fn no_verb_without_a_terminal_points_to_bosun_run() {
    let stderr = Sandbox::new().bad_input(&[]);
    assert_mentions(&stderr, &["bosun run"]);
}

/// `bosun run` in the background; killed on drop whatever happened.
struct Engine {
    child: Child,
    log: PathBuf,
}

impl Engine {
    fn start(sandbox: &Sandbox) -> Engine {
        let log = sandbox.home.path().join("engine.log");
        let stderr = std::fs::File::create(&log).expect("create the engine log");
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("bosun"));
        for name in inherited_bosun_vars() {
            cmd.env_remove(name);
        }
        let child = cmd
            .envs(sandbox.env())
            .args(["run", "--project"])
            .arg(sandbox.root())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start `bosun run`");
        Engine { child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGINT, then waits (bounded) for the engine to exit.
    fn interrupt(&mut self) -> std::process::ExitStatus {
        let pid = i32::try_from(self.child.id()).expect("a pid fits in i32");
        kill(Pid::from_raw(pid), Signal::SIGINT).expect("send SIGINT to the engine");
        let stopped = poll(|| self.child.try_wait().expect("wait for the engine"));
        stopped.unwrap_or_else(|| panic!("the engine ignored SIGINT:\n{}", self.log()))
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        if self.is_running() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Calls `check` every 50 ms until it gives a value, for at most 20 s.
fn poll<T>(mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Some(value) = check() {
            return Some(value);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// Polls `bosun show ID --json` until the task finishes; returns the task.
fn wait_until_finished(sandbox: &Sandbox, engine: &Engine, id: &str) -> serde_json::Value {
    let finished = poll(|| {
        let out = sandbox.run(&["show", id, "--json"]);
        let task: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
        let status = task["status"].as_str()?;
        ["succeeded", "failed", "cancelled"]
            .contains(&status)
            .then_some(task)
    });
    finished.unwrap_or_else(|| panic!("task {id} did not finish; engine log:\n{}", engine.log()))
}

#[test]
fn a_running_engine_is_unaffected_by_bad_input() {
    let sandbox = Sandbox::new();
    // Create the database first: two processes creating it at the same moment race on the
    // schema migration (a separate bug), and this test is about bad input.
    sandbox.ok(&["tasks"]);
    let mut engine = Engine::start(&sandbox);
    let file = sandbox.write(WORKFLOW, "steps:\n  - id: a\n    skill: shel\n");
    let stderr = sandbox.bad_input(&["submit", "--workflow", "x", "desc"]);
    assert_reported(&stderr, &file, 3, 12, "unknown skill");
    sandbox.write(".bosun/workflows/y.yaml", "steps:\n  - id: [\n");
    sandbox.bad_input(&["submit", "--workflow", "y", "desc"]);
    sandbox.bad_input(&["submit", "--input", "nonsense", "desc"]);

    let id = sandbox.ok(&["submit", "echo ok"]).trim().to_string();
    let task = wait_until_finished(&sandbox, &engine, &id);
    assert_eq!(
        task["status"],
        "succeeded",
        "{task:#}\nengine log:\n{}",
        engine.log()
    );
    assert!(engine.is_running(), "the engine exited:\n{}", engine.log());
    let status = engine.interrupt();
    assert!(
        status.success(),
        "SIGINT stops the engine cleanly ({status}):\n{}",
        engine.log()
    );
}
