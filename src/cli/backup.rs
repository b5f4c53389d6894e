//! `bosun backup`, `bosun backups` and `bosun restore` (DESIGN.md §11).

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use super::format::print_json;
use super::{CliError, CliResult, Project};
use crate::backup::restore::{Choice, choose, prepare, swap};
use crate::backup::take::{Outcome, prune, take};
use crate::backup::{BackupError, BackupInfo, Identities, catalog, load_identities, new_identity};
use crate::engine::lock::live_holder;

impl From<BackupError> for CliError {
    fn from(e: BackupError) -> CliError {
        match e {
            BackupError::BadInput(_) | BackupError::NeedsIdentity(_) => CliError::bad_input(e),
            _ => CliError::failed(e),
        }
    }
}

/// Runs blocking backup work away from the runtime's threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, BackupError> + Send + 'static,
) -> Result<T, CliError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| CliError::failed(format!("the backup stopped: {e}")))?
        .map_err(CliError::from)
}

/// `bosun backup [--full] [--json]`, or `--new-identity FILE`.
pub async fn backup(
    project: &Project,
    full: bool,
    new_identity_at: Option<PathBuf>,
    json: bool,
) -> CliResult {
    if let Some(path) = new_identity_at {
        let recipient = new_identity(&path)?;
        println!("{recipient}");
        eprintln!(
            "wrote a new identity to {} (mode 0600): keep it safe and apart from the backups;\n\
             without it, backups encrypted to it cannot be restored. Encrypt backups to it with\n\
             this in .bosun/config.yaml:\n\n  backup:\n    encrypt: {recipient}",
            path.display()
        );
        return Ok(());
    }
    let (db, dir) = (project.paths.database(), project.paths.backups_dir());
    let settings = project.settings.backup.clone();
    let outcome = blocking(move || {
        let outcome = take(&db, &dir, &settings, full)?;
        let pruned = match &outcome {
            Outcome::Taken(_) => prune(&dir, &settings)?,
            Outcome::Unchanged { .. } => Vec::new(),
        };
        Ok((outcome, pruned))
    })
    .await?;
    if json {
        return print_json(&outcome.0);
    }
    match outcome {
        (Outcome::Taken(t), pruned) => {
            let b = &t.backup;
            println!(
                "{} ({} {}, {} of {} pages, {} ms)",
                b.path.display(),
                kind_word(b),
                size(b.size_bytes),
                t.pages_stored,
                t.pages,
                t.millis
            );
            for gone in pruned {
                println!("expired: {}", gone.name);
            }
        }
        (Outcome::Unchanged { newest }, _) => println!(
            "nothing changed since {} (taken {}): it is current",
            newest.name,
            newest.age()
        ),
    }
    Ok(())
}

fn kind_word(b: &BackupInfo) -> &'static str {
    match (b.kind, b.encrypted) {
        (crate::backup::Kind::Full, false) => "full",
        (crate::backup::Kind::Full, true) => "full, encrypted",
        (crate::backup::Kind::Delta, false) => "delta",
        (crate::backup::Kind::Delta, true) => "delta, encrypted",
    }
}

/// `12.3 MB`, `840 KB`, `512 B`.
fn size(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.0} KB", bytes as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", bytes as f64 / 1e6),
        _ => format!("{:.2} GB", bytes as f64 / 1e9),
    }
}

/// `bosun backups [--json]`: oldest first.
pub fn list(project: &Project, json: bool) -> CliResult {
    let all = catalog::list(&project.paths.backups_dir())?;
    if json {
        return print_json(&all);
    }
    if all.is_empty() {
        println!(
            "no backups yet in {} (`bosun backup` takes one)",
            project.paths.backups_dir().display()
        );
        return Ok(());
    }
    println!("{:<58} {:<17} {:>9}  TAKEN", "NAME", "KIND", "SIZE");
    for b in &all {
        println!(
            "{:<58} {:<17} {:>9}  {} ({})",
            b.name,
            kind_word(b),
            size(b.size_bytes),
            b.taken_at,
            b.age()
        );
    }
    Ok(())
}

/// What `bosun restore` was asked to restore.
pub struct RestoreArgs {
    pub backup: Option<String>,
    pub at: Option<String>,
    pub identity: Option<PathBuf>,
    pub json: bool,
}

