//! Helpers for the backup tests: the project's backups as `bosun backups --json` lists them,
//! its tasks as `bosun tasks --json` does, and the database file itself — settled (the WAL
//! checkpointed into it), damaged on purpose, and read with plain SQL.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use super::Project;

/// The project's database.
pub fn db(p: &Project) -> PathBuf {
    p.path(".bosun/state/bosun.db")
}

/// The project's backups directory.
pub fn dir(p: &Project) -> PathBuf {
    p.path(".bosun/backups")
}

/// Asserts `out` succeeded; its stdout.
pub fn ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed ({:?}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Asserts `out` exited with `code`; its stderr.
pub fn fails(out: &Output, code: i32, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{what}: stdout {} stderr {stderr}",
        String::from_utf8_lossy(&out.stdout)
    );
    stderr
}

/// `bosun backups --json`, oldest first.
pub fn list(p: &Project) -> Vec<Value> {
    let out = ok(&p.bosun(&["backups", "--json"]), "bosun backups --json");
    serde_json::from_str::<Vec<Value>>(&out).expect("backups --json is a list")
}

/// The names of the project's backups, oldest first.
pub fn names(p: &Project) -> Vec<String> {
    list(p)
        .iter()
        .map(|b| b["name"].as_str().expect("a name").to_string())
        .collect()
}

/// `bosun backup [ARGS]`, which must succeed; the backup's file name from `--json`, or `None`
/// when nothing changed.
pub fn take(p: &Project, args: &[&str]) -> Option<String> {
    let mut all = vec!["backup", "--json"];
    all.extend_from_slice(args);
    let out = ok(&p.bosun(&all), "bosun backup");
    let outcome: Value = serde_json::from_str(&out).expect("backup --json is JSON");
    match outcome["outcome"].as_str() {
        Some("taken") => Some(
            outcome["backup"]["name"]
                .as_str()
                .expect("the backup's name")
                .to_string(),
        ),
        Some("unchanged") => None,
        other => panic!("backup outcome {other:?}: {outcome:#}"),
    }
}

/// Every task's id and status, as `bosun tasks --json` gives them.
pub fn tasks(p: &Project) -> Vec<(String, String)> {
    let out = ok(
        &p.bosun(&["tasks", "--json", "--limit", "10000"]),
        "bosun tasks",
    );
    let all: Vec<Value> = serde_json::from_str(&out).expect("tasks --json is a list");
    all.iter()
        .map(|t| {
            (
                t["id"].as_str().expect("id").to_string(),
                t["status"].as_str().expect("status").to_string(),
            )
        })
        .collect()
}

/// The ids of every task.
pub fn task_ids(p: &Project) -> Vec<String> {
    tasks(p).into_iter().map(|(id, _)| id).collect()
}

/// Checkpoints the WAL into the database file and removes it, so that the file alone is the
/// database (and damage done to it is damage to the database). A clean stop of the engine
/// usually leaves it so, but not always: a read connection it drops (not closes) may be the
/// last one open, and a read-only connection cannot checkpoint.
pub fn checkpoint(p: &Project) {
    use sqlx::{ConnectOptions, Connection};
    let db = db(p);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let mut conn = bosun::store::connect_options(&db)
            .expect("options")
            .connect()
            .await
            .expect("open the database");
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut conn)
            .await
            .expect("checkpoint");
        conn.close().await.expect("close");
    });
    let wal = p.path(".bosun/state/bosun.db-wal");
    assert!(
        std::fs::metadata(&wal).map_or(true, |m| m.len() == 0),
        "the WAL is still there after a checkpoint"
    );
}

/// Overwrites `count` pages from page `first` (numbered from 1) of the database with bytes
/// that are no SQLite page.
pub fn damage_pages(db: &Path, first: u64, count: u64) {
    use std::os::unix::fs::FileExt;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(db)
        .expect("open the database");
    let len = file.metadata().expect("metadata").len();
    assert!(
        len >= (first - 1 + count) * 4096,
        "the database has fewer pages ({len} bytes) than the test damages"
    );
    let garbage: Vec<u8> = (0..count * 4096)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 7) as u8)
        .collect();
    file.write_all_at(&garbage, (first - 1) * 4096)
        .expect("damage the database");
}

/// Overwrites the database header (its first 100 bytes).
pub fn damage_header(db: &Path) {
    use std::os::unix::fs::FileExt;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(db)
        .expect("open the database");
    file.write_all_at(&[0x5a; 100], 0)
        .expect("damage the header");
}

/// Files a backup in progress leaves: `.NAME.tmp` and the `.snapshot.db` copy (with its
/// journal, WAL or shared memory).
pub fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".tmp") || n.starts_with(".snapshot.db"))
                .collect()
        })
        .unwrap_or_default()
}

/// The databases a restore replaced and kept beside the live one (not their WALs).
pub fn replaced(p: &Project) -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir(p.path(".bosun/state"))
        .expect("state dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("bosun.db.replaced-") && !n.ends_with("-wal"))
        .collect();
    found.sort();
    found
}

/// The first column of the first row of `sql` on the database at `db`, opened read-only with
/// plain SQLite (no migration, no engine).
pub fn query_i64(db: &Path, sql: &str) -> i64 {
    use sqlx::{ConnectOptions, Connection};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let mut conn = bosun::store::connect_options(db)
            .expect("options")
            .read_only(true)
            .connect()
            .await
            .expect("open the database");
        let (value,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_one(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let _ = conn.close().await;
        value
    })
}

/// The store's revision (what a backup is named after).
pub fn revision(p: &Project) -> i64 {
    query_i64(&db(p), "SELECT value FROM revision WHERE id = 1")
}
