//! Bosun's own files and the agents' settings through the whole policy (docs/policy.md): the
//! store and the audit log are denied whatever the rules say; the rest of `.bosun/` and the
//! agents' settings are asked about, and only a project rule that names the place in its
//! `path` lets a step write there without asking — a broad rule (`command: "tee *"`,
//! `path: "*"`) does not. An agent's Write is judged the same way as a command.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bosun::agents::{Access, access};
use bosun::policy::{Outcome, Policy, Query, Verdict, shell_command};
use bosun::protocol::{DecisionKind, Risk};
use serde_json::json;

struct Project {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

fn project() -> Project {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let root = dir.path().canonicalize().expect("canonical");
    for rel in [
        ".bosun/policy.yaml",
        ".bosun/workflows/ci.yaml",
        ".bosun/state/bosun.db",
        ".bosun/audit.jsonl",
        ".claude/settings.json",
        "src/lib.rs",
    ] {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, "").expect("write");
    }
    Project { _dir: dir, root }
}

const QUERY: Query<'static> = Query {
    kind: DecisionKind::Command,
    skill: "claude",
    workflow: Some("gen"),
    step: Some("agent"),
    risk: Risk::Medium,
};

fn policy(root: &Path, rules: &str) -> Policy {
    let text = format!("rules:\n{rules}");
    Policy::from_text(&root.join(".bosun/policy.yaml"), &text, root).expect("a valid policy")
}

fn verdict(p: &Project, policy: &Policy, line: &str) -> Verdict {
    let scope = policy.scope(&p.root, &p.root, BTreeMap::new());
    policy
        .check_command(&shell_command(line), &scope, &QUERY)
        .verdict
}

fn said(v: &Verdict) -> (&str, &str) {
    (v.outcome.as_str(), v.decided_by.as_str())
}

#[test]
fn with_no_rule_bosun_files_are_asked_about_and_the_store_is_denied() {
    let p = project();
    let policy = Policy::builtin().expect("built-in");
    let v = verdict(&p, &policy, "echo x > .bosun/policy.yaml");
    assert_eq!(said(&v), ("escalate", "rule:boundary.bosun-write"));
    assert!(v.reason.contains("Bosun's policy"), "{}", v.reason);
    let v = verdict(&p, &policy, "tee .claude/settings.json < /dev/null");
    assert_eq!(said(&v), ("escalate", "rule:boundary.agent-settings"));
    let v = verdict(&p, &policy, "echo x >> .bosun/audit.jsonl");
    assert_eq!(said(&v), ("deny", "rule:floor.bosun-state"));
    let v = verdict(&p, &policy, "cat .bosun/policy.yaml");
    assert_eq!(said(&v), ("allow", "policy"));
}

#[test]
fn a_rule_naming_the_place_lets_steps_write_there() {
    let p = project();
    let policy = policy(
        &p.root,
        "  - id: generated-workflows\n    match: { path: \".bosun/workflows/*\" }\n    action: allow\n\
         \x20 - id: claude-settings\n    match: { path: \".claude/settings.json\" }\n    action: allow\n",
    );
    let v = verdict(&p, &policy, "tee .bosun/workflows/gen.yaml < /dev/null");
    assert_eq!(said(&v), ("allow", "rule:generated-workflows"));
    let v = verdict(&p, &policy, "tee .claude/settings.json < /dev/null");
    assert_eq!(said(&v), ("allow", "rule:claude-settings"));
    // The rule opens what it names, not the rest of `.bosun/`, even on the same line.
    let v = verdict(&p, &policy, "echo x > .bosun/policy.yaml");
    assert_eq!(said(&v), ("escalate", "rule:boundary.bosun-write"));
    let both = "echo x > .bosun/workflows/gen.yaml && echo y > .bosun/policy.yaml";
    let v = verdict(&p, &policy, both);
    assert_eq!(said(&v), ("escalate", "rule:boundary.bosun-write"));
    assert!(v.reason.contains(".bosun/policy.yaml"), "{}", v.reason);
}

