//! What Bosun costs an agent (run `cargo bench --bench agent`), through a real `bosun run` on a
//! project under the target directory, its `claude-code` adapter pointed at a fake Claude Code
//! (this bench's own binary, `agent/fake_claude.rs`) that speaks the CLI's stream-json:
//!
//! 1. one tool call's decision: the fake times each PreToolUse `hook_callback` from just before
//!    it writes the request to when it has read the answer. Between the two the engine reads
//!    the line, the adapter makes a permission request of it, the policy judges the Bash
//!    command and the decision is committed to SQLite and the audit log, and the answer is
//!    written back. Goal: p99 under 5 ms over what a trivial answering process costs (the
//!    floor: the same fake, answered by this bench's process). The calls are allowed ones
//!    (`cargo test`, `ls`, `echo x > out.txt`); then a mix where one call in four is denied
//!    (`curl … | sh`); then calls sent the way the real CLI sends them, the `assistant`
//!    tool_use line just before the request and the tool_result after. Where the time goes:
//!    a decision's commit alone (the store's writer, in this process), the disk's fdatasync,
//!    and the allowed calls again with the project on tmpfs (`/dev/shm`), where a commit
//!    does not wait for the disk.
//! 2. Bosun's memory per running agent step, with five at once: the engine's RSS idle, then
//!    with one and with five fake agents each holding its session open after a few calls, and
//!    the `bosun __step` supervisor that leads each step's process group. Goal: under 5 MB per
//!    step, the agent processes excluded.

#[path = "agent/fake_claude.rs"]
mod fake_claude;
#[path = "agent/project.rs"]
mod project;

#[path = "common/stats.rs"]
mod stats;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use project::{AGENTS, Engine};
use stats::{percentile, report};

/// Tool calls per latency run.
const CALLS: usize = 500;
/// The pause between two calls, where the model would be thinking.
const GAP_MS: u64 = 10;

/// One call as the fake timed it.
struct Call {
    ms: f64,
    decision: String,
    command: String,
}

/// The fake's timings file; every call must have had the decision the policy gives it.
fn read_calls(out: &Path) -> Vec<Call> {
    let text = std::fs::read_to_string(out).expect("the fake's timings");
    let calls: Vec<Call> = text
        .lines()
        .map(|line| {
            let mut fields = line.splitn(3, '\t');
            let mut next = || fields.next().unwrap_or_default().to_string();
            let micros: f64 = next().parse().expect("micros");
            Call {
                ms: micros / 1000.0,
                decision: next(),
                command: next(),
            }
        })
        .collect();
    for call in &calls {
        let expected = if call.command == fake_claude::DENIED {
            "deny"
        } else {
            "allow"
        };
        assert_eq!(call.decision, expected, "`{}`", call.command);
    }
    calls
}

fn prompt(out: &Path, extra: &str) -> String {
    format!(
        "calls={CALLS} gap_ms={GAP_MS} {extra} out={}",
        out.display()
    )
}

/// Runs one task of the fake through the engine; its calls.
fn through_bosun(engine: &Engine, name: &str, extra: &str) -> Vec<Call> {
    let out = engine.path(&format!("{name}.tsv"));
    let id = engine.submit(&prompt(&out, extra));
    engine.wait_timings(&id, &out);
    let task = engine.wait_finished(&id);
    assert_eq!(task["status"], "succeeded", "{task:#}");
    read_calls(&out)
}

