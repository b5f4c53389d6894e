//! `bosun doctor`'s agent checks: for each adapter in the settings, the binary the engine would
//! start (`agents.<adapter>.command` looked up as a step's process would, with the settings'
//! `env` and `path` and the adapter's `env`), and what it says to `--version`.
//!
//! A missing agent fails the doctor only when a workflow of the project uses it (a task of that
//! workflow would be refused); otherwise it is a warning, since the bundled workflows that use
//! agents ship whether or not their agent is installed.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde::Serialize;

use super::{Check, Project};
use crate::config::locate::{AgentBinary, StepLayers};
use crate::definitions::catalog::Source;
use crate::definitions::skills::{load_skills, skill};
use crate::definitions::workflow::{agents::adapters, load_workflows, parse_workflow};

/// How long an agent has to answer `--version`.
const VERSION_TIMEOUT: Duration = Duration::from_secs(5);

/// What the doctor found of one agent (`agent` in `doctor --json`).
#[derive(Debug, Serialize)]
pub(super) struct AgentReport {
    adapter: String,
    /// `agents.<adapter>.command` as written.
    command: String,
    /// The file that would run; `null` when there is none.
    path: Option<String>,
    /// The first line it printed for `--version`; `null` when it is missing or did not answer.
    version: Option<String>,
    /// The project's workflows that use this adapter.
    workflows: Vec<String>,
    /// The bundled workflows that use it.
    bundled_workflows: Vec<String>,
}

/// Which workflows use each adapter: the project's, then the bundled ones.
fn users(project: &Project) -> BTreeMap<String, (Vec<String>, Vec<String>)> {
    let skills = load_skills(&project.paths);
    let workflows = load_workflows(&project.paths);
    let mut by_adapter: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for entry in workflows.entries.values() {
        let Ok(workflow) = entry.get_or_parse(|p, t| parse_workflow(p, t, &skills)) else {
            continue;
        };
        let skill_of = |name: &str| skill(&skills, name).and_then(|r| r.as_ref().ok());
        for adapter in adapters(workflow, skill_of) {
            let (own, bundled) = by_adapter.entry(adapter).or_default();
            match entry.source {
                Source::Project(_) => own.push(entry.name.clone()),
                Source::Bundled(_) => bundled.push(entry.name.clone()),
            }
        }
    }
    by_adapter
}

/// Runs `binary --version` with the agent's environment; its first line, or why there is none.
async fn version(binary: &Path, env: &[(String, String)], cwd: &Path) -> Result<String, String> {
    let child = tokio::process::Command::new(binary)
        .arg("--version")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own group, so that a wrapper script's children end with it on a timeout.
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run it: {e}"))?;
    let group = child.id();
    let out = match tokio::time::timeout(VERSION_TIMEOUT, child.wait_with_output()).await {
        Ok(out) => out.map_err(|e| format!("cannot run it: {e}"))?,
        Err(_) => {
            if let Some(pid) = group.and_then(|p| i32::try_from(p).ok()) {
                let _ = nix::sys::signal::killpg(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
            return Err(format!(
                "`--version` gave no answer within {} s",
                VERSION_TIMEOUT.as_secs()
            ));
        }
    };
    let first = |bytes: &[u8]| {
        String::from_utf8_lossy(bytes)
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(str::to_string)
    };
    match (out.status.success(), first(&out.stdout)) {
        (true, Some(line)) => Ok(line),
        (true, None) => Err("`--version` printed nothing".into()),
        (false, _) => Err(format!(
            "`--version` failed ({}){}",
            out.status,
            first(&out.stderr)
                .map(|l| format!(": {l}"))
                .unwrap_or_default()
        )),
    }
}

/// One check per adapter in the settings.
pub(super) async fn agents(project: &Project) -> Vec<Check> {
    let users = users(project);
    let root = &project.paths.root;
    let checks = project.settings.agents.iter().map(|(adapter, agent)| {
        let binary = AgentBinary::locate(
            adapter,
            agent,
            &project.settings,
            StepLayers::default(),
            root,
        );
        let (own, bundled) = users.get(adapter).cloned().unwrap_or_default();
        async move { agent_check(binary, own, bundled, root).await }
    });
    futures_util::future::join_all(checks).await
}

async fn agent_check(
    binary: AgentBinary,
    own: Vec<String>,
    bundled: Vec<String>,
    root: &Path,
) -> Check {
    let path = binary.found.as_ref().ok().cloned();
    let answer = match &path {
        Some(path) => Some(version(path, &binary.env, root).await),
        None => None,
    };
    let listed = |names: &[String]| {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let used = match (own.is_empty(), bundled.is_empty()) {
        (false, _) if own.len() == 1 => {
            format!("; this project's workflow {} needs it", listed(&own))
        }
        (false, _) => format!("; this project's workflows {} need it", listed(&own)),
        (true, false) => format!(
            "; only bundled workflows use it ({}), so this is a warning",
            listed(&bundled)
        ),
        (true, true) => "; no workflow uses it, so this is a warning".into(),
    };
    let (ok, detail) = match (&path, &answer) {
        (Some(path), Some(Ok(version))) => (true, format!("{}: {version}", path.display())),
        (Some(path), Some(Err(why))) => (false, format!("{}: {why}{used}", path.display())),
        _ => (
            false,
            format!("{}{used}", binary.missing().unwrap_or_default()),
        ),
    };
    Check {
        name: binary.adapter.clone(),
        ok,
        required: !own.is_empty(),
        detail,
        agent: Some(AgentReport {
            adapter: binary.adapter,
            command: binary.command,
            path: path.map(|p| p.display().to_string()),
            version: answer.and_then(Result::ok),
            workflows: own,
            bundled_workflows: bundled,
        }),
    }
}
