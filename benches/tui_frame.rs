//! The interface's frame cost (run `cargo bench --bench tui_frame`): one full draw of the whole
//! screen at 200x50 (and 80x24) with 10,000 tasks, a 50-step workflow, a full inbox and a full
//! Logs pane, into ratatui's TestBackend (build the widgets, diff the buffer). Goal: under 2 ms.
//! Also the cost of folding a change into the model and rebuilding the task rows (what a
//! refresh costs when one of 10,000 tasks changed), and of a key press that moves the selection.

use std::time::Instant;

use bosun::protocol::{Changes, TaskStatus};
use bosun::tui::fixtures;
use bosun::tui::{App, Msg};
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

#[path = "common/stats.rs"]
mod stats;
use stats::report;

fn report_ms(name: &str, values: Vec<f64>) {
    report(name, "ms", values);
}

fn frames(app: &mut App, width: u16, height: u16, n: usize) -> Vec<f64> {
    app.update(Msg::Resize(width, height));
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        // A new tick each frame, as while tasks run: every spinner and elapsed time changes.
        app.frame = i;
        let start = Instant::now();
        terminal.draw(|f| app.render(f)).expect("draw");
        times.push(start.elapsed().as_secs_f64() * 1_000.0);
    }
    times
}

fn main() {
    let mut app = fixtures::overflowing();
    frames(&mut app, 200, 50, 20);
    report_ms(
        "full frame 200x50, 10,000 tasks, 50-step workflow",
        frames(&mut app, 200, 50, 500),
    );
    report_ms("full frame 80x24, same data", frames(&mut app, 80, 24, 500));

    let mut times = Vec::new();
    for n in 0..200 {
        let mut task = app.model.tasks[n * 37].clone();
        task.status = if n % 2 == 0 {
            TaskStatus::Running
        } else {
            TaskStatus::Succeeded
        };
        let changes = Changes {
            events: Vec::new(),
            tasks: vec![task],
            inbox: None,
            stats: fixtures::stats(),
            last_seq: 1_000 + n as i64,
            overflow: false,
            logs: Vec::new(),
            last_log: 0,
        };
        let start = Instant::now();
        app.update(Msg::Changes(Box::new(changes)));
        times.push(start.elapsed().as_secs_f64() * 1_000.0);
    }
    report_ms(
        "one task changed: patch the model and rebuild 10,000 rows",
        times,
    );

    let mut times = Vec::new();
    for _ in 0..500 {
        let start = Instant::now();
        app.update(Msg::Key(KeyCode::Char('j').into()));
        times.push(start.elapsed().as_secs_f64() * 1_000.0);
    }
    report_ms("key press moving the selection", times);
}