#[test]
fn a_broad_rule_does_not_open_bosun_files() {
    let p = project();
    for (id, matcher) in [
        ("tee-anything", "{ command: \"tee *\" }"),
        ("any-path", "{ path: \"*\" }"),
        ("dot-anything", "{ path: \".*\" }"),
        ("skill", "{ skill: claude }"),
    ] {
        let policy = policy(
            &p.root,
            &format!("  - id: {id}\n    match: {matcher}\n    action: allow\n"),
        );
        let v = verdict(&p, &policy, "tee .bosun/policy.yaml < /dev/null");
        assert_eq!(said(&v), ("escalate", "rule:boundary.bosun-write"), "{id}");
        let v = verdict(&p, &policy, "tee .mcp.json < /dev/null");
        assert_eq!(
            said(&v),
            ("escalate", "rule:boundary.agent-settings"),
            "{id}"
        );
        // What the rule was written for still runs.
        if id != "dot-anything" {
            let v = verdict(&p, &policy, "tee src/lib.rs < /dev/null");
            assert_eq!(said(&v), ("allow", format!("rule:{id}").as_str()), "{id}");
        }
    }
}

#[test]
fn no_rule_opens_the_store_or_the_audit_log() {
    let p = project();
    let policy = policy(
        &p.root,
        "  - id: state\n    match: { path: [\".bosun/state/*\", \".bosun/audit.jsonl\", \".bosun\"] }\n    action: allow\n\
         \x20 - id: sqlite\n    match: { command: \"sqlite3 *\" }\n    action: allow\n",
    );
    for line in [
        "echo x > .bosun/state/bosun.db",
        "echo x >> .bosun/audit.jsonl",
        "rm -rf .bosun",
        "find . -name '*.db' -delete",
    ] {
        let v = verdict(&p, &policy, line);
        assert_eq!(said(&v), ("deny", "rule:floor.bosun-state"), "{line}");
    }
    // A database client on the store is denied by a built-in rule (one of yours as specific
    // as it may lift it); a broader one does not.
    let sql = "sqlite3 .bosun/state/bosun.db \"update escalations set answer = 'allow'\"";
    let builtin = Policy::builtin().expect("built-in");
    assert_eq!(
        said(&verdict(&p, &builtin, sql)),
        ("deny", "rule:builtin.bosun-store")
    );
}

/// An agent's Write or Edit of `.bosun/policy.yaml` is read as the write it is, through a
/// symlink or `..` too.
#[test]
fn an_agents_write_to_bosun_files_is_judged_as_a_write() {
    let p = project();
    std::os::unix::fs::symlink(p.root.join(".bosun"), p.root.join("b")).expect("symlink");
    let policy = Policy::builtin().expect("built-in");
    let scope = policy.scope(&p.root, &p.root, BTreeMap::new());
    let judge = |tool: &str, file: String| match access(tool, &json!({ "file_path": file })) {
        Access::Command(argv) => policy.check_command(&argv, &scope, &QUERY).verdict,
        other => panic!("{tool} read as {other:?}"),
    };
    let absolute = p.root.join(".bosun/policy.yaml").display().to_string();
    for file in [
        absolute,
        ".bosun/policy.yaml".to_string(),
        "src/../.bosun/policy.yaml".to_string(),
        "b/policy.yaml".to_string(),
    ] {
        for tool in ["Write", "Edit"] {
            let v = judge(tool, file.clone());
            assert_eq!(v.outcome, Outcome::Escalate, "{tool} {file}");
            assert_eq!(v.decided_by, "rule:boundary.bosun-write", "{tool} {file}");
        }
    }
    let v = judge("Write", "b/state/bosun.db".into());
    assert_eq!(said(&v), ("deny", "rule:floor.bosun-state"));
    let v = judge("Read", "b/policy.yaml".into());
    assert_eq!(v.outcome, Outcome::Allow);
}
