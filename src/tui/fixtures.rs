//! Fixed data for the interface's snapshot tests, key tests and benchmarks: a clock, ids and
//! tasks that never change, so a snapshot differs only when the drawing does. Not used by the
//! product itself.

pub mod agent;
pub mod worktree;

use std::collections::BTreeMap;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use time::OffsetDateTime;

use super::app::{App, AppConfig, NotifySettings};
use super::keymap::Keymap;
use super::msg::Msg;
use super::theme::Theme;
use crate::protocol::{
    DecisionCounts, DecisionKind, EscalationId, EscalationView, Health, InputInfo, LogLevel,
    LogLine, Priority, Risk, Snapshot, StatsView, StepStatus, StepView, StoreHealth, TaskId,
    TaskStatus, TaskSummary, TaskView, WorkflowInfo,
};
use crate::time::{format_rfc3339, parse_rfc3339};

/// 2026-11-24 10:00:00 UTC.
pub fn now() -> OffsetDateTime {
    parse_rfc3339("2026-11-24T10:00:00.000Z").unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// `now` minus `secs`, as stored.
pub fn ago(secs: i64) -> String {
    format_rfc3339(now() - time::Duration::seconds(secs))
}

/// An app with a bundled theme, default keys, UTC clock and no data yet.
pub fn app(theme: &str) -> App {
    let config = AppConfig {
        theme: Theme::bundled(theme).unwrap_or_else(|_| {
            Theme::bundled("dark").unwrap_or_else(|e| panic!("the dark theme loads: {e}"))
        }),
        keymap: Keymap::default(),
        notify: NotifySettings::parse("bell"),
        log_lines: 5_000,
        limit: 10,
        offset: time::UtcOffset::UTC,
        attached: false,
        programs: crate::definitions::workflow::Programs::new(
            std::path::Path::new("/nonexistent"),
            &[],
            vec!["/bin".into(), "/usr/bin".into()],
        ),
    };
    App::new(config, now())
}

pub fn summary(n: usize, status: TaskStatus, description: &str, workflow: &str) -> TaskSummary {
    let n64 = i64::try_from(n).unwrap_or(0);
    let started = !matches!(status, TaskStatus::Queued);
    let finished = status.is_terminal();
    TaskSummary {
        worktree: None,
        id: TaskId(format!("t-{n:08}")),
        seq: n64,
        description: description.to_string(),
        workflow: workflow.to_string(),
        status,
        priority: Priority::Normal,
        created_at: ago(4_000 - n64.min(3_000)),
        started_at: started.then(|| ago(300 - (n64 % 200))),
        finished_at: finished.then(|| ago(60 - (n64 % 50))),
        steps_done: match status {
            TaskStatus::Queued => 0,
            TaskStatus::Running | TaskStatus::Waiting => 2,
            _ => 5,
        },
        steps_total: if started { 5 } else { 0 },
        error: (status == TaskStatus::Failed).then(|| "step test failed: exit 101".to_string()),
        settled: false,
    }
}

/// Eight tasks in every state.
pub fn typical_tasks() -> Vec<TaskSummary> {
    vec![
        summary(1, TaskStatus::Succeeded, "Format the workspace", "rust-ci"),
        summary(2, TaskStatus::Failed, "Fix the flaky login test", "rust-ci"),
        summary(
            3,
            TaskStatus::Running,
            "Upgrade tokio to 1.54 and fix the fallout",
            "rust-ci",
        ),
        summary(
            4,
            TaskStatus::Waiting,
            "Release 1.2.0 to production",
            "release",
        ),
        summary(
            5,
            TaskStatus::Queued,
            "Write the changelog for 1.2",
            "shell",
        ),
        summary(6, TaskStatus::Queued, "Regenerate the API docs", "make"),
        summary(
            7,
            TaskStatus::Cancelled,
            "Try the nightly toolchain",
            "shell",
        ),
        summary(8, TaskStatus::Running, "Run the node test suite", "node-ci"),
    ]
}

pub fn question(
    n: usize,
    batch: i64,
    risk: Risk,
    question: &str,
    options: &[&str],
) -> EscalationView {
    EscalationView {
        id: EscalationId(format!("e-{n:08}")),
        task_id: TaskId("t-00000004".into()),
        step_id: Some(format!("step{n}")),
        question: question.to_string(),
        options: options.iter().map(|o| o.to_string()).collect(),
        default: options.last().map(|o| o.to_string()).unwrap_or_default(),
        risk,
        reason: "high risk: the user decides unless a rule does".to_string(),
        batch,
        created_at: ago(100),
        deadline: format_rfc3339(now() + time::Duration::seconds(200 - 60 * i64::from(n as u8))),
        kind: DecisionKind::Decide,
        skill: None,
        workflow: Some("release".into()),
        group: format!("g{}", n % 2),
        similar: Vec::new(),
        covers: None,
        notified: true,
        detail: None,
    }
}

pub fn typical_inbox() -> Vec<EscalationView> {
    let mut first = question(
        1,
        1,
        Risk::High,
        "Ship the release to production?",
        &["ship", "hold"],
    );
    first.similar = vec![EscalationId("e-00000003".into())];
    vec![
        first,
        question(
            2,
            1,
            Risk::Critical,
            "Force-push the rewritten history to main?",
            &["allow", "deny"],
        ),
        question(
            3,
            2,
            Risk::High,
            "Ship the hotfix to production?",
            &["ship", "hold"],
        ),
    ]
}

pub fn stats() -> StatsView {
    let counts = |choices: i64, asked: i64, routine: i64| DecisionCounts {
        decisions: choices + routine,
        autonomous: choices - asked,
        asked,
        autonomy_rate: Some((choices - asked) as f64 / choices as f64),
        by: BTreeMap::new(),
        choices,
        routine,
        choices_by: BTreeMap::new(),
    };
    StatsView {
        today: counts(48, 2, 300),
        all_time: counts(1_200, 40, 9_000),
        open_escalations: 3,
        tasks: BTreeMap::new(),
        agents: Default::default(),
    }
}

fn step(id: &str, skill: &str, parent: Option<&str>, status: StepStatus, secs: i64) -> StepView {
    let started = !matches!(status, StepStatus::Pending);
    StepView {
        id: id.into(),
        skill: skill.into(),
        parent: parent.map(Into::into),
        status,
        attempts: i64::from(started) + i64::from(id == "test"),
        exit_code: status.is_finished().then_some(0),
        output: started.then(|| format!("{id}: compiling\n{id}: 12 passed; 0 failed\n")),
        stderr: None,
        waited_ms: None,
        error: None,
        choice: None,
        started_at: started.then(|| ago(secs + 30)),
        finished_at: status.is_finished().then(|| ago(30)),
        agent: None,
    }
}

/// Task 3 with a parallel block, one branch running.
pub fn typical_detail() -> TaskView {
    use StepStatus as S;
    TaskView {
        worktree: None,
        id: TaskId("t-00000003".into()),
        description: "Upgrade tokio to 1.54 and fix the fallout".into(),
        workflow: "rust-ci".into(),
        workflow_reason: "named".into(),
        status: TaskStatus::Running,
        priority: Priority::Normal,
        created_at: ago(400),
        started_at: Some(ago(300)),
        finished_at: None,
        inputs: serde_json::Map::new(),
        error: None,
        cost_usd: 0.0,
        steps: vec![
            step("fmt", "cargo-fmt", None, S::Succeeded, 2),
            step("checks", "parallel", None, S::Running, 40),
            step("clippy", "cargo-clippy", Some("checks"), S::Succeeded, 20),
            step("test", "cargo-test", Some("checks"), S::Running, 40),
            step("doc", "shell", Some("checks"), S::Pending, 0),
            step("commit", "git-commit", None, S::Pending, 0),
        ],
    }
}

/// A workflow of `n` sequential steps, the middle one running.
pub fn long_detail(n: usize) -> TaskView {
    let mut task = typical_detail();
    task.steps = (0..n)
        .map(|i| {
            let status = match i.cmp(&(n / 2)) {
                std::cmp::Ordering::Less => StepStatus::Succeeded,
                std::cmp::Ordering::Equal => StepStatus::Running,
                std::cmp::Ordering::Greater => StepStatus::Pending,
            };
            step(&format!("step-{i:02}"), "shell", None, status, 5)
        })
        .collect();
    task
}

pub fn workflows() -> Vec<WorkflowInfo> {
    let info = |name: &str, description: &str, inputs: Vec<InputInfo>| WorkflowInfo {
        name: name.into(),
        description: description.into(),
        source: "bundled".into(),
        inputs,
    };
    vec![
        info("rust-ci", "fmt, clippy and tests", Vec::new()),
        info("release", "build, check, ask, ship", Vec::new()),
        info(
            "shell",
            "one shell command",
            vec![InputInfo {
                name: "run".into(),
                description: Some("the command".into()),
                required: true,
                default: None,
            }],
        ),
    ]
}

pub fn log_lines(n: usize) -> Vec<LogLine> {
    (0..n)
        .map(|i| LogLine {
            // A second apart, oldest first, as the pane keeps them.
            at: ago(i64::try_from(n - i).unwrap_or(0)),
            level: match i % 7 {
                0 => LogLevel::Warn,
                3 => LogLevel::Output,
                5 => LogLevel::Error,
                _ => LogLevel::Info,
            },
            task_id: Some(TaskId(format!("t-{:08}", 1 + i % 8))),
            source: format!("t-{:08}", 1 + i % 8),
            text: format!("event {i}: step test finished with 12 passed; 0 failed"),
        })
        .collect()
}

/// Feeds `app` a snapshot of `tasks`, the inbox, counts and health, then the selected task.
pub fn load(
    app: &mut App,
    tasks: Vec<TaskSummary>,
    inbox: Vec<EscalationView>,
    detail: Option<TaskView>,
) {
    let snapshot = Snapshot {
        tasks,
        inbox,
        stats: stats(),
        last_seq: 100,
        recent: Vec::new(),
        older: None,
        logs: Vec::new(),
        last_log: 0,
    };
    app.update(Msg::Snapshot(Box::new(snapshot)));
    app.update(Msg::Health(Health {
        sqlite: StoreHealth::Ok,
        redis: StoreHealth::Off,
        definitions: Vec::new(),
        limit: None,
        engine_gone: None,
        disk_full: None,
    }));
    app.update(Msg::Workflows(workflows()));
    if let Some(detail) = detail {
        app.tasks.select(&app.model, detail.id.clone());
        app.update(Msg::Task(Box::new(detail)));
    }
}

/// The typical screen: every pane with content.
pub fn typical(theme: &str) -> App {
    let mut app = app(theme);
    load(
        &mut app,
        typical_tasks(),
        typical_inbox(),
        Some(typical_detail()),
    );
    app.update(Msg::Logs(log_lines(40)));
    app
}

/// 10,000 tasks in every state, 12 questions in three batches, a 50-step workflow and 6,000
/// log lines (more than the pane keeps).
pub fn overflowing() -> App {
    let mut app = app("dark");
    let statuses = [
        TaskStatus::Succeeded,
        TaskStatus::Queued,
        TaskStatus::Running,
        TaskStatus::Failed,
        TaskStatus::Waiting,
        TaskStatus::Cancelled,
    ];
    let tasks = (1..=10_000)
        .map(|n| {
            let description = format!(
                "Task number {n} with a description long enough to be cut at the pane's right edge"
            );
            summary(n, statuses[n % statuses.len()], &description, "rust-ci")
        })
        .collect();
    let inbox = (1..=12usize)
        .map(|n| {
            question(
                n,
                1 + (n as i64 - 1) / 5,
                Risk::High,
                &format!(
                    "Question {n}: may the step write outside the project tree, into ../shared?"
                ),
                &["allow", "deny", "skip"],
            )
        })
        .collect();
    let mut detail = long_detail(50);
    detail.id = TaskId("t-00000002".into());
    load(&mut app, tasks, inbox, Some(detail));
    app.update(Msg::Logs(log_lines(6_000)));
    app
}

/// Draws `app` at `width` x `height`.
pub fn draw(app: &App, width: u16, height: u16) -> Buffer {
    let mut terminal = match Terminal::new(TestBackend::new(width, height)) {
        Ok(t) => t,
        Err(e) => panic!("a test terminal: {e}"),
    };
    if let Err(e) = terminal.draw(|frame| app.render(frame)) {
        panic!("drawing: {e}");
    }
    terminal.backend().buffer().clone()
}

/// The buffer's text, one line per row, trailing spaces kept.
pub fn text(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        for x in 0..area.width {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// The buffer's text with a legend of styles: each row, then the runs of its styles as
/// `x..x fg/bg/modifiers`, so a theme's snapshot shows which role went where.
pub fn styled(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        let mut runs = Vec::new();
        let mut start = 0;
        let mut current = None;
        for x in 0..area.width {
            let cell = &buffer[(x, y)];
            line.push_str(cell.symbol());
            let style = (cell.fg, cell.bg, cell.modifier);
            if current != Some(style) {
                if let Some((fg, bg, m)) = current {
                    runs.push(format!("{start}..{} {fg:?}/{bg:?}/{m:?}", x - 1));
                }
                current = Some(style);
                start = x;
            }
        }
        if let Some((fg, bg, m)) = current {
            runs.push(format!("{start}..{} {fg:?}/{bg:?}/{m:?}", area.width - 1));
        }
        out.push_str(&line);
        out.push('\n');
        out.push_str(&format!("  {}\n", runs.join(" | ")));
    }
    out
}
