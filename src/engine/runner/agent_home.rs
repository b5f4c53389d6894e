//! The environment an agent step's process starts with: its adapter's `env` from the
//! settings and, for Codex, `CODEX_HOME` set to a home Bosun keeps, so that none of Codex's
//! own allow rules, approval settings or trusted projects decide for it (DESIGN.md §8; what
//! the home's config keeps is in `agents::codex::home`).
//!
//! The home is `.bosun/state/agents/codex-home/`, one per project and kept: a session is
//! resumed from the rollout files Codex writes under its `sessions/`, so it must outlive the
//! process and the engine. Each start, before the agent runs:
//! - its `config.toml` is written again from the user's own, the project root and the step's
//!   working directory added to those it marks untrusted (the others stay: they may be
//!   other steps' while they run);
//! - its `rules/` is removed, whoever wrote it;
//! - `auth.json` and `AGENTS.md` are links to the user's, so a login made with `codex login`
//!   works and Codex's token refreshes (written in place) land in the user's file.
//!
//! The user's Codex home is `CODEX_HOME`, else `$HOME/.codex`, as the agent would see them:
//! `agents.codex.env` first, then the step's environment, then the engine's.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::agents::codex::home;
use crate::config::ProjectPaths;
use crate::config::agents::AgentSettings;
use crate::engine::process::ProcessSpec;

/// One writer of a home's `config.toml` at a time, so no step's untrusted entry is lost.
static WRITING: Mutex<()> = Mutex::new(());

/// The files of the user's Codex home that its agent steps share.
const LINKED: &[&str] = &["auth.json", "AGENTS.md"];

/// What the agent's process adds to the engine's environment; `Err` says what a user can fix.
pub(super) fn agent_env(
    paths: &ProjectPaths,
    adapter: &str,
    agent: &AgentSettings,
    spec: &ProcessSpec,
) -> Result<Vec<(String, String)>, String> {
    let mut env: Vec<(String, String)> = agent.env.clone().into_iter().collect();
    if adapter == "codex" {
        let user = user_codex_home(&agent.env, &spec.env, |name| std::env::var(name).ok());
        let home = codex_home(paths);
        prepare_codex_home(
            &home,
            user.as_deref(),
            agent.model.as_deref(),
            &trusted_dirs(paths, &spec.cwd),
        )?;
        env.push(("CODEX_HOME".into(), home.display().to_string()));
    }
    Ok(env)
}

/// Where a project's agent steps keep Codex's home.
fn codex_home(paths: &ProjectPaths) -> PathBuf {
    paths.state_dir().join("agents").join("codex-home")
}

/// The user's own Codex home, looked up as the agent would: `CODEX_HOME`, else
/// `$HOME/.codex`, each from the agent's settings, the step's environment, then `engine`'s.
fn user_codex_home(
    agent: &BTreeMap<String, String>,
    step: &[(String, String)],
    engine: impl Fn(&str) -> Option<String>,
) -> Option<PathBuf> {
    let var = |name: &str| {
        agent
            .get(name)
            .cloned()
            .or_else(|| {
                step.iter()
                    .rev()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
            })
            .or_else(|| engine(name))
            .filter(|v| !v.is_empty())
    };
    var("CODEX_HOME")
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|home| Path::new(&home).join(".codex")))
}

/// The directories Codex must not trust: the project and where the step runs, each as given
/// and as the filesystem resolves it.
fn trusted_dirs(paths: &ProjectPaths, cwd: &Path) -> Vec<String> {
    let mut dirs = Vec::new();
    for dir in [paths.root.as_path(), cwd] {
        let resolved = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        for d in [dir.to_path_buf(), resolved] {
            let d = d.display().to_string();
            if !dirs.contains(&d) {
                dirs.push(d);
            }
        }
    }
    dirs
}

/// Writes `home` from `user` (the user's Codex home, when there is one): see the module doc.
fn prepare_codex_home(
    home: &Path,
    user: Option<&Path>,
    model: Option<&str>,
    untrusted: &[String],
) -> Result<(), String> {
    let fail = |what: &str, path: &Path, e: std::io::Error| {
        format!(
            "cannot prepare Codex's home: {what} {}: {e}",
            path.display()
        )
    };
    // Inside the private state directory, and private itself: Codex keeps its sessions here.
    crate::config::private::create_private_dir(home).map_err(|e| fail("create", home, e))?;
    // The user's home is read, never written: one that is this very home counts as none.
    let user = user.filter(|u| std::fs::canonicalize(u).ok() != std::fs::canonicalize(home).ok());
    let user_config = match user.map(|u| u.join("config.toml")) {
        Some(path) => match std::fs::read_to_string(&path) {
            Ok(text) => Some((path, text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(fail("read", &path, e)),
        },
        None => None,
    };
    let rules = home.join("rules");
    match std::fs::remove_dir_all(&rules) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(fail("remove", &rules, e));
        }
        _ => {}
    }
    for name in LINKED {
        link(home, user, name).map_err(|e| fail("link", &home.join(name), e))?;
    }
    let path = home.join("config.toml");
    let _writing = WRITING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut dirs = std::fs::read_to_string(&path)
        .map(|text| home::untrusted_dirs(&text))
        .unwrap_or_default();
    for dir in untrusted {
        if !dirs.contains(dir) {
            dirs.push(dir.clone());
        }
    }
    let text =
        home::config(user_config.as_ref().map(|(_, t)| t.as_str()), model, &dirs).map_err(|e| {
            match &user_config {
                Some((file, _)) => format!("the Codex config {}: {e}", file.display()),
                None => format!("cannot write Codex's config: {e}"),
            }
        })?;
    if std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
        return Ok(());
    }
    // A Codex starting meanwhile reads the old file or the new one, never half of one.
    let fresh = home.join(format!("config.toml.{}.tmp", std::process::id()));
    crate::config::private::write_private(&fresh, text.as_bytes())
        .map_err(|e| fail("write", &fresh, e))?;
    std::fs::rename(&fresh, &path).map_err(|e| fail("write", &path, e))
}

