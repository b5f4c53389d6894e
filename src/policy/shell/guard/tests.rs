//! The guard on a real tree: a project with Bosun's files, an agent's settings, a symlink into
//! `.bosun` and a hard link to its policy, read through the whole command reader.

use std::collections::BTreeMap;
use std::path::PathBuf;

use tempfile::TempDir;

use crate::policy::shell::{Finding, Guarded, Scope, Severity, analyze};

const STORE: &str = "floor.bosun-state";
const BOSUN: &str = "boundary.bosun-write";
const SETTINGS: &str = "boundary.agent-settings";
const GIT: &str = "boundary.git-hooks";

struct Tree {
    _dir: TempDir,
    scope: Scope,
}

fn tree(files: &[&str]) -> Tree {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let project = root.join("project");
    for rel in files {
        let path = project.join(rel);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("directories");
        std::fs::write(&path, "x\n").expect("a file");
    }
    std::fs::create_dir_all(project.join("sub")).expect("sub");
    let scope = Scope {
        cwd: project.clone(),
        project,
        write_roots: Vec::new(),
        read_roots: Vec::new(),
        home: Some(root.join("home")),
        env: BTreeMap::new(),
    };
    Tree { _dir: dir, scope }
}

/// A project Bosun runs in.
fn bosun_tree() -> Tree {
    tree(&[
        ".bosun/policy.yaml",
        ".bosun/config.yaml",
        ".bosun/workflows/ci.yaml",
        ".bosun/logs/engine.log",
        ".bosun/state/bosun.db",
        ".bosun/state/agents/codex-home/rules/default.rules",
        ".bosun/audit.jsonl",
        ".claude/settings.json",
        ".mcp.json",
        ".git/config",
        ".git/hooks/pre-commit.sample",
        "src/main.rs",
    ])
}

impl Tree {
    fn path(&self, rel: &str) -> PathBuf {
        self.scope.project.join(rel)
    }

    fn findings(&self, line: &str) -> Vec<Finding> {
        let argv = ["sh".to_string(), "-c".to_string(), line.to_string()];
        analyze(&argv, &self.scope).findings
    }

    /// The guard's finding about `line`, if any (the first, as the reader found it).
    fn guard(&self, line: &str) -> Option<String> {
        self.findings(line)
            .into_iter()
            .map(|f| f.id)
            .find(|id| [STORE, BOSUN, SETTINGS, GIT].contains(&id.as_str()))
    }
}

#[test]
fn the_store_and_the_audit_log_are_never_written_or_deleted() {
    let t = bosun_tree();
    for line in [
        "echo x > .bosun/state/bosun.db",
        "echo x >> .bosun/audit.jsonl",
        "rm -f .bosun/state/bosun.db",
        "rm -rf .bosun/state/agents/codex-home/rules",
        "rm -rf .bosun",
        "mv .bosun/audit.jsonl old.jsonl",
        "chmod 000 .bosun/state",
    ] {
        assert_eq!(t.guard(line).as_deref(), Some(STORE), "{line}");
        let denied = t.findings(line);
        let f = denied.iter().find(|f| f.id == STORE).expect("the finding");
        assert_eq!(f.severity, Severity::Deny, "{line}");
        assert_eq!(f.guarded, None, "no rule names the store open: {line}");
    }
}

