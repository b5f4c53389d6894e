//! The kit of `../shared/agents/` for end-to-end tests: the fake Anthropic model server on a
//! free port (it dies with the test), the real `claude` CLI, and the project settings that
//! point Bosun's `claude-code` adapter at both.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::Project;

pub fn kit() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/agents")
}

/// A pinned agent CLI: `$var`, else `rel` under the kit's install cache. A missing one fails
/// the test with the command that installs it: a green run means the real agent ran.
fn cli(var: &str, rel: &str, name: &str) -> PathBuf {
    let path = std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default();
        home.join(".cache/agent-clis/node_modules").join(rel)
    });
    assert!(
        path.exists(),
        "no {name} CLI at {}: install it with `sh ../shared/agents/install_clis.sh` (or set {var})",
        path.display()
    );
    path
}

/// The real `claude` binary.
pub fn claude() -> PathBuf {
    cli(
        "BOSUN_TEST_CLAUDE",
        "@anthropic-ai/claude-code-linux-x64/claude",
        "claude",
    )
}

/// The real `codex` binary.
pub fn codex() -> PathBuf {
    cli("BOSUN_TEST_CODEX", ".bin/codex", "codex")
}

/// A fake model server of the kit, playing `turns` in order.
pub struct FakeModel {
    child: Child,
    pub port: u16,
    pub log: PathBuf,
}

impl FakeModel {
    /// The fake Anthropic API, its files in `dir`.
    pub fn start(dir: &Path, turns: serde_json::Value) -> FakeModel {
        FakeModel::serve(dir, "fake_anthropic.py", "anthropic", turns)
    }

    /// The fake OpenAI Responses API; `name` tells apart several servers sharing `dir`.
    pub fn openai(dir: &Path, name: &str, turns: serde_json::Value) -> FakeModel {
        FakeModel::serve(dir, "fake_openai.py", name, turns)
    }

    fn serve(dir: &Path, server: &str, name: &str, turns: serde_json::Value) -> FakeModel {
        std::fs::create_dir_all(dir).expect("fake dir");
        let script = dir.join(format!("{name}.script.json"));
        std::fs::write(&script, serde_json::json!({ "turns": turns }).to_string()).expect("script");
        let log = dir.join(format!("{name}.requests.jsonl"));
        let mut child = Command::new("python3")
            .arg(kit().join(server))
            .args(["--port", "0", "--exit-on-stdin-eof", "--script"])
            .arg(&script)
            .arg("--log")
            .arg(&log)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs the fake model server");
        let mut first = String::new();
        let stdout = child.stdout.take().expect("stdout");
        BufReader::new(stdout)
            .read_line(&mut first)
            .expect("port line");
        let port = first.trim().parse().expect("the first line is the port");
        FakeModel { child, port, log }
    }

    /// The bodies of the requests the CLI made, as logged.
    pub fn requests(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).expect("a logged request")["body"]
                    .clone()
            })
            .collect()
    }
}

