//! The rebase strategy without a checkout: each commit of the task branch is cherry-picked onto
//! the base in the object database (`git merge-tree --merge-base=PARENT`), then committed with
//! `git commit-tree` keeping its author, date and message — what `git rebase` would produce,
//! with no worktree touched and no ref moved.

use std::path::Path;

use super::GitError;
use super::git::{Git, is_ancestor};
use super::merge::{Prepared, TreeMerge, merge_tree, tree_of};

/// Replays the commits of `tip` not in `old` onto `old`.
pub(super) fn rebase(
    root: &Path,
    tip: &str,
    old: &str,
    identity: &[(String, String)],
) -> Result<Prepared, GitError> {
    let range = format!("{old}..{tip}");
    let merges = Git::new(root)
        .args(["rev-list", "--merges", &range])
        .run()?;
    if merges.is_empty() && is_ancestor(root, old, tip)? {
        // Already a line on top of the base: the branch itself is the result, as for git.
        return Ok(Prepared::Ready {
            new_commit: tip.to_string(),
            old_commit: old.to_string(),
        });
    }
    let commits = Git::new(root)
        .args([
            "rev-list",
            "--reverse",
            "--topo-order",
            "--no-merges",
            &range,
        ])
        .run()?;
    let mut onto = old.to_string();
    let mut onto_tree = tree_of(root, old)?;
    for commit in commits.lines() {
        let tree = match merge_tree(root, &onto, commit, Some(&format!("{commit}^")))? {
            TreeMerge::Clean(tree) => tree,
            TreeMerge::Conflicted(files) => return Ok(Prepared::Conflict { files }),
        };
        if tree == onto_tree {
            // Already in the base (or it cancels out there): git rebase drops it too.
            continue;
        }
        let original = Original::read(root, commit)?;
        onto = Git::new(root)
            .args(["commit-tree", &tree, "-p", &onto, "-F", "-"])
            .envs(identity)
            .envs(&original.author)
            .stdin(original.message)
            .run()?;
        onto_tree = tree;
    }
    if onto == old {
        return Ok(Prepared::UpToDate);
    }
    Ok(Prepared::Ready {
        new_commit: onto,
        old_commit: old.to_string(),
    })
}

/// What a replayed commit keeps of the one it copies.
struct Original {
    /// `GIT_AUTHOR_NAME`, `_EMAIL` and `_DATE`.
    author: Vec<(String, String)>,
    /// The message, byte for byte.
    message: Vec<u8>,
}

impl Original {
    fn read(root: &Path, commit: &str) -> Result<Original, GitError> {
        let git = Git::new(root).args(["cat-file", "commit", commit]);
        let raw = git.output()?;
        if !raw.status.success() {
            return Err(git.failed(&raw));
        }
        let bytes = raw.stdout;
        let split = bytes.windows(2).position(|w| w == b"\n\n");
        let (headers, message) = match split {
            Some(at) => (&bytes[..at], bytes[at + 2..].to_vec()),
            None => (&bytes[..], Vec::new()),
        };
        let author = String::from_utf8_lossy(headers)
            .lines()
            .find_map(|l| l.strip_prefix("author ").and_then(parse_ident))
            .ok_or_else(|| {
                GitError::Other(format!(
                    "cannot read the author of commit {commit} in {}",
                    root.display()
                ))
            })?;
        Ok(Original { author, message })
    }
}

/// `Name <email> 1700000000 +0000` as the author environment.
fn parse_ident(ident: &str) -> Option<Vec<(String, String)>> {
    let (name, rest) = ident.split_once(" <")?;
    let (email, date) = rest.rsplit_once("> ")?;
    Some(vec![
        ("GIT_AUTHOR_NAME".into(), name.into()),
        ("GIT_AUTHOR_EMAIL".into(), email.into()),
        ("GIT_AUTHOR_DATE".into(), date.into()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_author_line_becomes_the_author_environment() {
        let env = parse_ident("Ada L <ada@x.org> 1700000000 +0100").unwrap_or_default();
        assert_eq!(
            env,
            vec![
                ("GIT_AUTHOR_NAME".to_string(), "Ada L".to_string()),
                ("GIT_AUTHOR_EMAIL".to_string(), "ada@x.org".to_string()),
                (
                    "GIT_AUTHOR_DATE".to_string(),
                    "1700000000 +0100".to_string()
                ),
            ]
        );
    }
}