#[test]
fn the_rest_of_bosun_and_the_agents_settings_are_asked_about() {
    let t = bosun_tree();
    for (line, id, path, root) in [
        (
            "echo 'rules: []' > .bosun/policy.yaml",
            BOSUN,
            ".bosun/policy.yaml",
            ".bosun",
        ),
        (
            "sed -i s/a/b/ .bosun/config.yaml",
            BOSUN,
            ".bosun/config.yaml",
            ".bosun",
        ),
        (
            "tee .bosun/workflows/gen.yaml",
            BOSUN,
            ".bosun/workflows/gen.yaml",
            ".bosun",
        ),
        ("rm -rf .bosun/logs", BOSUN, ".bosun/logs", ".bosun"),
        (
            "tee .claude/settings.json",
            SETTINGS,
            ".claude/settings.json",
            ".claude",
        ),
        (
            "tee .claude/settings.local.json",
            SETTINGS,
            ".claude/settings.local.json",
            ".claude",
        ),
        ("echo '{}' > .mcp.json", SETTINGS, ".mcp.json", ".mcp.json"),
        ("mkdir -p .codex/rules", SETTINGS, ".codex/rules", ".codex"),
        (
            "rm -rf .claude",
            SETTINGS,
            ".claude/settings.json",
            ".claude",
        ),
        (
            "echo 'make lint' > .git/hooks/pre-commit",
            GIT,
            ".git/hooks/pre-commit",
            ".git",
        ),
        (
            "git config -f .git/config core.pager cat",
            GIT,
            ".git/config",
            ".git",
        ),
    ] {
        let found = t.findings(line);
        let f = found
            .iter()
            .find(|f| f.id == id)
            .unwrap_or_else(|| panic!("{line}: {found:?}"));
        assert_eq!(f.severity, Severity::Escalate, "{line}");
        let want = Guarded {
            path: path.into(),
            root: root.into(),
        };
        assert_eq!(f.guarded.as_ref(), Some(&want), "{line}");
    }
    let reason = &t.findings("tee .bosun/policy.yaml")[0].reason;
    assert!(reason.contains("Bosun's policy"), "{reason}");
    assert!(
        reason.contains("`path: \".bosun/policy.yaml\"`"),
        "{reason}"
    );
}

#[test]
fn reading_bosun_and_writing_elsewhere_are_fine() {
    let t = bosun_tree();
    for line in [
        "cat .bosun/policy.yaml .bosun/audit.jsonl",
        "ls -la .bosun/state",
        "grep -rn skill .bosun",
        "cat .claude/settings.json",
        "tee .claude/skills/review/SKILL.md",
        "echo x > src/main.rs",
        "rm -rf target",
        "find . -name '*.pyc' -delete",
        "cat .git/config",
        "git commit -m x",
        // Deleting `.git` is about its history, which a built-in rule asks about.
        "rm -rf .git",
    ] {
        assert_eq!(t.guard(line), None, "{line}");
    }
}

#[test]
fn symlinks_and_dot_dot_are_no_way_around() {
    let t = bosun_tree();
    std::os::unix::fs::symlink("../.bosun", t.path("sub/link")).expect("a link into .bosun");
    std::os::unix::fs::symlink(t.path(".bosun/state"), t.path("st")).expect("a link to state");
    let cases = [
        ("echo x > sub/link/policy.yaml", Some(BOSUN)),
        ("echo x > sub/link/state/bosun.db", Some(STORE)),
        ("rm -rf sub/link/", Some(STORE)),
        ("rm -rf st/", Some(STORE)),
        ("echo x > st/bosun.db", Some(STORE)),
        // Removing the link removes the link, not what it points to.
        ("rm sub/link", None),
        ("rm st", None),
        ("echo x > sub/../.bosun/audit.jsonl", Some(STORE)),
        ("cd src/../.bosun && echo x > config.yaml", Some(BOSUN)),
        ("cd sub/link && rm -rf state", Some(STORE)),
        ("ln -s .bosun/state s && rm -rf s/", Some(STORE)),
        (
            "ln -s ../.bosun sub/l2 && tee sub/l2/policy.yaml",
            Some(BOSUN),
        ),
    ];
    for (line, want) in cases {
        assert_eq!(t.guard(line).as_deref(), want, "{line}");
    }
    let absolute = format!("echo x > {}", t.path(".bosun/policy.yaml").display());
    assert_eq!(t.guard(&absolute).as_deref(), Some(BOSUN));
}

#[test]
fn a_hard_link_is_written_as_the_file_it_names() {
    let t = bosun_tree();
    std::fs::hard_link(t.path(".bosun/policy.yaml"), t.path("notes.txt")).expect("hard link");
    std::fs::hard_link(t.path(".bosun/state/bosun.db"), t.path("copy.db")).expect("hard link");
    assert_eq!(t.guard("echo x > notes.txt").as_deref(), Some(BOSUN));
    assert_eq!(t.guard("echo x > copy.db").as_deref(), Some(STORE));
    // Deleting one of its names leaves the file where it was.
    assert_eq!(t.guard("rm notes.txt"), None);
    // A link made earlier in the same line is followed too.
    assert_eq!(
        t.guard("ln .bosun/config.yaml c && echo x > c").as_deref(),
        Some(BOSUN)
    );
}

