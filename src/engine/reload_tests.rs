//! Reloading config and policy in a real temporary project, with a real store: what an edit
//! changes in force, what an invalid edit leaves alone, and what the registry says meanwhile.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::*;
use crate::config::{ProjectPaths, load_settings_from};
use crate::definitions::problems::DefinitionProblems;
use crate::definitions::template::Templates;
use crate::engine::runner::SkillSlots;
use crate::policy::{Origin, PolicyCache};
use crate::store::Store;
use crate::store::audit::{AuditHandle, AuditLog};

struct Project {
    _dir: tempfile::TempDir,
    ctx: RunContext,
}

/// A project whose config holds `config`, and the context an engine started on it would have
/// (settings layered from its files and `overrides`, as at start).
async fn project(config: &str, overrides: Overrides) -> Project {
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = ProjectPaths::new(dir.path()).expect("paths");
    paths.ensure_state_dirs().expect("state dirs");
    std::fs::write(paths.config_file(), config).expect("config");
    let settings = layered(&paths, &overrides).expect("valid at start");
    let store = Store::open(&paths.database()).await.expect("store");
    let (audit, _) = AuditHandle::spawn(AuditLog::new(paths.audit_log()));
    let ctx = RunContext {
        store,
        skill_slots: SkillSlots::new(settings.engine.max_parallel_skills),
        settings: settings.into(),
        problems: DefinitionProblems::default(),
        policy: PolicyCache::new(&paths).expect("policy"),
        paths,
        templates: Templates::new(),
        shutdown: CancellationToken::new(),
        supervisor: None,
        changes: tokio::sync::watch::Sender::new(0),
        inbox_open: tokio::sync::Mutex::new(()),
        session: "s-test".into(),
        audit,
        agent_pauses: Default::default(),
    };
    Project { _dir: dir, ctx }
}

/// The layers without the user's own config file and environment, so the tests do not
/// depend on the machine.
fn layered(paths: &ProjectPaths, overrides: &Overrides) -> Result<Settings, Diagnostic> {
    load_settings_from(None, &paths.config_file(), &|_| None, overrides)
}

impl Project {
    fn write(&self, file: &Path, text: &str) {
        std::fs::write(file, text).expect("write");
    }

    fn reload(&self) {
        apply_config(&self.ctx, |o| layered(&self.ctx.paths, o));
    }

    fn workflows_limit(&self) -> usize {
        self.ctx.settings.current().engine.max_concurrent_workflows
    }
}

#[tokio::test]
async fn a_valid_edit_applies_at_once() {
    let p = project(
        "engine:\n  max_concurrent_workflows: 10\n",
        Overrides::default(),
    )
    .await;
    let before = p.ctx.settings.current();
    p.write(
        &p.ctx.paths.config_file(),
        "engine:\n  max_concurrent_workflows: 4\n  max_parallel_skills: 2\n",
    );
    p.reload();
    assert_eq!(p.workflows_limit(), 4);
    assert_eq!(p.ctx.settings.current().engine.max_parallel_skills, 2);
    assert_eq!(
        p.ctx.skill_slots.free(),
        2,
        "the skill slots follow the limit"
    );
    assert_eq!(
        before.engine.max_concurrent_workflows, 10,
        "settings already handed out do not change under their reader"
    );
    assert!(p.ctx.problems.list().is_empty());
}

/// Through `load_settings` itself, user file and environment included: a value set by the
/// project file shows unless `BOSUN_MAX_CONCURRENT_WORKFLOWS` is set where the tests run.
#[tokio::test]
async fn the_real_layers_are_read_again() {
    let p = project("", Overrides::default()).await;
    p.write(
        &p.ctx.paths.config_file(),
        "engine:\n  max_concurrent_workflows: 3\n",
    );
    reload_config(&p.ctx);
    assert_eq!(p.workflows_limit(), 3);
}

#[tokio::test]
async fn an_invalid_edit_keeps_the_settings_in_force_and_is_reported_until_fixed() {
    let p = project(
        "engine:\n  max_concurrent_workflows: 6\n",
        Overrides::default(),
    )
    .await;
    let file = p.ctx.paths.config_file();
    p.write(&file, "engine:\n  max_concurrent_workflows: many\n");
    p.reload();
    assert_eq!(p.workflows_limit(), 6, "the last good value stays");
    let problems = p.ctx.problems.list();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].0, file);
    let shown = p.ctx.problems.summaries();
    let position = format!("{}:2:", file.display());
    assert!(shown[0].starts_with(&position), "{shown:?}");
    assert!(shown[0].contains("max_concurrent_workflows"), "{shown:?}");

    // Broken YAML, not only a wrong type.
    p.write(&file, "engine:\n  max_concurrent_workflows: [4\n");
    p.reload();
    assert_eq!(p.workflows_limit(), 6);
    assert!(
        p.ctx.problems.summaries()[0].contains("config.yaml:"),
        "{:?}",
        p.ctx.problems.summaries()
    );

    p.write(&file, "engine:\n  max_concurrent_workflows: 2\n");
    p.reload();
    assert_eq!(p.workflows_limit(), 2);
    assert!(
        p.ctx.problems.list().is_empty(),
        "fixed: the problem is gone"
    );
}

