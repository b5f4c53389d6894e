//! A task's worktree in a large repository (run `cargo bench --bench worktree`): 10,000
//! committed files of a few KB in 1,100 directories (packed, as in a clone), plus a gitignored
//! `target/` of 2,000 files and a `.env` that `.worktreeinclude` names. Each figure is over 10
//! runs:
//!
//! 1. `create`: `resolve_base` + `create` (`git worktree add`, checking out 10,000 files).
//!    Goal: under 1 s on 2 cores. Then what else a task's start adds: `copy_included` (which
//!    lists the ignored files) and the sum of the three.
//! 2. `remove`: worktree and branch.
//! 3. `changes` and `diff` on a worktree with a few edits (committed, uncommitted, untracked).
//! 4. `commit_all`, then `prepare_merge` (a merge commit) + `land` into the checked-out `main`.
//!
//! All of it twice: in the temp dir (on disk), then in `/dev/shm` (tmpfs) when there is one, to
//! tell git's own cost from the file system's.

use std::path::Path;
use std::time::Instant;

use bosun::worktree::{self, Prepared, Strategy};

#[path = "common/repo.rs"]
mod repo;
#[path = "common/stats.rs"]
mod stats;
use stats::{percentile, report};

const RUNS: usize = 10;

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

/// The house line (p50/p90/p99/max) and the p95 the goal is stated in.
fn figures(name: &str, values: Vec<f64>) {
    let mut sorted = values.clone();
    sorted.sort_by(f64::total_cmp);
    report(name, " ms", values);
    println!("  {name} p95={:.1} ms", percentile(&sorted, 0.95));
}

fn edit(path: &Path, rel: &str) {
    let file = path.join(rel);
    let mut text = std::fs::read_to_string(&file).expect("read");
    text.push_str("// edited by the task\n");
    std::fs::write(file, text).expect("write");
}

fn main() {
    println!(
        "{} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    suite("disk (the temp dir)", &std::env::temp_dir());
    // The same in memory: what git costs when the disk is not the limit (writing 10,000 files
    // is most of `create` on a slow virtual disk).
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        suite("tmpfs (/dev/shm)", shm);
    }
}

fn suite(label: &str, parent: &Path) {
    let dir = tempfile::tempdir_in(parent).expect("tempdir");
    let root = dir.path().join("project");
    std::fs::create_dir(&root).expect("mkdir");
    let made = Instant::now();
    repo::build(&root);
    println!(
        "\n== on {label}: {} files (44 MB) in 1,100 directories (+2,000 ignored), made and committed in {:.1}s",
        repo::FILES_TOTAL,
        made.elapsed().as_secs_f64(),
    );

    let (mut create, mut include, mut start, mut remove) = (vec![], vec![], vec![], vec![]);
    for run in 0..RUNS {
        let path = root.join(format!(".bosun/worktrees/t-{run}"));
        let branch = format!("bosun/t-{run}");
        let t = Instant::now();
        let base = worktree::resolve_base(&root, None).expect("base");
        worktree::create(&root, &path, &branch, &base.commit).expect("create");
        create.push(ms(t));
        let i = Instant::now();
        let copied = worktree::copy_included(&root, &path).expect("include");
        assert_eq!(copied.len(), 1);
        include.push(ms(i));
        start.push(ms(t));
        let r = Instant::now();
        worktree::remove(&root, &path, Some(&branch)).expect("remove");
        remove.push(ms(r));
    }
    figures("create (resolve_base + git worktree add)", create);
    figures("copy_included (.env among 2,000 ignored files)", include);
    figures("a task's start (create + copy_included)", start);
    figures("remove (worktree + branch)", remove);

    let path = root.join(".bosun/worktrees/edits");
    let base = worktree::resolve_base(&root, None).expect("base");
    worktree::create(&root, &path, "bosun/edits", &base.commit).expect("create");
    edit(&path, "src/m001/s01/f01.rs");
    worktree::commit_all(&path, "committed edit").expect("commit");
    edit(&path, "src/m002/s02/f02.rs");
    edit(&path, "src/m050/s05/f05.rs");
    std::fs::write(path.join("src/m099/new.rs"), "untracked\n").expect("write");
    let (mut changes, mut diff) = (vec![], vec![]);
    for _ in 0..RUNS {
        let t = Instant::now();
        let found = worktree::changes(&path, "main").expect("changes");
        changes.push(ms(t));
        assert_eq!(found.files.len(), 4);
        let t = Instant::now();
        worktree::diff(&path, "main", true).expect("diff");
        diff.push(ms(t));
    }
    figures(
        "changes (4 files: committed, uncommitted, untracked)",
        changes,
    );
    figures("diff (stat + coloured patch)", diff);
    worktree::remove(&root, &path, Some("bosun/edits")).expect("remove");

    let (mut commit, mut merge) = (vec![], vec![]);
    for run in 0..RUNS {
        let path = root.join(format!(".bosun/worktrees/m-{run}"));
        let branch = format!("bosun/m-{run}");
        let base = worktree::resolve_base(&root, None).expect("base");
        worktree::create(&root, &path, &branch, &base.commit).expect("create");
        for f in 0..5 {
            edit(&path, &format!("src/m{:03}/s0{f}/f0{f}.rs", run * 5 + f));
        }
        let t = Instant::now();
        worktree::commit_all(&path, "task work").expect("commit");
        commit.push(ms(t));
        let t = Instant::now();
        let prepared =
            worktree::prepare_merge(&root, &path, &branch, "main", Strategy::Merge, "Merge")
                .expect("prepare");
        let Prepared::Ready {
            new_commit,
            old_commit,
        } = prepared
        else {
            panic!("expected a merge, got {prepared:?}");
        };
        worktree::land(&root, "main", &new_commit, &old_commit).expect("land");
        merge.push(ms(t));
        worktree::remove(&root, &path, Some(&branch)).expect("remove");
    }
    figures("commit_all (5 edits)", commit);
    figures(
        "prepare_merge + land (merge commit, main checked out)",
        merge,
    );
}
