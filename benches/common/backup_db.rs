//! A project database with a long history for the backup benchmark (`benches/backup.rs`
//! includes this file as a module): finished tasks, each with its run, four steps, three policy
//! decisions and fifty events, the events serialized from real `EngineEvent`s as the writer
//! stores them.
//!
//! The schema comes from `Store::open`; the rows go in with multi-row INSERTs in large
//! transactions (synchronous off: a cache, rebuilt if lost). The file is kept under
//! `target/bench-data/`, named by [`VERSION`], the schema's newest migration and the event
//! count, so a re-run skips the build; change [`VERSION`] when the rows change.

use std::path::{Path, PathBuf};
use std::time::Instant;

use bosun::protocol::{EngineEvent, EscalationId, StepStatus, TaskId, TaskStatus, WorktreeState};
use bosun::store::Store;
use sqlx::{ConnectOptions, Connection, SqliteConnection};

/// Bump when the generated rows change, so that a stale cache is not measured.
const VERSION: u32 = 3;
/// Events per task: a task's life as the engine records it (see [`task_events`]).
pub const EVENTS_PER_TASK: usize = 50;
/// Rows per multi-row INSERT (at most 14 columns: far below SQLite's parameter limit).
const ROWS_PER_INSERT: usize = 500;
/// Rows per transaction.
const ROWS_PER_TX: usize = 100_000;

/// `target/bench-data`, beside the build's own `target/tmp`.
pub fn data_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("bench-data")
}

/// A value bound into an INSERT.
enum Val {
    Text(String),
    Int(i64),
    Null,
}

impl From<&str> for Val {
    fn from(s: &str) -> Val {
        Val::Text(s.to_string())
    }
}

impl From<String> for Val {
    fn from(s: String) -> Val {
        Val::Text(s)
    }
}

impl From<i64> for Val {
    fn from(i: i64) -> Val {
        Val::Int(i)
    }
}

/// The database with `events` events (`events / 50` tasks), built unless a complete one is
/// cached; returns its path.
pub async fn database(events: usize) -> PathBuf {
    let newest = bosun::store::migrations()
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0);
    let dir = data_dir();
    std::fs::create_dir_all(&dir).expect("bench-data dir");
    let path = dir.join(format!("backup-v{VERSION}-m{newest}-{events}.db"));
    if path.exists() {
        println!("database: cached at {}", path.display());
        return path;
    }
    let partial = path.with_extension("partial");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", partial.display()));
    }
    let started = Instant::now();
    Store::open(&partial).await.expect("schema").close().await;
    let mut conn = bosun::store::connect_options(&partial)
        .expect("options")
        .synchronous(sqlx::sqlite::SqliteSynchronous::Off)
        .connect()
        .await
        .expect("connect");
    fill(&mut conn, events / EVENTS_PER_TASK).await;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut conn)
        .await
        .expect("checkpoint");
    conn.close().await.expect("close");
    std::fs::rename(&partial, &path).expect("rename");
    // The migration lock `Store::open` left beside it.
    let _ = std::fs::remove_file(partial.with_extension("db.lock"));
    println!(
        "database: built in {:.1} s at {}",
        started.elapsed().as_secs_f64(),
        path.display()
    );
    path
}

fn noise(seed: usize) -> u64 {
    xxhash_rust::xxh3::xxh3_64(&seed.to_le_bytes())
}

/// Eight base32 characters that look random, as the engine's ids do (sequential ones would
/// compress far better than a real history).
fn suffix(seed: usize) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let bits = noise(seed);
    (0..8)
        .map(|n| ALPHABET[((bits >> (5 * n)) & 31) as usize] as char)
        .collect()
}

/// The id of task `i`.
pub fn task_id(i: usize) -> TaskId {
    TaskId(format!("t-{}", suffix(i)))
}

/// When event `k` of task `i` of `tasks` happened: a task every two minutes, the last ending
/// at `end`.
fn moment(end: time::OffsetDateTime, tasks: usize, i: usize, k: usize) -> String {
    let ago = time::Duration::seconds(((tasks - i) * 120) as i64 - k as i64)
        - time::Duration::milliseconds((noise(i * 64 + k) % 1000) as i64);
    bosun::time::format_rfc3339(end - ago)
}

