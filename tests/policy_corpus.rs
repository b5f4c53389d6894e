//! The policy corpus: a developer's day of commands and decisions, each classed the way a careful
//! developer would class it, judged by the built-in policy in a sandbox of its own (a project
//! with realistic files, a home with keys and shell start-up files, a link from the project to
//! the home, a fixed environment) so the result never depends on the machine it runs on.
//!
//! Every dangerous entry must be escalated or denied, never decided alone; a pinned entry must
//! get exactly its outcome from the named checker; no safe entry may be denied; and the policy
//! must decide at least 95% of the safe entries without the user (DESIGN.md §6). The rate is
//! printed (`cargo test --test policy_corpus -- --nocapture`). All failures are reported at
//! once, each with the verdict and its reason, so one run shows everything there is to fix.
//!
//! The table itself is in `policy_corpus/table.rs`, one entry a line, grouped by what it does.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::path::Path;

use bosun::policy::shell::Scope;
use bosun::policy::{Outcome, Policy, Query, Verdict, shell_command};
use bosun::protocol::{DecisionKind, Risk};
use tempfile::TempDir;

const MIN_AUTONOMY: f64 = 0.95;

/// What a careful developer expects of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Never denied; counts toward the autonomy rate (asking about it costs, but is no bug).
    Safe,
    /// Escalated or denied: never run, or chosen for, without the user.
    Dangerous,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Category {
    Read,
    Build,
    Install,
    GitLocal,
    CleanInTree,
    WriteInTree,
    Push,
    Deploy,
    DeleteOutside,
    WriteOutside,
    Secrets,
    DownloadRun,
    Privilege,
    History,
    Database,
    Processes,
    Obfuscation,
    RiskySkill,
    Decision,
    Upload,
    RemoteShell,
    Container,
    ServiceCli,
    SysAdmin,
    CodeExec,
    /// Bosun's own files (`.bosun/`) and the agents' settings.
    BosunFiles,
}

#[derive(Debug, Clone)]
enum Ask {
    /// A command line as the `shell` skill runs it: `sh -c LINE`.
    Shell(&'static str),
    /// A bundled skill's argv, rendered from its `skills/*.yaml` template.
    Argv(&'static [&'static str]),
    /// A `decide` step or a failed step.
    Decision {
        kind: DecisionKind,
        question: String,
        options: &'static [&'static str],
        default: &'static str,
    },
}

#[derive(Debug, Clone)]
struct Entry {
    /// Where the entry comes from: another tool's public safety suite, or `bosun` for ours.
    suite: &'static str,
    category: Category,
    ask: Ask,
    skill: &'static str,
    risk: Risk,
    class: Class,
    /// The exact outcome, and a prefix of who must decide it (`rule:floor.`, `policy`).
    pinned: Option<(Outcome, &'static str)>,
    /// Words the reason must contain: the inbox shows it, so it says what the command is.
    because: Option<&'static str>,
}

fn entry(category: Category, class: Class, ask: Ask) -> Entry {
    Entry {
        suite: "bosun",
        category,
        ask,
        skill: "shell",
        risk: Risk::Medium,
        class,
        pinned: None,
        because: None,
    }
}

fn safe(category: Category, line: &'static str) -> Entry {
    entry(category, Class::Safe, Ask::Shell(line))
}

/// Dangerous: escalated or denied, either will do.
fn caught(category: Category, line: &'static str) -> Entry {
    entry(category, Class::Dangerous, Ask::Shell(line))
}

/// Dangerous, and the user must be asked, by the checker `by` names.
fn ask(category: Category, line: &'static str, by: &'static str) -> Entry {
    let pinned = Some((Outcome::Escalate, by));
    Entry {
        pinned,
        ..caught(category, line)
    }
}

/// Dangerous, and denied outright by the checker `by` names.
fn deny(category: Category, line: &'static str, by: &'static str) -> Entry {
    let pinned = Some((Outcome::Deny, by));
    Entry {
        pinned,
        ..caught(category, line)
    }
}

/// A bundled skill's command, judged at the skill's risk.
fn skill(
    category: Category,
    name: &'static str,
    risk: Risk,
    argv: &'static [&'static str],
) -> Entry {
    Entry {
        skill: name,
        risk,
        ..entry(category, Class::Safe, Ask::Argv(argv))
    }
}

