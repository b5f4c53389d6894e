//! `.worktreeinclude`: what is copied into a new worktree, and what never is.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use super::{Repo, read, write};
use crate::worktree::copy_included;

#[test]
fn without_a_worktreeinclude_nothing_is_copied() {
    let repo = Repo::new();
    write(&repo.root, ".env", "SECRET=1\n");
    let (path, _) = repo.task("t-1");
    assert_eq!(
        copy_included(&repo.root, &path).expect("copy"),
        Vec::<PathBuf>::new()
    );
    assert!(!path.join(".env").exists());
}

#[test]
fn ignored_files_that_match_are_copied_with_their_modes_and_links() {
    let repo = Repo::new();
    // Another task's worktree, inside the checkout, with its own `.env`: never a source.
    let (other, _) = repo.task("other");
    write(&other, ".env", "OTHER=1\n");

    write(
        &repo.root,
        ".worktreeinclude",
        "# what a task needs\n.env\nsecrets/\nREADME.md\nscratch.txt\n",
    );
    write(&repo.root, ".env", "SECRET=1\n");
    write(&repo.root, "app/.env", "APP=1\n");
    write(&repo.root, "debug.log", "ignored but not listed\n");
    write(&repo.root, "scratch.txt", "untracked, not ignored\n");
    write(&repo.root, "README.md", "# edited in the main checkout\n");
    std::fs::write(repo.root.join(".git/info/exclude"), "secrets/\n").expect("exclude");
    write(&repo.root, "secrets/key", "k\n");
    write(&repo.root, "secrets/run.sh", "#!/bin/sh\n");
    let mode = |p: PathBuf, m| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m));
    mode(repo.root.join("secrets/key"), 0o600).expect("chmod");
    mode(repo.root.join("secrets/run.sh"), 0o755).expect("chmod");
    std::os::unix::fs::symlink("key", repo.root.join("secrets/link")).expect("symlink");

    let (path, _) = repo.task("t-1");
    let copied = copy_included(&repo.root, &path).expect("copy");
    let expected: Vec<PathBuf> = [
        ".env",
        "app/.env",
        "secrets/key",
        "secrets/link",
        "secrets/run.sh",
    ]
    .into_iter()
    .map(PathBuf::from)
    .collect();
    assert_eq!(copied, expected);
    assert_eq!(read(&path, ".env"), "SECRET=1\n");
    assert_eq!(read(&path, "app/.env"), "APP=1\n");
    let mode_of = |rel: &str| {
        std::fs::metadata(path.join(rel))
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode_of("secrets/key"), 0o600);
    assert_eq!(mode_of("secrets/run.sh"), 0o755);
    let link = std::fs::read_link(path.join("secrets/link")).expect("a link");
    assert_eq!(link, PathBuf::from("key"));
    // A tracked file keeps the committed content; unlisted or not ignored files stay out.
    assert_eq!(read(&path, "README.md"), "# project\n");
    assert!(!path.join("debug.log").exists());
    assert!(!path.join("scratch.txt").exists());
    // The worktree's own status is untouched: what was copied is ignored there too.
    assert_eq!(super::status(&path), "");
}
