//! Bosun's own files are private to their owner, whatever the umask: through the real binary,
//! every directory under `.bosun/state`, `.bosun/logs` and `.bosun/backups` is 0700 and every
//! file in them (and the audit log) 0600, under `umask 022` and under `umask 000`, while the
//! engine runs and after it stopped; the steps still get the user's umask for what they make;
//! and a project whose files were left open (0755/0644) is tightened when the engine starts,
//! leaving links and the user's worktrees alone.

mod support;

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::time::Duration;

use support::{Project, eventually, with_umask};

const LONG: Duration = Duration::from_secs(30);

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o7777
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Every directory and file (and socket) under `root` whose mode is not private, with its
/// mode; links are not followed. Entries that vanish meanwhile (a running engine's `-shm`) are
/// skipped.
fn open_entries(root: &Path, found: &mut Vec<(PathBuf, u32)>, seen: &mut usize) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let mode = meta.permissions().mode() & 0o7777;
        *seen += 1;
        if meta.file_type().is_symlink() {
            continue;
        }
        if meta.is_dir() {
            if mode != 0o700 {
                found.push((path.clone(), mode));
            }
            open_entries(&path, found, seen);
        } else if mode != 0o600 {
            found.push((path, mode));
        }
    }
}

/// Asserts that Bosun's directories and everything in them are private; returns how many
/// entries it looked at.
fn assert_private(p: &Project, when: &str) -> usize {
    let mut found = Vec::new();
    let mut seen = 0;
    let mut missing = Vec::new();
    if !p.path(".bosun/logs/agents").is_dir() {
        missing.push(".bosun/logs/agents missing".to_string());
    }
    for dir in [".bosun/state", ".bosun/logs", ".bosun/backups"] {
        let path = p.path(dir);
        match std::fs::metadata(&path) {
            Err(_) => missing.push(format!("{} missing", path.display())),
            Ok(meta) if meta.permissions().mode() & 0o7777 != 0o700 => {
                found.push((path.clone(), meta.permissions().mode() & 0o7777));
            }
            Ok(_) => {}
        }
        open_entries(&path, &mut found, &mut seen);
    }
    let audit = p.path(".bosun/audit.jsonl");
    if audit.exists() {
        seen += 1;
        if mode(&audit) != 0o600 {
            found.push((audit.clone(), mode(&audit)));
        }
    }
    let mut shown: Vec<String> = found
        .iter()
        .map(|(path, mode)| format!("{} {mode:o}", path.display()))
        .collect();
    shown.extend(missing);
    assert!(
        shown.is_empty(),
        "{when}, open to others:\n{}",
        shown.join("\n")
    );
    seen
}

fn submit_with_umask(p: &Project, umask: u32, description: &str) -> String {
    let mut cmd = p.command(&["submit", "--workflow", "w", description]);
    with_umask(&mut cmd, umask);
    let out = cmd.output().expect("run bosun submit");
    assert!(
        out.status.success(),
        "submit: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_string()
}

/// A workflow whose step says its umask, prints a secret, and makes a file in the project.
fn project_with_a_step_that_writes() -> Project {
    let p = Project::new();
    p.write(
        ".bosun/workflows/w.yaml",
        "steps:\n  - { id: write, skill: shell, with: { run: \"umask; echo the-secret-token; touch made-by-step\" } }\n",
    );
    p
}

fn everything_is_private_under(umask: u32) {
    let p = project_with_a_step_that_writes();
    // The first submission makes the database, from a one-shot process.
    let first = submit_with_umask(&p, umask, "before the engine");
    let engine = p.start_engine_with_umask(umask, &["--api", "127.0.0.1:0"]);
    let second = submit_with_umask(&p, umask, "while it runs");
    for task in [&first, &second] {
        let done = p.wait_finished(task, LONG);
        let step = Project::step(&done, "write");
        assert_eq!(step["status"], "succeeded", "{done:#}");
        // The step ran with the user's umask, not Bosun's modes.
        let output = step["output"].as_str().unwrap_or_default();
        assert!(
            output.starts_with(&format!("{umask:04o}\n")),
            "umask {umask:04o}: {output}"
        );
    }
    assert_eq!(mode(&p.path("made-by-step")), 0o666 & !umask);
    eventually(LONG, "the API's address is written", || {
        p.path(".bosun/state/api.addr").exists()
    });
    let running = assert_private(&p, &format!("while running under umask {umask:04o}"));
    // The database, its WAL, the API's key and address, the wake-up socket, today's log.
    assert!(running >= 8, "looked at only {running} entries");
    let stderr = engine.stop();
    assert!(!stderr.contains("made Bosun's files"), "{stderr}");
    assert_private(&p, &format!("after a stop under umask {umask:04o}"));
    let log = std::fs::read_dir(p.path(".bosun/logs"))
        .expect("logs")
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with("bosun."))
        .expect("a log file");
    assert_eq!(mode(&log.path()), 0o600);
}