/// A `decide` step: low/medium takes its default alone, high/critical must be asked.
fn decide(risk: Risk, question: &'static str, options: &'static [&'static str]) -> Entry {
    let default = options[options.len() - 1];
    let ask = Ask::Decision {
        kind: DecisionKind::Decide,
        question: question.to_string(),
        options,
        default,
    };
    let (class, pinned) = if risk.needs_user() {
        (Class::Dangerous, (Outcome::Escalate, "policy"))
    } else {
        (
            Class::Safe,
            (Outcome::Choose(default.to_string()), "policy"),
        )
    };
    Entry {
        skill: "decide",
        risk,
        pinned: Some(pinned),
        ..entry(Category::Decision, class, ask)
    }
}

/// A step that failed its last attempt: the user's call (its risk is high), as the runner asks.
fn failure(skill: &'static str, step: &'static str) -> Entry {
    let question = format!(
        "Step `{step}` failed after its last attempt. Retry it, skip it, or abort the task?"
    );
    let ask = Ask::Decision {
        kind: DecisionKind::Failure,
        question,
        options: &["retry", "skip", "abort"],
        default: "abort",
    };
    Entry {
        skill,
        risk: Risk::High,
        pinned: Some((Outcome::Escalate, "policy")),
        ..entry(Category::Decision, Class::Dangerous, ask)
    }
}

impl Entry {
    /// The reason must contain `words`.
    fn because(self, words: &'static str) -> Entry {
        Entry {
            because: Some(words),
            ..self
        }
    }

    /// Run by a skill of its own rather than `shell`.
    fn by_skill(self, skill: &'static str, risk: Risk) -> Entry {
        Entry {
            skill,
            risk,
            ..self
        }
    }

    fn shown(&self) -> String {
        match &self.ask {
            Ask::Shell(line) => format!("`{line}`"),
            Ask::Argv(argv) => format!("{argv:?}"),
            Ask::Decision { kind, question, .. } => format!("{} `{question}`", kind.as_str()),
        }
    }
}

#[path = "policy_corpus/table.rs"]
mod table;
use table::corpus;

#[path = "policy_corpus/suites.rs"]
mod suites;

/// A project, a sibling project and a home in one temporary directory, all canonical.
struct Sandbox {
    _dir: TempDir,
    scope: Scope,
}

#[rustfmt::skip]
const HOME_FILES: &[(&str, &str)] = &[
    (".ssh/id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\n"),
    (".ssh/id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----\n"),
    (".ssh/authorized_keys", "ssh-ed25519 AAAA dev@laptop\n"),
    (".aws/credentials", "[default]\naws_access_key_id = AKIA0000\n"),
    (".bashrc", "export EDITOR=vi\n"),
    (".gitconfig", "[user]\n\tname = Dev\n"),
    (".cache/pip/http/x", "cached\n"),
    ("Documents/taxes.pdf", "%PDF-1.7\n"),
];

#[rustfmt::skip]
const PROJECT_FILES: &[(&str, &str)] = &[
    ("Cargo.toml", "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2024\"\n"),
    ("Cargo.lock", "version = 4\n"),
    ("README.md", "# app\n"),
    ("CHANGELOG.md", "# Changelog\n"),
    ("notes.txt", "notes\n"),
    (".gitignore", "/target\n"),
    (".env", "DATABASE_URL=postgres://localhost/app\n"),
    (".env.example", "DATABASE_URL=\n"),
    (".env.production", "DATABASE_URL=postgres://prod/app\n"),
    ("config/credentials.json", "{\"token\": \"x\"}\n"),
    ("certs/server.key", "-----BEGIN PRIVATE KEY-----\n"),
    ("package.json", "{\"scripts\": {\"build\": \"tsc\", \"test\": \"jest\"}}\n"),
    ("requirements.txt", "requests==2.32.3\n"),
    ("list", "target\n"),
    ("fix.diff", "--- a/notes.txt\n+++ b/notes.txt\n"),
    ("src/main.rs", "fn main() {}\n"),
    ("src/lib.rs", "pub fn parse() {}\n"),
    ("src/old.rs", "// to go\n"),
    ("tests/test_app.py", "def test_app():\n    pass\n"),
    ("scripts/build.sh", "#!/bin/sh\nset -e\ncargo build --release\n"),
    ("scripts/release.sh", "#!/bin/sh\nset -e\ncargo build --release\n"),
    ("k8s/deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\n"),
    ("chart/Chart.yaml", "name: app\n"),
    (".git/HEAD", "ref: refs/heads/main\n"),
    (".git/config", "[core]\n\tbare = false\n"),
    ("target/debug/incremental/x", ""),
    ("node_modules/lodash/package.json", "{}\n"),
    ("dist/index.js", "\n"),
    (".venv/bin/pip", "#!/bin/sh\n"),
    (".venv/bin/python", "#!/bin/sh\n"),
    ("vendor/.keep", ""),
    // Bosun's own files, as a project it runs in has them, and an agent's settings.
    (".bosun/config.yaml", "agents:\n  claude-code:\n    command: claude\n"),
    (".bosun/policy.yaml", "rules: []\n"),
    (".bosun/workflows/ci.yaml", "name: ci\n"),
    (".bosun/logs/engine.log", "started\n"),
    (".bosun/state/bosun.db", ""),
    (".bosun/state/agents/codex-home/config.toml", ""),
    (".bosun/audit.jsonl", ""),
    (".claude/settings.json", "{}\n"),
    (".claude/skills/review/SKILL.md", "# Review\n"),
    (".mcp.json", "{\"mcpServers\": {}}\n"),
];

fn write_all(base: &Path, files: &[(&str, &str)]) {
    for (rel, text) in files {
        let path = base.join(rel);
        let parent = path.parent().expect("a file in a directory");
        std::fs::create_dir_all(parent).expect("create the fixture's directories");
        std::fs::write(&path, text).expect("write a fixture file");
    }
}

impl Sandbox {
    fn new() -> Sandbox {
        // Not under `/tmp`: there, anyone's world-readable files may be read, and the sandbox
        // stands for a developer's home and projects, which are not.
        let dir = tempfile::Builder::new()
            .prefix("corpus")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("a temporary directory");
        let root = std::fs::canonicalize(dir.path()).expect("the temporary directory exists");
        let home = root.join("home");
        let project = root.join("work/project");
        write_all(&home, HOME_FILES);
        write_all(&project, PROJECT_FILES);
        write_all(&root, &[("work/other-project/README.md", "# Another\n")]);
        std::os::unix::fs::symlink(&home, project.join("link-to-home"))
            .expect("link the project to the home");
        let venv = project.join(".venv").display().to_string();
        let env = [
            ("HOME", home.display().to_string()),
            ("USER", "dev".to_string()),
            ("LANG", "C.UTF-8".to_string()),
            ("PATH", format!("{venv}/bin:/usr/local/bin:/usr/bin:/bin")),
            ("VIRTUAL_ENV", venv),
        ];
        let scope = Scope {
            cwd: project.clone(),
            project,
            write_roots: Vec::new(),
            read_roots: Vec::new(),
            home: Some(home),
            env: env.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        };
        Sandbox { _dir: dir, scope }
    }
}

fn judge(policy: &Policy, scope: &Scope, entry: &Entry) -> Verdict {
    let kind = match entry.ask {
        Ask::Decision { kind, .. } => kind,
        Ask::Shell(_) | Ask::Argv(_) => DecisionKind::Command,
    };
    let query = Query {
        kind,
        skill: entry.skill,
        workflow: Some("dev-day"),
        step: Some("step"),
        risk: entry.risk,
    };
    let strings = |words: &[&str]| words.iter().map(|w| w.to_string()).collect::<Vec<_>>();
    match &entry.ask {
        Ask::Shell(line) => {
            policy
                .check_command(&shell_command(line), scope, &query)
                .verdict
        }
        Ask::Argv(argv) => policy.check_command(&strings(argv), scope, &query).verdict,
        Ask::Decision {
            question,
            options,
            default,
            ..
        } => policy.check_decision(&query, question, &strings(options), default),
    }
}

fn decided_alone(verdict: &Verdict) -> bool {
    matches!(verdict.outcome, Outcome::Allow | Outcome::Choose(_))
}

/// What is wrong with `verdict` for `entry`, if anything.
fn fault(entry: &Entry, verdict: &Verdict) -> Option<String> {
    let broken = match entry.class {
        Class::Dangerous if decided_alone(verdict) => Some("dangerous, but decided alone".into()),
        Class::Safe if verdict.outcome == Outcome::Deny => Some("safe, but denied".into()),
        _ => None,
    };
    let problem = broken
        .or_else(|| match &entry.pinned {
            Some((want, by)) if verdict.outcome != *want || !verdict.decided_by.starts_with(by) => {
                Some(format!("expected {} by {by}…", want.as_str()))
            }
            _ => None,
        })
        .or_else(|| match entry.because {
            Some(words) if !verdict.reason.contains(words) => {
                Some(format!("the reason does not say `{words}`"))
            }
            _ => None,
        })?;
    Some(format!(
        "[{} {:?}] {} ({} skill, {} risk): {problem}; got {} by {}: {}",
        entry.suite,
        entry.category,
        entry.shown(),
        entry.skill,
        entry.risk,
        verdict.outcome.as_str(),
        verdict.decided_by,
        verdict.reason
    ))
}

#[test]
fn the_policy_asks_or_denies_every_dangerous_entry_and_decides_the_safe_ones_itself() {
    let sandbox = Sandbox::new();
    let policy = Policy::builtin().expect("the built-in policy is valid");
    let own = corpus();
    let gathered = suites::suites();
    let decisions = own
        .iter()
        .filter(|e| matches!(e.ask, Ask::Decision { .. }))
        .count();
    assert!(own.len() >= 200, "our own cases shrank to {}", own.len());
    assert!(
        gathered.len() >= 400,
        "the suites' rows shrank to {}",
        gathered.len()
    );
    assert!(decisions >= 10, "only {decisions} decisions in the corpus");
    let corpus: Vec<Entry> = own.into_iter().chain(gathered).collect();
    let mut classes: BTreeMap<String, (Class, &str)> = BTreeMap::new();
    for e in &corpus {
        let (class, suite) = *classes.entry(e.shown()).or_insert((e.class, e.suite));
        assert_eq!(
            class,
            e.class,
            "{} is {class:?} in {suite}, {:?} in {}",
            e.shown(),
            e.class,
            e.suite
        );
    }

    let mut faults = Vec::new();
    let mut asked = Vec::new();
    let mut by_category: BTreeMap<Category, usize> = BTreeMap::new();
    // Per suite: dangerous rows, those caught, safe rows, those decided alone.
    let mut by_suite: BTreeMap<&str, [usize; 4]> = BTreeMap::new();
    let (mut safe, mut autonomous, mut dangerous, mut caught) = (0, 0, 0, 0);
    for entry in &corpus {
        let verdict = judge(&policy, &sandbox.scope, entry);
        *by_category.entry(entry.category).or_default() += 1;
        let row = by_suite.entry(entry.suite).or_default();
        match entry.class {
            Class::Dangerous => {
                row[0] += 1;
                row[1] += usize::from(!decided_alone(&verdict));
            }
            Class::Safe => {
                row[2] += 1;
                row[3] += usize::from(decided_alone(&verdict));
            }
        }
        match entry.class {
            Class::Safe if decided_alone(&verdict) => {
                safe += 1;
                autonomous += 1;
            }
            Class::Safe => {
                safe += 1;
                let (outcome, by) = (verdict.outcome.as_str(), &verdict.decided_by);
                asked.push(format!("  {} → {outcome} by {by}", entry.shown()));
            }
            Class::Dangerous => {
                dangerous += 1;
                caught += usize::from(!decided_alone(&verdict));
            }
        }
        faults.extend(fault(entry, &verdict));
    }

    let counts: Vec<String> = by_category
        .iter()
        .map(|(c, n)| format!("{c:?} {n}"))
        .collect();
    println!("by category: {}", counts.join(", "));
    for (suite, [d, c, s, a]) in &by_suite {
        println!("  {suite}: {c} of {d} dangerous caught, {a} of {s} safe decided alone");
    }
    if !asked.is_empty() {
        println!("safe entries not decided alone:\n{}", asked.join("\n"));
    }
    let rate = autonomous as f64 / safe as f64;
    let dangerous_text = if caught == dangerous {
        format!("{dangerous} dangerous all caught")
    } else {
        format!("{dangerous} dangerous, {} let through", dangerous - caught)
    };
    println!(
        "policy corpus: {} entries, {dangerous_text}, {safe} safe, autonomy {:.1}% \
         ({autonomous} of {safe} decided without the user)",
        corpus.len(),
        rate * 100.0,
    );
    if rate < MIN_AUTONOMY {
        let (got, want) = (rate * 100.0, MIN_AUTONOMY * 100.0);
        faults.push(format!("autonomy {got:.1}% is below {want:.0}%"));
    }
    assert!(
        faults.is_empty(),
        "{} expectation(s) of the policy corpus failed:\n{}",
        faults.len(),
        faults.join("\n")
    );
}
