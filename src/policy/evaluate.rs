//! Who decides, in a fixed order of precedence (docs/policy.md):
//!
//! 1. the safety floor (`floor.*` findings): deny, whatever any rule says;
//! 2. the path boundary: a write or delete outside the project and its roots is denied;
//! 3. a project rule that denies a command denies it;
//! 4. other findings (reads outside the tree, secrets, opaque shell, uploads, privilege,
//!    writes to Bosun's own files, an agent's settings or git's hooks) escalate, unless a
//!    project rule that names the command or path allows every part of it — and, for those
//!    places, names the place in its `path`;
//! 5. otherwise the most specific matching rule decides — the one with the most criteria, then
//!    the longest literal command pattern; a project rule wins a tie with a built-in one, then
//!    the earlier rule;
//! 6. with no rule: risk low/medium is decided by the policy (commands run, decisions take
//!    their default), high/critical goes to the user.
//!
//! A command line is judged part by part (each simple command) and the strictest part wins.

use super::rules::{Action, Matcher, Origin, Rule};
use super::shell::{Analysis, Finding, Severity, SimpleCommand};
use crate::protocol::{DecisionKind, Risk};

/// A question for the policy.
#[derive(Debug, Clone, Copy)]
pub struct Query<'a> {
    pub kind: DecisionKind,
    pub skill: &'a str,
    pub workflow: Option<&'a str>,
    pub step: Option<&'a str>,
    pub risk: Risk,
}

/// What the policy decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Allow,
    Deny,
    /// Ask the user.
    Escalate,
    /// Take this option of a decision.
    Choose(String),
}

impl Outcome {
    fn strictness(&self) -> u8 {
        match self {
            Outcome::Allow | Outcome::Choose(_) => 0,
            Outcome::Escalate => 1,
            Outcome::Deny => 2,
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Outcome::Allow => "allow",
            Outcome::Deny => "deny",
            Outcome::Escalate => "escalate",
            Outcome::Choose(choice) => choice,
        }
    }
}

/// The policy's answer and who gave it (`policy` or `rule:<id>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub outcome: Outcome,
    pub decided_by: String,
    pub reason: String,
}

/// The verdict on each part of a command line, for `bosun policy check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartVerdict {
    pub text: String,
    pub verdict: Verdict,
}

pub(super) fn by_rule(rule: &Rule, outcome: Outcome, what: &str) -> Verdict {
    let source = match rule.origin {
        Origin::Builtin => "built-in rule",
        Origin::Project => "rule",
    };
    let why = rule
        .reason
        .clone()
        .unwrap_or_else(|| format!("{source} `{}` matches {what}", rule.id));
    Verdict {
        outcome,
        decided_by: format!("rule:{}", rule.id),
        reason: why,
    }
}

pub(super) fn matches_common(m: &Matcher, q: &Query) -> bool {
    (m.kind.is_none() || m.kind == Some(q.kind))
        && (m.skills.is_empty() || m.skills.iter().any(|s| s == q.skill))
        && (m.workflows.is_empty()
            || q.workflow
                .is_some_and(|w| m.workflows.iter().any(|x| x == w)))
        && (m.steps.is_empty() || q.step.is_some_and(|s| m.steps.iter().any(|x| x == s)))
        && (m.risks.is_empty() || m.risks.contains(&q.risk))
}

/// Whether `m` matches the simple command `cmd` (as written or canonical) of a line that
/// touches `paths`.
pub(super) fn matches_command(m: &Matcher, cmd: &SimpleCommand, paths: &[String]) -> bool {
    m.questions.is_empty()
        && m.tools.is_empty()
        && (m.commands.is_empty()
            || m.commands
                .iter()
                .any(|p| cmd.texts().any(|t| p.is_match(t))))
        && (m.paths.is_empty()
            || paths
                .iter()
                .any(|path| m.paths.iter().any(|p| p.is_match(path))))
}

