//! `bosun doctor`: checks each part Bosun depends on and says what works and what does not.
//! A check that is not `required` (Redis, an agent no project workflow uses, free space running
//! low) only warns: its failure does not fail the doctor.

mod agents;
mod api;
mod backups;
mod worktrees;

use std::time::Duration;

use serde::Serialize;

use super::format::print_json;
use super::{CliError, CliResult, Project};
use crate::engine::lock::live_holder;
use crate::store::Store;

#[derive(Debug, Serialize)]
struct Check {
    name: String,
    ok: bool,
    /// Whether its failure fails the doctor (exit 1); otherwise it is a warning.
    required: bool,
    detail: String,
    /// An agent check's findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    agent: Option<agents::AgentReport>,
}

fn check(name: &str, result: Result<String, String>) -> Check {
    let (ok, detail) = match result {
        Ok(detail) => (true, detail),
        Err(detail) => (false, detail),
    };
    Check {
        name: name.to_string(),
        ok,
        // Bosun works without Redis, from SQLite alone.
        required: name != "redis",
        detail,
        agent: None,
    }
}

async fn sqlite(project: &Project) -> Result<String, String> {
    let path = project.paths.database();
    project
        .paths
        .ensure_state_dirs()
        .map_err(|e| format!("cannot prepare {}: {e}", project.paths.bosun_dir.display()))?;
    let store = Store::open(&path).await.map_err(|e| e.to_string())?;
    let verdict = store.quick_check().await.map_err(|e| e.to_string());
    let mode: Result<(String,), _> = sqlx::query_as("PRAGMA journal_mode")
        .fetch_one(&store.reader)
        .await;
    store.close().await;
    let verdict = verdict?;
    let mode = mode.map(|m| m.0).unwrap_or_else(|_| "unknown".into());
    if verdict == "ok" {
        Ok(format!("{} (journal {mode}, integrity ok)", path.display()))
    } else {
        Err(format!(
            "{}: integrity check says: {verdict}",
            path.display()
        ))
    }
}

async fn redis(project: &Project) -> Result<String, String> {
    let Some(url) = &project.settings.cache.redis_url else {
        return Ok("off (set --redis, BOSUN_REDIS_URL or cache.redis_url to use it)".into());
    };
    // The doctor allows more than the engine's per-call bound: a slow answer is worth knowing.
    let link = crate::mirror::RedisLink::new(url, Duration::from_millis(500))?;
    let keys = crate::mirror::Keys::for_project(&project.paths.root);
    let down = |why: String| {
        format!(
            "down: {} ({why}); Bosun works without it, from SQLite alone",
            link.url()
        )
    };
    match link.query::<String>(&redis::cmd("PING")).await {
        Ok(reply) => Ok(format!(
            "{} answers {reply}; this project's keys and channel are under {}",
            link.url(),
            keys.prefix()
        )),
        Err(crate::mirror::LinkError::Failed(why)) => Err(down(why)),
        Err(e) => Err(down(e.to_string())),
    }
}

async fn engine(project: &Project) -> Result<String, String> {
    match live_holder(&project.paths.database())
        .await
        .map_err(|e| e.to_string())?
    {
        None => Ok("not running".into()),
        Some(holder) => Ok(format!("running ({holder})")),
    }
}

fn watcher(project: &Project) -> Result<String, String> {
    let limit = std::fs::read_to_string("/proc/sys/fs/inotify/max_user_watches")
        .map_err(|e| format!("cannot read the inotify limit: {e}"))?;
    let limit: usize = limit
        .trim()
        .parse()
        .map_err(|_| "unreadable inotify limit".to_string())?;
    let needed = crate::watch::rules::count_directories(&project.paths.root);
    if needed > limit {
        Err(format!(
            "this project has {needed} directories to watch but inotify allows {limit}: changes \
             in some would go unseen. Ignore generated directories (.gitignore, .ignore) or raise \
             fs.inotify.max_user_watches"
        ))
    } else {
        Ok(format!(
            "inotify: {needed} directories to watch, {limit} watches allowed"
        ))
    }
}

fn paths(project: &Project) -> Result<String, String> {
    let p = &project.paths;
    let probe = p.bosun_dir.join(".doctor-write-test");
    std::fs::create_dir_all(&p.bosun_dir)
        .and_then(|()| std::fs::write(&probe, b"ok"))
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|e| format!("{} is not writable: {e}", p.bosun_dir.display()))?;
    let user = crate::config::user_config_file()
        .map(|f| f.display().to_string())
        .unwrap_or_else(|| "none (no home directory)".into());
    Ok(format!("project {} · user config {user}", p.root.display()))
}

/// Free space under which `disk` warns: the engine stops starting tasks when it runs out.
const LOW_SPACE: u64 = 100 * 1024 * 1024;

/// Free space on the filesystem holding the state directory (the database, its WAL and the
/// backups); a warning, not a failure, below [`LOW_SPACE`].
fn disk(project: &Project) -> Check {
    let dir = project.paths.state_dir();
    // Before the first run the state directory may not exist: ask about the project instead.
    let asked = if dir.exists() {
        dir
    } else {
        project.paths.root.clone()
    };
    let result = match crate::store::free_space(&asked) {
        Err(e) => Err(format!(
            "cannot tell the free space of {}: {e}",
            asked.display()
        )),
        Ok(free) if free < LOW_SPACE => Err(format!(
            "{} free on the filesystem holding {}: when it runs out no new task starts and \
             running ones wait to save; free some space",
            megabytes(free),
            asked.display()
        )),
        Ok(free) => Ok(format!(
            "{} free on the filesystem holding {}",
            megabytes(free),
            asked.display()
        )),
    };
    Check {
        required: false,
        ..check("disk", result)
    }
}

/// `12.3 MB`, `4.1 GB`.
fn megabytes(bytes: u64) -> String {
    let mb = bytes as f64 / 1e6;
    if mb >= 1000.0 {
        format!("{:.1} GB", mb / 1000.0)
    } else {
        format!("{mb:.1} MB")
    }
}

fn definitions(project: &Project) -> Result<String, String> {
    let skills = crate::definitions::skills::load_skills(&project.paths);
    let workflows = crate::definitions::workflow::load_workflows(&project.paths);
    let broken = skills.problems.len() + workflows.problems.len();
    let summary = format!(
        "{} workflows, {} skills",
        workflows.entries.len(),
        skills.entries.len()
    );
    if broken == 0 {
        Ok(summary)
    } else {
        Err(format!(
            "{summary}; {} unreadable: run `bosun validate`",
            crate::text::count(broken as i64, "file")
        ))
    }
}

pub async fn doctor(project: &Project, json: bool) -> CliResult {
    let mut checks = vec![
        check("paths", paths(project)),
        check("sqlite", sqlite(project).await),
        disk(project),
        backups::backups(project),
        check("engine", engine(project).await),
        check("redis", redis(project).await),
        check("watcher", watcher(project)),
        check("definitions", definitions(project)),
        worktrees::worktrees(project).await,
        api::api(project).await,
    ];
    checks.extend(agents::agents(project).await);
    if json {
        print_json(&checks)?;
    } else {
        for c in &checks {
            let status = match (c.ok, c.required) {
                (true, _) => "ok  ",
                (false, true) => "FAIL",
                (false, false) => "warn",
            };
            println!("{status} {:<12} {}", c.name, c.detail);
        }
    }
    let failed: Vec<&str> = checks
        .iter()
        .filter(|c| !c.ok && c.required)
        .map(|c| c.name.as_str())
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(CliError::failed(format!(
            "not working: {}",
            failed.join(", ")
        )))
    }
}
