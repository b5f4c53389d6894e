//! A damaged database through the real binary: an engine refuses to start on it, naming the
//! newest backup and the command that restores it; backups of it fail without pushing a good
//! backup out, however long they go on failing.

mod support;

use std::time::Duration;

use support::Project;
use support::backups::{self, fails, ok};

const LONG: Duration = Duration::from_secs(60);

/// A project with one finished task, backed up, the engine stopped (so the database file is
/// the whole database); returns the backup's name and the task's id.
fn backed_up() -> (Project, String, String) {
    let p = Project::new();
    let engine = p.start_engine(&[]);
    let id = p.submit(&["echo hello"]);
    assert_eq!(p.wait_finished(&id, LONG)["status"], "succeeded");
    let name = backups::take(&p, &[]).expect("a backup");
    engine.stop();
    backups::checkpoint(&p);
    (p, name, id)
}

/// `bosun run` on a damaged database: exit 1 before any engine ran; its stderr.
fn refused_start(p: &Project) -> String {
    let damaged = std::fs::read(backups::db(p)).expect("the database");
    let out = p.spawn_engine(&[]).finish();
    let stderr = fails(&out, 1, "bosun run on a damaged database");
    assert!(
        !stderr.contains("engine running"),
        "an engine ran: {stderr}"
    );
    assert_eq!(
        std::fs::read(backups::db(p)).expect("the database"),
        damaged,
        "the refused start changed the damaged database"
    );
    stderr
}

#[test]
fn a_damaged_database_is_refused_at_start_with_the_way_back() {
    let (p, name, id) = backed_up();
    let db = backups::db(&p);

    backups::damage_pages(&db, 2, 3);
    let err = refused_start(&p);
    assert!(err.contains("fails its integrity check"), "{err}");
    assert!(err.contains(&name), "names the newest backup: {err}");
    assert!(err.contains("bosun restore --latest"), "{err}");
    let damaged = std::fs::read(&db).expect("the damaged database");

    let out = ok(&p.bosun(&["restore", "--latest"]), "restore");
    assert!(out.contains("integrity ok"), "{out}");
    let kept = backups::replaced(&p);
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(
        std::fs::read(p.path(&format!(".bosun/state/{}", kept[0]))).expect("kept"),
        damaged,
        "the damaged database is kept as it was"
    );
    let engine = p.start_engine(&[]);
    assert_eq!(p.show(&id)["status"], "succeeded");
    engine.stop();
    backups::checkpoint(&p);

    // A header that is no SQLite header: the same refusal.
    backups::damage_header(&db);
    let err = refused_start(&p);
    assert!(err.contains("fails its integrity check"), "{err}");
    assert!(err.contains(&name), "{err}");
    assert!(err.contains("bosun restore --latest"), "{err}");
    ok(&p.bosun(&["restore", "--latest"]), "restore again");
    assert_eq!(backups::replaced(&p).len(), 2);
    let engine = p.start_engine(&[]);
    let next = p.submit(&["echo after the restore"]);
    assert_eq!(p.wait_finished(&next, LONG)["status"], "succeeded");
    engine.stop();
}

#[test]
fn with_no_backup_the_refusal_says_how_to_start_afresh() {
    let p = Project::new();
    p.submit(&["echo hello"]);
    backups::checkpoint(&p);
    backups::damage_pages(&backups::db(&p), 2, 3);
    let err = refused_start(&p);
    assert!(err.contains("fails its integrity check"), "{err}");
    assert!(err.contains("There is no backup to restore"), "{err}");
    let db = backups::db(&p);
    assert!(
        err.contains(&format!("mv {} {}.damaged", db.display(), db.display())),
        "{err}"
    );
    let err = fails(
        &p.bosun(&["restore", "--latest"]),
        2,
        "restore with no backup",
    );
    assert!(err.contains("no backup"), "{err}");
}

/// Long enough that a backup taken before is past a retention of `1s`: backups are stamped to
/// the second, so one taken at 10.0 s counts as taken at 10 s, and at 11.9 s it is not yet
/// more than a second old.
fn past_retention() {
    std::thread::sleep(Duration::from_secs(2));
}

#[test]
fn failing_backups_never_push_out_the_last_good_one() {
    let p = Project::new();
    p.write(".bosun/config.yaml", "backup:\n  retention: 1s\n");
    let first = p.submit(&["echo hello"]);
    backups::checkpoint(&p);
    let good = backups::take(&p, &[]).expect("a good backup");
    backups::damage_pages(&backups::db(&p), 2, 3);

    for attempt in 0..3 {
        let err = fails(&p.bosun(&["backup"]), 1, "a backup of a damaged database");
        assert!(
            err.contains("the database") && err.contains("fails its check"),
            "attempt {attempt}: {err}"
        );
        assert!(err.contains("not backed up"), "{err}");
        assert_eq!(
            backups::names(&p),
            std::slice::from_ref(&good),
            "attempt {attempt}"
        );
        assert!(backups::leftovers(&backups::dir(&p)).is_empty());
    }
    // Past the retention, and failing still: the good backup stays.
    past_retention();
    fails(&p.bosun(&["backup"]), 1, "a backup past the retention");
    assert_eq!(backups::names(&p), std::slice::from_ref(&good));
    let out = ok(&p.bosun(&["restore", "--latest"]), "restore");
    assert!(out.contains(&good), "{out}");
    assert_eq!(backups::task_ids(&p), [first]);

    // Backups succeed again: expired ones go, but never the newest or the full copy it needs.
    p.submit(&["echo second"]);
    let delta = backups::take(&p, &[]).expect("a delta");
    assert!(delta.contains(".delta-"), "{delta}");
    assert_eq!(backups::names(&p), [good.clone(), delta.clone()]);
    past_retention();
    p.submit(&["echo third"]);
    let out = ok(&p.bosun(&["backup"]), "a backup that expires another");
    assert!(out.contains(&format!("expired: {delta}")), "{out}");
    let names = backups::names(&p);
    assert_eq!(names.len(), 2, "{names:?}");
    assert_eq!(names[0], good, "the base of the newest is kept");
    assert!(names[1].contains(".delta-"), "{names:?}");
    past_retention();
    let full = backups::take(&p, &["--full"]).expect("a full copy");
    assert_eq!(backups::names(&p), [full], "the rest expired");
}
