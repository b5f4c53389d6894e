//! Watch triggers end to end: a real `bosun run` (or `bosun watch --dry-run`) watching a real
//! temporary project, files written by the test, tasks read back with `tasks --json` and
//! `show --json`. Waits are bounded polls; "nothing more happens" is a quiet time several
//! debounce windows long followed by a count.
//!
//! Paths are chosen away from the bundled workflows' globs (`src/**/*.rs`, `Cargo.toml`,
//! `src/**/*.js`, …), so every task counted here was started by the test's own workflow.

mod support;

use support::watch::{
    DryRun, LONG, QUIET, changed_files, engine_log, id, start_watching, stays_at, tasks,
    wait_tasks, workflow,
};
use support::{Project, eventually, step_status};

/// Waits for the step of a triggered task to run: its trigger's run is then in flight.
fn wait_running(p: &Project, task: &str) {
    p.wait_for(task, LONG, |t| step_status(t, "s") == Some("running"));
}

/// A timestamp of a task (RFC 3339 in UTC with milliseconds: ordered as text).
fn time<'a>(task: &'a serde_json::Value, field: &str) -> &'a str {
    task[field]
        .as_str()
        .unwrap_or_else(|| panic!("no {field}: {task:#}"))
}

#[test]
fn a_matching_write_starts_one_task_and_other_writes_none() {
    let p = Project::new();
    p.write(
        ".bosun/workflows/wf.yaml",
        &workflow("src/**/*.txt", "200ms", "queue", "echo ran"),
    );
    p.write("src/keep", "");
    let _engine = start_watching(&p);

    p.write("src/a.txt", "hello");
    let all = wait_tasks(&p, 1);
    let task = p.wait_finished(id(&all[0]), LONG);
    assert_eq!(task["status"], "succeeded", "{task:#}");
    assert_eq!(task["workflow"], "wf");
    assert_eq!(task["description"], "wf: src/a.txt changed");
    assert_eq!(changed_files(&task), ["src/a.txt"]);
    let reason = task["workflow_reason"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with("started by its watch trigger") && reason.contains("src/a.txt"),
        "{task:#}"
    );
    stays_at(&p, 1, "one write starts one task");

    // Neither another extension, nor a file beside `src/`, nor a folder of its own matches.
    p.write("src/a.md", "no");
    p.write("a.txt", "no");
    p.write("docs/a.txt", "no");
    stays_at(&p, 1, "writes the glob does not match start nothing");
}

#[test]
fn a_burst_of_writes_starts_one_task_with_every_file() {
    let p = Project::new();
    p.write(
        ".bosun/workflows/wf.yaml",
        &workflow("burst/*.txt", "1s", "queue", "echo ran"),
    );
    p.write("burst/keep", "");
    let _engine = start_watching(&p);

    for i in 0..200 {
        std::fs::write(p.path(&format!("burst/f{:02}.txt", i % 20)), i.to_string()).expect("write");
    }
    let all = wait_tasks(&p, 1);
    let task = p.wait_finished(id(&all[0]), LONG);
    let expected: Vec<String> = (0..20).map(|i| format!("burst/f{i:02}.txt")).collect();
    assert_eq!(changed_files(&task), expected, "{task:#}");
    assert_eq!(
        task["description"],
        "wf: 20 files changed (burst/f00.txt, burst/f01.txt, …)"
    );
    stays_at(&p, 1, "a burst within the debounce time starts one task");
}

#[test]
fn ignored_paths_git_and_bosun_trigger_nothing() {
    let p = Project::new();
    p.write(
        ".bosun/workflows/wf.yaml",
        &workflow("**/*.txt", "100ms", "queue", "echo ran"),
    );
    p.write(".gitignore", "build/\n*.gen.txt\n");
    p.write(".ignore", "scratch.txt\n");
    p.write("build/old.txt", "");
    p.write(".git/HEAD", "ref: refs/heads/main\n");
    p.write(".git/objects/ab/cd.txt", "");
    p.write("src/keep", "");
    let _engine = start_watching(&p);

    for path in [
        // .gitignore: a directory (and one created inside it now), and a pattern.
        "build/out.txt",
        "build/new/deep.txt",
        "src/x.gen.txt",
        "x.gen.txt",
        // .ignore.
        "scratch.txt",
        // .git/: an existing folder, a new one, and a nested repository.
        ".git/info.txt",
        ".git/objects/ab/ef.txt",
        ".git/refs/heads/main.txt",
        "vendor/lib/.git/config.txt",
        // .bosun/: beside the definitions, in the state folder, in a new folder.
        ".bosun/notes.txt",
        ".bosun/workflows/notes.txt",
        ".bosun/state/x.txt",
        ".bosun/tmp/y.txt",
    ] {
        p.write(path, "ignored");
    }
    stays_at(&p, 0, "ignored paths start nothing");

    p.write("src/real.txt", "counts");
    let all = wait_tasks(&p, 1);
    let task = p.wait_finished(id(&all[0]), LONG);
    assert_eq!(changed_files(&task), ["src/real.txt"], "{task:#}");
    stays_at(&p, 1, "only the real write started a task");
}

