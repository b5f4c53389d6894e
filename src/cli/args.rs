//! The command-line grammar (clap). `--project` and `--redis` are global: accepted before or
//! after the verb.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::protocol::{Priority, TaskStatus};

/// Bosun runs your development work autonomously: a durable queue of YAML workflows.
#[derive(Debug, Clone, Parser)]
#[command(name = "bosun", version, about, long_about = None)]
pub struct Cli {
    /// The project directory (default: the current directory).
    #[arg(long, global = true, env = "BOSUN_PROJECT", value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// Redis URL for the live cache, or `off` (default: from config, else off).
    #[arg(long, global = true, value_name = "URL")]
    pub redis: Option<String>,
    #[command(subcommand)]
    pub verb: Option<Verb>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Verb {
    /// Run the engine without the interface; SIGINT/SIGTERM stop it cleanly.
    Run {
        /// Workflows running at once (default 10).
        #[arg(long, value_name = "N")]
        max_workflows: Option<usize>,
        /// Skill processes running at once (default 5).
        #[arg(long, value_name = "N")]
        max_skills: Option<usize>,
    },
    /// Queue a task; prints its id alone on stdout.
    Submit {
        /// The workflow to run (default: chosen from the description).
        #[arg(long, short)]
        workflow: Option<String>,
        /// An input of the workflow, as KEY=VALUE (repeatable).
        #[arg(long = "input", short, value_name = "KEY=VALUE")]
        input: Vec<String>,
        #[arg(long, short, default_value = "normal", value_parser = parse_priority)]
        priority: Priority,
        /// What to do, in words (or a command, for the default shell workflow).
        #[arg(required = true, num_args = 1.., value_name = "DESCRIPTION")]
        description: Vec<String>,
    },
    /// List tasks, newest first.
    Tasks {
        #[arg(long)]
        json: bool,
        /// Only tasks with this status.
        #[arg(long, value_parser = parse_status)]
        status: Option<TaskStatus>,
        /// At most this many tasks.
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// Show one task with its steps (a unique prefix of the id is enough).
    Show {
        task: String,
        #[arg(long)]
        json: bool,
    },
    /// Cancel a queued or running task; its processes end.
    Cancel { task: String },
    /// The decision ledger.
    Decisions {
        #[arg(long)]
        task: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Check workflows, skills and config; errors as FILE:LINE:COL: message.
    Validate { paths: Vec<PathBuf> },
    /// List known workflows and where each comes from.
    Workflows {
        #[arg(long)]
        json: bool,
    },
    /// List known skills and where each comes from.
    Skills {
        #[arg(long)]
        json: bool,
    },
    /// Check SQLite, Redis, the watcher and paths: what works, what does not.
    Doctor {
        #[arg(long)]
        json: bool,
    },
}

fn parse_priority(s: &str) -> Result<Priority, String> {
    s.parse()
        .map_err(|e: crate::protocol::ParseError| e.to_string())
}

fn parse_status(s: &str) -> Result<TaskStatus, String> {
    s.parse()
        .map_err(|e: crate::protocol::ParseError| e.to_string())
}
