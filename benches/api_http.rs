//! The REST API under load (run `cargo bench --bench api_http`): a real release
//! `bosun run --api` on a free port, one task in its store, and K keep-alive connections each
//! asking `GET /api/tasks/{id}` again as soon as it has its answer, for a fixed time. Reports
//! requests a second, latency percentiles, and the CPU the server and the load generator used
//! (they share the machine's cores). Goal: 10,000 requests/s on 2 cores with p99 under 5 ms.
//!
//! The load generator is a minimal HTTP/1.1 client over tokio's `TcpStream` on one thread (a
//! fixed request, a response read up to its `Content-Length`), so that most of the CPU goes
//! to the server. `BOSUN_BENCH_CONNECTIONS` (default `32,64`) and `BOSUN_BENCH_SECS` (default
//! 10) change the runs.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[path = "common/stats.rs"]
mod stats;
use stats::report;

/// The engine, killed when the bench ends.
struct Engine(Child);

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `bosun ARGS` against `project` with its own (empty) user config.
fn bosun(project: &Path, config_home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bosun"));
    cmd.env("XDG_CONFIG_HOME", config_home)
        .env("BOSUN_REDIS_URL", "off")
        .env("BOSUN_LOG", "warn")
        .env_remove("BOSUN_PROJECT")
        .current_dir(project);
    cmd
}

fn stdout_of(mut cmd: Command) -> String {
    let out = cmd.output().expect("run bosun");
    assert!(
        out.status.success(),
        "bosun failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// CPU seconds (user + system) process `pid` has used.
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after `)`.
    (ticks(11) + ticks(12)) / clock_ticks()
}

fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// Reads one response into `buf` (cleared first); its status.
async fn read_response(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<u16, String> {
    buf.clear();
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buf[..end]).map_err(|e| e.to_string())?;
            let status = head
                .get(9..12)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| format!("not a status line: {head}"))?;
            let length: usize = head
                .lines()
                .filter_map(|line| line.split_once(':'))
                .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
                .and_then(|(_, value)| value.trim().parse().ok())
                .ok_or("no Content-Length")?;
            let total = end + 4 + length;
            while buf.len() < total {
                if stream.read_buf(buf).await.map_err(|e| e.to_string())? == 0 {
                    return Err("closed in a body".into());
                }
            }
            return Ok(status);
        }
        if stream.read_buf(buf).await.map_err(|e| e.to_string())? == 0 {
            return Err("closed".into());
        }
    }
}

/// What one connection did: latencies (µs) of its good answers, and how many were not 200.
/// Its first answer must hold `expect` (the task's id): the figures are of real answers.
async fn connection(
    addr: String,
    request: std::sync::Arc<Vec<u8>>,
    expect: String,
    warm_until: Instant,
    until: Instant,
) -> Result<(Vec<u32>, u64), String> {
    let mut stream = TcpStream::connect(&addr).await.map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut buf = Vec::with_capacity(16 * 1024);
    let mut latencies = Vec::with_capacity(1 << 16);
    let mut errors = 0;
    let mut checked = false;
    loop {
        let start = Instant::now();
        if start >= until {
            return Ok((latencies, errors));
        }
        stream
            .write_all(&request)
            .await
            .map_err(|e| e.to_string())?;
        let status = read_response(&mut stream, &mut buf).await?;
        if !checked {
            checked = true;
            let body = String::from_utf8_lossy(&buf);
            if status != 200 || !body.contains(&format!("\"id\":\"{expect}\"")) {
                return Err(format!("not the task: {body}"));
            }
        }
        if start < warm_until {
            continue;
        }
        if status == 200 {
            latencies.push(u32::try_from(start.elapsed().as_micros()).unwrap_or(u32::MAX));
        } else {
            errors += 1;
        }
    }
}

/// K connections for `secs` (after a second's warm-up); prints the figures.
fn load(engine_pid: &str, addr: &str, path: &str, token: &str, k: usize, secs: u64) {
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\r\n")
            .into_bytes();
    let request = std::sync::Arc::new(request);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let warm_until = Instant::now() + Duration::from_secs(1);
    let until = warm_until + Duration::from_secs(secs);
    let (server_before, ours_before) = (cpu_seconds(engine_pid), cpu_seconds("self"));
    let results = runtime.block_on(async {
        let tasks: Vec<_> = (0..k)
            .map(|_| {
                tokio::spawn(connection(
                    addr.to_string(),
                    request.clone(),
                    path.rsplit('/').next().unwrap_or_default().to_string(),
                    warm_until,
                    until,
                ))
            })
            .collect();
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.expect("join"));
        }
        results
    });
    // The warm-up second is in the CPU figures too: a small overestimate.
    let wall = (secs + 1) as f64;
    let server_cpu = (cpu_seconds(engine_pid) - server_before) / wall * 100.0;
    let ours_cpu = (cpu_seconds("self") - ours_before) / wall * 100.0;
    let mut latencies = Vec::new();
    let mut errors = 0;
    for result in results {
        let (l, e) = result.unwrap_or_else(|e| panic!("a connection failed: {e}"));
        latencies.extend(l);
        errors += e;
    }
    let n = latencies.len();
    println!(
        "GET {path}, {k} keep-alive connections, {secs} s: {n} answers, {:.0} requests/s, \
         {errors} not 200; CPU: server {server_cpu:.0}%, load generator {ours_cpu:.0}% of a core",
        n as f64 / secs as f64
    );
    report(
        &format!("  latency ({k} connections)"),
        "ms",
        latencies
            .into_iter()
            .map(|us| f64::from(us) / 1000.0)
            .collect(),
    );
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config_home = tempfile::tempdir().expect("config home");
    let project = dir.path();
    std::fs::create_dir_all(project.join(".bosun")).expect("mkdir");
    std::fs::write(
        project.join(".bosun/config.yaml"),
        "api:\n  rate_limit: 4000000000\n  burst: 4000000000\n",
    )
    .expect("config");
    let token = stdout_of({
        let mut cmd = bosun(project, config_home.path());
        cmd.args(["token", "create", "--role", "readonly"]);
        cmd
    });
    let addr_file = project.join(".bosun/state/api.addr");
    let engine = Engine(
        bosun(project, config_home.path())
            .args(["run", "--api", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("bosun run"),
    );
    let start = Instant::now();
    let addr = loop {
        if let Ok(text) = std::fs::read_to_string(&addr_file)
            && text.ends_with('\n')
        {
            break text.trim().to_string();
        }
        assert!(start.elapsed() < Duration::from_secs(30), "no API");
        std::thread::sleep(Duration::from_millis(20));
    };
    let id = stdout_of({
        let mut cmd = bosun(project, config_home.path());
        cmd.args(["submit", "echo one task in the store"]);
        cmd
    });
    // Finished, so every answer is the same task.
    let start = Instant::now();
    loop {
        let shown = stdout_of({
            let mut cmd = bosun(project, config_home.path());
            cmd.args(["show", &id, "--json"]);
            cmd
        });
        if shown.contains("\"status\": \"succeeded\"") || shown.contains("\"status\":\"succeeded\"")
        {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{shown}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let secs = std::env::var("BOSUN_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let ks: Vec<usize> = std::env::var("BOSUN_BENCH_CONNECTIONS")
        .unwrap_or_else(|_| "32,64".into())
        .split(',')
        .filter_map(|k| k.trim().parse().ok())
        .collect();
    let pid = engine.0.id().to_string();
    for k in ks {
        load(&pid, &addr, &format!("/api/tasks/{id}"), &token, k, secs);
    }
    drop(engine);
}
