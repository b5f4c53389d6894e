//! Policy rules as users write them in `.bosun/policy.yaml` (and as the built-in defaults are
//! written): parsing with positions, and the checks made when a policy loads — unique ids,
//! valid globs, and each rule's example commands matching (or not) as the rule says.

use std::path::Path;

use globset::{GlobBuilder, GlobMatcher};
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::protocol::{DecisionKind, Risk};

/// Where a rule was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Builtin,
    Project,
}

/// What a rule does with what it matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Allow,
    Deny,
    Escalate,
    /// For a decision (a `decide` step, a failed step): take this option.
    Choose(String),
}

/// A glob with its text, and how specific it is (its literal characters).
#[derive(Debug, Clone)]
pub struct Pattern {
    pub text: String,
    /// Each glob with the literal text every match starts with: most patterns name their
    /// program first (`git push *`), and a text without that prefix is refused before the
    /// glob runs (a check meets hundreds of patterns).
    matchers: Vec<(String, GlobMatcher)>,
    pub literal_len: usize,
}

/// The literal start of a glob: everything before its first special character.
fn literal_prefix(glob: &str) -> String {
    glob.chars()
        .take_while(|c| !"*?[]{}\\".contains(*c))
        .collect()
}

impl Pattern {
    /// `*` matches anything (spaces and `/` included). `git push *` also matches a bare
    /// `git push`: a trailing ` *` means "with any arguments or none".
    pub fn new(text: &str) -> Result<Pattern, String> {
        let glob = |t: &str| {
            GlobBuilder::new(t)
                .literal_separator(false)
                .backslash_escape(true)
                .build()
                .map(|g| (literal_prefix(t), g.compile_matcher()))
                .map_err(|e| format!("`{text}` is not a valid pattern: {e}"))
        };
        let mut matchers = vec![glob(text)?];
        if let Some(bare) = text.strip_suffix(" *") {
            matchers.push(glob(bare)?);
        }
        Ok(Pattern {
            text: text.to_string(),
            matchers,
            literal_len: text.chars().filter(|c| !"*?[]{}".contains(*c)).count(),
        })
    }

    /// The literal text every match starts with (before the first wildcard).
    pub fn literal_start(&self) -> &str {
        self.matchers
            .first()
            .map_or("", |(prefix, _)| prefix.as_str())
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.matchers
            .iter()
            .any(|(prefix, m)| text.starts_with(prefix.as_str()) && m.is_match(text))
    }
}

/// What a rule matches; every criterion given must hold.
#[derive(Debug, Clone, Default)]
pub struct Matcher {
    pub kind: Option<DecisionKind>,
    pub skills: Vec<String>,
    pub workflows: Vec<String>,
    pub steps: Vec<String>,
    pub risks: Vec<Risk>,
    /// Matched against each simple command of a command line.
    pub commands: Vec<Pattern>,
    /// Matched against the paths a command touches, relative to the project (or absolute).
    pub paths: Vec<Pattern>,
    /// Matched against a decision's question.
    pub questions: Vec<Pattern>,
    /// Matched against the name of an agent's tool that no command stands for (an MCP
    /// server's `mcp__server__tool`, a web search); such a rule judges nothing else.
    pub tools: Vec<Pattern>,
}

impl Matcher {
    /// How many criteria the rule sets: the more, the more specific.
    pub fn criteria(&self) -> usize {
        usize::from(self.kind.is_some())
            + usize::from(!self.skills.is_empty())
            + usize::from(!self.workflows.is_empty())
            + usize::from(!self.steps.is_empty())
            + usize::from(!self.risks.is_empty())
            + usize::from(!self.commands.is_empty())
            + usize::from(!self.paths.is_empty())
            + usize::from(!self.questions.is_empty())
            + usize::from(!self.tools.is_empty())
    }
}

/// One checked rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub origin: Origin,
    /// Why the rule exists, shown with its decisions.
    pub reason: Option<String>,
    pub matcher: Matcher,
    pub action: Action,
}

/// One value or a list of them.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(t) => vec![t],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatch {
    kind: Option<DecisionKind>,
    skill: Option<OneOrMany<String>>,
    workflow: Option<OneOrMany<String>>,
    step: Option<OneOrMany<String>>,
    risk: Option<OneOrMany<Risk>>,
    command: Option<OneOrMany<String>>,
    path: Option<OneOrMany<String>>,
    question: Option<OneOrMany<String>>,
    tool: Option<OneOrMany<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "lowercase")]