/// docs/watch.md: "An edited ignore file applies at once" — also when it stops ignoring a
/// directory, which was never watched while it was ignored.
#[test]
fn a_directory_no_longer_ignored_is_watched_at_once() {
    let p = Project::new();
    p.write(
        ".bosun/workflows/wf.yaml",
        &workflow("**/*.txt", "100ms", "queue", "echo ran"),
    );
    p.write(".gitignore", "build/\n");
    p.write("build/keep", "");
    p.write("src/keep", "");
    let _engine = start_watching(&p);
    p.write("build/a.txt", "ignored");
    stays_at(&p, 0, "build/ is ignored");

    p.write(".gitignore", "");
    // A write after the edit, seen once the edit has been taken.
    p.write("src/sync.txt", "after the edit");
    let all = wait_tasks(&p, 1);
    p.wait_finished(id(&all[0]), LONG);
    p.write("build/b.txt", "no longer ignored");
    let all = wait_tasks(&p, 2);
    let task = p.wait_finished(id(&all[1]), LONG);
    assert_eq!(changed_files(&task), ["build/b.txt"], "{task:#}");
}

#[test]
fn a_directory_created_after_the_start_is_watched() {
    let p = Project::new();
    p.write(
        ".bosun/workflows/wf.yaml",
        &workflow("src/**/*.txt", "100ms", "queue", "echo ran"),
    );
    p.write("src/keep", "");
    let _engine = start_watching(&p);

    p.write("src/new/deep/file.txt", "one");
    let all = wait_tasks(&p, 1);
    let first = p.wait_finished(id(&all[0]), LONG);
    assert_eq!(
        changed_files(&first),
        ["src/new/deep/file.txt"],
        "{first:#}"
    );

    // Not only found when the folder appeared: a later write there is seen too.
    p.write("src/new/deep/again.txt", "two");
    let all = wait_tasks(&p, 2);
    let second = p.wait_finished(id(&all[1]), LONG);
    assert_eq!(
        changed_files(&second),
        ["src/new/deep/again.txt"],
        "{second:#}"
    );
    stays_at(&p, 2, "each write started one task");
}

/// `mkdir -p .bosun/workflows && cat > .bosun/workflows/w.yaml` under a running engine: the
/// new directory is read for what it already holds, so the trigger works without an edit.
#[test]
fn a_workflows_directory_created_with_its_file_is_loaded() {
    let p = Project::new();
    p.write("src/keep", "");
    let _engine = start_watching(&p);
    let dir = p.path(".bosun/workflows");
    std::fs::create_dir_all(&dir).expect("mkdir -p .bosun/workflows");
    std::fs::write(
        dir.join("w.yaml"),
        workflow("src/*.txt", "100ms", "queue", "echo ran"),
    )
    .expect("write the workflow");
    // The engine says when it has read the new workflow; then a matching write starts it.
    eventually(LONG, "the new workflow loaded", || {
        engine_log(&p).contains("w.yaml")
    });
    p.write("src/a.txt", "one");
    let all = wait_tasks(&p, 1);
    let task = p.wait_finished(id(&all[0]), LONG);
    assert_eq!(changed_files(&task), ["src/a.txt"], "{task:#}");
}

/// A workflow on `in/*.txt` whose step runs until the file `release` exists.
fn busy_project(on_busy: &str) -> Project {
    let p = Project::new();
    p.write(
        ".bosun/workflows/wf.yaml",
        &workflow(
            "in/*.txt",
            "100ms",
            on_busy,
            "while [ ! -e release ]; do sleep 0.05; done",
        ),
    );
    p.write("in/keep", "");
    p
}