const STEPS: [(&str, Option<&str>, &str); 4] = [
    ("lint", None, "shell"),
    ("tests", None, "parallel"),
    ("unit", Some("tests"), "shell"),
    ("doc", Some("tests"), "shell"),
];

/// Fifty events: submitted, started, a worktree made, ten steps (each started, two commands
/// allowed by the policy, finished), a question asked and answered, the worktree landed and
/// removed, finished.
pub fn task_events(id: &TaskId, i: usize) -> Vec<EngineEvent> {
    let task_id = || id.clone();
    let worktree = |state, note: Option<String>| EngineEvent::WorktreeChanged {
        task_id: task_id(),
        state,
        note,
    };
    let mut events = vec![
        EngineEvent::TaskSubmitted {
            task_id: task_id(),
            workflow: "rust-ci".into(),
        },
        EngineEvent::TaskStarted { task_id: task_id() },
        worktree(
            WorktreeState::Active,
            Some(format!(
                "made .bosun/worktrees/{id} on branch bosun/{id} from main"
            )),
        ),
    ];
    for s in 0..10 {
        let step_id = format!("{}-{s}", STEPS[s % 4].0);
        events.push(EngineEvent::StepStarted {
            task_id: task_id(),
            step_id: step_id.clone(),
            attempt: 1,
        });
        for _ in 0..2 {
            events.push(EngineEvent::DecisionMade {
                task_id: task_id(),
                step_id: Some(step_id.clone()),
                choice: "allow".into(),
                decided_by: "policy: skill `shell` is low risk and no rule objects".into(),
            });
        }
        events.push(EngineEvent::StepFinished {
            task_id: task_id(),
            step_id,
            status: StepStatus::Succeeded,
            exit_code: Some(0),
        });
    }
    let escalation_id = EscalationId(format!("e-{}", suffix(!i)));
    events.extend([
        EngineEvent::EscalationOpened {
            task_id: task_id(),
            step_id: Some("review".into()),
            escalation_id: escalation_id.clone(),
            batch: i as i64,
            notify: true,
        },
        EngineEvent::EscalationClosed {
            task_id: task_id(),
            escalation_id,
            choice: Some("merge".into()),
            decided_by: "user".into(),
        },
        worktree(
            WorktreeState::Ready,
            Some("3 commits ahead of main, 12 files changed".into()),
        ),
        worktree(WorktreeState::Merging, None),
        worktree(
            WorktreeState::Merged,
            Some(format!(
                "merged into main as {:016x}{:016x}{:08x}",
                noise(!i),
                noise(i << 8),
                noise(i << 9) >> 32
            )),
        ),
        worktree(WorktreeState::Removed, None),
        EngineEvent::TaskFinished {
            task_id: task_id(),
            status: TaskStatus::Succeeded,
        },
    ]);
    events
}

/// What a shell step printed: cargo's lines, whose hashes and timings differ from run to run
/// (all-alike output would compress far better than a real history does).
fn output(seed: usize) -> String {
    let hash = |n: usize| noise(seed * 31 + n);
    let mut out = String::from("   Compiling bosun v0.1.0 (/home/dev/bosun)\n");
    for n in 0..6 {
        out.push_str(&format!(
            "     Running unittests src/lib.rs (target/debug/deps/bosun-{:016x})\n\
             test result: ok. {} passed; 0 failed; 0 ignored; finished in {}.{:02}s\n",
            hash(n),
            hash(n + 100) % 400,
            hash(n + 200) % 30,
            hash(n + 300) % 100,
        ));
    }
    out
}