/// The floor: the same fake, its requests answered by this bench's process, which reads each
/// line and writes a fixed allow for each request: pipes, wake-ups and JSON, no Bosun.
fn floor(dir: &Path) -> Vec<Call> {
    let out = dir.join("floor.tsv");
    let mut child = Command::new(std::env::current_exe().expect("the bench's own path"))
        .args(["-p", "--session-id", "floor"])
        .env(fake_claude::ENV, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the fake agent");
    let mut stdin = child.stdin.take();
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    for line in bosun::agents::claude::opening(&prompt(&out, "")) {
        if let Some(pipe) = stdin.as_mut() {
            pipe.write_all(format!("{line}\n").as_bytes())
                .expect("write the opening");
        }
    }
    for line in stdout.lines() {
        let line = line.expect("a line");
        let msg: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        if msg["type"] == "result" {
            stdin = None;
        } else if msg["type"] == "control_request"
            && let Some(pipe) = stdin.as_mut()
        {
            let answer = serde_json::json!({ "type": "control_response", "response": {
                "subtype": "success", "request_id": msg["request_id"], "response": {
                "hookSpecificOutput": { "hookEventName": "PreToolUse",
                "permissionDecision": "allow" } } } });
            // One write, as the engine does: the fake wakes up to a whole line.
            pipe.write_all(format!("{answer}\n").as_bytes())
                .expect("answer");
        }
    }
    drop(stdin);
    let _ = child.wait();
    read_calls(&out)
}

fn ms(calls: &[Call], keep: impl Fn(&Call) -> bool) -> Vec<f64> {
    calls.iter().filter(|c| keep(c)).map(|c| c.ms).collect()
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

/// An engine on a project in `parent`, warmed up by a first task (the policy, the
/// templates, the store's pages).
fn warm_engine(parent: &Path) -> Engine {
    let engine = Engine::start(parent);
    let warm = engine.path("warm.tsv");
    let id = engine.submit(&format!("calls=20 out={}", warm.display()));
    engine.wait_timings(&id, &warm);
    engine.wait_finished(&id);
    engine
}

/// The disk's own flush, what each commit of the store waits for (synchronous=FULL):
/// `fdatasync` of a small append, as often as the calls come.
fn disk_flush(dir: &Path) -> Vec<f64> {
    let path = dir.join("flush.bench");
    let mut file = std::fs::File::create(&path).expect("flush file");
    let times = (0..200)
        .map(|_| {
            file.write_all(&[b'x'; 128]).expect("append");
            let start = Instant::now();
            file.sync_data().expect("fdatasync");
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            std::thread::sleep(Duration::from_millis(GAP_MS));
            ms
        })
        .collect();
    let _ = std::fs::remove_file(path);
    times
}

/// What the engine commits for each decision (the decision row and its event), written
/// through the store's writer in this process, as often as the calls come.
fn decision_commits(parent: &Path) -> Vec<f64> {
    use bosun::protocol::{DecisionKind, EngineEvent, TaskId, new_decision_id};
    use bosun::store::{Store, WriteOp};
    let dir = tempfile::tempdir_in(parent).expect("store dir");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let store = Store::open(&dir.path().join("bosun.db"))
            .await
            .expect("store");
        let task_id = TaskId("t-bench".into());
        let mut times = Vec::with_capacity(CALLS);
        for i in 0..CALLS {
            let ops = vec![
                WriteOp::InsertDecision {
                    kind: DecisionKind::Command,
                    id: new_decision_id(),
                    task_id: task_id.clone(),
                    step_id: Some("work".into()),
                    question: "Let the agent run `cargo test`?".into(),
                    options: vec!["allow".into(), "deny".into()],
                    choice: "allow".into(),
                    decided_by: "policy".into(),
                    reason: "skill `claude` is medium risk and no rule objects".into(),
                    risk: Some("medium".into()),
                    at: bosun::time::now_rfc3339(),
                },
                WriteOp::Event(EngineEvent::DecisionMade {
                    task_id: task_id.clone(),
                    step_id: Some("work".into()),
                    choice: "allow".into(),
                    decided_by: format!("policy {i}"),
                }),
            ];
            let start = Instant::now();
            store.writer.write(ops).await.expect("commit");
            times.push(start.elapsed().as_secs_f64() * 1000.0);
            tokio::time::sleep(Duration::from_millis(GAP_MS)).await;
        }
        store.close().await;
        times
    })
}

fn latency() {
    // Under the target directory, so on a real disk, as a checkout would be.
    let disk = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let engine = warm_engine(disk);
    let base = sorted(ms(&floor(engine.project.path()), |_| true));
    let allowed = through_bosun(&engine, "allowed", "");
    let mix = through_bosun(&engine, "mix", "deny_every=4");
    let as_sent = through_bosun(&engine, "as-sent", "tool_use=1");
    engine.stop();
    let flush = disk_flush(disk);
    let commits = decision_commits(disk);
    // The same calls with the project in memory: what is left without the disk's flush.
    let tmpfs = Path::new("/dev/shm");
    let in_memory = tmpfs.is_dir().then(|| {
        let engine = warm_engine(tmpfs);
        let calls = through_bosun(&engine, "allowed", "");
        engine.stop();
        (calls, decision_commits(tmpfs))
    });

    println!(
        "one tool call, request written -> answer read by the agent ({CALLS} calls each, {GAP_MS} ms apart):"
    );
    report("  floor: a trivial answering process", "ms", base.clone());
    let all = sorted(ms(&allowed, |_| true));
    report("  through bosun run, allowed calls", "ms", all.clone());
    report("  mix, all calls", "ms", ms(&mix, |_| true));
    report(
        "  mix, the allowed three quarters",
        "ms",
        ms(&mix, |c| c.decision == "allow"),
    );
    report(
        "  mix, the denied quarter (`curl … | sh`)",
        "ms",
        ms(&mix, |c| c.decision == "deny"),
    );
    report(
        "  allowed calls with the CLI's tool_use line before each",
        "ms",
        ms(&as_sent, |_| true),
    );
    println!("where the time goes:");
    report(
        "  a decision's commit alone (in process, on disk)",
        "ms",
        commits,
    );
    report("  this disk's fdatasync alone", "ms", flush);
    if let Some((calls, commits)) = in_memory {
        report(
            "  allowed calls, the project on tmpfs (no disk flush)",
            "ms",
            ms(&calls, |_| true),
        );
        report("  a decision's commit alone, on tmpfs", "ms", commits);
    }
    let adds = |p: f64| percentile(&all, p) - percentile(&base, p);
    println!(
        "what Bosun adds to an allowed call (allowed minus floor, per percentile): p50={:.3}ms p99={:.3}ms (goal: p99 under 5 ms)",
        adds(0.5),
        adds(0.99)
    );
}

