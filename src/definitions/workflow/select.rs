//! Choosing a workflow for a task submitted without `--workflow`. A description that names a
//! workflow runs it; a command line (its first word a program, a file or a shell builtin) runs
//! as written in the default `shell` workflow, never swapped for a workflow that shares its
//! words; a request in words runs the workflow whose name and description share the most words
//! with it. A request that matches nothing, or two workflows equally, is refused with what to
//! do. When a coding agent is available, a request in words goes to an agent workflow instead
//! unless a workflow covers all of its words ([`super::route`]). The reason is recorded with the
//! task and shown by `bosun show`.

use super::WorkflowCatalog;
use super::programs::Programs;
use super::route::{AGENT_WORKFLOWS, agent_label, to_agent};
use crate::definitions::catalog::Source;

/// The workflow that runs a command line.
pub const DEFAULT_WORKFLOW: &str = "shell";

/// Score a request in words must reach (a name word counts 2, a description word 1).
const MIN_SCORE: usize = 2;

const STOP_WORDS: &[&str] = &[
    "the", "and", "then", "that", "this", "with", "for", "from", "into", "its", "run", "runs",
    "all", "any", "side", "by", "of", "to", "it", "in", "on", "or", "an", "a", "if", "is", "be",
    "please", "my", "our", "each", "every", "once", "project", "one",
];

/// The words of `text` that can tell workflows apart: lowercase, no stop words, in order.
pub(super) fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| w.len() >= 2 && !STOP_WORDS.contains(&w.as_str()))
    {
        if !out.contains(&word) {
            out.push(word);
        }
    }
    out
}

/// A workflow as the choice sees it.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub name: &'a str,
    pub description: &'a str,
    /// A project's own workflow wins a tie with a bundled one.
    pub own: bool,
}

/// The chosen workflow and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen {
    pub workflow: String,
    pub reason: String,
}

/// [`choose`] over a catalog.
pub fn choose_workflow(
    catalog: &WorkflowCatalog,
    description: &str,
    programs: &Programs,
) -> Result<Chosen, String> {
    let candidates = catalog.entries.values().map(|e| Candidate {
        name: &e.name,
        description: &e.description,
        own: !matches!(e.source, Source::Bundled(_)),
    });
    choose(candidates, description, programs)
}

/// Chooses among `candidates` for `description`, or says why none can be chosen.
pub fn choose<'a>(
    candidates: impl IntoIterator<Item = Candidate<'a>>,
    description: &str,
    programs: &Programs,
) -> Result<Chosen, String> {
    let wanted = description.trim();
    let candidates: Vec<Candidate> = candidates.into_iter().collect();
    if candidates.iter().any(|c| c.name == wanted) {
        return Ok(Chosen {
            workflow: wanted.to_string(),
            reason: format!("the description names workflow `{wanted}`"),
        });
    }
    if let Some((word, what)) = programs.command_of(wanted) {
        return Ok(Chosen {
            workflow: DEFAULT_WORKFLOW.to_string(),
            reason: format!("`{word}` is {what}: the description runs as a shell command"),
        });
    }
    if let Some((agent, path)) = programs.available_agent() {
        return to_agent(&candidates, wanted, &words(wanted), agent, path);
    }
    let asked: std::collections::BTreeSet<String> = words(wanted).into_iter().collect();
    let mut scored: Vec<(usize, Candidate, Vec<String>)> = candidates
        .iter()
        .filter(|c| c.name != DEFAULT_WORKFLOW && !AGENT_WORKFLOWS.contains(&c.name))
        .map(|c| {
            let name_words = words(c.name);
            let desc_words = words(c.description);
            let mut matched = Vec::new();
            let mut score = 0;
            for word in &asked {
                if name_words.contains(word) {
                    score += 2;
                    matched.push(word.clone());
                } else if desc_words.contains(word) {
                    score += 1;
                    matched.push(word.clone());
                }
            }
            (score, *c, matched)
        })
        .filter(|(score, _, _)| *score >= MIN_SCORE)
        .collect();
    let best = scored.iter().map(|(s, _, _)| *s).max().unwrap_or(0);
    scored.retain(|(s, _, _)| *s == best);
    if scored.len() > 1 && scored.iter().filter(|(_, c, _)| c.own).count() == 1 {
        scored.retain(|(_, c, _)| c.own);
    }
    let first = wanted.split_whitespace().next().unwrap_or(wanted);
    match scored.as_slice() {
        [(_, c, matched)] => Ok(Chosen {
            workflow: c.name.to_string(),
            reason: format!(
                "the description matches workflow `{}` (words: {}) and is no command \
                 (`{first}` is no program)",
                c.name,
                matched.join(", ")
            ),
        }),
        [] => Err(format!(
            "`{wanted}` is not a command (no program `{first}` on PATH or in the project) and \
             matches no workflow: write the command as it runs, or name a workflow with \
             --workflow (known: {}){}",
            known(&candidates),
            no_agent(programs)
        )),
        tied => {
            let names: Vec<String> = tied
                .iter()
                .map(|(_, c, _)| format!("`{}`", c.name))
                .collect();
            Err(format!(
                "`{wanted}` matches workflows {} equally: name one with --workflow",
                names.join(" and ")
            ))
        }
    }
}

