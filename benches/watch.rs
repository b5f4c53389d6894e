//! The watcher on a large tree (run `cargo bench --bench watch`): a project of 50,000 files in
//! 2,750 directories (plus a gitignored `target/` of 10,000 more, and a `node_modules/` of
//! 10,000 in 1,000 directories that no ignore file names, as after `npm init`), watched by a
//! real `bosun run`:
//!
//! 1. start-up: from spawning the engine to its "watching the project tree" line, the
//!    directories watched, and the CPU time the engine used until then;
//! 2. idle cost while watching: CPU over 20 s and resident memory;
//! 3. event-to-task latency: from a file write to the triggered task's commit (`created_at`),
//!    with a 100 ms debounce (the quiet time is part of the figure by design).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use bosun::store::{Store, read};

#[path = "common/stats.rs"]
mod stats;
use stats::report;

const DIRS: usize = 250;
const SUBDIRS: usize = 10;
const FILES: usize = 20;

fn build_tree(root: &Path) {
    for d in 0..DIRS {
        for s in 0..SUBDIRS {
            let dir = root.join(format!("d{d:03}/s{s:02}"));
            std::fs::create_dir_all(&dir).expect("mkdir");
            for f in 0..FILES {
                std::fs::write(dir.join(format!("f{f:02}.src")), "x").expect("write");
            }
        }
    }
    for t in 0..100 {
        let dir = root.join(format!("target/debug/deps{t:03}"));
        std::fs::create_dir_all(&dir).expect("mkdir");
        for f in 0..100 {
            std::fs::write(dir.join(format!("o{f:03}.o")), "x").expect("write");
        }
    }
    for p in 0..1000 {
        let dir = root.join(format!("node_modules/pkg{p:04}/lib"));
        std::fs::create_dir_all(&dir).expect("mkdir");
        for f in 0..10 {
            std::fs::write(dir.join(format!("m{f}.js")), "x").expect("write");
        }
    }
    std::fs::write(root.join(".gitignore"), "target/\n").expect("gitignore");
    let workflows = root.join(".bosun/workflows");
    std::fs::create_dir_all(&workflows).expect("mkdir");
    std::fs::write(
        workflows.join("touch.yaml"),
        "triggers:\n  - watch: [\"**/*.src\"]\n    debounce: 100ms\nsteps:\n  - { id: s, skill: shell, with: { run: \"true\" } }\n",
    )
    .expect("workflow");
}

fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    let num = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    num(11) + num(12)
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let made = Instant::now();
    build_tree(dir.path());
    println!(
        "tree: 50,000 files in 2,750 directories (+10,000 ignored, +10,000 in node_modules), made in {:.1}s",
        made.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let mut engine = Command::new(env!("CARGO_BIN_EXE_bosun"))
        .args(["run", "--project"])
        .arg(dir.path())
        .env("BOSUN_REDIS_URL", "off")
        .stderr(Stdio::piped())
        .spawn()
        .expect("bosun run");
    let pid = engine.id();
    let stderr = engine.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let watching = loop {
        let line = lines.next().expect("the engine's log").expect("a line");
        if line.contains("watching the project tree") {
            break line;
        }
    };
    println!(
        "start-up to watching: {:.0} ms, {} CPU ticks ({watching})",
        started.elapsed().as_secs_f64() * 1000.0,
        cpu_ticks(pid)
    );
    std::thread::spawn(move || for _ in lines {});

    std::thread::sleep(Duration::from_secs(2));
    let before = cpu_ticks(pid);
    std::thread::sleep(Duration::from_secs(20));
    let ticks = cpu_ticks(pid) - before;
    println!(
        "idle while watching: {ticks} CPU ticks in 20 s ({:.2}% of a core), RSS {} MB",
        ticks as f64 / 20.0,
        rss_kb(pid) / 1024
    );

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let store = rt
        .block_on(Store::open(&dir.path().join(".bosun/state/bosun.db")))
        .expect("store");
    let mut latencies = Vec::new();
    let mut last = None;
    for round in 0..20 {
        let file = dir
            .path()
            .join(format!("d{:03}/s{:02}/f00.src", round * 7, round % SUBDIRS));
        let written = SystemTime::now();
        std::fs::write(&file, format!("round {round}")).expect("write");
        let task = loop {
            let newest = rt
                .block_on(read::list_tasks(&store.reader, None, 1))
                .expect("tasks");
            if let Some(task) = newest.into_iter().next()
                && Some(task.id.clone()) != last
            {
                break task;
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        let created = bosun::time::parse_rfc3339(&task.created_at).expect("time");
        let written = time::OffsetDateTime::from(written);
        latencies.push((created - written).as_seconds_f64() * 1000.0);
        last = Some(task.id.clone());
        std::thread::sleep(Duration::from_millis(400));
    }
    report(
        "write → triggered task committed (debounce 100 ms)",
        "ms",
        latencies,
    );
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGINT,
    );
    let _ = engine.wait();
}
