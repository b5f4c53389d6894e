//! What Redis buys and what it may cost (run `cargo bench --bench redis`; it starts its own
//! `redis-server`, or uses `BOSUN_TEST_REDIS_URL`):
//!
//! 1. a cached read versus a SQLite read: the first-frame snapshot with 1,000 and 10,000 tasks,
//!    and one task's view (`bosun show`);
//! 2. event fan-out to a second process: from the start of a commit to the line printed by a
//!    `bosun tail --json` in another process, through Redis and without it;
//! 3. a silent Redis (accepts, never answers): what a read costs then — one timeout, then
//!    nothing, thanks to the breaker.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bosun::engine::{cached_snapshot, cached_task};
use bosun::mirror::Mirror;
use bosun::protocol::{EngineEvent, Priority, TaskId};
use bosun::store::{NewTask, Store, WriteOp};

#[path = "common/stats.rs"]
mod stats;
use stats::report;

fn report_ms(name: &str, values: Vec<f64>) {
    report(name, "ms", values);
}

struct Server(Option<Child>, String);

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn redis_server() -> Server {
    if let Ok(url) = std::env::var("BOSUN_TEST_REDIS_URL") {
        return Server(None, url);
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server");
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(10), "redis-server");
        std::thread::sleep(Duration::from_millis(20));
    }
    Server(Some(child), format!("redis://127.0.0.1:{port}/"))
}

fn task(n: usize) -> NewTask {
    NewTask {
        id: TaskId::from(format!("t-{n:06}").as_str()),
        description: format!("task number {n} with a description of ordinary length"),
        workflow: "shell".into(),
        workflow_reason: "bench".into(),
        plan: "{}".into(),
        priority: Priority::Normal,
        inputs: "{}".into(),
        created_at: bosun::time::now_rfc3339(),
    }
}

/// The project database at `dir` (where `bosun` looks for it), with `tasks` queued tasks.
async fn store_with(dir: &std::path::Path, tasks: usize) -> Store {
    let state = dir.join(".bosun/state");
    std::fs::create_dir_all(&state).expect("state dir");
    let store = Store::open(&state.join("bosun.db")).await.expect("open");
    for chunk in (0..tasks).collect::<Vec<_>>().chunks(500) {
        let ops = chunk
            .iter()
            .map(|n| WriteOp::InsertTask(task(*n)))
            .collect();
        store.writer.write(ops).await.expect("insert");
    }
    store
}

async fn time_reads<F: AsyncFn()>(name: &str, n: usize, read: F) {
    read().await; // warm: the cache is filled by the first (missed) read
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut values = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        read().await;
        values.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    report_ms(name, values);
}

async fn reads(url: &str) {
    for tasks in [1_000, 10_000] {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store_with(dir.path(), tasks).await;
        let mirror = Mirror::new(Some(url), dir.path(), Duration::from_millis(10))
            .expect("url")
            .expect("on");
        let pool = &store.reader;
        time_reads(&format!("snapshot {tasks} tasks, SQLite"), 50, async || {
            cached_snapshot(pool, None, 200).await.expect("read");
        })
        .await;
        time_reads(
            &format!("snapshot {tasks} tasks, Redis hit"),
            50,
            async || {
                cached_snapshot(pool, Some(&mirror), 200)
                    .await
                    .expect("read");
            },
        )
        .await;
        let id = TaskId::from("t-000042");
        time_reads(
            &format!("task view ({tasks} tasks), SQLite"),
            500,
            async || {
                cached_task(pool, None, &id).await.expect("read");
            },
        )
        .await;
        time_reads(
            &format!("task view ({tasks} tasks), Redis hit"),
            500,
            async || {
                cached_task(pool, Some(&mirror), &id).await.expect("read");
            },
        )
        .await;
        store.close().await;
    }
}

/// `bosun tail --json -n 0` in another process; returns it and its stdout once it follows.
fn tail(project: &std::path::Path, redis: &str) -> (Child, BufReader<std::process::ChildStdout>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bosun"))
        .args(["tail", "--json", "-n", "0", "--redis", redis, "--project"])
        .arg(project)
        .env("BOSUN_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bosun tail");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    stderr
        .read_line(&mut line)
        .expect("tail says how it follows");
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    (child, stdout)
}

async fn fan_out(url: &str, label: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store_with(dir.path(), 1).await;
    let on = (url != "off").then_some(url);
    let mirror = Mirror::new(on, dir.path(), Duration::from_millis(10)).expect("url");
    let (mut child, mut stdout) = tail(dir.path(), url);
    let mut events = store.writer.subscribe();
    let id = TaskId::from("t-000000");
    let mut values = Vec::new();
    let rounds = if mirror.is_some() { 300 } else { 40 };
    for _ in 0..rounds {
        let start = Instant::now();
        let op = WriteOp::Event(EngineEvent::TaskStarted {
            task_id: id.clone(),
        });
        store.writer.write(vec![op]).await.expect("write");
        let envelope = events.recv().await.expect("committed");
        if let Some(m) = &mirror {
            m.publish(&envelope).await.expect("publish");
        }
        let mut line = String::new();
        let stdout = &mut stdout;
        tokio::task::block_in_place(|| stdout.read_line(&mut line)).expect("line");
        values.push(start.elapsed().as_secs_f64() * 1000.0);
        assert!(
            line.contains(&format!("\"seq\":{}", envelope.seq)),
            "{line}"
        );
        // Spread the writes over the follower's poll interval (without Redis it looks four
        // times a second), so the figures are not those of one phase.
        let pause = if mirror.is_some() {
            5
        } else {
            (values.len() as u64 * 37) % 250
        };
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
    report_ms(
        &format!("fan-out to `bosun tail` in another process, {label}"),
        values,
    );
    let _ = child.kill();
    let _ = child.wait();
    store.close().await;
}

async fn silent() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("redis://{}/", listener.local_addr().expect("addr"));
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store_with(dir.path(), 1_000).await;
    let mirror = Mirror::new(Some(&url), dir.path(), Duration::from_millis(10))
        .expect("url")
        .expect("on");
    let id = TaskId::from("t-000042");
    let mut values = Vec::new();
    for _ in 0..200 {
        let start = Instant::now();
        cached_task(&store.reader, Some(&mirror), &id)
            .await
            .expect("read");
        values.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "silent Redis: first read {:.2}ms (one 10 ms timeout), then:",
        values[0]
    );
    report_ms(
        "task view with a silent Redis (after the first)",
        values.split_off(1),
    );
    drop(listener);
    store.close().await;
}

fn main() {
    let server = redis_server();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        reads(&server.1).await;
        fan_out(&server.1, "through Redis").await;
        fan_out("off", "without Redis (SQLite polling)").await;
        silent().await;
    });
}