fn specificity(rule: &Rule, cmd: Option<&SimpleCommand>) -> (usize, usize, u8) {
    let literal = cmd
        .map(|cmd| {
            rule.matcher
                .commands
                .iter()
                .filter(|p| cmd.texts().any(|t| p.is_match(t)))
                .map(|p| p.literal_len)
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0);
    let origin = u8::from(rule.origin == Origin::Project);
    (rule.matcher.criteria(), literal, origin)
}

/// The most specific rule among `candidates` (the earliest on a tie).
fn most_specific<'r>(
    candidates: impl Iterator<Item = &'r Rule>,
    cmd: Option<&SimpleCommand>,
) -> Option<&'r Rule> {
    let mut best: Option<(&Rule, (usize, usize, u8))> = None;
    for rule in candidates {
        let score = specificity(rule, cmd);
        if best.is_none_or(|(_, s)| score > s) {
            best = Some((rule, score));
        }
    }
    best.map(|(r, _)| r)
}

/// Findings that say only where a command reaches, not what it is, rank from here.
const GENERIC: u8 = 2;

/// Which finding speaks first when several ask: what the command does (an upload, a secret
/// read, elevated privileges) before where it reaches or what could not be read.
fn rank(finding: &Finding) -> u8 {
    match finding.id.as_str() {
        "network.upload" | "secrets.read" | "shell.privilege" | "shell.runs-code" => 0,
        "implicit.write-outside" => 1,
        "shell.opaque" => GENERIC,
        _ => GENERIC + 1,
    }
}

/// A command line judged: the verdict on the whole line, on each part, and which part decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judged {
    pub verdict: Verdict,
    /// One per entry of the analysis' `commands`, in the same order. A part a finding is about
    /// carries that finding's verdict when it is stricter than the rules' (and not waived).
    pub parts: Vec<PartVerdict>,
    /// The index in `parts` of the part that decided; `None` when the line as a whole did
    /// (something about it that could not be read, or every part alike).
    pub cause: Option<usize>,
}

fn judge_part(applicable: &[&Rule], q: &Query, cmd: &SimpleCommand, paths: &[String]) -> Verdict {
    let matching: Vec<&Rule> = applicable
        .iter()
        .copied()
        .filter(|r| matches_command(&r.matcher, cmd, paths))
        .collect();
    let what = format!("`{}`", cmd.shown());
    if let Some(deny) = matching
        .iter()
        .find(|r| r.origin == Origin::Project && r.action == Action::Deny)
    {
        by_rule(deny, Outcome::Deny, &what)
    } else if let Some(rule) = most_specific(matching.iter().copied(), Some(cmd)) {
        let outcome = match rule.action {
            Action::Allow => Outcome::Allow,
            Action::Deny => Outcome::Deny,
            _ => Outcome::Escalate,
        };
        by_rule(rule, outcome, &what)
    } else {
        by_risk(q, &what)
    }
}

/// No rule decides: the skill's risk does.
fn by_risk(q: &Query, what: &str) -> Verdict {
    let (outcome, says) = match q.risk.needs_user() {
        true => (Outcome::Escalate, "no rule allows"),
        false => (Outcome::Allow, "no rule objects to"),
    };
    Verdict {
        outcome,
        decided_by: "policy".into(),
        reason: format!("skill `{}` is {} risk and {says} {what}", q.skill, q.risk),
    }
}

fn finding_verdict(finding: &Finding) -> Verdict {
    Verdict {
        outcome: match finding.severity {
            Severity::Deny => Outcome::Deny,
            Severity::Escalate => Outcome::Escalate,
        },
        decided_by: format!("rule:{}", finding.id),
        reason: finding.reason.clone(),
    }
}

