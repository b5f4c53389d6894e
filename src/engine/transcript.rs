//! An agent step's transcript as a front end shows it in the step's output view: the lines
//! the agent printed (kept in `.bosun/logs/agents/`, see `ProjectPaths::agent_transcript`)
//! read again through the step's adapter, as what it said, the tool calls it made with their
//! input in full, and their results. Permission requests are left out (the call they ask
//! about is already there), and so are lines no adapter reads.

use super::handle::EngineHandle;
use crate::agents::{AgentEvent, Launch, Session};
use crate::protocol::{TaskId, TranscriptEntry, TranscriptKind};

/// A tool result longer than this many lines keeps its head and its tail.
const RESULT_HEAD: usize = 8;
const RESULT_TAIL: usize = 12;
/// The newest entries kept, for a session that ran for hours.
const MAX_ENTRIES: usize = 2_000;

impl EngineHandle {
    /// The transcript of step `step` of task `id`: empty for a step that is not an agent's or
    /// whose agent printed nothing yet.
    pub async fn step_transcript(
        &self,
        id: &TaskId,
        step: &str,
    ) -> Result<Vec<TranscriptEntry>, String> {
        let task = self
            .task(id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("no task {id}"))?;
        let Some(agent) = task
            .steps
            .iter()
            .find(|s| s.id == step)
            .and_then(|s| s.agent.clone())
        else {
            return Ok(Vec::new());
        };
        let path = self.paths.agent_transcript(id.as_str(), step);
        let text = match tokio::fs::read_to_string(&path).await {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        Ok(entries(&agent.adapter, &text))
    }
}

/// The entries of a transcript written by an agent of `adapter`.
pub fn entries(adapter: &str, text: &str) -> Vec<TranscriptEntry> {
    let launch = Launch {
        command: String::new(),
        args: Vec::new(),
        model: None,
        session: Session::New(String::new()),
        max_turns: None,
        schema: None,
        max_budget_usd: None,
        cwd: String::new(),
    };
    let Some(mut talk) = crate::agents::conversation(adapter, launch) else {
        return Vec::new();
    };
    let mut out: Vec<TranscriptEntry> = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        out.extend(talk.read(line).events.into_iter().filter_map(entry));
    }
    let extra = out.len().saturating_sub(MAX_ENTRIES);
    out.drain(..extra);
    out
}

fn entry(event: AgentEvent) -> Option<TranscriptEntry> {
    let (kind, text) = match event {
        AgentEvent::SessionStarted { session_id, model } => (
            TranscriptKind::Note,
            match model {
                Some(model) => format!("session {session_id} started ({model})"),
                None => format!("session {session_id} started"),
            },
        ),
        AgentEvent::Text(text) if !text.trim().is_empty() => {
            (TranscriptKind::Text, text.trim().to_string())
        }
        AgentEvent::ToolRequested { tool, input, .. } => (
            TranscriptKind::Call,
            crate::engine::runner::tool_detail(&tool, &input),
        ),
        AgentEvent::ToolFinished { ok, output, .. } => (
            if ok {
                TranscriptKind::Result
            } else {
                TranscriptKind::Failed
            },
            cut(output.trim_end()),
        ),
        AgentEvent::Retrying {
            attempt,
            max,
            delay_ms,
            status,
        } => (
            TranscriptKind::Note,
            crate::engine::runner::retry_note(attempt, max, delay_ms, status),
        ),
        AgentEvent::Finished(end) => {
            let how = end.stop_reason.as_deref().unwrap_or("finished");
            let cost = end
                .cost_usd
                .map(|c| format!(", ${c:.4}"))
                .unwrap_or_default();
            (
                TranscriptKind::Note,
                format!(
                    "session ended: {how} after {}{cost}",
                    crate::text::count(end.turns, "turn")
                ),
            )
        }
        _ => return None,
    };
    Some(TranscriptEntry { kind, text })
}

