//! `.worktreeinclude`: the files git does not track but a task needs (`.env`, local settings),
//! copied from the main checkout into a new worktree, as Claude Code does. The file lists
//! patterns in gitignore syntax; a file is copied when it matches one **and** git ignores it, so
//! tracked files (already in the worktree) and untracked work in progress are never copied.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use ignore::gitignore::GitignoreBuilder;

use super::GitError;
use super::git::Git;
use super::list::registered;

/// Copies into the worktree at `path` the files of `root` that `.worktreeinclude` names and git
/// ignores, at the same relative paths with their permissions (symbolic links as links).
/// Returns the relative paths copied, sorted; none when there is no `.worktreeinclude`.
pub fn copy_included(root: &Path, path: &Path) -> Result<Vec<PathBuf>, GitError> {
    let list = root.join(".worktreeinclude");
    let text = match std::fs::read_to_string(&list) {
        Ok(text) => text,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(other(format!("cannot read {}: {e}", list.display()))),
    };
    let mut builder = GitignoreBuilder::new(root);
    for line in text.lines() {
        builder
            .add_line(Some(list.clone()), line)
            .map_err(|e| other(format!("{}: {e}", list.display())))?;
    }
    let patterns = builder
        .build()
        .map_err(|e| other(format!("{}: {e}", list.display())))?;
    if patterns.is_empty() {
        return Ok(Vec::new());
    }
    // Other worktrees may live inside the checkout (`.bosun/worktrees/`): never copy from them.
    let real_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let mut inside: Vec<PathBuf> = registered(root)?
        .into_iter()
        .skip(1)
        .map(|w| w.path)
        .chain([path.canonicalize().unwrap_or_else(|_| path.to_path_buf())])
        .filter_map(|p| p.strip_prefix(&real_root).ok().map(Path::to_path_buf))
        .collect();
    inside.retain(|p| !p.as_os_str().is_empty());
    let ignored = Git::new(root)
        .args([
            "ls-files",
            "--others",
            "--ignored",
            "--exclude-standard",
            "-z",
        ])
        .run()?;
    let mut copied = Vec::new();
    for name in ignored.split('\0').filter(|n| !n.is_empty()) {
        let rel = Path::new(name);
        // A name ending in `/` is a nested repository git did not enter: never a file to copy.
        if name.ends_with('/')
            || inside.iter().any(|w| rel.starts_with(w))
            || !patterns.matched_path_or_any_parents(rel, false).is_ignore()
        {
            continue;
        }
        copy_one(&root.join(rel), &path.join(rel))?;
        copied.push(rel.to_path_buf());
    }
    copied.sort();
    Ok(copied)
}

/// One file or symbolic link, its parent directories made as needed.
fn copy_one(from: &Path, to: &Path) -> Result<(), GitError> {
    let fail = |e: std::io::Error| {
        other(format!(
            "cannot copy {} to {}: {e}",
            from.display(),
            to.display()
        ))
    };
    let meta = from.symlink_metadata().map_err(fail)?;
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(from).map_err(fail)?;
        if to.symlink_metadata().is_ok() {
            std::fs::remove_file(to).map_err(fail)?;
        }
        std::os::unix::fs::symlink(target, to).map_err(fail)?;
    } else if meta.is_file() {
        // `fs::copy` carries the permission bits (an executable script stays executable).
        std::fs::copy(from, to).map_err(fail)?;
    }
    Ok(())
}

fn other(message: String) -> GitError {
    GitError::Other(message)
}