/// Judges a command line: the verdict on the whole line and on each of its parts.
pub fn command(rules: &[Rule], q: &Query, analysis: &Analysis, paths: &[String]) -> Judged {
    let mut findings = analysis.findings.clone();
    findings.sort_by_key(|f| (std::cmp::Reverse(f.severity), rank(f)));
    let applicable: Vec<&Rule> = rules
        .iter()
        .filter(|r| !matches!(r.action, Action::Choose(_)) && matches_common(&r.matcher, q))
        .collect();
    let mut parts: Vec<PartVerdict> = analysis
        .commands
        .iter()
        .map(|cmd| PartVerdict {
            text: cmd.text.clone(),
            verdict: judge_part(&applicable, q, cmd, paths),
        })
        .collect();
    let (verdict, cause, waived) = decide(&applicable, q, &findings, &parts, analysis);
    // Each part shows what was found about it, so no part reads `allow` while it is the one
    // the line is asked about.
    if !waived {
        for f in &findings {
            if let Some(part) = f.part.and_then(|i| parts.get_mut(i)) {
                let found = finding_verdict(f);
                if found.outcome.strictness() > part.verdict.outcome.strictness() {
                    part.verdict = found;
                }
            }
        }
    }
    Judged {
        verdict,
        parts,
        cause,
    }
}

/// The verdict on the whole line, the part that decided it, and whether the findings that
/// only ask were waived by project rules.
fn decide(
    applicable: &[&Rule],
    q: &Query,
    findings: &[Finding],
    parts: &[PartVerdict],
    analysis: &Analysis,
) -> (Verdict, Option<usize>, bool) {
    if let Some(deny) = findings.iter().find(|f| f.severity == Severity::Deny) {
        return (finding_verdict(deny), deny.part, false);
    }
    // A wrapper (`sh -c …`, `env …`, `timeout …`, `xargs …`) is listed beside the command it
    // runs. It need not be allowed on its own: allowing what it runs is enough. A rule that
    // denies or escalates the wrapper itself still counts.
    let deciding: Vec<(usize, &PartVerdict)> = parts
        .iter()
        .enumerate()
        .filter(|(i, p)| {
            let script = analysis.commands.get(*i).is_some_and(|c| c.wraps_script);
            let wraps = script
                || parts.iter().enumerate().any(|(j, q)| {
                    j != *i
                        && p.text.len() > q.text.len()
                        && p.text.ends_with(&format!(" {}", q.text))
                });
            !(wraps && p.verdict.outcome == Outcome::Allow && p.verdict.decided_by == "policy")
        })
        .collect();
    // A deny rule that matches any part denies the line, before any finding that only asks:
    // a project rule denying `cat ~/.ssh/id_rsa` is the one that decides it.
    if let Some((i, denied)) = deciding
        .iter()
        .find(|(_, p)| p.verdict.outcome == Outcome::Deny)
    {
        return (denied.verdict.clone(), Some(*i), false);
    }
    // A finding that escalates stands unless project rules waive it.
    let standing = standing(applicable, findings, &deciding);
    let waived = !findings.is_empty() && standing.is_none();
    if let Some(finding) = standing {
        // A rule that names what the command is (a remote shell, a privileged container)
        // says more than a generic finding (a path read outside the tree): it decides.
        let named = deciding.iter().find(|(_, p)| {
            p.verdict.outcome == Outcome::Escalate
                && p.verdict.decided_by.starts_with("rule:")
                && rank(finding) >= GENERIC
        });
        return match named {
            Some((i, part)) => {
                let verdict = Verdict {
                    reason: format!("{}; also, {}", part.verdict.reason, finding.reason),
                    ..part.verdict.clone()
                };
                (verdict, Some(*i), false)
            }
            None => (finding_verdict(finding), finding.part, false),
        };
    }
    // The strictest part decides; among equally strict ones, a rule over the policy's default,
    // then the innermost (a wrapper comes before what it runs).
    let weight = |p: &PartVerdict| {
        (
            p.verdict.outcome.strictness(),
            p.verdict.decided_by != "policy",
        )
    };
    let strictest = deciding
        .iter()
        .copied()
        .fold(None::<(usize, &PartVerdict)>, |acc, (i, p)| match acc {
            Some((j, a)) if weight(a) > weight(p) => Some((j, a)),
            _ => Some((i, p)),
        });
    let Some((i, part)) = strictest else {
        let verdict = Verdict {
            outcome: Outcome::Allow,
            decided_by: "policy".into(),
            reason: "the command line is empty".into(),
        };
        return (verdict, None, waived);
    };
    // Every part decided alike by the skill's risk: the line as a whole was, and the reason
    // names every part rather than the last one.
    let alike = deciding.len() > 1
        && deciding.iter().all(|(_, p)| {
            p.verdict.decided_by == "policy" && p.verdict.outcome == part.verdict.outcome
        });
    if alike {
        let shown: Vec<String> = deciding
            .iter()
            .filter_map(|(i, _)| analysis.commands.get(*i))
            .map(|c| format!("`{}`", c.shown()))
            .collect();
        let what = format!("any of its {} parts ({})", shown.len(), shown.join(", "));
        return (by_risk(q, &what), None, waived);
    }
    (part.verdict.clone(), Some(i), waived)
}