#[test]
fn on_busy_queue_runs_once_more_with_every_change_made_meanwhile() {
    let p = busy_project("queue");
    let _engine = start_watching(&p);
    p.write("in/a.txt", "1");
    let first = wait_tasks(&p, 1).remove(0);
    wait_running(&p, id(&first));

    // Changes spread over several debounce windows, one path twice.
    p.write("in/b.txt", "2");
    std::thread::sleep(std::time::Duration::from_millis(400));
    p.write("in/c.txt", "3");
    p.write("in/b.txt", "4");
    stays_at(&p, 1, "nothing starts while the run is in flight");

    p.write("release", "");
    let first = p.wait_finished(id(&first), LONG);
    assert_eq!(first["status"], "succeeded", "{first:#}");
    let all = wait_tasks(&p, 2);
    let follow_up = p.wait_finished(id(&all[1]), LONG);
    assert_eq!(follow_up["status"], "succeeded", "{follow_up:#}");
    assert_eq!(
        changed_files(&follow_up),
        ["in/b.txt", "in/c.txt"],
        "{follow_up:#}"
    );
    assert!(
        time(&follow_up, "created_at") >= time(&first, "finished_at"),
        "the follow-up starts after the run: {first:#} {follow_up:#}"
    );
    stays_at(&p, 2, "one follow-up, not one per change");
}

#[test]
fn on_busy_ignore_drops_changes_made_during_the_run() {
    let p = busy_project("ignore");
    let _engine = start_watching(&p);
    p.write("in/a.txt", "1");
    let first = wait_tasks(&p, 1).remove(0);
    wait_running(&p, id(&first));

    p.write("in/b.txt", "2");
    p.write("in/c.txt", "3");
    stays_at(&p, 1, "nothing starts while the run is in flight");
    p.write("release", "");
    let first = p.wait_finished(id(&first), LONG);
    assert_eq!(first["status"], "succeeded", "{first:#}");
    stays_at(&p, 1, "changes made during the run are dropped");

    // A change after the run counts, and the dropped ones are not carried along.
    p.write("in/d.txt", "4");
    let all = wait_tasks(&p, 2);
    let next = p.wait_finished(id(&all[1]), LONG);
    assert_eq!(changed_files(&next), ["in/d.txt"], "{next:#}");
}

#[test]
fn on_busy_restart_cancels_the_run_and_starts_again_with_the_change() {
    let p = busy_project("restart");
    let _engine = start_watching(&p);
    p.write("in/a.txt", "1");
    let first = wait_tasks(&p, 1).remove(0);
    wait_running(&p, id(&first));

    p.write("in/b.txt", "2");
    let first = p.wait_finished(id(&first), LONG);
    assert_eq!(first["status"], "cancelled", "{first:#}");
    let all = wait_tasks(&p, 2);
    let second = &all[1];
    assert_eq!(changed_files(second), ["in/b.txt"], "{second:#}");
    assert!(
        time(second, "created_at") >= time(&first, "finished_at"),
        "the new run starts once the old one has ended: {first:#} {second:#}"
    );
    wait_running(&p, id(second));

    p.write("release", "");
    let second = p.wait_finished(id(second), LONG);
    assert_eq!(second["status"], "succeeded", "{second:#}");
    stays_at(&p, 2, "one restart for one change");
}

#[test]
fn a_workflow_rewriting_what_it_watches_runs_at_most_twice() {
    let p = Project::new();
    p.write(
        ".bosun/workflows/wf.yaml",
        &workflow("gen/*.txt", "100ms", "queue", "date +%s%N >> gen/out.txt"),
    );
    p.write("gen/keep", "");
    let _engine = start_watching(&p);

    let runs = |from: usize| {
        let all = wait_tasks(&p, from + 1);
        let first = p.wait_finished(id(&all[from]), LONG);
        assert_eq!(changed_files(&first), ["gen/in.txt"], "{first:#}");
        // Give a follow-up time to start, let every run end, then see that nothing more starts.
        std::thread::sleep(QUIET);
        eventually(LONG, "every run ended", || {
            tasks(&p).iter().all(|t| !t["finished_at"].is_null())
        });
        let settled = tasks(&p).len();
        let all = stays_at(&p, settled, "no run after the quiet time");
        let mine = &all[from..];
        assert!(
            (1..=2).contains(&mine.len()),
            "one outside change, {} runs: {:#}",
            mine.len(),
            serde_json::Value::from(mine.to_vec())
        );
        if let Some(follow_up) = mine.get(1) {
            assert_eq!(changed_files(follow_up), ["gen/out.txt"], "{follow_up:#}");
        }
        all.len()
    };
    p.write("gen/in.txt", "outside");
    let after_first = runs(0);
    let lines = p.read("gen/out.txt").lines().count();
    assert_eq!(lines, after_first, "each run wrote one line");

    // The guard does not silence the trigger: a later change from outside counts again.
    p.write("gen/in.txt", "outside again");
    let after_second = runs(after_first);
    assert_eq!(p.read("gen/out.txt").lines().count(), after_second);
}

