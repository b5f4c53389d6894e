//! A large repository for the worktree benchmarks (each bench includes this file as a
//! module): 10,000 committed files of a few KB in 1,100 directories, packed as in a clone,
//! plus a gitignored `target/` of 2,000 files and a `.env` that `.worktreeinclude` names.

use std::path::Path;
use std::process::Command;

const DIRS: usize = 100;
const SUBDIRS: usize = 10;
const FILES: usize = 10;
/// The committed files.
pub const FILES_TOTAL: usize = DIRS * SUBDIRS * FILES;

pub fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .status()
        .expect("git");
    assert!(status.success(), "git {args:?}");
}

/// A few KB of text that differs from file to file, so git stores 10,000 distinct blobs.
fn content(seed: usize) -> String {
    let lines = 40 + seed % 60;
    (0..lines)
        .map(|l| {
            format!(
                "fn item_{seed}_{l}() -> u64 {{ {} }}\n",
                seed * 7919 + l * 104_729
            )
        })
        .collect()
}

/// Makes the repository at `root` (an empty directory), on branch `main`.
pub fn build(root: &Path) {
    for d in 0..DIRS {
        for s in 0..SUBDIRS {
            let dir = root.join(format!("src/m{d:03}/s{s:02}"));
            std::fs::create_dir_all(&dir).expect("mkdir");
            for f in 0..FILES {
                let seed = (d * SUBDIRS + s) * FILES + f;
                std::fs::write(dir.join(format!("f{f:02}.rs")), content(seed)).expect("write");
            }
        }
    }
    for t in 0..20 {
        let dir = root.join(format!("target/debug/deps{t:02}"));
        std::fs::create_dir_all(&dir).expect("mkdir");
        for f in 0..100 {
            std::fs::write(dir.join(format!("o{f:03}.o")), "object").expect("write");
        }
    }
    std::fs::write(root.join(".gitignore"), "target/\n.env\n.bosun/\n").expect("gitignore");
    std::fs::write(root.join(".worktreeinclude"), ".env\n").expect("include");
    std::fs::write(root.join(".env"), "SECRET=1\n").expect("env");
    git(root, &["init", "--quiet", "--initial-branch=main"]);
    git(root, &["config", "user.name", "Bench"]);
    git(root, &["config", "user.email", "bench@example.com"]);
    git(root, &["add", "--all"]);
    // Packed, as in a clone: checking out 10,000 loose objects costs about three times as
    // much as from a pack.
    git(root, &["config", "gc.auto", "0"]);
    git(root, &["commit", "--quiet", "-m", "10,000 files"]);
    git(root, &["gc", "--quiet"]);
}