/// The finding that stands — the user is asked — unless project rules waive them all: every
/// part of the line is allowed by a project rule that names the command or path, and each
/// write to a guarded place (Bosun's own files, an agent's settings, git's hooks) by one whose
/// `path` names that place.
/// The finding returned is the first that no rule answers.
fn standing<'f>(
    applicable: &[&Rule],
    findings: &'f [Finding],
    deciding: &[(usize, &PartVerdict)],
) -> Option<&'f Finding> {
    let first = findings.first()?;
    let allowed_by = |p: &PartVerdict| {
        applicable.iter().copied().find(|r| {
            p.verdict.outcome == Outcome::Allow
                && format!("rule:{}", r.id) == p.verdict.decided_by
                && r.origin == Origin::Project
        })
    };
    let parts = !deciding.is_empty()
        && deciding.iter().all(|(_, p)| {
            allowed_by(p)
                .is_some_and(|r| !r.matcher.commands.is_empty() || !r.matcher.paths.is_empty())
        });
    if !parts {
        return Some(first);
    }
    let named = |f: &Finding| {
        f.guarded.as_ref().is_none_or(|g| {
            deciding.iter().filter_map(|(_, p)| allowed_by(p)).any(|r| {
                r.matcher
                    .paths
                    .iter()
                    .any(|pat| g.named_by(pat.literal_start(), pat.is_match(&g.path)))
            })
        })
    };
    findings.iter().find(|f| !named(f))
}

/// Judges a decision (a `decide` step or a failed step).
pub fn decision(
    rules: &[Rule],
    q: &Query,
    question: &str,
    options: &[String],
    default: &str,
) -> Verdict {
    let matching = rules.iter().filter(|r| {
        matches_common(&r.matcher, q)
            && r.matcher.commands.is_empty()
            && r.matcher.paths.is_empty()
            && r.matcher.tools.is_empty()
            && (r.matcher.questions.is_empty()
                || r.matcher.questions.iter().any(|p| p.is_match(question)))
            && match &r.action {
                Action::Choose(c) => options.contains(c),
                Action::Escalate => true,
                Action::Allow | Action::Deny => false,
            }
    });
    match most_specific(matching, None) {
        Some(rule) => {
            let outcome = match &rule.action {
                Action::Choose(c) => Outcome::Choose(c.clone()),
                _ => Outcome::Escalate,
            };
            by_rule(rule, outcome, "this question")
        }
        None if q.risk.needs_user() => Verdict {
            outcome: Outcome::Escalate,
            decided_by: "policy".into(),
            reason: format!("{} risk: the user decides unless a rule does", q.risk),
        },
        None => Verdict {
            outcome: Outcome::Choose(default.to_string()),
            decided_by: "policy".into(),
            reason: format!("{} risk: took the declared default `{default}`", q.risk),
        },
    }
}