/// Makes `home/name` a link to the user's file of that name. A file of the user's wins over
/// what is there; with none, a link left from before goes and a file of the home's own stays.
fn link(home: &Path, user: Option<&Path>, name: &str) -> std::io::Result<()> {
    let at = home.join(name);
    let target = user.map(|u| u.join(name)).filter(|t| t.exists());
    let here = std::fs::symlink_metadata(&at).ok();
    match (&target, &here) {
        (Some(target), Some(meta)) if meta.file_type().is_symlink() => {
            if std::fs::read_link(&at).ok().as_deref() == Some(target.as_path()) {
                return Ok(());
            }
            std::fs::remove_file(&at)?;
        }
        (Some(_), Some(meta)) if meta.is_file() => std::fs::remove_file(&at)?,
        (None, Some(meta)) if meta.file_type().is_symlink() => return std::fs::remove_file(&at),
        _ => {}
    }
    match target {
        Some(target) => std::os::unix::fs::symlink(target, &at),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_user_s_home_is_found_as_the_agent_would_find_it() {
        let engine = |name: &str| match name {
            "HOME" => Some("/home/me".to_string()),
            _ => None,
        };
        assert_eq!(
            user_codex_home(&env(&[]), &[], engine),
            Some(PathBuf::from("/home/me/.codex"))
        );
        let step = [("HOME".to_string(), "/step".to_string())];
        assert_eq!(
            user_codex_home(&env(&[]), &step, engine),
            Some(PathBuf::from("/step/.codex"))
        );
        assert_eq!(
            user_codex_home(&env(&[("HOME", "/agent")]), &step, engine),
            Some(PathBuf::from("/agent/.codex"))
        );
        assert_eq!(
            user_codex_home(&env(&[("HOME", "/agent")]), &step, |n| {
                (n == "CODEX_HOME").then(|| "/codex".to_string())
            }),
            Some(PathBuf::from("/codex")),
            "CODEX_HOME wins, as it does for Codex"
        );
        assert_eq!(user_codex_home(&env(&[]), &[], |_| None), None);
    }

    #[test]
    fn the_home_keeps_no_rules_links_the_login_and_keeps_other_steps_entries() {
        let dir = tempfile::tempdir().expect("tempdir");
        let user = dir.path().join("user");
        std::fs::create_dir_all(user.join("rules")).expect("user rules");
        std::fs::write(
            user.join("rules/allow.rules"),
            "prefix_rule(pattern=[\"touch\"])\n",
        )
        .expect("rule");
        std::fs::write(user.join("auth.json"), "{}").expect("auth");
        std::fs::write(
            user.join("config.toml"),
            "approval_policy = \"never\"\nmodel = \"m\"\n",
        )
        .expect("config");
        let home = dir.path().join("home");
        std::fs::create_dir_all(home.join("rules")).expect("home rules");
        std::fs::write(home.join("rules/default.rules"), "x").expect("a rule");

        prepare_codex_home(&home, Some(&user), None, &["/a".into()]).expect("prepared");
        prepare_codex_home(&home, Some(&user), None, &["/b".into()]).expect("again");

        assert!(!home.join("rules").exists());
        assert_eq!(
            std::fs::read_link(home.join("auth.json")).ok(),
            Some(user.join("auth.json"))
        );
        assert!(!home.join("AGENTS.md").exists(), "the user has none");
        let config = std::fs::read_to_string(home.join("config.toml")).expect("config");
        assert!(!config.contains("approval_policy"), "{config}");
        assert!(config.contains("model = \"m\""), "{config}");
        assert_eq!(home::untrusted_dirs(&config), ["/a", "/b"]);

        std::fs::remove_file(user.join("auth.json")).expect("logged out");
        prepare_codex_home(&home, Some(&user), None, &[]).expect("again");
        assert!(
            std::fs::symlink_metadata(home.join("auth.json")).is_err(),
            "the stale link goes"
        );
    }

    #[test]
    fn a_broken_user_config_names_its_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let user = dir.path().join("user");
        std::fs::create_dir_all(&user).expect("user");
        std::fs::write(user.join("config.toml"), "model = \n").expect("config");
        let err = prepare_codex_home(&dir.path().join("home"), Some(&user), None, &[])
            .expect_err("not TOML");
        assert!(
            err.contains(&user.join("config.toml").display().to_string()),
            "{err}"
        );
    }
}
