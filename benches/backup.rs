//! Backups of a database with a long history (run `cargo bench --bench backup`; `-- --quick`
//! or `BOSUN_BENCH_EVENTS=100000` for a short run): a store of one million events (20,000
//! finished tasks with their runs, steps and decisions; built once and cached under
//! `target/bench-data/`), then
//!
//! 1. backups: a full copy, a delta after 1% more events, an encrypted full copy — time,
//!    MB/s of database copied, size and compression, pages stored;
//! 2. restores: `restore::prepare` (decompress, SQLite's `integrity_check`, counts) of the full
//!    copy, the delta and the encrypted copy; `start::check_database`, the quick check an
//!    engine makes at start;
//! 3. what a backup costs the engine: the latency of small commits through the store's writer
//!    (WAL, `synchronous=FULL`, group commit) made one after another at a steady pace, without
//!    a backup and while full copies or deltas are taken back to back. Goal: p99 during a
//!    backup at most twice the p99 without. `BOSUN_BENCH_SECS` sets each period (10 s).
//!
//! It reports numbers and judges none: the machine's load average is printed with them.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bosun::backup::take::{Outcome, Taken, take};
use bosun::backup::{Identities, Kind, catalog, restore, start};
use bosun::config::backup::BackupSettings;
use bosun::protocol::TaskId;
use bosun::store::{Store, WriteOp};

#[path = "common/backup_db.rs"]
mod backup_db;
#[path = "common/stats.rs"]
mod stats;
use stats::{percentile, report};

/// The pace of the committer: one small write every 2 ms, each awaited.
const PACE: Duration = Duration::from_millis(2);
/// Rounds of the latency measurement (see [`latency`]).
const ROUNDS: u32 = 3;

struct Config {
    events: usize,
    period: Duration,
}

