//! How an agent step reads in the interface: its figures in one line under its node (turns,
//! cost, tool calls, refusals, the call in progress), its session in the step's header, its
//! transcript in the output view, and a tool call's input (the inbox's detail, the
//! transcript's calls) with an edit's removed and added lines told apart. Pure text and roles:
//! the panes draw them.

use crate::protocol::{AgentView, StepStatus, StepView, TranscriptEntry, TranscriptKind};
use crate::tui::fmt::{thousands, usd};
use crate::tui::theme::Role;

/// The parts of an agent step's line under its node, each with its role, to be joined by
/// ` · `: `2 turns · $0.04 · 5 calls · 1 denied · Bash: cargo test`. The call in progress
/// comes last (it is the longest, and cut first); while the step waits on the inbox it reads
/// `asks: …`. Empty for a step that is not an agent's or has done nothing yet.
pub fn figures(step: &StepView) -> Vec<(Role, String)> {
    let Some(agent) = &step.agent else {
        return Vec::new();
    };
    let mut parts = Vec::new();
    if agent.turns > 0 {
        parts.push((Role::Muted, crate::text::count(agent.turns, "turn")));
    }
    if agent.cost_usd > 0.0 || step.status.is_finished() && agent.turns > 0 {
        parts.push((Role::Text, usd(agent.cost_usd)));
    }
    if agent.tool_calls > 0 {
        parts.push((Role::Muted, crate::text::count(agent.tool_calls, "call")));
    }
    if agent.denied > 0 {
        parts.push((Role::LogWarn, format!("{} denied", agent.denied)));
    }
    if let Some(why) = &agent.paused {
        parts.push((Role::TaskWaiting, format!("paused: {why}")));
    } else if let Some(tool) = agent.tool.as_ref().filter(|_| !step.status.is_finished()) {
        match step.status {
            StepStatus::Waiting => parts.push((Role::TaskWaiting, format!("asks: {tool}"))),
            _ => parts.push((Role::TaskRunning, tool.clone())),
        }
    }
    parts
}

/// The step's session in one line, for its header: `claude-code · claude-opus-5-5 · 2 turns ·
/// $0.0412 · 1,200 in / 55 out tokens · 5 tool calls · 1 denied`. Turns, cost and tokens are
/// known once a session ended: until then they are left out rather than shown as nothing.
pub fn session_line(agent: &AgentView) -> String {
    let mut parts = vec![agent.adapter.clone()];
    parts.extend(agent.model.clone());
    if agent.turns > 0 || agent.cost_usd > 0.0 {
        parts.push(crate::text::count(agent.turns, "turn"));
        parts.push(format!("${:.4}", agent.cost_usd));
    }
    if agent.input_tokens + agent.output_tokens > 0 {
        parts.push(format!(
            "{} in / {} out tokens",
            thousands(agent.input_tokens),
            thousands(agent.output_tokens)
        ));
    }
    parts.push(crate::text::count(agent.tool_calls, "tool call"));
    if agent.denied > 0 {
        parts.push(format!("{} denied", agent.denied));
    }
    parts.join(" · ")
}

/// The role of one line of a tool call's detail (see `engine::runner::tool_detail`): the first
/// names the call; after it an edit's `- ` and `+ ` lines (and a patch's `-`/`+`), the agent's
/// `# ` notes and `@@` separators.
pub fn detail_role(index: usize, line: &str) -> Role {
    if index == 0 {
        return Role::Text;
    }
    let diff =
        |sign: char| line.starts_with(sign) && !line.starts_with(&sign.to_string().repeat(3));
    match line {
        l if l.starts_with("@@") || l.starts_with("# ") || l.starts_with("… ") => Role::Muted,
        _ if diff('+') => Role::DiffAdded,
        _ if diff('-') => Role::DiffRemoved,
        _ => Role::Text,
    }
}

