//! The one interface the engine drives every adapter through: the command line that starts
//! the agent, the lines written to it, and what each line it prints means. An adapter keeps
//! whatever protocol state it needs (JSON-RPC ids, a thread id); the engine keeps none.

use serde_json::Value;

use super::{AgentEvent, PermissionRequest, Reply};

/// A session to start or to take up again. For an adapter whose agent names its own
/// sessions, `New`'s id is only Bosun's until the agent says its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Session {
    New(String),
    Resume(String),
}

/// How to start one agent step.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The agent's binary (`agents.<adapter>.command`).
    pub command: String,
    /// The user's extra arguments (`agents.<adapter>.args`), before Bosun's own.
    pub args: Vec<String>,
    pub model: Option<String>,
    pub session: Session,
    pub max_turns: Option<u32>,
    /// A JSON schema the final answer must follow.
    pub schema: Option<Value>,
    /// Dollars the agent may spend before it stops (the budgets' remainder), where the
    /// agent can be told.
    pub max_budget_usd: Option<f64>,
    /// The directory the agent works in.
    pub cwd: String,
}

/// What one line printed by the agent means, and what must be written back at once (a
/// protocol's own handshakes, which involve no decision).
#[derive(Debug, Default, PartialEq)]
pub struct Heard {
    pub events: Vec<AgentEvent>,
    pub replies: Vec<String>,
}

impl From<Vec<AgentEvent>> for Heard {
    fn from(events: Vec<AgentEvent>) -> Heard {
        Heard {
            events,
            replies: Vec::new(),
        }
    }
}

/// One running agent's protocol, as the engine drives it.
pub trait Conversation: Send {
    /// The command line that starts the agent.
    fn argv(&self) -> Vec<String>;
    /// The first lines written to the agent: handshake, then `prompt` as the user's turn.
    fn opening(&mut self, prompt: &str) -> Vec<String>;
    /// Reads one line the agent printed. Lines it does not know become [`AgentEvent::Raw`].
    fn read(&mut self, line: &str) -> Heard;
    /// The lines answering a permission request.
    fn answer(&mut self, request: &PermissionRequest, reply: &Reply) -> Vec<String>;
    /// The lines asking the agent to stop its turn (before its process group is ended).
    fn interrupt(&mut self) -> Vec<String>;
}

/// The conversation for `adapter` (a name in `config::agents::ADAPTERS`), or `None` for one
/// this build does not speak.
pub fn conversation(adapter: &str, launch: Launch) -> Option<Box<dyn Conversation>> {
    match adapter {
        "claude-code" => Some(Box::new(super::claude::Claude::new(launch))),
        "codex" => Some(Box::new(super::codex::Codex::new(launch))),
        _ => None,
    }
}
