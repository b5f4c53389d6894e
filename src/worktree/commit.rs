//! Committing a task's work in its worktree, and the identity Bosun's commits are made with.

use std::path::Path;

use super::GitError;
use super::git::Git;

/// The identity of Bosun's commits when git has none configured (a fresh container, CI).
const FALLBACK_NAME: &str = "Bosun";
const FALLBACK_EMAIL: &str = "bosun@localhost";

/// Stages everything in the worktree at `path` (tracked and untracked files, not ignored ones)
/// and commits it with `message`, without running hooks (`--no-verify`). Returns the new
/// commit, or None when there was nothing to commit.
pub fn commit_all(path: &Path, message: &str) -> Result<Option<String>, GitError> {
    Git::new(path).args(["add", "--all"]).run()?;
    let staged = Git::new(path).args(["write-tree"]).run()?;
    let head = Git::new(path).args(["rev-parse", "HEAD^{tree}"]).run()?;
    if staged == head {
        return Ok(None);
    }
    Git::new(path)
        .args(["commit", "--no-verify", "--quiet", "--file=-"])
        .envs(&identity_env(path)?)
        .stdin(message)
        .run()?;
    Ok(Some(Git::new(path).args(["rev-parse", "HEAD"]).run()?))
}

/// The environment that gives git an author and a committer: empty when git has them (the
/// user's configuration always wins), Bosun's fallback for whichever it lacks.
pub(super) fn identity_env(dir: &Path) -> Result<Vec<(String, String)>, GitError> {
    let mut env = Vec::new();
    for role in ["AUTHOR", "COMMITTER"] {
        // `git var` asks for the identity as strictly as `git commit` does.
        let known = Git::new(dir)
            .args(["var", &format!("GIT_{role}_IDENT")])
            .output()?
            .status
            .success();
        if !known {
            env.push((format!("GIT_{role}_NAME"), FALLBACK_NAME.to_string()));
            env.push((format!("GIT_{role}_EMAIL"), FALLBACK_EMAIL.to_string()));
        }
    }
    Ok(env)
}
