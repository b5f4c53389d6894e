//! The headless command line (DESIGN.md §3). Each verb is a small function over the library;
//! errors carry their exit code: 1 when the operation failed, 2 for bad usage or bad input.

mod args;
mod audit;
mod backup;
mod defs;
mod doctor;
mod export;
mod format;
mod inbox;
mod interface;
mod land;
mod mcp;
mod policy;
mod run;
mod stats;
mod tail;
mod tasks;
mod token;
mod watch;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

pub use args::{AuditAction, Cli, PolicyAction, RememberScope, Verb};

use crate::config::{Overrides, ProjectPaths, Settings, load_settings};

/// A failed verb: what to print and the exit code.
#[derive(Debug)]
pub struct CliError {
    pub code: u8,
    pub message: String,
}

impl CliError {
    /// The operation failed (exit 1).
    pub fn failed(message: impl std::fmt::Display) -> CliError {
        CliError {
            code: 1,
            message: message.to_string(),
        }
    }

    /// The user's input is wrong (exit 2).
    pub fn bad_input(message: impl std::fmt::Display) -> CliError {
        CliError {
            code: 2,
            message: message.to_string(),
        }
    }
}

impl From<crate::store::StoreError> for CliError {
    fn from(e: crate::store::StoreError) -> CliError {
        CliError::failed(e)
    }
}

pub type CliResult = Result<(), CliError>;

