//! The backups Bosun takes by itself: a running engine every `backup.interval` when the store
//! changed (and not when it did not), and any verb before it upgrades the schema of an older
//! database.

mod support;

use std::time::Duration;

use support::Project;
use support::backups::{self, ok};

const LONG: Duration = Duration::from_secs(60);

#[test]
fn the_engine_backs_up_when_something_changed_and_only_then() {
    let p = Project::new();
    p.write(".bosun/config.yaml", "backup:\n  interval: 1s\n");
    let mut engine = p.start_engine(&[]);
    let id = p.submit(&["echo hello"]);
    assert_eq!(p.wait_finished(&id, LONG)["status"], "succeeded");
    // A backup holding the store as it is now, the finished task included.
    support::eventually(LONG, "a backup of the current revision", || {
        let newest = backups::list(&p).last().map(|b| b["revision"].as_i64());
        newest == Some(Some(backups::revision(&p)))
    });
    let taken = backups::names(&p);
    assert!(taken[0].ends_with(".full.db.zst"), "{taken:?}");

    // Nothing changes: over four intervals, no new backup.
    let revision = backups::revision(&p);
    std::thread::sleep(Duration::from_secs(4));
    assert!(engine.is_running());
    assert_eq!(
        backups::revision(&p),
        revision,
        "an idle engine changed the store"
    );
    assert_eq!(backups::names(&p), taken, "a backup of an unchanged store");

    // A change is backed up at the next interval, as the pages that changed.
    let next = p.submit(&["echo again"]);
    p.wait_finished(&next, LONG);
    support::eventually(LONG, "a backup of the new revision", || {
        backups::names(&p).len() > taken.len()
    });
    let names = backups::names(&p);
    assert!(
        names.last().expect("newest").contains(".delta-"),
        "{names:?}"
    );

    let check = doctor_backups(&p);
    assert_eq!(check["ok"], true, "{check:#}");
    let newest = backups::names(&p).pop().expect("newest");
    let detail = check["detail"].as_str().expect("detail");
    assert!(detail.contains(&newest), "{detail}");
    engine.stop();
}

/// `bosun doctor --json`'s backups check (the doctor may fail on other checks).
fn doctor_backups(p: &Project) -> serde_json::Value {
    let doctor = p.bosun(&["doctor", "--json"]);
    let checks: Vec<serde_json::Value> =
        serde_json::from_slice(&doctor.stdout).expect("doctor --json is a list of checks");
    checks
        .into_iter()
        .find(|c| c["name"] == "backups")
        .expect("a backups check")
}

#[test]
fn the_doctor_warns_when_there_is_no_backup() {
    let p = Project::new();
    p.submit(&["echo hello"]);
    let check = doctor_backups(&p);
    assert_eq!(check["ok"], false, "{check:#}");
    assert_eq!(check["required"], false, "{check:#}");
    assert!(
        check["detail"]
            .as_str()
            .is_some_and(|d| d.contains("bosun backup")),
        "{check:#}"
    );
}

/// Makes the database at `db` with every migration but the last, as an older Bosun left it;
/// returns the version it is at.
fn older_database(db: &std::path::Path) -> i64 {
    use sqlx::ConnectOptions;
    let all: Vec<_> = bosun::store::migrations().iter().cloned().collect();
    let older = all[..all.len() - 1].to_vec();
    let version = older.last().expect("more than one migration").version;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        std::fs::create_dir_all(db.parent().expect("state dir")).expect("state dir");
        let mut conn = bosun::store::connect_options(db)
            .expect("options")
            .create_if_missing(true)
            .connect()
            .await
            .expect("create the database");
        sqlx::migrate::Migrator::with_migrations(older)
            .run_direct(None, &mut conn, false)
            .await
            .expect("the older migrations");
        use sqlx::Connection;
        conn.close().await.expect("close");
    });
    version
}

#[test]
fn a_schema_upgrade_takes_a_full_backup_first() {
    let p = Project::new();
    let db = backups::db(&p);
    let old_version = older_database(&db);
    assert!(backups::names(&p).is_empty());

    ok(&p.bosun(&["tasks"]), "a verb that opens the database");
    let names = backups::names(&p);
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(names[0].ends_with(".full.db.zst"), "{names:?}");
    let newest = bosun::store::migrations()
        .iter()
        .map(|m| m.version)
        .max()
        .expect("migrations");
    let upgraded = "SELECT max(version) FROM _sqlx_migrations WHERE success";
    assert_eq!(backups::query_i64(&db, upgraded), newest);

    // Opened again, it is current: no second backup.
    ok(&p.bosun(&["tasks"]), "the upgraded database");
    assert_eq!(backups::names(&p), names);

    let out = ok(&p.bosun(&["restore", "--latest"]), "restore");
    assert!(out.contains(&names[0]), "{out}");
    assert_eq!(
        backups::query_i64(&db, upgraded),
        old_version,
        "the backup holds the database as it was before the upgrade"
    );
}
