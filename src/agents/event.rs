//! The one event type every adapter's lines become, and the reply to a permission request.

use serde_json::Value;

/// Something an agent said, normalized across adapters. Lines an adapter does not know are
/// kept whole as [`AgentEvent::Raw`], never an error.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentEvent {
    SessionStarted {
        session_id: String,
        model: Option<String>,
    },
    Text(String),
    /// The model asked for a tool call.
    ToolRequested {
        call_id: String,
        tool: String,
        input: Value,
    },
    /// A tool call's result came back to the model.
    ToolFinished {
        call_id: String,
        ok: bool,
        output: String,
    },
    /// The agent waits for a decision on a tool call.
    PermissionAsked(PermissionRequest),
    /// The agent no longer waits on this request.
    PermissionWithdrawn {
        request_id: String,
    },
    /// An API call failed and is retried (429, 529, …).
    Retrying {
        attempt: u32,
        max: u32,
        delay_ms: u64,
        status: Option<u16>,
    },
    Finished(Finished),
    Raw(String),
}

/// How a permission request reached us, which decides how it is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// Claude Code's PreToolUse hook: every call, read-only ones included.
    Hook,
    /// Claude Code's `can_use_tool` prompt.
    Prompt,
    /// A JSON-RPC request (Codex's approvals): `request_id` is the request's `id` as JSON.
    Rpc,
}

/// A tool call waiting for a decision.
#[derive(Debug, Clone, PartialEq)]
pub struct PermissionRequest {
    /// What the answer must name.
    pub request_id: String,
    pub call_id: String,
    pub tool: String,
    pub input: Value,
    pub via: Via,
    /// The directory the call runs in, when the agent says (Claude Code's shell keeps the
    /// directory a `cd` left it in; Codex names each command's): its paths are read from there.
    pub cwd: Option<String>,
}

/// The decision on a permission request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Allow,
    /// Refused; the agent is told why and goes on.
    Deny(String),
}

/// How a session ended.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Finished {
    pub ok: bool,
    /// The final answer: the step's `output`.
    pub result: String,
    /// The structured answer, when a schema was given.
    pub structured: Option<Value>,
    /// The HTTP status of the API error that ended the session (429, 529, …).
    pub error_status: Option<u16>,
    pub session_id: Option<String>,
    /// What the session has cost in all, every process of it: Claude Code counts a resumed
    /// session's earlier spending in again (its tokens and turns are this process's only).
    pub cost_usd: Option<f64>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub turns: u32,
    /// Why it stopped: `completed`, `max_turns`, `api_error`, `aborted_tools`, …
    pub stop_reason: Option<String>,
    /// Tool calls refused during the session.
    pub denied: u32,
    /// The session asked to be resumed is not known to the agent (it was killed before it
    /// wrote it down): start a new one.
    pub session_lost: bool,
}
