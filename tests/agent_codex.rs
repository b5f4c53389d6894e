//! Bosun's Codex adapter against the real `codex app-server` (the pinned version from
//! `../shared/agents/install_clis.sh`) and the kit's fake model server, driven only through
//! the [`Conversation`] the engine uses: a command accepted runs, one declined does not and
//! the turn still ends, a patch's files are written once accepted, and a second process takes
//! the thread up again with its history. A missing CLI fails with the command that installs
//! it: a green run means the real agent ran.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

mod support;

use bosun::agents::{AgentEvent, Conversation, Finished, Launch, Reply, Session, conversation};
use serde_json::{Value, json};
use support::agents::{FakeModel, codex};

/// Codex's home (`HOME` and `CODEX_HOME`), pointed at `fake` with the kit's `codex_config()`.
fn home(dir: &Path, fake: &FakeModel) -> PathBuf {
    let home = dir.join("home");
    std::fs::create_dir_all(&home).expect("home");
    let config = format!(
        r#"model = "gpt-5.5"
model_provider = "fake"
check_for_update_on_startup = false

[model_providers.fake]
name = "fake"
base_url = "http://127.0.0.1:{}/v1"
wire_api = "responses"
env_key = "FAKE_OPENAI_KEY"
request_max_retries = 0
stream_max_retries = 0
supports_websockets = false

[analytics]
enabled = false

[features]
plugins = false
remote_plugin = false
apps = false
"#,
        fake.port
    );
    std::fs::write(home.join("config.toml"), config).expect("config.toml");
    home
}

/// Runs one turn of `session` in `work`, every approval answered `reply`; returns its events.
fn session(work: &Path, home: &Path, session: Session, reply: &Reply) -> Vec<AgentEvent> {
    let launch = Launch {
        command: codex().to_string_lossy().into_owned(),
        args: Vec::new(),
        model: Some("gpt-5.5".into()),
        session,
        max_turns: None,
        schema: None,
        max_budget_usd: None,
        cwd: work.to_string_lossy().into_owned(),
    };
    let mut conv: Box<dyn Conversation> = conversation("codex", launch).expect("codex is spoken");
    let line = conv.argv();
    let mut child = Command::new(&line[0])
        .args(&line[1..])
        .current_dir(work)
        .env("HOME", home)
        .env("CODEX_HOME", home)
        .env("FAKE_OPENAI_KEY", "fake")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("codex starts");
    // A turn that hangs fails the test instead of the whole run.
    let (done, watched) = mpsc::channel::<()>();
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    let watchdog = std::thread::spawn(move || {
        if watched.recv_timeout(Duration::from_secs(60)).is_err() {
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
        }
    });
    let mut stdin = Some(child.stdin.take().expect("stdin"));
    let write = |lines: Vec<String>, stdin: &mut Option<std::process::ChildStdin>| {
        if let Some(input) = stdin.as_mut() {
            for l in lines {
                writeln!(input, "{l}").expect("write");
            }
        }
    };
    write(conv.opening("do it"), &mut stdin);
    let mut events = Vec::new();
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    for l in stdout.lines() {
        let heard = conv.read(&l.expect("a line"));
        write(heard.replies, &mut stdin);
        for event in heard.events {
            if let AgentEvent::PermissionAsked(request) = &event {
                write(conv.answer(request, reply), &mut stdin);
            }
            if matches!(event, AgentEvent::Finished(_)) {
                // `app-server` ends when its stdin does.
                stdin = None;
            }
            events.push(event);
        }
    }
    let status = child.wait().expect("codex ends");
    let _ = done.send(());
    let _ = watchdog.join();
    assert!(status.success(), "{status:?}: {events:#?}");
    events
}

fn end(events: &[AgentEvent]) -> &Finished {
    match events.last() {
        Some(AgentEvent::Finished(end)) => end,
        _ => panic!("ends with Finished: {events:#?}"),
    }
}

fn asked(events: &[AgentEvent]) -> Vec<(String, Value)> {
    events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::PermissionAsked(r) => Some((r.tool.clone(), r.input.clone())),
            _ => None,
        })
        .collect()
}

fn dirs(dir: &Path, name: &str) -> PathBuf {
    let work = dir.join(name);
    std::fs::create_dir_all(&work).expect("work");
    work
}