#[test]
fn workflow_edits_reload_while_running_and_an_invalid_one_keeps_the_old() {
    let p = Project::new();
    let file = ".bosun/workflows/wf.yaml";
    p.write(file, &workflow("one/*.txt", "100ms", "queue", "echo v1"));
    p.write("one/keep", "");
    p.write("two/keep", "");
    let engine = start_watching(&p);

    // An invalid glob on line 3 (the file starts with a blank line).
    p.write(file, &workflow("two/[", "100ms", "queue", "echo broken"));
    let error = |log: &str| {
        log.lines()
            .find(|l| l.contains("ERROR") && l.contains("wf.yaml:3:") && l.contains("two/["))
            .map(str::to_string)
    };
    eventually(LONG, "the invalid edit reported in the log", || {
        error(&engine_log(&p)).is_some()
    });
    let line = error(&engine_log(&p)).unwrap_or_default();
    let column = line
        .split("wf.yaml:3:")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .unwrap_or_default();
    assert!(
        !column.is_empty() && column.chars().all(|c| c.is_ascii_digit()),
        "FILE:LINE:COL: {line}"
    );
    p.write("two/x.txt", "not yet");
    p.write("one/a.txt", "old glob");
    let all = wait_tasks(&p, 1);
    let old = p.wait_finished(id(&all[0]), LONG);
    assert_eq!(changed_files(&old), ["one/a.txt"], "{old:#}");
    assert_eq!(
        Project::step(&old, "s")["output"],
        "v1\n",
        "the last good version ran"
    );

    // A valid edit: the new glob and step, at once.
    p.write(file, &workflow("two/*.txt", "100ms", "queue", "echo v2"));
    eventually(LONG, "the fixed workflow read again", || {
        engine_log(&p).contains("is valid again")
    });
    p.write("one/b.txt", "old glob");
    p.write("two/c.txt", "new glob");
    let all = wait_tasks(&p, 2);
    let new = p.wait_finished(id(&all[1]), LONG);
    assert_eq!(changed_files(&new), ["two/c.txt"], "{new:#}");
    assert_eq!(Project::step(&new, "s")["output"], "v2\n");
    stays_at(&p, 2, "the old glob no longer starts anything");

    let stderr = engine.stop();
    assert!(error(&stderr).is_some(), "the engine's stderr: {stderr}");
}

#[test]
fn watch_dry_run_prints_matches_and_starts_nothing() {
    let p = Project::new();
    p.write(
        ".bosun/workflows/wf.yaml",
        &workflow("src/**/*.txt", "100ms", "queue", "echo ran"),
    );
    p.write("src/keep", "");
    p.write("notes/keep", "");

    let mut text = DryRun::start(&p, false);
    let mut json = DryRun::start(&p, true);
    p.write("src/a.txt", "match");
    p.write("notes/b.md", "no match");

    let hit = text.line_with("src/a.txt");
    assert!(hit.trim_end().ends_with("→ wf"), "{hit}");
    let miss = text.line_with("notes/b.md");
    assert!(miss.trim_end().ends_with("→ nothing"), "{miss}");

    let parse = |line: String| -> serde_json::Value {
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
    };
    let hit = parse(json.line_with("src/a.txt"));
    assert_eq!(hit["path"], "src/a.txt", "{hit}");
    assert_eq!(hit["workflows"], serde_json::json!(["wf"]), "{hit}");
    let miss = parse(json.line_with("notes/b.md"));
    assert_eq!(miss["path"], "notes/b.md", "{miss}");
    assert_eq!(miss["workflows"], serde_json::json!([]), "{miss}");

    std::thread::sleep(QUIET);
    assert_eq!(
        tasks(&p),
        Vec::<serde_json::Value>::new(),
        "a dry run starts nothing"
    );
}
