//! Backups and restore through the real binary (DESIGN.md §11): a backup taken while the engine
//! runs tasks restores to a database holding every task acknowledged before it, and the engine
//! then finishes them without running a finished one again; deltas; choosing a backup by name
//! or by time; a restore refused while an engine runs.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use support::Project;
use support::backups::{self, fails, ok};

const LONG: Duration = Duration::from_secs(60);

/// A shell task that appends its tag to `ran.txt` (in the project, outside `.bosun`, so a
/// restore does not touch it) and then, if `gated`, waits for the file `gate`.
fn tagged(tag: &str, gated: bool) -> String {
    let wait = if gated {
        "; while [ ! -e gate ]; do sleep 0.05; done"
    } else {
        ""
    };
    format!("echo {tag} >> ran.txt{wait}")
}

/// How many lines of `ran.txt` are exactly `tag`.
fn runs(p: &Project, tag: &str) -> usize {
    p.read("ran.txt").lines().filter(|l| *l == tag).count()
}

#[test]
fn a_backup_taken_while_tasks_run_restores_every_acknowledged_task() {
    let p = Project::new();
    let engine = p.start_engine(&["--max-workflows", "2"]);
    // Four quick tasks, then sixteen that hold their slot until `gate` exists: at the backup,
    // four tasks have finished, two are running and fourteen are queued.
    let mut before: Vec<(String, String)> = Vec::new();
    for i in 0..20 {
        let tag = format!("T{i:02}");
        let id = p.submit(&[&tagged(&tag, i >= 4)]);
        before.push((id, tag));
    }
    for (id, _) in &before[..4] {
        assert_eq!(p.wait_finished(id, LONG)["status"], "succeeded");
    }
    support::eventually(LONG, "two gated tasks started", || {
        runs(&p, "T04") == 1 && runs(&p, "T05") == 1
    });

    let taken = backups::take(&p, &[]).expect("a backup");
    let after: Vec<String> = (0..3)
        .map(|i| p.submit(&[&tagged(&format!("P{i}"), false)]))
        .collect();
    engine.stop();

    let out = p.bosun(&["restore", "--latest"]);
    let stdout = ok(&out, "restore --latest");
    assert!(stdout.contains(&taken), "names the backup: {stdout}");
    assert!(stdout.contains("integrity ok"), "{stdout}");
    let kept = backups::replaced(&p);
    assert_eq!(kept.len(), 1, "the replaced database is kept: {kept:?}");
    assert!(stdout.contains(&kept[0]), "{stdout}");

    let restored: HashMap<String, String> = backups::tasks(&p).into_iter().collect();
    for (id, tag) in &before {
        assert!(restored.contains_key(id), "{tag} ({id}) is not restored");
    }
    for id in &after {
        assert!(
            !restored.contains_key(id),
            "{id}, submitted after the backup, came back"
        );
    }
    assert_eq!(restored.len(), before.len(), "{restored:?}");
    let done_at_backup: Vec<&String> = before
        .iter()
        .filter(|(id, _)| restored[id] == "succeeded")
        .map(|(_, tag)| tag)
        .collect();
    assert_eq!(done_at_backup, ["T00", "T01", "T02", "T03"]);

    std::fs::write(p.path("gate"), "").expect("open the gate");
    let _engine = p.start_engine(&["--max-workflows", "2"]);
    for (id, tag) in &before {
        let task = p.wait_finished(id, LONG);
        assert_eq!(task["status"], "succeeded", "{tag}: {task:#}");
    }
    for (_, tag) in &before {
        let expected = match tag.as_str() {
            // Finished in the restored database: never run again.
            "T00" | "T01" | "T02" | "T03" => 1,
            // Running at the backup: run again after the restore.
            "T04" | "T05" => 2,
            _ => 1,
        };
        assert_eq!(runs(&p, tag), expected, "{tag} in {}", p.read("ran.txt"));
    }
    for i in 0..3 {
        assert_eq!(
            runs(&p, &format!("P{i}")),
            0,
            "a task gone with the restore ran"
        );
    }
}

