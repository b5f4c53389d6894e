//! Finding a program the way a step's process would start it: a name is looked up in the
//! directories of the `PATH` the process gets, a name with a `/` is taken relative to its
//! working directory. `doctor`, `validate` and `submit` use it to say early that an agent's
//! binary is missing, rather than letting a task fail at its agent step.
//!
//! The look-up only reads file metadata; it never runs what it finds.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::agents::AgentSettings;
use super::environment::{PathEntry, StepEnv};

/// Where `program` is for a process started in `cwd` with `path` as its `PATH` (this
/// process's `PATH` when `None`), or why it is not there, in words that end a sentence.
pub fn find_program(program: &str, cwd: &Path, path: Option<&str>) -> Result<PathBuf, String> {
    if program.contains('/') {
        // Without its `./`: `/project/./bin/x` says nothing more than `/project/bin/x`.
        let file: PathBuf = cwd.join(program).components().collect();
        return match std::fs::metadata(&file) {
            Err(_) => Err(format!("{} does not exist", file.display())),
            Ok(_) if !is_executable(&file) => {
                Err(format!("{} is not an executable file", file.display()))
            }
            Ok(_) => Ok(file),
        };
    }
    let inherited = std::env::var("PATH").ok();
    let path = path.or(inherited.as_deref()).unwrap_or_default();
    std::env::split_paths(path)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| cwd.join(dir).join(program))
        .find(|candidate| is_executable(candidate))
        .ok_or_else(|| "is not on PATH".to_string())
}

/// A file anyone may execute (a directory is not).
pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The `env` and `path` layers a workflow and a skill add to an agent step's process; empty
/// for the look-up outside any workflow (`bosun doctor`).
#[derive(Debug, Default, Clone, Copy)]
pub struct StepLayers<'a> {
    pub workflow_env: Option<&'a BTreeMap<String, String>>,
    pub workflow_path: &'a [PathEntry],
    pub skill_env: Option<&'a BTreeMap<String, String>>,
}

/// Where one adapter's agent binary is, as the engine would start it.
#[derive(Debug, Clone)]
pub struct AgentBinary {
    pub adapter: String,
    /// `agents.<adapter>.command` as written.
    pub command: String,
    /// The file that would run, or why there is none.
    pub found: Result<PathBuf, String>,
    /// The variables the agent's process gets on top of the engine's (the step layers, then
    /// `agents.<adapter>.env`), `PATH` included when one of them sets it.
    pub env: Vec<(String, String)>,
}

impl AgentBinary {
    /// Looks up `agent`'s binary for a step started in `root` (the project root, where agent
    /// steps run) with the settings' `env` and `path`, the step's `layers`, then the agent's
    /// own `env` — the order the engine composes them in.
    pub fn locate(
        adapter: &str,
        agent: &AgentSettings,
        settings: &super::Settings,
        layers: StepLayers<'_>,
        root: &Path,
    ) -> AgentBinary {
        let empty = BTreeMap::new();
        let mut env = StepEnv {
            inherited_path: std::env::var("PATH").ok(),
            layers: vec![
                &settings.env,
                layers.workflow_env.unwrap_or(&empty),
                layers.skill_env.unwrap_or(&empty),
            ],
            prefixes: vec![layers.workflow_path, &settings.path],
        }
        .resolve(root);
        env.extend(agent.env.iter().map(|(k, v)| (k.clone(), v.clone())));
        let path = env
            .iter()
            .rev()
            .find(|(name, _)| name == "PATH")
            .map(|(_, value)| value.as_str());
        let found = find_program(&agent.command, root, path);
        AgentBinary {
            adapter: adapter.to_string(),
            command: agent.command.clone(),
            found,
            env,
        }
    }

    /// Whether the look-up could not tell: a `PATH` that is a template is only known when the
    /// step runs, so nothing is said about it before.
    pub fn undecided(&self) -> bool {
        self.env
            .iter()
            .any(|(name, value)| name == "PATH" && value.contains("{{"))
    }

    /// Why the agent cannot start and what to do about it (`` `claude` is not on PATH;
    /// install it, or set … ``): `None` when it was found.
    pub fn missing(&self) -> Option<String> {
        let why = self.found.as_ref().err()?;
        let subject = if self.command.contains('/') {
            why.clone()
        } else {
            format!("`{}` {why}", self.command)
        };
        Some(format!(
            "{subject}; install it, or set `agents.{}.command` in .bosun/config.yaml to its path",
            self.adapter
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn executable(path: &Path) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, "#!/bin/sh\n").expect("write");
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }

    #[test]
    fn names_are_found_on_the_path_given_and_paths_from_the_working_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        executable(&root.join("bin/agent"));
        std::fs::write(root.join("plain"), "").expect("write");
        let bin = root.join("bin").display().to_string();
        assert_eq!(
            find_program("agent", root, Some(&format!("/nowhere:{bin}"))),
            Ok(root.join("bin/agent"))
        );
        assert_eq!(
            find_program("agent", root, Some("/nowhere")),
            Err("is not on PATH".into())
        );
        assert_eq!(
            find_program("./bin/agent", root, Some("")),
            Ok(root.join("bin/agent"))
        );
        let err = find_program("./plain", root, None).expect_err("not executable");
        assert!(err.ends_with("is not an executable file"), "{err}");
        let err = find_program("bin/none", root, None).expect_err("absent");
        assert!(err.ends_with("does not exist"), "{err}");
        assert!(find_program("bin", root, Some(&root.display().to_string())).is_err());
    }

    #[test]
    fn the_agent_env_and_the_project_path_decide_where_the_agent_is() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let mut settings = crate::config::Settings::default();
        let mut agent = settings.agents["claude-code"].clone();
        agent.command = "bosun-test-agent".into();
        executable(&root.join("tools/bosun-test-agent"));
        executable(&root.join("elsewhere/bosun-test-agent"));
        let none = AgentBinary::locate(
            "claude-code",
            &agent,
            &settings,
            StepLayers::default(),
            root,
        );
        let message = none.missing().expect("claude is not on this PATH");
        assert!(
            message.contains("`bosun-test-agent` is not on PATH")
                && message.contains("`agents.claude-code.command`"),
            "{message}"
        );
        settings.path = vec![PathEntry("tools".into())];
        let found = AgentBinary::locate(
            "claude-code",
            &agent,
            &settings,
            StepLayers::default(),
            root,
        );
        assert_eq!(found.found, Ok(root.join("tools/bosun-test-agent")));
        agent
            .env
            .insert("PATH".into(), root.join("elsewhere").display().to_string());
        let found = AgentBinary::locate(
            "claude-code",
            &agent,
            &settings,
            StepLayers::default(),
            root,
        );
        assert_eq!(
            found.found,
            Ok(root.join("elsewhere/bosun-test-agent")),
            "the agent's own env wins, as the engine applies it last"
        );
        let workflow_env = BTreeMap::from([("PATH".to_string(), "{{ inputs.bin }}".to_string())]);
        let layers = StepLayers {
            workflow_env: Some(&workflow_env),
            ..StepLayers::default()
        };
        let templated = AgentBinary::locate(
            "claude-code",
            &settings.agents["claude-code"],
            &settings,
            layers,
            root,
        );
        assert!(templated.undecided());
    }
}
