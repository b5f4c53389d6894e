//! Numbers the design depends on, measured on this machine (run `cargo bench --bench engine`):
//!
//! 1. pickup: a task submitted by `bosun submit` in another process while `bosun run` runs —
//!    time from its commit (`created_at`) to the engine starting it (`started_at`). Goal: well
//!    under 100 ms, and at most one second, without Redis.
//! 2. group commit: many concurrent writers through the store's single writer actor — rows per
//!    second and acknowledgement latency.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bosun::protocol::{EngineEvent, Priority, TaskId};
use bosun::store::{NewTask, Store, WriteOp};

#[path = "common/cli.rs"]
mod cli;
use cli::{bosun, millis_between};
#[path = "common/stats.rs"]
mod stats;
use stats::report;

fn pickup() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut engine = Command::new(env!("CARGO_BIN_EXE_bosun"))
        .args(["run", "--project"])
        .arg(dir.path())
        .env("BOSUN_REDIS_URL", "off")
        .env("BOSUN_LOG", "warn")
        .stderr(Stdio::null())
        .spawn()
        .expect("engine");
    std::thread::sleep(Duration::from_millis(500));
    let mut latencies = Vec::new();
    for _ in 0..40 {
        let out = bosun(dir.path(), &["submit", "true"]);
        let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let shown = bosun(dir.path(), &["show", &id, "--json"]);
            let task: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap_or_default();
            if let (Some(created), Some(started)) =
                (task["created_at"].as_str(), task["started_at"].as_str())
            {
                latencies.push(millis_between(created, started));
                break;
            }
            assert!(Instant::now() < deadline, "task {id} never started");
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(37));
    }
    let _ = engine.kill();
    let _ = engine.wait();
    report(
        "pickup (submit commit -> engine start, other process, no Redis)",
        "ms",
        latencies,
    );
}

fn task(i: usize) -> NewTask {
    NewTask {
        id: TaskId(format!("t-{i:08}")),
        description: "bench".into(),
        workflow: "shell".into(),
        workflow_reason: "bench".into(),
        plan: "{}".into(),
        priority: Priority::Normal,
        inputs: "{}".into(),
        created_at: bosun::time::now_rfc3339(),
    }
}

fn group_commit() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("bosun.db")).await.expect("store");
        let writers = 100;
        let per_writer = 200;
        let start = Instant::now();
        let handles: Vec<_> = (0..writers)
            .map(|w| {
                let writer = store.writer.clone();
                tokio::spawn(async move {
                    let mut acks = Vec::with_capacity(per_writer);
                    for i in 0..per_writer {
                        let t = task(w * per_writer + i);
                        let id = t.id.clone();
                        let sent = Instant::now();
                        writer
                            .write(vec![WriteOp::InsertTask(t), WriteOp::Event(EngineEvent::TaskStarted { task_id: id })])
                            .await
                            .expect("write");
                        acks.push(sent.elapsed().as_secs_f64() * 1000.0);
                    }
                    acks
                })
            })
            .collect();
        let mut acks = Vec::new();
        for h in handles {
            acks.extend(h.await.expect("join"));
        }
        let elapsed = start.elapsed().as_secs_f64();
        let requests = (writers * per_writer) as f64;
        println!(
            "group commit (synchronous=FULL): {} requests of 2 rows from {writers} writers in {elapsed:.2}s = {:.0} requests/s",
            requests,
            requests / elapsed
        );
        report("group commit ack latency", "ms", acks);
        store.close().await;
    });
}

fn main() {
    // `cargo test --benches` runs benches with `--bench` absent: keep that quick.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    group_commit();
    pickup();
}
