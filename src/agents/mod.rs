//! Coding agents' structured headless protocols, read and written without I/O: one normalized
//! [`AgentEvent`] for every adapter, and the lines an adapter writes back (its opening, its
//! answers to permission requests). The engine owns the process and the policy decides; this
//! room only translates, so it names neither (like `policy`, it is pure).
//!
//! [`Conversation`] is how the engine drives any of them. [`access`] reads a tool call as the command line that does the same, for the policy.
//!
//! Adapters: [`claude`] (Claude Code's stream-json with a PreToolUse hook and
//! `--permission-prompt-tool stdio`) and [`codex`] (`codex app-server`'s JSON-RPC, whose
//! approval requests are answered `accept` or `decline`).

pub mod access;
pub mod claude;
pub mod codex;
mod conversation;
mod event;

pub use access::{Access, access};
pub use conversation::{Conversation, Heard, Launch, Session, conversation};
pub use event::{AgentEvent, Finished, PermissionRequest, Reply, Via};