fn config() -> Config {
    let quick = std::env::args().any(|a| a == "--quick");
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let events = env("BOSUN_BENCH_EVENTS").unwrap_or(if quick { 100_000 } else { 1_000_000 });
    let secs = env("BOSUN_BENCH_SECS").unwrap_or(if quick { 3 } else { 15 });
    Config {
        events: usize::try_from(events).expect("event count"),
        period: Duration::from_secs(secs),
    }
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

fn main() {
    let config = config();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!("load average at start: {}", load());
    let cached = rt.block_on(backup_db::database(config.events));
    let work = tempfile::tempdir_in(backup_db::data_dir()).expect("work dir");
    let db = work.path().join("bosun.db");
    std::fs::copy(&cached, &db).expect("copy the database");
    let size = std::fs::metadata(&db).map_or(0, |m| m.len());
    println!(
        "database: {} events, {} tasks, {:.0} MB",
        config.events,
        config.events / backup_db::EVENTS_PER_TASK,
        mb(size)
    );

    // 1. Backups.
    let plain = BackupSettings::default();
    let dir = work.path().join("backups");
    let full = timed_take("full backup", &db, &dir, &plain, true);
    rt.block_on(add_events(&db, config.events));
    // Backup names are stamped to the second: a second take within it waits for the next.
    std::thread::sleep(Duration::from_millis(1100));
    let delta = timed_take(
        "delta backup after 1% more events",
        &db,
        &dir,
        &plain,
        false,
    );
    assert_eq!(
        delta.backup.kind,
        Kind::Delta,
        "the second backup is a delta"
    );
    let identity = age::x25519::Identity::generate();
    let sealed_settings = BackupSettings {
        encrypt: vec![identity.to_public().to_string()],
        ..BackupSettings::default()
    };
    let sealed_dir = work.path().join("backups-sealed");
    let sealed = timed_take(
        "encrypted full backup",
        &db,
        &sealed_dir,
        &sealed_settings,
        true,
    );

    // 2. Restores and the check at start.
    let none: Identities = Vec::new();
    let ids: Identities = vec![Box::new(identity)];
    let target = work.path().join("restored.db");
    timed_prepare(
        "restore::prepare of the full backup",
        &full,
        &dir,
        &none,
        &target,
    );
    timed_prepare(
        "restore::prepare of the delta (full + delta)",
        &delta,
        &dir,
        &none,
        &target,
    );
    timed_prepare(
        "restore::prepare of the encrypted full",
        &sealed,
        &sealed_dir,
        &ids,
        &target,
    );
    let checks = (0..3)
        .map(|_| {
            let started = Instant::now();
            start::check_database(&db, &dir).expect("the database passes its check");
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    report(
        "start::check_database (quick_check at engine start)",
        "ms",
        checks,
    );

    // 3. Commit latency without and during backups.
    rt.block_on(latency(&db, work.path(), config.period));
    println!("load average at the end: {}", load());
}

/// Takes a backup, prints what it cost, returns it.
fn timed_take(label: &str, db: &Path, dir: &Path, settings: &BackupSettings, full: bool) -> Taken {
    let started = Instant::now();
    let outcome = take(db, dir, settings, full).expect("backup");
    let secs = started.elapsed().as_secs_f64();
    let Outcome::Taken(taken) = outcome else {
        panic!("{label}: nothing was taken");
    };
    println!(
        "{label}: {secs:.2} s, {:.0} MB/s of database; {:.1} MB -> {:.1} MB ({:.1}x); {} of {} \
         pages stored",
        mb(taken.database_bytes) / secs,
        mb(taken.database_bytes),
        mb(taken.backup.size_bytes),
        taken.database_bytes as f64 / taken.backup.size_bytes.max(1) as f64,
        taken.pages_stored,
        taken.pages,
    );
    taken
}

/// Makes `taken` into a checked database at `target` and prints the time and the rows.
fn timed_prepare(label: &str, taken: &Taken, dir: &Path, ids: &Identities, target: &Path) {
    let all = catalog::list(dir).expect("list backups");
    let started = Instant::now();
    let checked = restore::prepare(&taken.backup, &all, ids, target, 0).expect("restore");
    let secs = started.elapsed().as_secs_f64();
    let rows: Vec<String> = checked
        .rows
        .iter()
        .map(|(t, n)| format!("{t} {n}"))
        .collect();
    println!(
        "{label}: {secs:.2} s, {:.0} MB/s of database ({})",
        mb(taken.database_bytes) / secs,
        rows.join(", ")
    );
}

/// Appends 1% more events through the store's writer, as an engine would.
async fn add_events(db: &Path, events: usize) {
    let store = Store::open(db).await.expect("open the store");
    let tasks = events / backup_db::EVENTS_PER_TASK;
    let more = (events / 100).div_ceil(backup_db::EVENTS_PER_TASK);
    for i in tasks..tasks + more {
        let id = backup_db::task_id(i);
        let ops = backup_db::task_events(&id, i)
            .into_iter()
            .map(WriteOp::Event)
            .collect();
        store.writer.write(ops).await.expect("write events");
    }
    store.close().await;
}

/// One small commit every [`PACE`] for `period`, each awaited; their latencies in ms.
async fn commits(store: &Store, period: Duration) -> Vec<f64> {
    let mut tick = tokio::time::interval(PACE);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let task_id = TaskId("t-bench".into());
    let end = Instant::now() + period;
    let mut times = Vec::new();
    while Instant::now() < end {
        tick.tick().await;
        let op = WriteOp::Log {
            level: "info",
            task_id: Some(task_id.clone()),
            step_id: Some("unit".into()),
            message: format!("test parse::case_{} ... ok", times.len()),
        };
        let started = Instant::now();
        store.writer.write(vec![op]).await.expect("commit");
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times
}

/// Takes backups into `dir` back to back until `stop`, removing each one taken (a delta's
/// full copy stays); returns their durations in seconds.
fn backups_until(db: PathBuf, dir: PathBuf, full: bool, stop: Arc<AtomicBool>) -> Vec<f64> {
    let settings = BackupSettings::default();
    let mut times = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        if let Outcome::Taken(t) = take(&db, &dir, &settings, full).expect("backup") {
            times.push(started.elapsed().as_secs_f64());
            std::fs::remove_file(&t.backup.path).expect("remove the backup");
        }
    }
    times
}

/// What runs beside the committer.
#[derive(Clone, Copy, PartialEq)]
enum Beside {
    Nothing,
    Full,
    Delta,
}

impl Beside {
    fn label(self) -> &'static str {
        match self {
            Beside::Nothing => "no backup",
            Beside::Full => "full backups running",
            Beside::Delta => "delta backups running",
        }
    }
}

/// The commit latency without a backup, during full backups and during deltas: [`ROUNDS`]
/// rounds of the three in turn, so that a change in the machine's load (it is shared) falls
/// on all three alike.
async fn latency(db: &Path, work: &Path, period: Duration) {
    let store = Store::open(db).await.expect("open the store");
    let slot = period / ROUNDS;
    println!(
        "commit latency: a small write every {} ms, {ROUNDS} rounds of {:.1} s each without a \
         backup, during full backups, during deltas (load {})",
        PACE.as_millis(),
        slot.as_secs_f64(),
        load()
    );
    let full_dir = work.join("backups-under-load");
    let delta_dir = work.join("backups-under-load-delta");
    take(db, &delta_dir, &BackupSettings::default(), true).expect("the deltas' full copy");
    let cases = [Beside::Nothing, Beside::Full, Beside::Delta];
    let mut latencies: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    let mut durations: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    for round in 1..=ROUNDS {
        for (n, case) in cases.iter().enumerate() {
            let stop = Arc::new(AtomicBool::new(false));
            let backups = (*case != Beside::Nothing).then(|| {
                let (db, stop) = (db.to_path_buf(), stop.clone());
                let (dir, full) = match case {
                    Beside::Full => (full_dir.clone(), true),
                    _ => (delta_dir.clone(), false),
                };
                tokio::task::spawn_blocking(move || backups_until(db, dir, full, stop))
            });
            let times = commits(&store, slot).await;
            stop.store(true, Ordering::Relaxed);
            if let Some(backups) = backups {
                durations[n].extend(backups.await.expect("backup thread"));
            }
            let mut sorted = times.clone();
            sorted.sort_by(f64::total_cmp);
            println!(
                "  round {round}, {}: p50={:.3}ms p99={:.3}ms max={:.3}ms (load {})",
                case.label(),
                percentile(&sorted, 0.5),
                percentile(&sorted, 0.99),
                sorted.last().copied().unwrap_or_default(),
                load()
            );
            latencies[n].extend(times);
        }
    }
    let quiet_p99 = p99(&latencies[0]);
    for (n, case) in cases.iter().enumerate() {
        report(
            &format!("commit latency, {}", case.label()),
            "ms",
            latencies[n].clone(),
        );
        if *case != Beside::Nothing {
            let taken = &durations[n];
            println!(
                "  {} backups taken back to back (mean {:.2} s); p99 ratio to no backup {:.2}x \
                 (goal <= 2x)",
                taken.len(),
                taken.iter().sum::<f64>() / taken.len().max(1) as f64,
                p99(&latencies[n]) / quiet_p99,
            );
        }
    }
    store.close().await;
}

fn p99(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    percentile(&sorted, 0.99)
}