/// Parses the command line, runs the verb, and turns the outcome into an exit code.
pub fn main() -> ExitCode {
    // The local offset can only be read safely while the process has one thread.
    let _ = crate::time::local_offset();
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(crate::engine::process::SUPERVISE_VERB) {
        return supervise_verb(&args[2..]);
    }
    let cli = Cli::parse();
    // A submission is one transaction in one connection: worker threads would only cost their
    // start-up. Every other verb keeps the multi-threaded runtime.
    let mut builder = if matches!(cli.verb, Some(Verb::Submit { .. })) {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bosun: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bosun: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}

/// `bosun __step --parent PID [--grace-ms MS] -- COMMAND...`: the engine's step supervisor
/// (not for people).
fn supervise_verb(args: &[String]) -> ExitCode {
    let (grace, rest) = match args {
        [flag, parent, g, ms, rest @ ..] if g == "--grace-ms" => match ms.parse() {
            Ok(ms) => (
                std::time::Duration::from_millis(ms),
                [&[flag.clone(), parent.clone()][..], rest].concat(),
            ),
            Err(_) => return ExitCode::from(2),
        },
        _ => (std::time::Duration::ZERO, args.to_vec()),
    };
    match &rest[..] {
        [flag, parent, dashes, argv @ ..] if flag == "--parent" && dashes == "--" => {
            match parent.parse() {
                Ok(parent) => crate::engine::process::supervise(parent, grace, argv),
                Err(_) => ExitCode::from(2),
            }
        }
        _ => {
            eprintln!("bosun __step: usage: bosun __step --parent PID -- COMMAND...");
            ExitCode::from(2)
        }
    }
}

/// The project and its settings, as every verb needs them.
pub(crate) struct Project {
    pub paths: ProjectPaths,
    pub settings: Settings,
}

impl Project {
    /// The project with built-in settings, for verbs that must work despite a broken config.
    fn with_defaults(cli: &Cli) -> Result<Project, CliError> {
        let dir = cli
            .project
            .clone()
            .unwrap_or_else(|| std::path::PathBuf::from("."));
        let paths = ProjectPaths::new(&dir).map_err(CliError::bad_input)?;
        Ok(Project {
            paths,
            settings: Settings::default(),
        })
    }

    fn open(cli: &Cli, overrides: Overrides) -> Result<Project, CliError> {
        let dir = cli
            .project
            .clone()
            .unwrap_or_else(|| std::path::PathBuf::from("."));
        let paths = ProjectPaths::new(&dir).map_err(CliError::bad_input)?;
        let overrides = Overrides {
            redis: cli.redis.clone(),
            ..overrides
        };
        let settings = load_settings(&paths, &overrides).map_err(CliError::bad_input)?;
        if let Some(url) = &settings.cache.redis_url {
            redis::Client::open(url.as_str()).map_err(|e| {
                CliError::bad_input(format!(
                    "the Redis URL `{url}` (from --redis, BOSUN_REDIS_URL or cache.redis_url) is not valid: {e}"
                ))
            })?;
        }
        Ok(Project { paths, settings })
    }
}

async fn dispatch(cli: Cli) -> CliResult {
    let Some(verb) = cli.verb.clone() else {
        if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
            return Err(CliError::bad_input(
                "no terminal to draw on; use `bosun run` to run the engine without the interface",
            ));
        }
        let overrides = Overrides {
            theme: cli.theme.clone(),
            ..Overrides::default()
        };
        return interface::interface(Project::open(&cli, overrides)?).await;
    };
    let overrides = match &verb {
        Verb::Run {
            max_workflows,
            max_skills,
            api,
            api_expose_without_tls,
        } => Overrides {
            max_concurrent_workflows: *max_workflows,
            max_parallel_skills: *max_skills,
            api_listen: api.clone(),
            api_expose_without_tls: *api_expose_without_tls,
            ..Overrides::default()
        },
        _ => Overrides::default(),
    };
    let project = match Project::open(&cli, overrides) {
        // `validate` reports a broken config along with everything else it finds; listing and
        // restoring backups must work whatever the config says (a restore is how a user gets
        // back to work).
        Err(e)
            if e.code == 2
                && matches!(
                    verb,
                    Verb::Validate { .. } | Verb::Backups { .. } | Verb::Restore { .. }
                ) =>
        {
            if !matches!(verb, Verb::Validate { .. }) {
                eprintln!("bosun: {} (going on with the built-in settings)", e.message);
            }
            Project::with_defaults(&cli)?
        }
        other => other?,
    };
    match verb {
        Verb::Run { .. } => run::run(project).await,
        Verb::Submit {
            workflow,
            input,
            priority,
            isolation,
            base,
            description,
        } => {
            let placement = tasks::Placement { isolation, base };
            tasks::submit(
                &project,
                workflow,
                input,
                priority,
                placement,
                description.join(" "),
            )
            .await
        }
        Verb::Tasks {
            json,
            status,
            limit,
        } => tasks::list(&project, json, status, limit).await,
        Verb::Show {
            task,
            json,
            full,
            step,
        } => tasks::show(&project, &task, json, full, step.as_deref()).await,
        Verb::Export { task, out } => export::export(&project, &task, out).await,
        Verb::Cancel { task } => tasks::cancel(&project, &task).await,
        Verb::Dismiss { task } => tasks::dismiss(&project, &task).await,
        Verb::Diff { task, stat, json } => land::diff(&project, &task, stat, json).await,
        Verb::Merge {
            task,
            squash,
            rebase,
            json,
        } => land::merge(&project, &task, Verb::strategy(squash, rebase), json).await,
        Verb::Discard { task } => land::discard(&project, &task).await,
        Verb::Decisions { task, json } => tasks::decisions(&project, task.as_deref(), json).await,
        Verb::Audit {
            action: AuditAction::Verify { json },
        } => audit::verify(&project, json),
        Verb::Inbox { json } => inbox::inbox(&project, json).await,
        Verb::Answer {
            escalation,
            choice,
            remember,
            all,
        } => inbox::answer(&project, &escalation, &choice, remember, all).await,
        Verb::Stats { json } => stats::stats(&project, json).await,
        Verb::Policy {
            action:
                PolicyAction::Check {
                    command,
                    skill,
                    workflow,
                    json,
                },
        } => policy::check(&project, &command, &skill, workflow.as_deref(), json),
        Verb::Validate { paths } => defs::validate(&project, &paths),
        Verb::Workflows { json } => defs::workflows(&project, json),
        Verb::Skills { json } => defs::skills(&project, json),
        Verb::Doctor { json } => doctor::doctor(&project, json).await,
        Verb::Token { action } => token::token(&project, action).await,
        Verb::Mcp => mcp::mcp(project).await,
        Verb::Backup {
            full,
            new_identity,
            json,
        } => backup::backup(&project, full, new_identity, json).await,
        Verb::Backups { json } => backup::list(&project, json),
        Verb::Restore {
            backup: name,
            latest,
            at,
            identity,
            json,
        } => {
            // Without a name or `--at`, the newest (clap requires one of the three).
            let _ = latest;
            let args = backup::RestoreArgs {
                backup: name,
                at,
                identity,
                json,
            };
            backup::restore(&project, args).await
        }
        Verb::Tail { json, lines } => tail::tail(&project, json, lines).await,
        Verb::Watch { dry_run, json } => watch::watch(&project, dry_run, json).await,
    }
}
