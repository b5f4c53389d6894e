//! The command-line grammar (clap). `--project` and `--redis` are global: accepted before or
//! after the verb.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::protocol::{Isolation, MergeStrategy, Priority, TaskStatus};

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
    /// The interface's theme: dark, light, high-contrast, a user theme's name, or a file.
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,
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
        /// Serve the REST and WebSocket API, the dashboard and /metrics on ADDR
        /// (127.0.0.1:8765; port 0 picks a free one, written to .bosun/state/api.addr).
        #[arg(long, value_name = "ADDR")]
        api: Option<String>,
        /// Allow --api on an address other than loopback, without TLS: tokens and output
        /// cross the network in clear text unless a TLS proxy stands in front.
        #[arg(long)]
        api_expose_without_tls: bool,
    },
    /// Back the database up now: a full copy, or the pages changed since the last full copy.
    Backup {
        /// A full copy, even when nothing changed or the changed pages would do.
        #[arg(long)]
        full: bool,
        /// Write a new age identity to FILE (mode 0600) and print its recipient, for
        /// `backup.encrypt`; takes no backup.
        #[arg(long, value_name = "FILE", conflicts_with = "full")]
        new_identity: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// The backups in .bosun/backups, oldest first.
    Backups {
        #[arg(long)]
        json: bool,
    },
    /// Restore a backup into the stopped project, after checking it; the database it replaces
    /// is kept beside it.
    Restore {
        /// The backup's name, as `bosun backups` lists it.
        #[arg(required_unless_present_any = ["latest", "at"], conflicts_with_all = ["latest", "at"])]
        backup: Option<String>,
        /// The newest backup.
        #[arg(long, conflicts_with = "at")]
        latest: bool,
        /// The newest backup taken at or before TIME: 2026-12-03T14:00:00Z, `2026-12-03 14:00`
        /// (local time), or a duration ago (90m, 2h).
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// The age identity file to decrypt an encrypted backup with (asked for at a terminal).
        #[arg(long, value_name = "FILE", env = "BOSUN_BACKUP_IDENTITY")]
        identity: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Make, list and revoke the API's signed tokens.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Serve Bosun's tools to a coding agent over MCP on stdin/stdout: submit, read and list
    /// tasks, read the inbox, answer a question.
    Mcp,
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
        /// Where the task runs: `worktree` (a git worktree and branch of its own, merged or
        /// discarded after) or `none` (the project's checkout). Default: the workflow's.
        #[arg(long, value_parser = parse_isolation, value_name = "worktree|none")]
        isolation: Option<Isolation>,
        /// The branch or commit a worktree task starts from (default: HEAD when it starts).
        #[arg(long, value_name = "REF")]
        base: Option<String>,
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
        /// Everything kept of each step's stdout and stderr, not only their last lines.
        #[arg(long)]
        full: bool,
        /// Only this step.
        #[arg(long, value_name = "STEP")]
        step: Option<String>,
    },
    /// Write everything about one task to one JSON file, for a bug report or a review: the
    /// workflow as run, inputs, every run and step with its output, decisions, questions,
    /// events, logs, audit records, agent transcripts, cost, worktree (a unique prefix of the
    /// id is enough). The file is made with mode 0600: output and transcripts often hold
    /// secrets, so read it before you share it.
    Export {
        task: String,
        /// Where to write it (default: bosun-task-<id>.json in the current directory); `-`
        /// writes to stdout.
        #[arg(long, short, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Cancel a queued or running task; its processes end.
    Cancel { task: String },
    /// Dismiss a failed task from "needs attention" (it stays in the history, failed).
    Dismiss { task: String },
    /// What a worktree task changed: the stat, then the patch (uncommitted changes included).
    Diff {
        task: String,
        /// Only the stat.
        #[arg(long)]
        stat: bool,
        #[arg(long)]
        json: bool,
    },
    /// Merge a worktree task's branch into its base, then remove its worktree and branch.
    Merge {
        task: String,
        /// One commit with all of the task's changes.
        #[arg(long, conflicts_with = "rebase")]
        squash: bool,
        /// The task's commits replayed on the base, in a straight line.
        #[arg(long)]
        rebase: bool,
        #[arg(long)]
        json: bool,
    },
    /// Throw a worktree task's changes away: its worktree and branch are removed.
    Discard { task: String },
    /// The decision ledger.
    Decisions {
        #[arg(long)]
        task: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Open escalations, in batches (the current batch first).
    Inbox {
        #[arg(long)]
        json: bool,
    },
    /// Answer an escalation with one of its options (a unique prefix of the id is enough).
    Answer {
        escalation: String,
        choice: String,
        /// Apply the same answer to later matching questions: of this task, of this engine
        /// session, or as a rule written into `.bosun/policy.yaml`.
        #[arg(long, value_enum, value_name = "SCOPE")]
        remember: Option<RememberScope>,
        /// Answer the open questions grouped with this one (same skill, same command shape) too.
        #[arg(long)]
        all: bool,
    },
    /// Autonomy rate (decisions made without the user) and other counts.
    Stats {
        #[arg(long)]
        json: bool,
    },
    /// Ask the policy.
    Policy {
        #[command(subcommand)]
        action: PolicyAction,
    },
    /// The audit log of decisions and commands.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Check workflows, skills, config and policy; errors as FILE:LINE:COL: message.
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
    /// Print, live, which file changes would start which workflows (nothing is started).
    Watch {
        #[arg(long)]
        dry_run: bool,
        /// One JSON object per change.
        #[arg(long)]
        json: bool,
    },
    /// Print the live event stream: the last few events, then each new one as it happens.
    Tail {
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        /// How many stored events to print first.
        #[arg(short = 'n', long, default_value_t = 10)]
        lines: i64,
    },
}

/// How far a remembered answer reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RememberScope {
    /// Later matching questions of the same task.
    Task,
    /// Later matching questions until the engine stops.
    Session,
    /// A rule written into `.bosun/policy.yaml`, with a comment saying where it came from.
    Rule,
}

#[derive(Debug, Clone, Subcommand)]
pub enum PolicyAction {
    /// What the policy would do with COMMAND, and which rule decides.
    Check {
        /// The command line, as a shell would read it.
        command: String,
        /// The skill that would run it (default: shell).
        #[arg(long, default_value = "shell")]
        skill: String,
        /// The workflow it would run in.
        #[arg(long)]
        workflow: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum TokenAction {
    /// Make a token; prints it alone on stdout (it is shown once: keep it).
    Create {
        /// What it may do: readonly, user or admin.
        #[arg(long, value_parser = ["readonly", "user", "admin"])]
        role: String,
        /// How long it is valid: 30m, 24h, 30d (default 24h).
        #[arg(long, default_value = "24h", value_name = "DURATION")]
        ttl: String,
        /// A name to know it by in `bosun token list`.
        #[arg(long)]
        name: Option<String>,
    },
    /// The tokens made, with their role, expiry and whether revoked (never the token itself).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by its id: refused from the next request on.
    Revoke { id: String },
}

#[derive(Debug, Clone, Subcommand)]
pub enum AuditAction {
    /// Check the hash chain of `.bosun/audit.jsonl`; names the first record that was changed,
    /// removed or inserted.
    Verify {
        #[arg(long)]
        json: bool,
    },
}

fn parse_priority(s: &str) -> Result<Priority, String> {
    s.parse()
        .map_err(|e: crate::protocol::ParseError| e.to_string())
}

fn parse_isolation(s: &str) -> Result<Isolation, String> {
    s.parse()
        .map_err(|e: crate::protocol::ParseError| e.to_string())
}

impl Verb {
    /// The strategy `merge`'s flags ask for.
    pub fn strategy(squash: bool, rebase: bool) -> MergeStrategy {
        match (squash, rebase) {
            (true, _) => MergeStrategy::Squash,
            (_, true) => MergeStrategy::Rebase,
            _ => MergeStrategy::Merge,
        }
    }
}

fn parse_status(s: &str) -> Result<TaskStatus, String> {
    s.parse()
        .map_err(|e: crate::protocol::ParseError| e.to_string())
}
