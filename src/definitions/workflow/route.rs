//! Where a request in words goes when a coding agent is available: to the bundled agent
//! workflows, unless a workflow already says everything the request asks.
//!
//! In order: words asking to fix failing tests go to `fix-tests`; words asking for a review go
//! to `review`; a workflow whose name and description hold every word of the request runs it
//! (`run the python tests` is `python-ci`, not work for an agent); anything else is work for
//! the agent, through `implement`. Agent workflows are never matched by their words alone:
//! without an agent they would only fail, and with one these rules reach them.

use std::path::Path;

use super::programs::AgentLookup;
use super::select::{Candidate, Chosen, DEFAULT_WORKFLOW, words};

/// Runs the tests and lets the agent fix what fails.
pub const FIX_TESTS: &str = "fix-tests";
/// Lets the agent do what the description asks.
pub const IMPLEMENT: &str = "implement";
/// Lets the agent review the current diff.
pub const REVIEW: &str = "review";
/// The adapter the bundled agent workflows use: when its binary is found, requests in words go
/// to them.
pub const ROUTED_ADAPTER: &str = "claude-code";
/// The workflows that need an agent: reached by the rules above or by name, never by words.
pub const AGENT_WORKFLOWS: &[&str] = &[FIX_TESTS, IMPLEMENT, REVIEW];

/// Verbs that ask for something broken to be mended.
const FIX_WORDS: &[&str] = &["fix", "fixes", "repair", "mend", "unbreak"];
/// Words that, with a test word, ask for tests to pass.
const PASS_WORDS: &[&str] = &["pass", "passing", "green"];
/// Polite openings skipped before the verb of a request.
const OPENINGS: &[&str] = &["can", "could", "would", "you", "pls", "kindly", "go", "now"];

/// The agent's name as a user knows it.
pub fn agent_label(adapter: &str) -> &str {
    match adapter {
        "claude-code" => "Claude Code",
        "codex" => "Codex",
        other => other,
    }
}

fn is_test_word(word: &str) -> bool {
    word.starts_with("test") || matches!(word, "spec" | "specs" | "suite")
}

/// The words that ask to fix failing tests, if the request does.
pub fn asks_to_fix_tests(asked: &[String]) -> Option<Vec<String>> {
    let test = asked.iter().find(|w| is_test_word(w))?;
    let verb = asked
        .iter()
        .find(|w| FIX_WORDS.contains(&w.as_str()) || PASS_WORDS.contains(&w.as_str()))?;
    Some(vec![verb.clone(), test.clone()])
}

/// Whether the request opens with "review" (after polite words).
pub fn asks_for_review(asked: &[String]) -> bool {
    asked
        .iter()
        .find(|w| !OPENINGS.contains(&w.as_str()))
        .is_some_and(|w| w == "review")
}

/// The same word, give or take an ending (`test`/`tests`, `lint`/`linting`).
fn same_word(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short == long || (short.len() >= 4 && long.starts_with(short) && long.len() - short.len() <= 4)
}

/// The asked words a workflow's name and description do not hold.
fn missing<'w>(candidate: &Candidate, asked: &'w [String]) -> Vec<&'w str> {
    let own: Vec<String> = words(candidate.name)
        .into_iter()
        .chain(words(candidate.description))
        .collect();
    asked
        .iter()
        .filter(|w| !own.iter().any(|o| same_word(o, w)))
        .map(String::as_str)
        .collect()
}

