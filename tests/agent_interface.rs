//! What the interface reads about an agent step, end to end with the real `claude` CLI: the
//! question its Bash call raised carries the call in full (`inbox --json`'s `detail`, and
//! `bosun inbox`); once it ran, an engine handle — what the terminal interface reads
//! through — gives its transcript (text, calls with their input, results), the lines the
//! engine logged about it for the Logs pane, and today's agent cost for the status bar.

mod support;

use std::time::Duration;

use bosun::config::{Overrides, ProjectPaths, load_settings_from};
use bosun::engine::Engine;
use bosun::engine::lock::{LockState, try_lock};
use bosun::protocol::{TaskId, TranscriptKind};
use bosun::store::Store;
use serde_json::{Value, json};
use support::Project;
use support::agents::{FakeModel, agent_workflow, configure_claude};

const LIMIT: Duration = Duration::from_secs(60);

fn inbox(project: &Project) -> Vec<Value> {
    let out = project.bosun(&["inbox", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("inbox --json")
}

#[test]
fn an_agents_question_shows_its_call_and_its_step_reads_back_whole() {
    let project = Project::new();
    let fake = FakeModel::start(
        &project.path(".fake"),
        json!([
            { "text": "The fix is ready; publishing it.",
              "tool_use": [{ "type": "tool_use", "id": "toolu_push", "name": "Bash",
                             "input": { "command": "git push origin main",
                                        "description": "Push the fix to origin" } }],
              "usage": { "input_tokens": 1000, "output_tokens": 50 } },
            { "match": "tool_result", "text": "Not pushed: the user said no." }
        ]),
    );
    configure_claude(&project, &fake, None, "");
    agent_workflow(&project, "publish the fix");
    let engine = project.start_engine(&[]);
    let id = project.submit(&["--workflow", "agent", "publish the fix"]);

    // The policy asks about `git push` (rule:builtin.git-push): the question shows the call.
    let start = std::time::Instant::now();
    let question = loop {
        if let Some(first) = inbox(&project).into_iter().next() {
            break first;
        }
        assert!(start.elapsed() < LIMIT, "no question reached the inbox");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(
        question["question"],
        "Let the agent run `git push origin main`?"
    );
    assert_eq!(
        question["detail"], "Bash: git push origin main\n# Push the fix to origin",
        "{question:#}"
    );
    let text = project.bosun(&["inbox"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("      | Bash: git push origin main\n      | # Push the fix to origin\n"),
        "{text}"
    );
    let escalation = question["id"].as_str().expect("id");
    let out = project.bosun(&["answer", escalation, "deny"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let task = project.wait_finished(&id, LIMIT);
    engine.stop();
    assert_eq!(task["status"], "succeeded", "{task:#}");
    let cost = Project::step(&task, "work")["agent"]["cost_usd"]
        .as_f64()
        .expect("a cost");
    assert!(cost > 0.0, "{task:#}");

    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let paths = ProjectPaths::new(project.root()).expect("paths");
        let LockState::Acquired(lease) = try_lock(&paths.database()).await.expect("lease") else {
            panic!("the engine of `bosun run` still holds the lease");
        };
        let settings =
            load_settings_from(None, &paths.config_file(), &|_| None, &Overrides::default())
                .expect("settings");
        let store = Store::open(&paths.database()).await.expect("store");
        let engine = Engine::start(paths, settings, store, &lease)
            .await
            .expect("engine");
        let handle = &engine.handle;
        let task = TaskId(id.clone());

        // The output view: the agent's text, its call in full, the refusal it was told.
        let transcript = handle.step_transcript(&task, "work").await.expect("read");
        let shown: Vec<(TranscriptKind, &str)> = transcript
            .iter()
            .map(|e| (e.kind, e.text.as_str()))
            .collect();
        assert!(
            shown.contains(&(TranscriptKind::Text, "The fix is ready; publishing it.")),
            "{shown:#?}"
        );
        assert!(
            shown.contains(&(
                TranscriptKind::Call,
                "Bash: git push origin main\n# Push the fix to origin"
            )),
            "{shown:#?}"
        );
        assert!(
            shown
                .iter()
                .any(|(k, t)| *k == TranscriptKind::Failed && t.contains("the user said no")),
            "{shown:#?}"
        );
        assert!(
            shown.contains(&(TranscriptKind::Text, "Not pushed: the user said no.")),
            "{shown:#?}"
        );

        // The Logs pane: the engine's lines about the step, named by the step, first in the
        // snapshot and then, past its newest, nothing more until something happens.
        let snapshot = handle.snapshot(200).await.expect("snapshot");
        let logged: Vec<&str> = snapshot
            .logs
            .iter()
            .filter(|l| l.task_id.as_ref() == Some(&task) && l.source == "work")
            .map(|l| l.text.as_str())
            .collect();
        assert!(
            logged.contains(&"agent → Bash: git push origin main"),
            "{logged:#?}"
        );
        assert!(
            logged.iter().any(|l| l.starts_with("agent ← failed: ")),
            "{logged:#?}"
        );
        assert!(snapshot.last_log > 0);
        let later = handle
            .changes_since(snapshot.last_seq, snapshot.last_log)
            .await
            .expect("changes");
        assert!(later.logs.is_empty(), "{:#?}", later.logs);
        let all = handle.changes_since(0, 0).await.expect("changes");
        assert_eq!(all.logs.len(), snapshot.logs.len());
        assert_eq!(all.last_log, snapshot.last_log);

        // The status bar: what agents spent today.
        let stats = handle.stats().await.expect("stats");
        assert_eq!(stats.agents.all_time.steps, 1);
        assert!(
            (stats.agents.today.cost_usd - cost).abs() < 1e-9,
            "{:?}",
            stats.agents
        );
        assert!(
            (stats.agents.all_time.cost_usd - cost).abs() < 1e-9,
            "{:?}",
            stats.agents
        );
        engine.shutdown().await.expect("shutdown");
        drop(lease);
    });
}