/// A long result's head and tail, with how many lines were left between them.
fn cut(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= RESULT_HEAD + RESULT_TAIL + 1 {
        return text.to_string();
    }
    let left = lines.len() - RESULT_HEAD - RESULT_TAIL;
    let mut out = lines[..RESULT_HEAD].join("\n");
    out.push_str(&format!(
        "\n┆ {} left out\n",
        crate::text::count(left as i64, "line")
    ));
    out.push_str(&lines[lines.len() - RESULT_TAIL..].join("\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines as the real Claude Code 2.1.332 printed them for one allowed Bash call.
    const CLAUDE: &str = r#"{"type":"system","subtype":"init","session_id":"s-1","model":"claude-opus-5-5","tools":[]}
{"type":"assistant","message":{"content":[{"type":"text","text":"I will run the tests."},{"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"cargo test","description":"Run the tests"}}]},"session_id":"s-1"}
{"type":"control_request","request_id":"r1","request":{"subtype":"can_use_tool","tool_name":"Bash","input":{"command":"cargo test"},"tool_use_id":"toolu_1"}}
{"type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"test result: ok. 3 passed","is_error":false}]}}
{"type":"assistant","message":{"content":[{"type":"text","text":"All tests pass."}]},"session_id":"s-1"}
{"type":"result","subtype":"success","is_error":false,"result":"All tests pass.","session_id":"s-1","total_cost_usd":0.0099,"num_turns":2,"terminal_reason":"completed","usage":{"input_tokens":10,"output_tokens":5}}
"#;

    #[test]
    fn a_claude_transcript_reads_as_text_calls_and_results() {
        let shown: Vec<(TranscriptKind, String)> = entries("claude-code", CLAUDE)
            .into_iter()
            .map(|e| (e.kind, e.text))
            .collect();
        use TranscriptKind as K;
        assert_eq!(
            shown,
            [
                (K::Note, "session s-1 started (claude-opus-5-5)".into()),
                (K::Text, "I will run the tests.".into()),
                (K::Call, "Bash: cargo test\n# Run the tests".into()),
                (K::Result, "test result: ok. 3 passed".into()),
                (K::Text, "All tests pass.".into()),
                (
                    K::Note,
                    "session ended: completed after 2 turns, $0.0099".into()
                ),
            ]
        );
    }

    /// Real transcripts (tests/agents/): a Claude Code call refused by the hook, and a Codex
    /// shell call declined, read through their own adapters.
    #[test]
    fn real_transcripts_show_the_refused_call_and_why() {
        let claude = entries(
            "claude-code",
            include_str!("../../tests/agents/claude_hook_deny.jsonl"),
        );
        let failed = claude
            .iter()
            .find(|e| e.kind == TranscriptKind::Failed)
            .expect("the refused call's result");
        assert!(failed.text.contains("deny"), "{failed:?}");
        assert!(
            claude
                .iter()
                .any(|e| e.kind == TranscriptKind::Call && e.text.starts_with("Bash: ")),
            "{claude:?}"
        );
        let codex = entries(
            "codex",
            include_str!("../../tests/agents/codex_shell_decline.jsonl"),
        );
        assert!(
            codex
                .iter()
                .any(|e| e.kind == TranscriptKind::Call && e.text.starts_with("Bash: ")),
            "{codex:?}"
        );
        assert!(
            codex.iter().any(|e| e.kind == TranscriptKind::Text),
            "{codex:?}"
        );
    }

    #[test]
    fn a_long_result_keeps_its_head_and_tail() {
        let long: String = (1..=100).map(|i| format!("line {i}\n")).collect();
        let shown = cut(long.trim_end());
        assert!(shown.starts_with("line 1\n"), "{shown}");
        assert!(shown.contains("┆ 80 lines left out"), "{shown}");
        assert!(shown.ends_with("line 100"), "{shown}");
        assert_eq!(cut("a\nb"), "a\nb");
    }

    #[test]
    fn an_unknown_adapter_has_no_transcript() {
        assert!(entries("nobody", CLAUDE).is_empty());
    }
}