/// Inserts `tasks` finished tasks with their runs, steps, decisions and events.
async fn fill(conn: &mut SqliteConnection, tasks: usize) {
    let end = time::OffsetDateTime::now_utc();
    let at = move |i: usize, k: usize| moment(end, tasks, i, k);
    let plan = format!(
        "{{\"workflow\":{{\"name\":\"rust-ci\",\"steps\":[{}]}}}}",
        STEPS
            .iter()
            .map(|(id, parent, skill)| format!(
                "{{\"id\":\"{id}\",\"parent\":{parent:?},\"skill\":\"{skill}\",\"run\":\"cargo {id} --all-targets --locked\",\"timeout\":\"30m\",\"retries\":1}}"
            ))
            .collect::<Vec<_>>()
            .join(",")
    );
    let rows = (0..tasks).map(|i| {
        let id = task_id(i).0;
        vec![
            id.clone().into(),
            format!("run the tests after change {i} to src/parse.rs").into(),
            "rust-ci".into(),
            "matched by description".into(),
            plan.clone().into(),
            "succeeded".into(),
            1.into(),
            "{}".into(),
            format!("r-{id}").into(),
            at(i, 0).into(),
            at(i, 1).into(),
            at(i, 50).into(),
        ]
    });
    insert(
        conn,
        "tasks (id, description, workflow, workflow_reason, plan, status, priority, inputs, \
         run_id, created_at, started_at, finished_at)",
        rows,
    )
    .await;
    let rows = (0..tasks).map(|i| {
        let id = task_id(i).0;
        vec![
            format!("r-{id}").into(),
            id.into(),
            1.into(),
            at(i, 1).into(),
            at(i, 50).into(),
        ]
    });
    insert(
        conn,
        "runs (id, task_id, number, started_at, finished_at)",
        rows,
    )
    .await;
    let rows = (0..tasks).flat_map(|i| {
        STEPS
            .iter()
            .enumerate()
            .map(move |(ord, (step, parent, skill))| {
                let id = task_id(i).0;
                let shell = *skill == "shell";
                vec![
                    format!("r-{id}").into(),
                    (*step).into(),
                    id.into(),
                    (ord as i64).into(),
                    parent.map_or(Val::Null, Val::from),
                    (*skill).into(),
                    "succeeded".into(),
                    1.into(),
                    if shell { 0.into() } else { Val::Null },
                    if shell {
                        output(i * 4 + ord).into()
                    } else {
                        Val::Null
                    },
                    at(i, 3 + ord * 4).into(),
                    at(i, 6 + ord * 4).into(),
                ]
            })
    });
    insert(
        conn,
        "steps (run_id, id, task_id, ord, parent, skill, status, attempts, exit_code, output, \
         started_at, finished_at)",
        rows,
    )
    .await;
    let rows = (0..tasks).flat_map(|i| {
        ["lint", "unit", "doc"].into_iter().map(move |step| {
            let id = task_id(i).0;
            vec![
                format!("d-{id}-{step}").into(),
                id.into(),
                step.into(),
                "Run `cargo test`?".into(),
                "[\"allow\",\"deny\"]".into(),
                "allow".into(),
                "policy".into(),
                "skill `shell` is low risk and no rule objects to `cargo test`".into(),
                "low".into(),
                at(i, 4).into(),
                at(i, 4).into(),
                "command".into(),
            ]
        })
    });
    insert(
        conn,
        "decisions (id, task_id, step_id, question, options, choice, decided_by, reason, risk, \
         asked_at, at, kind)",
        rows,
    )
    .await;
    let rows = (0..tasks).flat_map(|i| {
        let id = task_id(i);
        task_events(&id, i)
            .into_iter()
            .enumerate()
            .map(move |(k, event)| {
                vec![
                    at(i, k).into(),
                    event.task_id().as_str().into(),
                    event.kind().into(),
                    serde_json::to_string(&event).expect("event json").into(),
                ]
            })
    });
    insert(conn, "events (at, task_id, kind, payload)", rows).await;
}

/// `INSERT INTO {table_columns} VALUES (…), (…)` for every row, in chunks and transactions.
async fn insert(
    conn: &mut SqliteConnection,
    table_columns: &str,
    rows: impl Iterator<Item = Vec<Val>>,
) {
    let mut rows = rows.peekable();
    while rows.peek().is_some() {
        let mut tx = conn.begin().await.expect("begin");
        for _ in 0..ROWS_PER_TX / ROWS_PER_INSERT {
            let chunk: Vec<Vec<Val>> = rows.by_ref().take(ROWS_PER_INSERT).collect();
            let Some(first) = chunk.first() else {
                break;
            };
            let row = format!("({})", vec!["?"; first.len()].join(", "));
            let sql = format!(
                "INSERT INTO {table_columns} VALUES {}",
                vec![row; chunk.len()].join(", ")
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for value in chunk.into_iter().flatten() {
                query = match value {
                    Val::Text(s) => query.bind(s),
                    Val::Int(i) => query.bind(i),
                    Val::Null => query.bind(None::<String>),
                };
            }
            query.execute(&mut *tx).await.expect("insert");
        }
        tx.commit().await.expect("commit");
    }
}