/// A transcript as the output view's lines, each with its role: what the agent said as is,
/// a call as `→ ` and its input, a result as `← ` (`✗ ` when it failed or was refused), notes
/// as `· `; following lines of an entry indented under its first.
pub fn transcript_lines(entries: &[TranscriptEntry]) -> Vec<(Role, String)> {
    let mut out = Vec::new();
    for entry in entries {
        let (mark, role) = match entry.kind {
            TranscriptKind::Text => ("  ", Role::Text),
            TranscriptKind::Call => ("→ ", Role::Accent),
            TranscriptKind::Result => ("← ", Role::Muted),
            TranscriptKind::Failed => ("✗ ", Role::LogWarn),
            TranscriptKind::Note => ("· ", Role::Muted),
        };
        for (i, line) in entry.text.lines().enumerate() {
            let role = match (entry.kind, i) {
                (TranscriptKind::Call, 0) => role,
                (TranscriptKind::Call, _) => detail_role(i, line),
                _ => role,
            };
            let lead = if i == 0 { mark } else { "  " };
            out.push((role, format!("{lead}{line}")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent_step(status: StepStatus, agent: AgentView) -> StepView {
        StepView {
            id: "fix".into(),
            skill: "claude".into(),
            parent: None,
            status,
            attempts: 1,
            exit_code: None,
            output: None,
            stderr: None,
            waited_ms: None,
            error: None,
            choice: None,
            started_at: None,
            finished_at: None,
            agent: Some(agent),
        }
    }

    fn texts(parts: &[(Role, String)]) -> Vec<&str> {
        parts.iter().map(|(_, t)| t.as_str()).collect()
    }

    #[test]
    fn a_running_agent_shows_its_figures_then_the_call_in_progress() {
        let view = AgentView {
            adapter: "claude-code".into(),
            turns: 2,
            cost_usd: 0.0412,
            tool_calls: 5,
            denied: 1,
            tool: Some("Bash: cargo test".into()),
            ..AgentView::default()
        };
        let parts = figures(&agent_step(StepStatus::Running, view.clone()));
        assert_eq!(
            texts(&parts),
            [
                "2 turns",
                "$0.04",
                "5 calls",
                "1 denied",
                "Bash: cargo test"
            ]
        );
        assert_eq!(parts[4].0, Role::TaskRunning);
        let waiting = figures(&agent_step(StepStatus::Waiting, view));
        assert_eq!(
            waiting[4],
            (Role::TaskWaiting, "asks: Bash: cargo test".into())
        );
    }

    #[test]
    fn a_fresh_agent_shows_only_what_it_did() {
        let view = AgentView {
            tool_calls: 1,
            tool: Some("Read: src/lib.rs".into()),
            ..AgentView::default()
        };
        assert_eq!(
            texts(&figures(&agent_step(StepStatus::Running, view))),
            ["1 call", "Read: src/lib.rs"]
        );
        let nothing = agent_step(StepStatus::Running, AgentView::default());
        assert!(figures(&nothing).is_empty());
        let paused = AgentView {
            paused: Some("API overloaded".into()),
            ..AgentView::default()
        };
        assert_eq!(
            texts(&figures(&agent_step(StepStatus::Running, paused))),
            ["paused: API overloaded"]
        );
    }

    #[test]
    fn a_session_reads_in_one_line() {
        let view = AgentView {
            adapter: "claude-code".into(),
            model: Some("claude-opus-5-5".into()),
            turns: 1,
            cost_usd: 0.0099,
            input_tokens: 2_200,
            output_tokens: 55,
            tool_calls: 1,
            ..AgentView::default()
        };
        assert_eq!(
            session_line(&view),
            "claude-code · claude-opus-5-5 · 1 turn · $0.0099 · 2,200 in / 55 out tokens · 1 tool call"
        );
        let running = AgentView {
            adapter: "claude-code".into(),
            tool_calls: 2,
            ..AgentView::default()
        };
        assert_eq!(session_line(&running), "claude-code · 2 tool calls");
    }

    #[test]
    fn an_edit_tells_removed_from_added_lines() {
        let detail = "Edit: src/lib.rs\n- old\n+ new\n# why\n@@\n+++ b/x\n-x\n+y";
        let roles: Vec<Role> = detail
            .lines()
            .enumerate()
            .map(|(i, l)| detail_role(i, l))
            .collect();
        use Role as R;
        assert_eq!(
            roles,
            [
                R::Text,
                R::DiffRemoved,
                R::DiffAdded,
                R::Muted,
                R::Muted,
                R::Text,
                R::DiffRemoved,
                R::DiffAdded
            ]
        );
        assert_eq!(detail_role(0, "- a Bash call's first line"), R::Text);
    }

    #[test]
    fn a_transcript_marks_calls_results_and_refusals() {
        let entry = |kind, text: &str| TranscriptEntry {
            kind,
            text: text.into(),
        };
        let lines = transcript_lines(&[
            entry(TranscriptKind::Text, "I will push."),
            entry(
                TranscriptKind::Call,
                "Bash: git push origin main\n# Publish",
            ),
            entry(TranscriptKind::Failed, "Bosun's policy: the user said no"),
        ]);
        assert_eq!(
            texts(&lines),
            [
                "  I will push.",
                "→ Bash: git push origin main",
                "  # Publish",
                "✗ Bosun's policy: the user said no"
            ]
        );
        assert_eq!(lines[2].0, Role::Muted);
    }
}