enum RawAction {
    Allow,
    Deny,
    Escalate,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExamples {
    #[serde(default, rename = "match")]
    matching: Vec<Spanned<String>>,
    #[serde(default)]
    not_match: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    id: Spanned<String>,
    reason: Option<String>,
    #[serde(rename = "match")]
    matching: Option<Spanned<RawMatch>>,
    action: Option<Spanned<RawAction>>,
    choice: Option<Spanned<String>>,
    #[serde(default)]
    examples: RawExamples,
}

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPolicy {
    #[serde(default)]
    pub extra_roots: Vec<String>,
    #[serde(default)]
    pub read_roots: Vec<String>,
    #[serde(default)]
    pub rules: Vec<RawRule>,
}

/// Rule ids that name built-in checks; a user rule may not take them.
const RESERVED: &[&str] = &[
    "builtin.",
    "floor.",
    "boundary.",
    "secrets.",
    "shell.",
    "network.",
    "implicit.",
];

/// Checks the rules of one file. `examples` tells whether an example command matches a rule's
/// criteria (the policy reads commands the same way at run time).
pub(super) fn check_rules(
    file: &Path,
    raw: Vec<RawRule>,
    origin: Origin,
    examples: &dyn Fn(&Matcher, &str) -> bool,
) -> Result<Vec<Rule>, Diagnostics> {
    let mut problems = Diagnostics::default();
    let mut rules: Vec<Rule> = Vec::new();
    for raw in raw {
        let id = raw.id.value.clone();
        let at = &raw.id.referenced;
        if rules.iter().any(|r| r.id == id) {
            problems.push(Diagnostic::at(
                file,
                at,
                format!("rule id `{id}` is used twice"),
            ));
        }
        if origin == Origin::Project && RESERVED.iter().any(|p| id.starts_with(p)) {
            problems.push(Diagnostic::at(
                file,
                at,
                format!("rule id `{id}` is reserved for Bosun's own checks; choose another"),
            ));
        }
        let action = match (&raw.action, &raw.choice) {
            (Some(a), None) => match a.value {
                RawAction::Allow => Action::Allow,
                RawAction::Deny => Action::Deny,
                RawAction::Escalate => Action::Escalate,
            },
            (None, Some(c)) => Action::Choose(c.value.clone()),
            (Some(a), Some(_)) => {
                problems.push(Diagnostic::at(
                    file,
                    &a.referenced,
                    format!("rule `{id}` has both `action` and `choice`; give one"),
                ));
                continue;
            }
            (None, None) => {
                problems.push(Diagnostic::at(
                    file,
                    at,
                    format!("rule `{id}` needs an `action` (allow, deny, escalate) or a `choice`"),
                ));
                continue;
            }
        };
        let matcher = match raw.matching {
            None => Matcher::default(),
            Some(m) => match matcher(m.value) {
                Ok(m) => m,
                Err(e) => {
                    problems.push(Diagnostic::at(
                        file,
                        &m.referenced,
                        format!("rule `{id}`: {e}"),
                    ));
                    continue;
                }
            },
        };
        if matches!(action, Action::Choose(_))
            && (!matcher.commands.is_empty() || !matcher.paths.is_empty())
        {
            problems.push(Diagnostic::at(
                file,
                at,
                format!("rule `{id}`: a `choice` answers decisions, which have no command or path; use `action` for commands"),
            ));
        }
        if !matcher.tools.is_empty()
            && (matches!(action, Action::Choose(_))
                || !matcher.commands.is_empty()
                || !matcher.paths.is_empty()
                || !matcher.questions.is_empty())
        {
            problems.push(Diagnostic::at(
                file,
                at,
                format!("rule `{id}`: a `tool` rule judges an agent's tool calls that are no command (MCP tools, web search) and takes no `command`, `path`, `question` or `choice`"),
            ));
        }
        let has_examples = !raw.examples.matching.is_empty() || !raw.examples.not_match.is_empty();
        if has_examples && matcher.commands.is_empty() && matcher.paths.is_empty() {
            problems.push(Diagnostic::at(
                file,
                at,
                format!(
                    "rule `{id}` has example commands but no `command` or `path` to test them on"
                ),
            ));
        }
        for example in &raw.examples.matching {
            if !examples(&matcher, &example.value) {
                problems.push(Diagnostic::at(
                    file,
                    &example.referenced,
                    format!(
                        "rule `{id}`: example `{}` should match the rule but does not",
                        example.value
                    ),
                ));
            }
        }
        for example in &raw.examples.not_match {
            if examples(&matcher, &example.value) {
                problems.push(Diagnostic::at(
                    file,
                    &example.referenced,
                    format!(
                        "rule `{id}`: example `{}` should not match the rule but does",
                        example.value
                    ),
                ));
            }
        }
        rules.push(Rule {
            id,
            origin: origin.clone(),
            reason: raw.reason,
            matcher,
            action,
        });
    }
    problems.into_result(rules)
}

fn patterns(given: Option<OneOrMany<String>>) -> Result<Vec<Pattern>, String> {
    given
        .map(OneOrMany::into_vec)
        .unwrap_or_default()
        .iter()
        .map(|p| Pattern::new(p))
        .collect()
}

fn matcher(raw: RawMatch) -> Result<Matcher, String> {
    let list = |v: Option<OneOrMany<String>>| v.map(OneOrMany::into_vec).unwrap_or_default();
    Ok(Matcher {
        kind: raw.kind,
        skills: list(raw.skill),
        workflows: list(raw.workflow),
        steps: list(raw.step),
        risks: raw.risk.map(OneOrMany::into_vec).unwrap_or_default(),
        commands: patterns(raw.command)?,
        paths: patterns(raw.path)?,
        questions: patterns(raw.question)?,
        tools: patterns(raw.tool)?,
    })
}