/// `bosun restore BACKUP | --latest | --at TIME`: into a stopped project only.
pub async fn restore(project: &Project, args: RestoreArgs) -> CliResult {
    let db = project.paths.database();
    refuse_if_running(project, &db).await?;
    let all = catalog::list(&project.paths.backups_dir())?;
    let choice = match (&args.backup, &args.at) {
        (Some(name), _) => Choice::Named(name),
        (None, Some(at)) => Choice::At(parse_moment(at)?),
        (None, None) => Choice::Latest,
    };
    let chosen = choose(&all, &choice)?.clone();
    let identities = identities_for(&chosen, &all, args.identity.as_deref())?;
    std::fs::create_dir_all(project.paths.state_dir())
        .map_err(|e| CliError::failed(format!("{}: {e}", project.paths.state_dir().display())))?;
    let target = project
        .paths
        .state_dir()
        .join(format!(".restore-{}.db", std::process::id()));
    let checked = blocking({
        let (chosen, all, db) = (chosen.clone(), all.clone(), db.clone());
        move || {
            let above = crate::backup::restore::revision(&db).unwrap_or(0);
            prepare(&chosen, &all, &identities, &target, above)
        }
    })
    .await?;
    // Asked again just before the swap: an engine started meanwhile keeps its database.
    refuse_if_running(project, &db).await?;
    let rows = checked.rows.clone();
    let kept = blocking(move || swap(checked, &db)).await?;
    if args.json {
        return print_json(&serde_json::json!({
            "restored": chosen,
            "rows": rows.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
            "replaced": kept,
        }));
    }
    let counts: Vec<String> = rows
        .iter()
        .map(|(table, n)| format!("{n} {table}"))
        .collect();
    println!(
        "restored {} (taken {}, {}): integrity ok; {}",
        chosen.name,
        chosen.taken_at,
        chosen.age(),
        counts.join(", ")
    );
    if let Some(kept) = kept {
        println!("the database it replaced is kept as {}", kept.display());
    }
    println!("queued tasks run at the next start; tasks that were running then run again");
    Ok(())
}

/// A restore swaps the database under a running engine's feet: refused while one runs.
async fn refuse_if_running(project: &Project, db: &Path) -> CliResult {
    // A database too damaged to read has no engine running on it (it refuses to start).
    if let Ok(Some(holder)) = live_holder(db).await {
        return Err(CliError::failed(format!(
            "an engine runs for {} ({holder}): stop it first; a restore replaces the database \
             it is using",
            project.paths.root.display()
        )));
    }
    Ok(())
}

/// The identities to decrypt with, when the backup (or its base) is encrypted: from
/// `--identity`, else asked for at the terminal.
fn identities_for(
    chosen: &BackupInfo,
    all: &[BackupInfo],
    given: Option<&Path>,
) -> Result<Identities, CliError> {
    let encrypted =
        chosen.encrypted || catalog::base_of(chosen, all).is_some_and(|base| base.encrypted);
    if !encrypted {
        return Ok(Vec::new());
    }
    let path = match given {
        Some(path) => path.to_path_buf(),
        None if std::io::stdin().is_terminal() => {
            eprint!("{} is encrypted; its identity file: ", chosen.name);
            let _ = std::io::stderr().flush();
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(CliError::failed)?;
            PathBuf::from(line.trim())
        }
        None => return Err(BackupError::NeedsIdentity(chosen.name.clone()).into()),
    };
    Ok(load_identities(&path)?)
}

/// `--at`: RFC 3339, `YYYY-MM-DD HH:MM[:SS]` in local time, or a duration ago (`90m`, `2h`).
fn parse_moment(text: &str) -> Result<i64, CliError> {
    if let Some(at) = crate::time::parse_rfc3339(text) {
        return Ok(at.unix_timestamp());
    }
    let local = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    let local_s =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let cleaned = text.trim().replace('T', " ");
    for format in [local_s, local] {
        if let Ok(at) = time::PrimitiveDateTime::parse(&cleaned, format) {
            return Ok(at
                .assume_offset(crate::time::local_offset())
                .unix_timestamp());
        }
    }
    if let Ok(ago) = crate::config::parse_duration(text) {
        return Ok(crate::time::unix_now() - i64::try_from(ago.as_secs()).unwrap_or(i64::MAX));
    }
    Err(CliError::bad_input(format!(
        "--at `{text}`: write a time as 2026-12-03T14:00:00Z, `2026-12-03 14:00` (local time) or a \
         duration ago such as 90m or 2h"
    )))
}
