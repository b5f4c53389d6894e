//! `bosun stats`: how often Bosun settled a choice without the user (routine checks counted
//! apart), the tasks by status, and what agent steps spent today and over all time.

use std::io::Write;

use super::format::print_json;
use super::tasks::open_store;
use super::{CliResult, Project};
use crate::protocol::{AgentTotals, DecisionCounts};

/// The rate over choices, then the routine checks kept out of it.
fn rate(c: &DecisionCounts) -> String {
    let rate = match c.autonomy_rate {
        Some(r) => format!(
            "{:.1}% of choices ({} of {} settled without you)",
            r * 100.0,
            c.autonomous,
            c.choices
        ),
        None => "no choices yet".into(),
    };
    format!("{rate}; {} apart", routine(c.routine))
}

fn routine(n: i64) -> String {
    match n {
        1 => "1 routine check".into(),
        n => format!("{n} routine checks"),
    }
}

fn tallies(by: &std::collections::BTreeMap<String, i64>) -> String {
    let list: Vec<String> = by.iter().map(|(k, v)| format!("{k} {v}")).collect();
    if list.is_empty() {
        "none".into()
    } else {
        list.join(", ")
    }
}

/// The autonomy rate today and over all time, other counts, and what agents spent. The rate
/// counts choices a person would otherwise have made; routine checks are shown apart.
pub async fn stats(project: &Project, json: bool) -> CliResult {
    let store = open_store(project).await?;
    let today = crate::time::today_start();
    let stats = crate::store::ledger::stats(&store.reader, &today).await;
    store.close().await;
    let stats = stats?;
    if json {
        return print_json(&stats);
    }
    let agents = &stats.agents;
    let mut out = std::io::stdout().lock();
    let all = &stats.all_time;
    let _ = writeln!(out, "autonomy today:    {}", rate(&stats.today));
    let _ = writeln!(out, "autonomy all time: {}", rate(all));
    let _ = writeln!(out, "choices by:        {}", tallies(&all.choices_by));
    let _ = writeln!(
        out,
        "routine checks:    {}: commands the policy allowed by default, not in the rate",
        all.routine
    );
    let _ = writeln!(out, "open questions:    {}", stats.open_escalations);
    let _ = writeln!(out, "tasks:             {}", tallies(&stats.tasks));
    let _ = writeln!(out, "agents today:      {}", spent(&agents.today));
    let _ = writeln!(out, "agents all time:   {}", spent(&agents.all_time));
    Ok(())
}

/// What agent steps spent, in one line: `$0.0123 over 2 agent steps: 3 turns, …`.
pub(super) fn spent(t: &AgentTotals) -> String {
    if t.steps == 0 {
        return "no agent steps".into();
    }
    let denied = if t.denied > 0 {
        format!(" ({} denied)", t.denied)
    } else {
        String::new()
    };
    format!(
        "{} over {}: {}, {}{denied}, {} in and {} out",
        crate::text::usd(t.cost_usd),
        crate::text::count(t.steps, "agent step"),
        crate::text::count(t.turns, "turn"),
        crate::text::count(t.tool_calls, "tool call"),
        crate::text::count(t.input_tokens, "token"),
        crate::text::count(t.output_tokens, "token"),
    )
}
