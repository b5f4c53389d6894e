//! The check a starting engine makes of its database: one that fails it is never used; the
//! engine refuses, naming the newest good backup and the command that restores it.

use std::path::Path;

use super::catalog;
use super::sqlite::Db;

/// `Err` with what to tell the user when the database at `db` fails SQLite's quick check (a
/// database that is missing passes: it is made new). Blocking.
pub fn check_database(db: &Path, backups: &Path) -> Result<(), String> {
    if !db.exists() {
        return Ok(());
    }
    let verdict = Db::open_write(db).and_then(|conn| conn.rows("PRAGMA quick_check"));
    let problem = match verdict {
        Ok(rows) => {
            let problems: Vec<String> = rows
                .into_iter()
                .filter_map(|row| row.into_iter().next())
                .filter(|line| line != "ok")
                .take(3)
                .collect();
            if problems.is_empty() {
                return Ok(());
            }
            problems.join("; ")
        }
        Err(e) => e.to_string(),
    };
    Err(refusal(db, backups, &problem))
}

/// The message for a damaged database: what is wrong, and how to get back to work.
fn refusal(db: &Path, backups: &Path, problem: &str) -> String {
    let all = catalog::list(backups).unwrap_or_default();
    let advice = match catalog::newest_restorable(&all) {
        Some(newest) => format!(
            "The newest backup is {} (taken {}, {}). Restore it with:\n\n    bosun restore --latest\n\n\
             The damaged database is kept beside the restored one.",
            newest.name,
            newest.taken_at,
            newest.age()
        ),
        None => format!(
            "There is no backup to restore. To start afresh with an empty database, move the \
             damaged one aside:\n\n    mv {} {}.damaged",
            db.display(),
            db.display()
        ),
    };
    format!(
        "the database {} fails its integrity check: {problem}\nBosun will not run on a damaged database. {advice}",
        db.display()
    )
}