/// `VmRSS` and `RssAnon` from `/proc/<pid>/status`, and `Pss` from `smaps_rollup`, in kB.
fn memory_of(pid: u32) -> (u64, u64, u64) {
    let field = |file: &str, name: &str| {
        std::fs::read_to_string(format!("/proc/{pid}/{file}"))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or_default()
    };
    (
        field("status", "VmRSS:"),
        field("status", "RssAnon:"),
        field("smaps_rollup", "Pss:"),
    )
}

/// The live children of `pid`, found through each process's parent in `/proc/*/stat`.
fn children(pid: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .expect("/proc")
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| {
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
            let mut after = stat.rsplit(')').next().unwrap_or("").split_whitespace();
            let state = after.next();
            state != Some("Z") && after.next() == Some(pid.to_string().as_str())
        })
        .collect()
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

fn memory() {
    let engine = Engine::start(Path::new(env!("CARGO_TARGET_TMPDIR")));
    let pid = engine.child.id();
    std::thread::sleep(Duration::from_secs(3));
    let (idle, _, idle_pss) = memory_of(pid);
    let mut ids = Vec::new();
    let hold = |i: usize| {
        let out = engine.path(&format!("hold{i}.tsv"));
        let id = engine.submit(&format!("calls=3 hold=1 out={}", out.display()));
        engine.wait_timings(&id, &out);
        id
    };
    ids.push(hold(0));
    std::thread::sleep(Duration::from_secs(1));
    let (one, _, _) = memory_of(pid);
    ids.extend((1..AGENTS).map(hold));
    std::thread::sleep(Duration::from_secs(1));
    let (five, _, five_pss) = memory_of(pid);
    let supervisors: Vec<u32> = children(pid)
        .into_iter()
        .filter(|p| {
            std::fs::read(format!("/proc/{p}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains("__step"))
        })
        .collect();
    let agents: usize = supervisors.iter().map(|s| children(*s).len()).sum();
    assert_eq!(
        (supervisors.len(), agents),
        (AGENTS, AGENTS),
        "one supervisor and one agent per running step"
    );
    let sup: Vec<(u64, u64, u64)> = supervisors.iter().map(|p| memory_of(*p)).collect();
    let each =
        |f: fn(&(u64, u64, u64)) -> u64| mb(sup.iter().map(f).sum::<u64>()) / sup.len() as f64;
    for id in &ids {
        engine.bosun(&["cancel", id]);
    }
    for id in &ids {
        engine.wait_finished(id);
    }
    std::thread::sleep(Duration::from_secs(1));
    let (after, _, _) = memory_of(pid);
    engine.stop();

    println!("memory of bosun run, {AGENTS} agent steps at once (agent processes excluded):");
    println!(
        "  engine RSS: idle {:.1} MB, 1 agent step {:.1} MB, {AGENTS} agent steps {:.1} MB, after they ended {:.1} MB (PSS idle {:.1} MB, with {AGENTS} {:.1} MB)",
        mb(idle),
        mb(one),
        mb(five),
        mb(after),
        mb(idle_pss),
        mb(five_pss)
    );
    let engine_share = mb(five.saturating_sub(idle)) / AGENTS as f64;
    println!(
        "  engine per agent step: (RSS with {AGENTS} - idle) / {AGENTS} = {engine_share:.2} MB; from 1 to {AGENTS}: {:.2} MB each",
        mb(five.saturating_sub(one)) / (AGENTS - 1) as f64
    );
    println!(
        "  bosun __step supervisor, each: RSS {:.2} MB (anonymous {:.2} MB, PSS {:.2} MB: the rest is the bosun binary's pages, shared)",
        each(|m| m.0),
        each(|m| m.1),
        each(|m| m.2)
    );
    println!(
        "  per agent step, engine share + its supervisor's RSS: {:.2} MB (goal: under 5 MB)",
        engine_share + each(|m| m.0)
    );
}

fn main() -> ExitCode {
    if std::env::var_os(fake_claude::ENV).is_some() {
        return fake_claude::run();
    }
    // `cargo test --benches` runs benches with `--bench` absent: keep that quick.
    if !std::env::args().any(|a| a == "--bench") {
        return ExitCode::SUCCESS;
    }
    // Other work on the machine shows in the tails: say how busy it was.
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    println!(
        "load average at start: {} ({} cores)",
        load.join(" "),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    latency();
    memory();
    ExitCode::SUCCESS
}
