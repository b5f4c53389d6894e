//! Agents' tool calls that no command stands for — an MCP server's `mcp__server__tool`, a web
//! search — judged by name: rules with `tool:` in `.bosun/policy.yaml` allow, deny or escalate
//! them (a project rule that denies first, then the most specific); with no such rule the
//! user decides, whatever the skill's risk, since Bosun cannot tell what the tool does.

use super::evaluate::{Outcome, Query, Verdict, by_rule, matches_common};
use super::rules::{Action, Origin, Rule};

/// Judges an agent's tool call that no command stands for (an MCP server's tool, a web
/// search): only a rule naming the tool decides, a project rule that denies it first. With
/// none the user does, whatever the skill's risk: Bosun cannot tell what the tool does.
pub fn tool(rules: &[Rule], q: &Query, name: &str) -> Verdict {
    let matching: Vec<&Rule> = rules
        .iter()
        .filter(|r| {
            !matches!(r.action, Action::Choose(_))
                && matches_common(&r.matcher, q)
                && r.matcher.tools.iter().any(|p| p.is_match(name))
        })
        .collect();
    let what = format!("the tool `{name}`");
    if let Some(deny) = matching
        .iter()
        .find(|r| r.origin == Origin::Project && r.action == Action::Deny)
    {
        return by_rule(deny, Outcome::Deny, &what);
    }
    // The most specific: the most criteria, then the longest literal tool pattern, then a
    // project rule over a built-in one, then the earliest.
    let score = |r: &Rule| {
        let literal = r
            .matcher
            .tools
            .iter()
            .filter(|p| p.is_match(name))
            .map(|p| p.literal_len)
            .max();
        (
            r.matcher.criteria(),
            literal.unwrap_or(0),
            u8::from(r.origin == Origin::Project),
        )
    };
    let mut best: Option<&Rule> = None;
    for rule in matching {
        if best.is_none_or(|b| score(rule) > score(b)) {
            best = Some(rule);
        }
    }
    match best {
        Some(rule) => {
            let outcome = match rule.action {
                Action::Allow => Outcome::Allow,
                Action::Deny => Outcome::Deny,
                _ => Outcome::Escalate,
            };
            by_rule(rule, outcome, &what)
        }
        None => Verdict {
            outcome: Outcome::Escalate,
            decided_by: "policy".into(),
            reason: format!("no rule names {what}, and Bosun cannot read what it does"),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::policy::Policy;
    use crate::protocol::{DecisionKind, Risk};

    fn query(risk: Risk) -> Query<'static> {
        Query {
            kind: DecisionKind::Command,
            skill: "claude",
            workflow: Some("agent"),
            step: Some("work"),
            risk,
        }
    }

    const RULES: &str = "rules:
  - id: github
    match: { tool: \"mcp__github__*\" }
    action: escalate
  - id: github-reads
    match: { tool: [\"mcp__github__get_*\", \"mcp__github__list_*\"] }
    action: allow
  - id: no-deletes
    reason: nothing of the tracker is deleted from here
    match: { tool: \"mcp__*__delete_*\" }
    action: deny
  - id: low-search
    match: { tool: WebSearch, risk: low }
    action: allow
";

    fn policy() -> Policy {
        Policy::from_text(Path::new("policy.yaml"), RULES, Path::new("/p")).expect("valid")
    }

    #[test]
    fn a_rule_naming_the_tool_decides() {
        let policy = policy();
        let q = query(Risk::Medium);
        let v = policy.check_tool("mcp__github__get_issue", &q);
        assert_eq!(
            (v.outcome, v.decided_by.as_str()),
            (Outcome::Allow, "rule:github-reads")
        );
        let v = policy.check_tool("mcp__github__create_issue", &q);
        assert_eq!(
            (v.outcome, v.decided_by.as_str()),
            (Outcome::Escalate, "rule:github")
        );
        let v = policy.check_tool("mcp__github__delete_repo", &q);
        assert_eq!(
            (v.outcome, v.decided_by.as_str()),
            (Outcome::Deny, "rule:no-deletes")
        );
        assert_eq!(v.reason, "nothing of the tracker is deleted from here");
        let v = policy.check_tool("WebSearch", &query(Risk::Low));
        assert_eq!(v.outcome, Outcome::Allow);
    }

    #[test]
    fn with_no_rule_the_user_decides_even_at_low_risk() {
        let policy = policy();
        for (tool, risk) in [("mcp__slack__post", Risk::Low), ("WebSearch", Risk::Medium)] {
            let v = policy.check_tool(tool, &query(risk));
            assert_eq!(
                (v.outcome, v.decided_by.as_str()),
                (Outcome::Escalate, "policy"),
                "{tool}"
            );
        }
    }

    #[test]
    fn a_tool_rule_judges_no_command_and_a_command_rule_no_tool() {
        let policy = policy();
        let scope = super::super::example_scope();
        let check = policy.check_command(
            &super::super::shell_command("mcp__github__get_issue"),
            &scope,
            &query(Risk::Medium),
        );
        assert_ne!(check.verdict.decided_by, "rule:github-reads");
        let text = "rules:\n  - id: all\n    match: { command: \"*\" }\n    action: allow\n";
        let broad =
            Policy::from_text(Path::new("policy.yaml"), text, Path::new("/p")).expect("valid");
        let v = broad.check_tool("mcp__github__get_issue", &query(Risk::Medium));
        assert_eq!(v.decided_by, "policy");
    }

    #[test]
    fn a_tool_rule_with_a_command_is_refused_where_it_is_written() {
        let text = "rules:\n  - id: mixed\n    match: { tool: \"mcp__x__*\", command: \"ls\" }\n    action: allow\n";
        let err = Policy::from_text(Path::new("policy.yaml"), text, Path::new("/p"))
            .expect_err("mixed criteria");
        let shown = err.to_string();
        assert!(
            shown.contains("policy.yaml:2:") && shown.contains("`tool`"),
            "{shown}"
        );
    }
}
