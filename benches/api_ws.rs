//! How soon a committed event reaches WebSocket clients (run `cargo bench --bench api_ws`): a
//! real `bosun run --api` with 50 clients on `/ws`, and tasks (`true`) submitted over REST —
//! first paced (one every 20 ms), then in a burst. For each event and each client: the time
//! from its commit (the event's `timestamp`, set when its batch is committed, in milliseconds)
//! to its arrival at the client (the client's wall clock on receipt; same machine). The
//! timestamp is cut to the millisecond, so each figure is up to 1 ms high. Goal: p99 < 10 ms.
//! Also counted: events every client got, and any lost or repeated (there must be none).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;

#[path = "common/stats.rs"]
mod stats;
use stats::report;

/// Clients connected (`BOSUN_BENCH_CLIENTS` to compare: 1 shows what is not the fan-out).
const CLIENTS: usize = 50;
const PACED: usize = 200;
const BURST: usize = 200;

/// The part of a message the clients read.
#[derive(Deserialize)]
struct Incoming {
    event: String,
    timestamp: String,
    seq: Option<i64>,
}

/// What one client saw: (seq, latency in ms) per committed event, and completions.
#[derive(Default)]
struct Seen {
    events: Vec<(i64, f64)>,
    completed: usize,
}

fn bosun(project: &Path, config: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bosun"));
    cmd.arg("--project")
        .arg(project)
        .env("XDG_CONFIG_HOME", config)
        .env("BOSUN_REDIS_URL", "off")
        .env("BOSUN_LOG", "warn");
    cmd
}

fn token(project: &Path, config: &Path, role: &str) -> String {
    let out = bosun(project, config)
        .args(["token", "create", "--role", role])
        .output()
        .expect("bosun token create");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_string()
}

/// A `bosun run`, killed when dropped.
struct Engine(Child);

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `bosun run --api 127.0.0.1:0` and the address it listens on.
fn start(project: &Path, config: &Path) -> (Engine, String) {
    let engine = Engine(
        bosun(project, config)
            .args(["run", "--api", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("bosun run"),
    );
    let file = project.join(".bosun/state/api.addr");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(text) = std::fs::read_to_string(&file)
            && text.ends_with('\n')
        {
            return (engine, text.trim().to_string());
        }
        assert!(Instant::now() < deadline, "the API did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Milliseconds from the RFC 3339 `timestamp` to `arrived`.
fn ms_between(timestamp: &str, arrived: time::OffsetDateTime) -> f64 {
    let at = bosun::time::parse_rfc3339(timestamp).expect("an RFC 3339 timestamp");
    (arrived - at).as_seconds_f64() * 1000.0
}

/// One client: reads until it saw `until` completions, recording each committed event.
async fn client(url: String, seen: Arc<Mutex<Seen>>, until: usize) {
    let (mut socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect");
    while let Some(message) = socket.next().await {
        // Arrival is when the message is read, before the client spends time on it.
        let arrived = time::OffsetDateTime::now_utc();
        let Ok(Message::Text(text)) = message else {
            continue;
        };
        let incoming: Incoming = serde_json::from_str(&text).expect("JSON");
        let Some(seq) = incoming.seq else { continue };
        let latency = ms_between(&incoming.timestamp, arrived);
        let mut seen = seen.lock().await;
        seen.events.push((seq, latency));
        if incoming.event == "task.completed" {
            seen.completed += 1;
            if seen.completed == until {
                return;
            }
        }
    }
    panic!("the server closed the connection");
}

async fn submit(http: &reqwest::Client, addr: &str, user: &str) {
    let response = http
        .post(format!("http://{addr}/api/tasks"))
        .bearer_auth(user)
        .json(&serde_json::json!({"description": "true"}))
        .send()
        .await
        .expect("submit");
    assert_eq!(response.status().as_u16(), 202);
}

fn main() {
    let project = tempfile::tempdir().expect("tempdir");
    let config = tempfile::tempdir().expect("config dir");
    std::fs::create_dir_all(project.path().join(".bosun")).expect("mkdir");
    std::fs::write(
        project.path().join(".bosun/config.yaml"),
        "api:\n  rate_limit: 100000\n  burst: 100000\n",
    )
    .expect("config");
    let readonly = token(project.path(), config.path(), "readonly");
    let user = token(project.path(), config.path(), "user");
    let (engine, addr) = start(project.path(), config.path());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let clients = std::env::var("BOSUN_BENCH_CLIENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(CLIENTS);
    runtime.block_on(async {
        let http = reqwest::Client::new();
        let total = PACED + BURST;
        let seen: Vec<Arc<Mutex<Seen>>> = (0..clients).map(|_| Arc::default()).collect();
        let readers: Vec<_> = seen
            .iter()
            .map(|seen| {
                let url = format!("ws://{addr}/ws?token={readonly}");
                tokio::spawn(client(url, seen.clone(), total))
            })
            .collect();
        // Every client connected and greeted before the first task.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let started = Instant::now();
        for _ in 0..PACED {
            submit(&http, &addr, &user).await;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let paced_at = seen_len(&seen).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let burst_from = seen_len(&seen).await;
        for _ in 0..BURST {
            submit(&http, &addr, &user).await;
        }
        for reader in readers {
            tokio::time::timeout(Duration::from_secs(300), reader)
                .await
                .expect("every client saw every task complete")
                .expect("reader");
        }
        let elapsed = started.elapsed();
        let (mut paced, mut burst) = (Vec::new(), Vec::new());
        let (mut lost, mut repeated, mut count) = (0, 0, 0);
        for (client, seen) in seen.iter().enumerate() {
            let seen = seen.lock().await;
            let seqs: Vec<i64> = seen.events.iter().map(|(s, _)| *s).collect();
            for pair in seqs.windows(2) {
                match pair[1] - pair[0] {
                    1 => {}
                    d if d < 1 => repeated += 1,
                    d => lost += d - 1,
                }
            }
            count += seqs.len();
            for (i, (_, latency)) in seen.events.iter().enumerate() {
                if i < paced_at[client] {
                    paced.push(*latency);
                } else if i >= burst_from[client] {
                    burst.push(*latency);
                }
            }
        }
        println!(
            "{clients} clients, {total} tasks in {:.1} s: {count} deliveries, {lost} lost, {repeated} repeated",
            elapsed.as_secs_f64()
        );
        report(
            &format!("commit -> client, {PACED} tasks one every 20 ms"),
            "ms",
            paced,
        );
        report(
            &format!("commit -> client, {BURST} tasks at once"),
            "ms",
            burst,
        );
    });
    println!(
        "CPU: bosun run {:.2} s (its steps' processes not counted), the clients {:.2} s",
        cpu_seconds(engine.0.id()),
        cpu_seconds(std::process::id())
    );
    drop(engine);
}

/// User and system CPU time of process `pid` so far, from /proc.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    // After the command: state is field 3, utime 14 and stime 15 (1-based, man 5 proc).
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|i| fields.get(*i).and_then(|f| f.parse::<f64>().ok()))
        .sum();
    ticks / 100.0
}

/// How many events each client has seen so far.
async fn seen_len(seen: &[Arc<Mutex<Seen>>]) -> Vec<usize> {
    let mut lens = Vec::with_capacity(seen.len());
    for s in seen {
        lens.push(s.lock().await.events.len());
    }
    lens
}