impl Drop for FakeModel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes `.bosun/config.yaml` so that the `claude-code` adapter runs `command` (default:
/// the real CLI) against `fake`, with a private home; `extra` is appended to the file.
pub fn configure_claude(project: &Project, fake: &FakeModel, command: Option<&Path>, extra: &str) {
    let home = project.path(".agent-home");
    let tmp = project.path(".agent-tmp");
    std::fs::create_dir_all(&home).expect("home");
    std::fs::create_dir_all(&tmp).expect("tmp");
    let command = command.map(Path::to_path_buf).unwrap_or_else(claude);
    let config = format!(
        "agents:\n  claude-code:\n    command: {command:?}\n    env:\n      HOME: {home:?}\n      \
         CLAUDE_CODE_TMPDIR: {tmp:?}\n      ANTHROPIC_BASE_URL: \"http://127.0.0.1:{port}\"\n      \
         ANTHROPIC_API_KEY: fake\n      CLAUDE_CODE_MAX_RETRIES: \"2\"\n      \
         CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: \"1\"\n      DISABLE_TELEMETRY: \"1\"\n      \
         DISABLE_AUTOUPDATER: \"1\"\n      DISABLE_ERROR_REPORTING: \"1\"\n{extra}",
        command = command.display().to_string(),
        home = home.display().to_string(),
        tmp = tmp.display().to_string(),
        port = fake.port,
    );
    project.write(".bosun/config.yaml", &config);
}

/// A workflow `agent` of one `claude` step given `prompt`, with `max_turns` when set.
pub fn agent_workflow(project: &Project, prompt: &str) {
    project.write(
        ".bosun/workflows/agent.yaml",
        &format!(
            "name: agent\ndescription: one agent step\nsteps:\n  - id: work\n    skill: claude\n    \
             with: {{ prompt: {prompt:?} }}\n"
        ),
    );
}

/// A project rule that asks about `touch approved.txt`, so a test decides what the policy
/// would otherwise allow.
pub fn ask_about_touch(project: &Project) {
    project.write(
        ".bosun/policy.yaml",
        "rules:\n  - id: ask-touch\n    reason: the test asks about this one\n    \
         match: { command: \"touch approved.txt\" }\n    action: escalate\n",
    );
}

/// `bosun answer` of `question` (an escalation's JSON) with `choice`, which must succeed.
pub fn answer(project: &Project, question: &serde_json::Value, choice: &str) {
    let id = question["id"].as_str().expect("an escalation id");
    let out = project.bosun(&["answer", id, choice]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The project's open escalations (`bosun inbox --json`).
pub fn inbox(project: &Project) -> Vec<serde_json::Value> {
    let out = project.bosun(&["inbox", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("inbox --json")
}

/// The first open escalation, once one is there.
pub fn wait_for_question(project: &Project, limit: std::time::Duration) -> serde_json::Value {
    let start = std::time::Instant::now();
    loop {
        if let Some(first) = inbox(project).into_iter().next() {
            return first;
        }
        assert!(start.elapsed() < limit, "no question reached the inbox");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Whether a live process has `session` (an agent's session id) on its command line.
pub fn agent_running(session: &str) -> bool {
    std::fs::read_dir("/proc")
        .expect("/proc")
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.parse::<u32>().is_ok())
        })
        .any(|e| {
            let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            let live = std::fs::read_to_string(e.path().join("stat"))
                .map(|s| {
                    !s.rsplit(')')
                        .next()
                        .unwrap_or("")
                        .trim_start()
                        .starts_with('Z')
                })
                .unwrap_or(false);
            live && String::from_utf8_lossy(&cmdline).contains(session)
        })
}

/// The user's Codex home of a test: `HOME/.codex` under the project, its `config.toml`
/// pointing at `fake` as the kit's `codex_config()` does. Bosun derives the home it gives
/// Codex from this one, so an allow rule or approval setting put here must not count.
pub fn codex_user_home(project: &Project, fake: &FakeModel) -> PathBuf {
    let home = project.path(".agent-home");
    let codex = home.join(".codex");
    std::fs::create_dir_all(&codex).expect("~/.codex");
    let config = format!(
        "model = \"gpt-5.5\"\nmodel_provider = \"fake\"\ncheck_for_update_on_startup = false\n\n\
         [model_providers.fake]\nname = \"fake\"\nbase_url = \"http://127.0.0.1:{port}/v1\"\n\
         wire_api = \"responses\"\nenv_key = \"FAKE_OPENAI_KEY\"\nrequest_max_retries = 0\n\
         stream_max_retries = 0\nsupports_websockets = false\n\n[analytics]\nenabled = false\n\n\
         [features]\nplugins = false\nremote_plugin = false\napps = false\n",
        port = fake.port,
    );
    std::fs::write(codex.join("config.toml"), config).expect("config.toml");
    home
}

/// Writes `.bosun/config.yaml` so that the `codex` adapter runs the real CLI with `HOME` set
/// to [`codex_user_home`] (against `fake`); `extra` is appended to the file.
pub fn configure_codex(project: &Project, fake: &FakeModel, extra: &str) {
    let home = codex_user_home(project, fake);
    let config = format!(
        "agents:\n  codex:\n    command: {command:?}\n    env:\n      HOME: {home:?}\n      \
         FAKE_OPENAI_KEY: fake\n{extra}",
        command = codex().display().to_string(),
        home = home.display().to_string(),
    );
    project.write(".bosun/config.yaml", &config);
}

/// A workflow `agent` of one `codex` step given `prompt`.
pub fn codex_workflow(project: &Project, prompt: &str) {
    project.write(
        ".bosun/workflows/agent.yaml",
        &format!(
            "name: agent\ndescription: one agent step\nsteps:\n  - id: work\n    skill: codex\n    \
             with: {{ prompt: {prompt:?} }}\n"
        ),
    );
}