#[test]
fn a_delete_by_glob_is_judged_by_what_it_may_take() {
    let t = bosun_tree();
    let cases = [
        ("rm -rf .bosun/*", Some(STORE)),
        ("cd .bosun && rm -rf *", Some(STORE)),
        ("rm -rf .b*", Some(STORE)),
        ("find . -name '*.db' -delete", Some(STORE)),
        ("find . -name '*.rules' -delete", Some(STORE)),
        ("find . -mtime +30 -delete", Some(STORE)),
        ("find . -name '*.yaml' -delete", Some(BOSUN)),
        ("rm -rf .bosun/logs/*", Some(BOSUN)),
        ("find . -name '*.json' -delete", Some(SETTINGS)),
        ("find . -name '*.o' -delete", None),
        ("rm -rf src/*", None),
        // `git clean -x` deletes ignored files, Bosun's state among them, unless told to keep
        // it; with `-X` an `-e` pattern is deleted rather than kept.
        ("git clean -fdx", Some(STORE)),
        ("git clean -fdX", Some(STORE)),
        ("git clean -fdX -e .bosun", Some(STORE)),
        ("git clean -fdx -e .bosun", None),
        ("git clean -fdx -e /.bosun/", None),
        ("git clean -fdx target", None),
        ("git clean -fd", None),
        ("git clean -ndx", None),
    ];
    for (line, want) in cases {
        assert_eq!(t.guard(line).as_deref(), want, "{line}");
    }
}

#[test]
fn a_write_by_glob_is_judged_by_what_it_may_match() {
    let t = bosun_tree();
    let cases = [
        ("cp x .b*/state/bosun.db", Some(STORE)),
        ("sed -i s/escalate/allow/ .bosu?/policy.yaml", Some(BOSUN)),
        ("echo x > .[b]osun/config.yaml", Some(BOSUN)),
        ("sed -i s/a/b/ src/*.rs", None),
    ];
    for (line, want) in cases {
        assert_eq!(t.guard(line).as_deref(), want, "{line}");
    }
}

/// A glob takes only what exists: in a project Bosun has not run in, a cleanup by name
/// reaches nothing of Bosun's (a direct write still does).
#[test]
fn a_glob_takes_only_what_exists() {
    let t = tree(&["src/main.rs"]);
    assert_eq!(t.guard("find . -name '*.db' -delete"), None);
    assert_eq!(t.guard("git clean -fdx"), None);
    assert_eq!(
        t.guard("echo x > .bosun/state/bosun.db").as_deref(),
        Some(STORE)
    );
    assert_eq!(t.guard("rm -rf .bosun").as_deref(), Some(STORE));
}

/// A root that lets steps write in the home does not open the agents' settings there.
#[test]
fn the_agents_settings_in_the_home_are_asked_about_under_a_root() {
    let mut t = bosun_tree();
    let home = t.scope.home.clone().expect("a home");
    std::fs::create_dir_all(home.join(".codex")).expect("~/.codex");
    t.scope.write_roots = vec![home.clone()];
    let line = format!("tee {}", home.join(".codex/config.toml").display());
    let found = t.findings(&line);
    let f = found.iter().find(|f| f.id == SETTINGS).expect("asked");
    assert_eq!(
        f.guarded.as_ref().map(|g| g.root.clone()),
        Some(home.join(".codex").display().to_string())
    );
    let other = format!("tee {}", home.join("notes.txt").display());
    assert_eq!(t.guard(&other), None);
}

/// `.bosun` kept elsewhere in the tree through a link is guarded where it really is.
#[test]
fn a_bosun_directory_that_is_a_link_is_guarded_where_it_points() {
    let t = tree(&["config/bosun/policy.yaml", "config/bosun/state/bosun.db"]);
    std::os::unix::fs::symlink("config/bosun", t.path(".bosun")).expect("link .bosun");
    assert_eq!(
        t.guard("echo x > config/bosun/policy.yaml").as_deref(),
        Some(BOSUN)
    );
    assert_eq!(
        t.guard("echo x > config/bosun/state/bosun.db").as_deref(),
        Some(STORE)
    );
    assert_eq!(t.guard("echo x > config/other.yaml"), None);
}