#[tokio::test]
async fn a_limit_of_zero_is_refused_like_at_start() {
    let p = project("", Overrides::default()).await;
    p.write(
        &p.ctx.paths.config_file(),
        "engine:\n  max_parallel_skills: 0\n",
    );
    p.reload();
    assert_eq!(p.ctx.settings.current().engine.max_parallel_skills, 5);
    assert_eq!(p.ctx.skill_slots.free(), 5);
    assert!(p.ctx.problems.summaries()[0].contains("at least 1"));
}

#[tokio::test]
async fn command_line_flags_still_win_after_a_reload() {
    let flags = Overrides {
        max_parallel_skills: Some(7),
        ..Overrides::default()
    };
    let p = project("engine:\n  max_parallel_skills: 3\n", flags).await;
    assert_eq!(p.ctx.settings.current().engine.max_parallel_skills, 7);
    p.write(
        &p.ctx.paths.config_file(),
        "engine:\n  max_parallel_skills: 2\n  max_concurrent_workflows: 9\n",
    );
    p.reload();
    assert_eq!(p.ctx.settings.current().engine.max_parallel_skills, 7);
    assert_eq!(p.ctx.skill_slots.free(), 7);
    assert_eq!(p.workflows_limit(), 9);
}

#[test]
fn changes_name_each_setting_and_when_it_applies() {
    let old = Settings::default();
    let mut new = old.clone();
    new.engine.max_concurrent_workflows = 4;
    new.engine.poll_interval = std::time::Duration::from_secs(1);
    new.cache.redis_url = Some("redis://:secret@host/".into());
    let found = changes(&old, &new);
    let texts: Vec<(&str, bool)> = found.iter().map(|c| (c.text.as_str(), c.live)).collect();
    assert_eq!(
        texts,
        vec![
            ("engine.max_concurrent_workflows 10 → 4", true),
            ("engine.poll_interval 250ms → 1s", false),
            ("cache.redis_url changed", false),
        ]
    );
    assert!(changes(&old, &old.clone()).is_empty());
}

const RULE: &str = "rules:\n  - id: allow-shell\n    match: { skill: shell }\n    action: allow\n";

fn project_rules(policy: &crate::policy::Policy) -> Vec<String> {
    policy
        .rules
        .iter()
        .filter(|r| r.origin == Origin::Project)
        .map(|r| r.id.clone())
        .collect()
}

#[tokio::test]
async fn a_policy_edit_applies_and_an_invalid_one_keeps_the_last_good_policy() {
    let p = project("", Overrides::default()).await;
    let file = p.ctx.paths.policy_file();
    let problems = &p.ctx.problems;
    p.write(&file, RULE);
    reload_policy(&p.ctx);
    let good = p.ctx.policy.current(problems);
    assert_eq!(project_rules(&good), vec!["allow-shell"]);

    p.write(
        &file,
        "rules:\n  - id: broken\n    match: { skill: shell }\n    action: perhaps\n",
    );
    reload_policy(&p.ctx);
    let shown = problems.summaries();
    assert_eq!(shown.len(), 1, "{shown:?}");
    let position = format!("{}:4:", file.display());
    assert!(shown[0].starts_with(&position), "{shown:?}");
    let kept = p.ctx.policy.current(problems);
    assert!(
        Arc::ptr_eq(&good, &kept),
        "the last good policy stays in force"
    );

    p.write(&file, &RULE.replace("allow-shell", "allow-shell-too"));
    reload_policy(&p.ctx);
    assert!(problems.list().is_empty(), "fixed: the problem is gone");
    assert_eq!(
        project_rules(&p.ctx.policy.current(problems)),
        vec!["allow-shell-too"]
    );
}

#[tokio::test]
async fn a_check_finds_a_broken_policy_without_the_watcher_and_reports_it_too() {
    let p = project("", Overrides::default()).await;
    let file = p.ctx.paths.policy_file();
    p.write(&file, "rules: [\n");
    let policy = p.ctx.policy.current(&p.ctx.problems);
    assert!(project_rules(&policy).is_empty(), "built-in rules only");
    assert_eq!(p.ctx.problems.list().len(), 1);
    assert_eq!(p.ctx.problems.list()[0].0, file);
}

#[test]
fn a_retention_change_applies_at_the_next_prune() {
    let old = Settings::default();
    let mut new = old.clone();
    new.retention.history = crate::config::retention::Keep::For(Duration::from_secs(30 * 86_400));
    new.retention.audit = crate::config::retention::Keep::For(Duration::from_secs(36 * 3_600));
    let found = changes(&old, &new);
    let texts: Vec<(&str, bool)> = found.iter().map(|c| (c.text.as_str(), c.live)).collect();
    assert_eq!(
        texts,
        vec![
            ("retention.history 90d → 30d", true),
            ("retention.audit forever → 36h", true),
        ]
    );
}