#[test]
fn deltas_hold_only_what_changed_and_restore_by_name() {
    let p = Project::new();
    let early: Vec<String> = (0..30)
        .map(|i| p.submit(&[&format!("echo early {i}")]))
        .collect();
    let full = backups::take(&p, &[]).expect("the first backup");
    assert!(full.ends_with(".full.db.zst"), "{full}");
    let late: Vec<String> = (0..2)
        .map(|i| p.submit(&[&format!("echo late {i}")]))
        .collect();
    let delta = backups::take(&p, &[]).expect("a second backup");
    assert!(delta.contains(".delta-"), "{delta}");

    // Nothing changed since: no backup, and it says which is current.
    let out = ok(&p.bosun(&["backup"]), "backup");
    assert!(
        out.contains("nothing changed") && out.contains(&delta),
        "{out}"
    );
    assert_eq!(backups::names(&p), [full.clone(), delta.clone()]);

    let forced = backups::take(&p, &["--full"]).expect("--full takes one even so");
    assert!(forced.ends_with(".full.db.zst"), "{forced}");
    p.submit(&["echo later still"]);
    let over_forced = backups::take(&p, &[]).expect("a delta over the forced full copy");

    let listed = backups::list(&p);
    let by_name: HashMap<&str, &serde_json::Value> = listed
        .iter()
        .map(|b| (b["name"].as_str().expect("name"), b))
        .collect();
    let stamp = |name: &str| name.split('-').nth(1).expect("stamp").to_string();
    assert_eq!(by_name[full.as_str()]["kind"], "full");
    assert_eq!(by_name[full.as_str()]["base"], serde_json::Value::Null);
    assert_eq!(by_name[delta.as_str()]["kind"], "delta");
    assert_eq!(by_name[delta.as_str()]["base"], stamp(&full));
    assert_eq!(by_name[forced.as_str()]["kind"], "full");
    assert_eq!(by_name[over_forced.as_str()]["kind"], "delta");
    assert_eq!(by_name[over_forced.as_str()]["base"], stamp(&forced));
    let size = |name: &str| by_name[name]["size_bytes"].as_u64().expect("size");
    assert!(
        size(&delta) < size(&full),
        "a delta of two tasks ({}) is smaller than the full copy ({})",
        size(&delta),
        size(&full)
    );

    ok(&p.bosun(&["restore", &delta]), "restore the delta by name");
    let ids = backups::task_ids(&p);
    for id in early.iter().chain(&late) {
        assert!(ids.contains(id), "{id} is in the delta");
    }
    assert_eq!(ids.len(), early.len() + late.len());

    // By path, as a shell completes it, and the older full copy: the later tasks are not in it.
    let path = backups::dir(&p).join(&full);
    ok(
        &p.bosun(&["restore", path.to_str().expect("utf-8")]),
        "restore the full copy by path",
    );
    let ids = backups::task_ids(&p);
    assert_eq!(ids.len(), early.len());
    assert!(late.iter().all(|id| !ids.contains(id)));
    assert_eq!(
        backups::replaced(&p).len(),
        2,
        "each restore keeps what it replaced"
    );

    let err = fails(&p.bosun(&["restore", "bosun-nope"]), 2, "an unknown name");
    assert!(err.contains("bosun-nope"), "{err}");
}

#[test]
fn at_restores_the_newest_backup_taken_by_then() {
    let p = Project::new();
    let first_task = p.submit(&["echo one"]);
    let first = backups::take(&p, &[]).expect("first");
    let second_task = p.submit(&["echo two"]);
    let second = backups::take(&p, &[]).expect("second");
    let listed = backups::list(&p);
    let first_at = listed[0]["taken_at"]
        .as_str()
        .expect("taken_at")
        .to_string();
    assert_eq!(listed[0]["name"], first.as_str());
    assert_eq!(listed[1]["name"], second.as_str());

    // Half a second after the first (names are stamped to the second, so the second backup
    // is at least a second later).
    let between = first_at.replace(".000Z", ".500Z");
    assert_ne!(
        between, first_at,
        "taken_at is stamped to the second: {first_at}"
    );
    let out = ok(&p.bosun(&["restore", "--at", &between]), "restore --at");
    assert!(out.contains(&first), "{out}");
    assert_eq!(backups::task_ids(&p), std::slice::from_ref(&first_task));

    // A duration ago: `0s` is now, so the newest.
    let out = ok(&p.bosun(&["restore", "--at", "0s"]), "restore --at 0s");
    assert!(out.contains(&second), "{out}");
    let ids = backups::task_ids(&p);
    assert!(
        ids.contains(&first_task) && ids.contains(&second_task),
        "{ids:?}"
    );

    let err = fails(
        &p.bosun(&["restore", "--at", "last tuesday"]),
        2,
        "a bad --at",
    );
    assert!(
        err.contains("--at") && err.contains("last tuesday"),
        "{err}"
    );
    let err = fails(
        &p.bosun(&["restore", "--at", "2000-01-01T00:00:00Z"]),
        2,
        "--at before every backup",
    );
    assert!(err.contains("no backup was taken at or before"), "{err}");
}

#[test]
fn a_restore_is_refused_while_an_engine_runs_and_allowed_once_it_is_dead() {
    let p = Project::new();
    let engine = p.start_engine(&[]);
    let id = p.submit(&["echo before"]);
    p.wait_finished(&id, LONG);
    backups::take(&p, &[]).expect("a backup");
    let later = p.submit(&["echo after"]);
    p.wait_finished(&later, LONG);
    let db = backups::db(&p);
    let inode = |path: &std::path::Path| {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).expect("the database").ino()
    };
    let before = inode(&db);

    let err = fails(
        &p.bosun(&["restore", "--latest"]),
        1,
        "restore under an engine",
    );
    assert!(
        err.contains("an engine runs") && err.contains(&format!("pid {}", engine.pid())),
        "{err}"
    );
    assert_eq!(
        inode(&db),
        before,
        "the database was swapped under the engine"
    );
    assert!(backups::replaced(&p).is_empty());
    // The engine goes on with the same database.
    let more = p.submit(&["echo still here"]);
    assert_eq!(p.wait_finished(&more, LONG)["status"], "succeeded");
    assert!(backups::task_ids(&p).contains(&later));

    // A dead engine's lease does not hold a restore back.
    engine.kill_hard();
    ok(&p.bosun(&["restore", "--latest"]), "restore after kill -9");
    assert_eq!(backups::task_ids(&p), [id]);
}