/// Chooses for a request in words (`asked` are its words) while `agent`, found at `path`,
/// can take it.
pub fn to_agent(
    candidates: &[Candidate],
    wanted: &str,
    asked: &[String],
    agent: &AgentLookup,
    path: &Path,
) -> Result<Chosen, String> {
    let has = |name: &str| candidates.iter().any(|c| c.name == name);
    let who = format!(
        "{} is available ({})",
        agent_label(&agent.adapter),
        path.display()
    );
    if let Some(matched) = asks_to_fix_tests(asked)
        && has(FIX_TESTS)
    {
        return Ok(Chosen {
            workflow: FIX_TESTS.to_string(),
            reason: format!(
                "a request in words to fix failing tests (words: {}), and {who}: `{FIX_TESTS}` \
                 runs the tests and has the agent fix what fails",
                matched.join(", ")
            ),
        });
    }
    if asks_for_review(asked) && has(REVIEW) {
        return Ok(Chosen {
            workflow: REVIEW.to_string(),
            reason: format!(
                "a request in words for a review, and {who}: `{REVIEW}` has the agent review \
                 the uncommitted changes"
            ),
        });
    }
    let plain: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| c.name != DEFAULT_WORKFLOW && !AGENT_WORKFLOWS.contains(&c.name))
        .collect();
    let mut covering: Vec<&&Candidate> = plain
        .iter()
        .filter(|c| !asked.is_empty() && missing(c, asked).is_empty())
        .collect();
    if covering.len() > 1 && covering.iter().filter(|c| c.own).count() == 1 {
        covering.retain(|c| c.own);
    }
    match covering.as_slice() {
        [only] => {
            return Ok(Chosen {
                workflow: only.name.to_string(),
                reason: format!(
                    "every word of the request ({}) is in workflow `{}`, so it runs rather than \
                     an agent",
                    asked.join(", "),
                    only.name
                ),
            });
        }
        [] => {}
        tied => {
            let names: Vec<String> = tied.iter().map(|c| format!("`{}`", c.name)).collect();
            return Err(format!(
                "`{wanted}` matches workflows {} equally: name one with --workflow",
                names.join(" and ")
            ));
        }
    }
    if !has(IMPLEMENT) {
        return Err(format!(
            "`{wanted}` is a request in words and no workflow `{IMPLEMENT}` is known to give it \
             to the agent: name a workflow with --workflow"
        ));
    }
    let closest = plain
        .iter()
        .map(|c| (asked.len() - missing(c, asked).len(), *c))
        .filter(|(covered, _)| *covered > 0)
        .max_by_key(|(covered, c)| (*covered, c.own))
        .map(|(_, c)| {
            format!(
                " (`{}` comes closest but does not say: {})",
                c.name,
                missing(c, asked).join(", ")
            )
        })
        .unwrap_or_default();
    Ok(Chosen {
        workflow: IMPLEMENT.to_string(),
        reason: format!(
            "a request in words that no workflow covers{closest}, and {who}: `{IMPLEMENT}` has \
             the agent do it, runs the tests and asks before committing"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(text: &str) -> Vec<String> {
        words(text)
    }

    #[test]
    fn requests_to_fix_tests_are_told_apart() {
        for text in [
            "fix the failing tests",
            "the tests are failing, fix them",
            "repair the test suite",
            "get the tests green again",
            "fix test_parse_dates",
        ] {
            assert!(asks_to_fix_tests(&asked(text)).is_some(), "{text}");
        }
        for text in [
            "fix the login bug",
            "add a test for the failing parser case",
            "write tests for the parser",
            "green theme for the status bar",
        ] {
            assert!(asks_to_fix_tests(&asked(text)).is_none(), "{text}");
        }
    }

    #[test]
    fn a_review_is_asked_for_by_its_first_word() {
        assert!(asks_for_review(&asked("review my changes")));
        assert!(asks_for_review(&asked("please review the diff")));
        assert!(asks_for_review(&asked("can you review this")));
        assert!(!asks_for_review(&asked("address the review comments")));
    }

    #[test]
    fn words_match_give_or_take_an_ending() {
        assert!(same_word("tests", "test"));
        assert!(same_word("linting", "lint"));
        assert!(same_word("formatting", "format"));
        assert!(!same_word("testament", "test"));
        assert!(!same_word("adds", "add"));
    }
}
