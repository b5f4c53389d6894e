//! Bosun's Claude Code adapter against the real `claude` CLI (the pinned version from
//! `../shared/agents/install_clis.sh`) and the kit's fake model server: the adapter's command
//! line, opening and answers drive a real session, a tool call the hook allows runs, one it
//! denies does not and the model is told why. A missing CLI fails with the command that
//! installs it: a green run means the real agent ran.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

mod support;

use bosun::agents::Session;
use bosun::agents::claude::{answer, argv, opening, read};
use bosun::agents::{AgentEvent, Reply};
use support::agents::{FakeModel, claude};

/// The kit's fake model server, scripted to ask for one Bash call, then say done.
fn one_bash_call(dir: &Path, command: &str) -> FakeModel {
    FakeModel::start(
        dir,
        serde_json::json!([
            { "bash": command, "usage": { "input_tokens": 1000, "output_tokens": 50 } },
            { "match": "tool_result", "text": "done", "usage": { "input_tokens": 1200, "output_tokens": 5 } }
        ]),
    )
}

/// Runs one session whose hook answers every call with `reply`; returns its events.
fn session(work: &Path, dir: &Path, fake: &FakeModel, reply: &Reply) -> Vec<AgentEvent> {
    let home = dir.join("home");
    let tmp = dir.join("tmp");
    for d in [&home, &tmp] {
        std::fs::create_dir_all(d).expect("dir");
    }
    let id = format!("{:032x}", ulid::Ulid::new().0);
    let uuid = format!(
        "{}-{}-4{}-a{}-{}",
        &id[..8],
        &id[8..12],
        &id[13..16],
        &id[17..20],
        &id[20..]
    );
    let line = argv(
        &claude().to_string_lossy(),
        &[],
        &Session::New(uuid),
        Some(5),
    );
    let mut child = Command::new(&line[0])
        .args(&line[1..])
        .current_dir(work)
        .env("HOME", &home)
        .env("CLAUDE_CODE_TMPDIR", &tmp)
        .env(
            "ANTHROPIC_BASE_URL",
            format!("http://127.0.0.1:{}", fake.port),
        )
        .env("ANTHROPIC_API_KEY", "fake")
        .env("CLAUDE_CODE_MAX_RETRIES", "2")
        .env("DISABLE_TELEMETRY", "1")
        .env("DISABLE_ERROR_REPORTING", "1")
        .env("DISABLE_AUTOUPDATER", "1")
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("claude starts");
    let mut stdin = child.stdin.take().expect("stdin");
    for l in opening("do it") {
        writeln!(stdin, "{l}").expect("write");
    }
    let mut events = Vec::new();
    let mut stdin = Some(stdin);
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    for l in stdout.lines() {
        let l = l.expect("a line");
        for event in read(&l) {
            if let (AgentEvent::PermissionAsked(request), Some(input)) = (&event, stdin.as_mut()) {
                writeln!(input, "{}", answer(request, reply)).expect("answer");
            }
            if matches!(event, AgentEvent::Finished(_)) {
                stdin = None;
            }
            events.push(event);
        }
    }
    let status = child.wait().expect("claude ends");
    assert!(status.success(), "{status:?}: {events:#?}");
    events
}

#[test]
fn a_call_the_hook_allows_runs_and_one_it_denies_does_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).expect("work");

    let fake = one_bash_call(dir.path(), "echo hello > out.txt");
    let events = session(&work, dir.path(), &fake, &Reply::Allow);
    drop(fake);
    assert_eq!(
        std::fs::read_to_string(work.join("out.txt"))
            .ok()
            .as_deref(),
        Some("hello\n")
    );
    let Some(AgentEvent::Finished(end)) = events.last() else {
        panic!("ends with its result: {events:#?}");
    };
    assert!(end.ok && end.result == "done", "{end:?}");
    assert!(
        end.session_id.is_some() && end.cost_usd.is_some(),
        "{end:?}"
    );

    std::fs::remove_file(work.join("out.txt")).expect("reset");
    let fake = one_bash_call(dir.path(), "echo hello > out.txt");
    let events = session(
        &work,
        dir.path(),
        &fake,
        &Reply::Deny("Bosun's policy says no".into()),
    );
    assert!(
        !work.join("out.txt").exists(),
        "the denied call did not run"
    );
    let told = events.iter().any(|e| {
        matches!(e, AgentEvent::ToolFinished { ok: false, output, .. } if output.contains("Bosun's policy says no"))
    });
    assert!(told, "{events:#?}");
}
