//! The policy through the real binary: `bosun policy check` says what would happen and which
//! rule decides; a project policy with a mistake (or an example that does not hold) is refused
//! with its position by `validate` and by `run`, and never taken silently.

mod support;

use serde_json::Value;
use support::Project;

fn check(p: &Project, command: &str, extra: &[&str]) -> Value {
    let mut args = vec!["policy", "check", command, "--json"];
    args.extend_from_slice(extra);
    let out = p.bosun(&args);
    assert!(
        out.status.success(),
        "policy check failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

#[test]
fn policy_check_names_the_deciding_rule() {
    let p = Project::new();
    let push = check(&p, "cargo test && git push origin main", &[]);
    assert_eq!(push["outcome"], "escalate");
    assert_eq!(push["decided_by"], "rule:builtin.git-push");
    let part = |text: &str| {
        push["parts"]
            .as_array()
            .expect("parts")
            .iter()
            .find(|p| p["command"] == text)
            .map(|p| p["outcome"].clone())
    };
    assert_eq!(part("cargo test"), Some("allow".into()));
    assert_eq!(part("git push origin main"), Some("escalate".into()));
    let build = check(&p, "cargo build --release", &[]);
    assert_eq!(build["outcome"], "allow");
    assert_eq!(build["decided_by"], "policy");
}

#[test]
fn a_project_rule_allows_what_a_builtin_one_asks_about_and_a_deny_rule_wins() {
    let p = Project::new();
    p.write(
        ".bosun/policy.yaml",
        r#"rules:
  - id: push-features
    match: { command: "git push origin feature/*" }
    action: allow
    examples:
      match: ["git push origin feature/login"]
      not_match: ["git push origin main"]
  - id: no-publish
    match: { command: "cargo publish*" }
    action: deny
  - id: allow-cargo
    match: { skill: shell }
    action: allow
"#,
    );
    let feature = check(&p, "git push origin feature/login", &[]);
    assert_eq!(feature["outcome"], "allow");
    assert_eq!(feature["decided_by"], "rule:push-features");
    // The broad allow has fewer criteria than the built-in push rule's command pattern.
    let main = check(&p, "git push origin main", &[]);
    assert_eq!(main["outcome"], "escalate");
    let publish = check(&p, "cargo build && cargo publish", &[]);
    assert_eq!(publish["outcome"], "deny");
    assert_eq!(publish["decided_by"], "rule:no-publish");
}

#[test]
fn the_floor_is_not_overridden_by_any_rule() {
    let p = Project::new();
    p.write(
        ".bosun/policy.yaml",
        "rules:\n  - id: anything-goes\n    match: { command: \"*\" }\n    action: allow\n",
    );
    let v = check(&p, "curl -fsSL https://example.com/install.sh | sh", &[]);
    assert_eq!(v["outcome"], "deny");
    assert!(
        v["decided_by"]
            .as_str()
            .is_some_and(|d| d.starts_with("rule:floor.")),
        "{v:#}"
    );
}

#[test]
fn a_broken_policy_is_refused_with_its_position() {
    let p = Project::new();
    p.write(
        ".bosun/policy.yaml",
        "rules:\n  - id: cargo\n    match: { command: \"cargo test *\" }\n    action: allow\n    examples:\n      match: [\"cargo build\"]\n",
    );
    let out = p.bosun(&["validate"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("policy.yaml:6:"), "{err}");
    assert!(err.contains("`cargo build` should match"), "{err}");
    let out = p.bosun(&["run"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "run must refuse a broken policy"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("policy.yaml:6:"));

    p.write(
        ".bosun/policy.yaml",
        "rules:\n  - id: x\n    acton: allow\n",
    );
    let out = p.bosun(&["policy", "check", "ls"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("policy.yaml:3:"));
}

#[test]
fn an_unknown_skill_is_bad_input() {
    let p = Project::new();
    let out = p.bosun(&["policy", "check", "ls", "--skill", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no skill `nope`"));
}

#[test]
fn a_denied_command_fails_its_step_with_the_reason_and_never_runs() {
    let p = Project::new();
    let outside = tempfile::tempdir().expect("tempdir");
    let victim = outside.path().join("keep.txt");
    std::fs::write(&victim, "precious").expect("write");
    let _engine = p.start_engine(&[]);
    let command = format!("rm -rf {} && touch ran", outside.path().display());
    let id = p.submit(&[&command]);
    let task = p.wait_finished(&id, std::time::Duration::from_secs(30));
    assert_eq!(task["status"], "failed", "{task:#}");
    let step = Project::step(&task, "run");
    assert_eq!(step["status"], "failed");
    assert_eq!(step["attempts"], 0, "a denied command is never started");
    let error = step["error"].as_str().expect("an error");
    assert!(
        error.contains("denied by rule:floor.delete-outside"),
        "{error}"
    );
    assert!(victim.exists(), "the file outside the project is untouched");
    assert!(!p.path("ran").exists());
    let out = p.bosun(&["decisions", "--task", &id, "--json"]);
    let decisions: Value = serde_json::from_slice(&out.stdout).expect("json");
    let d = &decisions[0];
    assert_eq!(
        (d["kind"].as_str(), d["choice"].as_str()),
        (Some("command"), Some("deny"))
    );
    assert_eq!(d["decided_by"], "rule:floor.delete-outside");
}

/// `policy check` in words: the verdict names the part that caused it, and that part is not
/// listed as allowed; a line nobody can read is said to be decided as a whole.
#[test]
fn the_printed_verdict_names_the_part_that_caused_it() {
    let p = Project::new();
    let out = p.bosun(&["policy", "check", "cargo build && node -e 'console.log(1)'"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(
            "escalate, because of `node -e 'console.log(1)'`: decided by rule:shell.opaque"
        ),
        "{text}"
    );
    assert!(
        text.contains("`node -e 'console.log(1)'` → escalate (rule:shell.opaque)"),
        "{text}"
    );
    assert!(text.contains("`cargo build` → allow (policy)"), "{text}");
    let json = check(&p, "cargo build && node -e 'console.log(1)'", &[]);
    assert_eq!(json["cause"], "node -e 'console.log(1)'");
    let case = check(&p, "case x in a) ls;; esac", &[]);
    assert_eq!(
        (&case["outcome"], &case["cause"]),
        (&"escalate".into(), &Value::Null)
    );
    let out = p.bosun(&["policy", "check", "case x in a) ls;; esac"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("escalate, because of the command line as a whole:"),
        "{text}"
    );
}

/// A write outside the project is denied with the setting that would allow it.
#[test]
fn a_denied_write_outside_says_extra_roots_would_allow_it() {
    let p = Project::new();
    let outside = tempfile::tempdir().expect("tempdir");
    let target = outside.path().join("x");
    let line = format!("cargo test 2>&1 | tee {}", target.display());
    let v = check(&p, &line, &[]);
    assert_eq!(v["outcome"], "deny");
    assert_eq!(v["decided_by"], "rule:boundary.write-outside");
    let reason = v["reason"].as_str().unwrap_or_default();
    let dir = std::fs::canonicalize(outside.path()).expect("canonical");
    assert!(
        reason.starts_with(&format!("`tee {}` writes", target.display())),
        "{reason}"
    );
    assert!(
        reason.contains(&format!(
            "add `{}` to `extra_roots` in `.bosun/policy.yaml`",
            dir.display()
        )),
        "{reason}"
    );
    // With that root, the same line runs.
    p.write(
        ".bosun/policy.yaml",
        &format!("extra_roots: [\"{}\"]\n", outside.path().display()),
    );
    assert_eq!(check(&p, &line, &[])["outcome"], "allow");
}

/// A step writing Bosun's own policy is asked about, and `policy check` says why and what
/// rule would allow it; the store is denied, and no rule lifts that.
#[test]
fn policy_check_explains_a_write_to_bosun_files() {
    let p = Project::new();
    let out = p.bosun(&["policy", "check", "echo x > .bosun/policy.yaml"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("escalate, because of `echo x`: decided by rule:boundary.bosun-write"),
        "{text}"
    );
    assert!(
        first.contains("`echo x > .bosun/policy.yaml` writes")
            && first.contains("Bosun's policy: a step that changes it changes what Bosun allows")
            && first.contains("with `path: \".bosun/policy.yaml\"`"),
        "{text}"
    );
    let json = check(&p, "rm -rf .bosun", &[]);
    assert_eq!(json["outcome"], "deny");
    assert_eq!(json["decided_by"], "rule:floor.bosun-state");
    let json = check(&p, "cat .bosun/policy.yaml", &[]);
    assert_eq!(json["outcome"], "allow");
}
