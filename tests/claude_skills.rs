//! Claude Code skills of a project (`.claude/skills/*/SKILL.md`) as Bosun agent skills: listed
//! by `bosun skills` with their file, checked by `bosun validate`, and run as `claude:<name>`
//! by a workflow step — the real `claude` CLI (against the kit's fake model) given the skill's
//! instructions and the step's prompt.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::Project;
use support::agents::{FakeModel, configure_claude};

const SKILL: &str = "---\nname: changelog\ndescription: Add the CHANGELOG line for a change\nallowed-tools: Bash\n---\n\n# Changelog\n\nAdd one line to CHANGELOG.md for the change, as `- {{ what changed }}`.\n";

#[test]
fn a_claude_code_skill_is_listed_validated_and_run_with_its_instructions() {
    let p = Project::new();
    p.write(".claude/skills/changelog/SKILL.md", SKILL);
    p.write(
        ".bosun/workflows/notes.yaml",
        "description: note a change\nsteps:\n  - id: note\n    skill: \"claude:changelog\"\n    with: { prompt: \"The change: a new --json flag.\" }\n",
    );
    let out = p.bosun(&["skills", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let skills: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let listed = skills
        .as_array()
        .and_then(|all| all.iter().find(|s| s["name"] == "claude:changelog"))
        .unwrap_or_else(|| panic!("not listed: {skills:#}"));
    assert_eq!(listed["description"], "Add the CHANGELOG line for a change");
    assert!(
        listed["path"]
            .as_str()
            .is_some_and(|path| path.ends_with(".claude/skills/changelog/SKILL.md")),
        "{listed:#}"
    );
    // The agent is configured: validate checks that it can start.
    let fake = FakeModel::start(
        &p.path(".fake"),
        json!([
            { "match": "Add one line to CHANGELOG.md", "bash": "echo '- a new --json flag' >> CHANGELOG.md" },
            { "match": "tool_result", "text": "Noted." }
        ]),
    );
    configure_claude(&p, &fake, None, "");
    let out = p.bosun(&["validate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let engine = p.start_engine(&[]);
    let id = p.submit(&["--workflow", "notes", "note the --json flag"]);
    let task = p.wait_finished(&id, Duration::from_secs(60));
    drop(engine);
    assert_eq!(task["status"], "succeeded", "{task:#}");
    let step = Project::step(&task, "note");
    assert_eq!(step["skill"], "claude:changelog");
    assert_eq!(step["output"], "Noted.");
    assert_eq!(step["agent"]["adapter"], "claude-code");
    assert_eq!(p.read("CHANGELOG.md"), "- a new --json flag\n");
    // The prompt carries the instructions as written (braces and all), then the step's prompt.
    let prompt = fake.requests()[0]["messages"][0].to_string();
    for part in [
        "Follow the Claude Code skill `changelog`",
        "as `- {{ what changed }}`",
        "The change: a new --json flag.",
    ] {
        assert!(prompt.contains(part), "`{part}` not in {prompt}");
    }
}

#[test]
fn a_broken_skill_md_is_reported_where_it_is_wrong() {
    let p = Project::new();
    p.write(
        ".claude/skills/notes/SKILL.md",
        "---\nname: Notes\ndescription: take notes\n---\nTake notes.\n",
    );
    for args in [&["validate"][..], &["validate", ".claude/skills"]] {
        let out = p.bosun_from_root(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(
                ".claude/skills/notes/SKILL.md:2:7: name `Notes`: a skill name is lowercase"
            ),
            "{args:?}: {stderr}"
        );
    }
    // A workflow using it is refused at submission with the same position.
    p.write(
        ".bosun/workflows/w.yaml",
        "steps:\n  - { id: a, skill: \"claude:Notes\" }\n",
    );
    let out = p.bosun(&["submit", "--workflow", "w", "x"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("skill `claude:Notes` is invalid"),
        "{stderr}"
    );
}