#[test]
fn everything_bosun_writes_is_private_under_umask_022() {
    everything_is_private_under(0o022);
}

#[test]
fn everything_bosun_writes_is_private_under_umask_000() {
    everything_is_private_under(0o000);
}

#[test]
fn a_project_left_open_is_tightened_when_the_engine_starts() {
    let p = project_with_a_step_that_writes();
    let task = p.submit(&["--workflow", "w", "a task from before"]);
    // As an older Bosun (or a careless copy) left it: everything readable by all.
    let state = p.path(".bosun/state");
    let agents = p.path(".bosun/logs/agents");
    let backups = p.path(".bosun/backups");
    for dir in [&state, &p.path(".bosun/logs"), &agents, &backups] {
        chmod(dir, 0o755);
    }
    std::fs::create_dir_all(state.join("agents/codex-home/sessions")).expect("mkdir");
    chmod(&state.join("agents/codex-home/sessions"), 0o755);
    std::fs::write(state.join("agents/codex-home/sessions/s.jsonl"), "said").expect("write");
    std::fs::write(agents.join(format!("{task}-write.jsonl")), "{}\n").expect("transcript");
    std::fs::write(backups.join("bosun-old.db.zst"), "copy").expect("backup");
    std::fs::write(p.path(".bosun/audit.jsonl"), "").expect("audit log");
    std::fs::write(p.path(".bosun/logs/bosun.2020-01-01.log"), "old\n").expect("log");
    let mut files = vec![
        state.join("bosun.db"),
        state.join("agents/codex-home/sessions/s.jsonl"),
        agents.join(format!("{task}-write.jsonl")),
        backups.join("bosun-old.db.zst"),
        p.path(".bosun/audit.jsonl"),
        p.path(".bosun/logs/bosun.2020-01-01.log"),
    ];
    files.retain(|f| f.exists());
    assert_eq!(files.len(), 6);
    for file in &files {
        chmod(file, 0o644);
    }
    // Not Bosun's to change: a file of the user's linked in, and the user's checkouts.
    let users = p.top().join("users-auth.json");
    std::fs::write(&users, "{}").expect("write");
    chmod(&users, 0o644);
    symlink(&users, state.join("agents/codex-home/auth.json")).expect("link");
    let checkout = p.path(".bosun/worktrees/t-1");
    std::fs::create_dir_all(&checkout).expect("mkdir");
    chmod(&checkout, 0o755);
    std::fs::write(checkout.join("main.rs"), "fn main() {}").expect("write");
    chmod(&checkout.join("main.rs"), 0o644);

    // A one-shot verb makes Bosun's directories private, and leaves the walk to the engine.
    assert!(p.bosun(&["tasks"]).status.success());
    assert_eq!(mode(&state), 0o700);
    assert_eq!(mode(&agents), 0o700);
    assert_eq!(mode(&state.join("bosun.db")), 0o644);

    let engine = p.start_engine(&[]);
    assert_private(&p, "after the start");
    for file in &files {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    assert_eq!(mode(&users), 0o644, "a linked file is never changed");
    assert_eq!(mode(&checkout), 0o755, "worktrees are the user's");
    assert_eq!(mode(&checkout.join("main.rs")), 0o644);
    p.wait_finished(&task, LONG);
    let stderr = engine.stop();
    assert!(
        stderr.contains("made Bosun's files in") && stderr.contains("private to their owner"),
        "the start says what it tightened: {stderr}"
    );
}