#[test]
fn an_accepted_command_runs_and_the_thread_is_taken_up_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let work = dirs(dir.path(), "work");
    let fake = FakeModel::openai(
        dir.path(),
        "first",
        json!([
            { "shell": "echo hello > out.txt", "usage": { "input_tokens": 1000, "output_tokens": 50 } },
            { "match": "function_call_output", "text": "done", "usage": { "input_tokens": 1200, "output_tokens": 5 } }
        ]),
    );
    let home = home(dir.path(), &fake);
    let events = session(&work, &home, Session::New("bosun-1".into()), &Reply::Allow);
    assert_eq!(
        std::fs::read_to_string(work.join("out.txt"))
            .ok()
            .as_deref(),
        Some("hello\n")
    );
    assert_eq!(
        asked(&events),
        vec![(
            "Bash".to_string(),
            json!({ "command": "echo hello > out.txt" })
        )]
    );
    let first = end(&events).clone();
    assert!(first.ok && first.result == "done", "{first:?}");
    assert_eq!((first.input_tokens, first.output_tokens), (2200, 55));
    let thread = first.session_id.clone().expect("the thread's id");
    drop(fake);

    // A second process, a fresh model server: the thread's history goes with the new prompt.
    let fake = FakeModel::openai(
        dir.path(),
        "again",
        json!([
            { "shell": "echo again >> out.txt" },
            { "match": "function_call_output", "text": "done again" }
        ]),
    );
    let home = self::home(dir.path(), &fake);
    let events = session(&work, &home, Session::Resume(thread.clone()), &Reply::Allow);
    assert!(
        events.contains(&AgentEvent::SessionStarted {
            session_id: thread.clone(),
            model: Some("gpt-5.5".into()),
        }),
        "{events:#?}"
    );
    let again = end(&events);
    assert!(again.ok && again.result == "done again", "{again:?}");
    assert_eq!(again.session_id.as_deref(), Some(thread.as_str()));
    assert_eq!(
        (again.input_tokens, again.output_tokens),
        (200, 40),
        "this process's two calls only"
    );
    assert_eq!(
        std::fs::read_to_string(work.join("out.txt"))
            .ok()
            .as_deref(),
        Some("hello\nagain\n")
    );
    let history = fake.requests()[0]["input"].to_string();
    assert!(
        history.contains("echo hello > out.txt") && history.contains("\"done\""),
        "the resumed turn carries the first one: {history}"
    );
}

#[test]
fn a_declined_command_does_not_run_and_the_turn_still_ends() {
    let dir = tempfile::tempdir().expect("tempdir");
    let work = dirs(dir.path(), "work");
    let fake = FakeModel::openai(
        dir.path(),
        "decline",
        json!([
            { "shell": "echo hello > out.txt" },
            { "match": "function_call_output", "text": "done" }
        ]),
    );
    let home = home(dir.path(), &fake);
    let no = Reply::Deny("Bosun's policy says no".into());
    let events = session(&work, &home, Session::New("bosun-2".into()), &no);
    assert!(
        !work.join("out.txt").exists(),
        "the declined call did not run"
    );
    assert!(events.iter().any(|e| matches!(e,
        AgentEvent::ToolFinished { ok: false, output, .. } if output == "declined")));
    let end = end(&events);
    assert!(end.ok && end.result == "done", "{end:?}");
    assert_eq!(end.denied, 1);
    // Codex tells the model only that the user refused: a reason cannot be passed on.
    let told = fake.requests()[1]["input"].to_string();
    assert!(told.contains("rejected by user"), "{told}");
}

#[test]
fn a_patch_names_every_file_and_writes_them_once_accepted() {
    let patch = "*** Begin Patch\n*** Add File: notes.txt\n+hello\n*** Add File: sub/more.txt\n+more\n*** End Patch\n";
    let turns = json!([
        { "output": [{ "type": "custom_tool_call", "name": "apply_patch", "call_id": "call_patch1",
                       "input": patch, "status": "completed" }] },
        { "match": "custom_tool_call_output", "text": "patched" }
    ]);
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, reply) in [
        ("accept", Reply::Allow),
        ("decline", Reply::Deny("no".into())),
    ] {
        let work = dirs(dir.path(), name);
        let fake = FakeModel::openai(dir.path(), name, turns.clone());
        let home = home(&dir.path().join(name), &fake);
        let events = session(&work, &home, Session::New(name.into()), &reply);
        let [(tool, input)] = &asked(&events)[..] else {
            panic!("one approval: {events:#?}");
        };
        assert_eq!(tool, "Write");
        let files: Vec<PathBuf> = input["files"]
            .as_array()
            .expect("files")
            .iter()
            .map(|f| PathBuf::from(f.as_str().expect("a path")))
            .collect();
        assert_eq!(
            files,
            [work.join("notes.txt"), work.join("sub/more.txt")],
            "{input}"
        );
        assert!(end(&events).ok, "{events:#?}");
        let written = work.join("notes.txt").exists() && work.join("sub/more.txt").exists();
        assert_eq!(written, reply == Reply::Allow, "{name}");
    }
}
