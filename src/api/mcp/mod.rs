//! `bosun mcp`: Bosun's tools for a coding agent, over MCP (the official `rmcp` SDK) on
//! stdin/stdout. The agent starts it with the project's directory; it is a front end like the
//! CLI verbs, whether or not an engine runs: it reads the store, and submits and answers through
//! an [`EngineHandle`] attached to the project (committed to the store, the engine nudged). A
//! queued task waits for `bosun run` or the interface when no engine runs.
//!
//! Stdout carries the protocol and nothing else: logs go to `.bosun/logs/` and stderr. Every
//! tool answers; what goes wrong (an unknown task, a workflow or a choice that does not exist,
//! arguments of the wrong shape) is a tool error of one plain sentence, and the server goes on.
//! Every change made through it is written to the audit log with `via: "mcp"`.

mod params;
mod tools;

use std::sync::Arc;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::{CallToolResult, ContentBlock};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServiceExt};
use serde_json::{Map, Value};
use tokio::signal::unix::{SignalKind, signal};

use crate::config::{ProjectPaths, Settings};
use crate::engine::EngineHandle;
use crate::protocol::TaskId;
use crate::store::audit::{AuditHandle, AuditLog};
use crate::store::{Store, read};

/// What the tools reach: the project's store and an engine handle attached to it.
#[derive(Debug)]
pub struct BosunTools {
    handle: EngineHandle,
    store: Store,
    paths: ProjectPaths,
    settings: Arc<Settings>,
    audit: AuditHandle,
    tool_router: ToolRouter<BosunTools>,
}

/// What a tool gives back: a JSON object (as structured content and as its text), or an error
/// in one plain sentence for the model to read.
type ToolResult = Result<CallToolResult, String>;

/// Serves the tools on stdin/stdout until the client closes stdin.
pub async fn serve(paths: ProjectPaths, settings: Settings) -> Result<(), String> {
    let store = Store::open(&paths.database())
        .await
        .map_err(|e| format!("cannot open {}: {e}", paths.database().display()))?;
    let (handle, attachment) = EngineHandle::attach(paths.clone(), &settings, store.clone())
        .await
        .map_err(|e| format!("cannot follow the project's engine: {e}"))?;
    let (audit, _) = AuditHandle::spawn(AuditLog::new(paths.audit_log()));
    let tools = BosunTools {
        handle,
        store: store.clone(),
        paths,
        settings: Arc::new(settings),
        audit: audit.clone(),
        tool_router: BosunTools::tool_router(),
    };
    tracing::info!(project = %tools.paths.root.display(), "MCP server on stdin/stdout");
    let outcome = run(tools).await;
    audit.flush().await;
    drop(attachment);
    store.close().await;
    outcome
}

/// Serves until the client closes stdin, or SIGTERM / SIGINT stop the server (cleanly: what
/// it recorded still reaches the audit log).
async fn run(tools: BosunTools) -> Result<(), String> {
    let mut terminate = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    // Pipes, as clients start servers, are read without a blocking thread, so a stop does not
    // wait for a last line that never comes.
    let running = tools
        .serve(rmcp::transport::stdio_pipes())
        .await
        .map_err(|e| format!("the MCP client did not start a session: {e}"))?;
    let stop = running.cancellation_token();
    let waiting = running.waiting();
    tokio::pin!(waiting);
    let ended = tokio::select! {
        ended = &mut waiting => ended,
        _ = terminate.recv() => {
            tracing::info!("SIGTERM: stopping");
            stop.cancel();
            waiting.await
        }
        _ = interrupt.recv() => {
            tracing::info!("SIGINT: stopping");
            stop.cancel();
            waiting.await
        }
    };
    let reason = ended.map_err(|e| format!("the MCP server failed: {e}"))?;
    tracing::info!(?reason, "MCP server stopped");
    Ok(())
}

impl BosunTools {
    /// An audit record of a change made through MCP, naming the client (`claude-code`, …).
    /// The client says who it is at the handshake, or (from protocol 2026-07-28) on each request.
    fn audit_entry(&self, kind: &str, request: &RequestContext<RoleServer>) -> Map<String, Value> {
        let mut entry = Map::new();
        entry.insert("kind".into(), kind.into());
        entry.insert("via".into(), "mcp".into());
        if let Some(info) = request.client_info() {
            entry.insert("client".into(), info.name.into());
        }
        entry
    }

    /// The full id `text` names (a unique prefix will do).
    async fn resolve(&self, text: &str) -> Result<TaskId, String> {
        match read::resolve_task_id(&self.store.reader, text.trim()).await {
            Ok(Some(id)) => Ok(id),
            Ok(None) => Err(format!(
                "There is no task `{text}` in this project; list_tasks shows the tasks there are."
            )),
            // A prefix of several ids: the message names them.
            Err(crate::store::StoreError::Conflict(m)) => Err(m),
            Err(e) => Err(internal(e)),
        }
    }
}

/// A store failure, logged, and said to the model without pretending it was its fault.
fn internal(error: impl std::fmt::Display) -> String {
    tracing::error!(%error, "an MCP tool call failed");
    format!("Bosun could not do this: {error}")
}

/// A JSON object as the tool's answer: structured content, and the same JSON as text for
/// clients that read only text.
fn object(value: impl serde::Serialize) -> ToolResult {
    match serde_json::to_value(value).map_err(internal)? {
        value @ Value::Object(_) => Ok(CallToolResult::structured(value)),
        other => Ok(CallToolResult::success(vec![ContentBlock::text(
            other.to_string(),
        )])),
    }
}