/// Why a request in words did not go to an agent, when one was looked for.
fn no_agent(programs: &Programs) -> String {
    match programs.agent() {
        Some(agent) => format!(
            ". With {} installed, requests in words go to it: `agents.{}.command` is `{}`, \
             which is not found on PATH",
            agent_label(&agent.adapter),
            agent.adapter,
            agent.command
        ),
        None => String::new(),
    }
}

fn known(candidates: &[Candidate]) -> String {
    candidates
        .iter()
        .map(|c| c.name)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    const BUNDLED: [Candidate<'static>; 4] = [
        Candidate {
            name: "make",
            description: "Build a make target, then run the test target",
            own: false,
        },
        Candidate {
            name: "node-ci",
            description: "Install dependencies, then lint and test the JavaScript project",
            own: false,
        },
        Candidate {
            name: "rust-ci",
            description: "Check formatting, then lint and test the Rust project",
            own: false,
        },
        Candidate {
            name: "shell",
            description: "Run the task's description as a shell command",
            own: false,
        },
    ];

    fn programs() -> Programs {
        Programs::new(
            &PathBuf::from("/nonexistent"),
            &[],
            vec!["/bin".into(), "/usr/bin".into()],
        )
    }

    fn pick(extra: &[Candidate<'static>], description: &str) -> Result<Chosen, String> {
        choose(
            BUNDLED.iter().chain(extra).copied(),
            description,
            &programs(),
        )
    }

    #[test]
    fn a_command_line_runs_as_written_whatever_words_it_shares() {
        let pytest = Candidate {
            name: "pytest-watch",
            description: "Run the python tests with pytest",
            own: true,
        };
        for line in [
            "sh -c 'python -m pytest -q tests/test_encoding.py'",
            "make test",
            "ls -la",
            "cd src && make",
        ] {
            let chosen = pick(&[pytest], line).expect("chosen");
            assert_eq!(chosen.workflow, "shell", "{line}: {}", chosen.reason);
            assert!(
                chosen.reason.contains("runs as a shell command"),
                "{}",
                chosen.reason
            );
        }
    }

    #[test]
    fn a_request_in_words_runs_the_workflow_it_matches_or_is_refused() {
        let chosen = pick(&[], "format and lint the rust code").expect("rust-ci");
        assert_eq!(chosen.workflow, "rust-ci");
        assert!(
            chosen
                .reason
                .contains("matches workflow `rust-ci` (words: lint, rust)"),
            "{}",
            chosen.reason
        );
        let tie = pick(&[], "lint and test").expect_err("a tie");
        assert!(tie.contains("`node-ci` and `rust-ci` equally"), "{tie}");
        let own = Candidate {
            name: "checks",
            description: "lint and test this service",
            own: true,
        };
        assert_eq!(
            pick(&[own], "lint and test").expect("own").workflow,
            "checks"
        );
        let none = pick(&[], "frobnicate the widgets").expect_err("nothing");
        assert!(
            none.contains("no program `frobnicate`") && none.contains("--workflow"),
            "{none}"
        );
        assert_eq!(pick(&[], "node-ci").expect("named").workflow, "node-ci");
    }

    const AGENTS: [Candidate<'static>; 3] = [
        Candidate {
            name: "fix-tests",
            description: "Run the tests; while they fail, let the agent fix the code",
            own: false,
        },
        Candidate {
            name: "implement",
            description: "Let the agent implement the description, test, then ask to commit",
            own: false,
        },
        Candidate {
            name: "review",
            description: "Let the agent review the current diff",
            own: false,
        },
    ];

    /// Chooses among the bundled and agent workflows plus `extra`; `agent` names the agent's
    /// binary (`sh` is found, so it stands for an installed agent).
    fn pick_with(
        agent: &str,
        extra: &[Candidate<'static>],
        description: &str,
    ) -> Result<Chosen, String> {
        let programs = programs().with_agent("claude-code", agent);
        choose(
            BUNDLED.iter().chain(&AGENTS).chain(extra).copied(),
            description,
            &programs,
        )
    }

    #[test]
    fn with_an_agent_requests_in_words_go_to_agent_workflows() {
        let fix = pick_with("sh", &[], "fix the failing tests").expect("fix-tests");
        assert_eq!(fix.workflow, "fix-tests", "{}", fix.reason);
        assert!(
            fix.reason
                .contains("to fix failing tests (words: fix, tests)")
                && fix.reason.contains("Claude Code is available (/bin/sh)"),
            "{}",
            fix.reason
        );
        let review = pick_with("sh", &[], "please review my changes").expect("review");
        assert_eq!(review.workflow, "review");
        let work = pick_with("sh", &[], "add a --verbose flag to the rust cli").expect("implement");
        assert_eq!(work.workflow, "implement", "{}", work.reason);
        assert!(
            work.reason
                .contains("`rust-ci` comes closest but does not say: add, verbose")
                && work.reason.contains("`implement` has the agent do it"),
            "{}",
            work.reason
        );
        // Once a request in words reaches nothing; now it is the agent's.
        let none = pick_with("sh", &[], "frobnicate the widgets").expect("implement");
        assert_eq!(none.workflow, "implement");
        assert!(!none.reason.contains("closest"), "{}", none.reason);
    }

    #[test]
    fn with_an_agent_a_workflow_that_says_it_all_still_runs() {
        let own = Candidate {
            name: "deploy",
            description: "Deploy the service to staging",
            own: true,
        };
        let chosen = pick_with("sh", &[own], "deploy to staging").expect("deploy");
        assert_eq!(chosen.workflow, "deploy", "{}", chosen.reason);
        assert!(
            chosen
                .reason
                .contains("every word of the request (deploy, staging)")
        );
        let rust = pick_with("sh", &[], "lint and test the rust project").expect("rust-ci");
        assert_eq!(rust.workflow, "rust-ci", "{}", rust.reason);
        let tie = pick_with("sh", &[], "lint and test").expect_err("a tie");
        assert!(tie.contains("`node-ci` and `rust-ci` equally"), "{tie}");
        // Commands and names are never the agent's.
        assert_eq!(
            pick_with("sh", &[], "ls -la").expect("shell").workflow,
            "shell"
        );
        assert_eq!(
            pick_with("sh", &[], "review").expect("named").workflow,
            "review"
        );
    }

    #[test]
    fn without_an_agent_requests_in_words_are_matched_as_before() {
        let refused =
            pick_with("no-such-claude", &[], "fix the failing tests").expect_err("no agent");
        assert!(
            refused.contains("matches no workflow")
                && refused.contains(
                    "`agents.claude-code.command` is `no-such-claude`, which is not found on PATH"
                ),
            "{refused}"
        );
        // Agent workflows are not matched by their words: they would only fail.
        let refused =
            pick(&AGENTS, "agent should implement the diff review").expect_err("no agent");
        assert!(refused.contains("matches no workflow"), "{refused}");
        assert!(!refused.contains("With Claude Code"), "{refused}");
        assert_eq!(
            pick_with("no-such-claude", &[], "format and lint the rust code")
                .expect("rust-ci")
                .workflow,
            "rust-ci"
        );
    }
}
