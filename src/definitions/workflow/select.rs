//! Choosing a workflow for a task submitted without `--workflow`: a workflow named by the whole
//! description, else the one whose name and description share the most words with it, else the
//! default `shell` workflow, which runs the description as a command. The reason is recorded
//! with the task and shown by `bosun show`.

use super::WorkflowCatalog;

/// The workflow used when nothing matches.
pub const DEFAULT_WORKFLOW: &str = "shell";

/// Score a match must reach to beat the default (a name word counts 2, a description word 1).
const MIN_SCORE: usize = 3;

const STOP_WORDS: &[&str] = &[
    "the", "and", "then", "that", "this", "with", "for", "from", "into", "its", "run", "runs",
    "all", "any", "side", "by", "of", "to", "it", "in", "on", "or", "an", "a", "if", "is", "be",
    "please", "my", "our", "each", "every", "once", "project", "one",
];

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| w.len() >= 2 && !STOP_WORDS.contains(&w.as_str()))
        .collect()
}

/// Returns the chosen workflow's name and why it was chosen.
pub fn choose_workflow(catalog: &WorkflowCatalog, description: &str) -> (String, String) {
    let wanted = description.trim();
    if catalog.get(wanted).is_some() {
        return (
            wanted.to_string(),
            format!("the description names workflow `{wanted}`"),
        );
    }
    let asked = words(description);
    let mut best: Option<(usize, &str, Vec<String>)> = None;
    for entry in catalog.entries.values() {
        if entry.name == DEFAULT_WORKFLOW {
            continue;
        }
        let name_words = words(&entry.name);
        let desc_words = words(&entry.description);
        let mut matched = Vec::new();
        let mut score = 0;
        for word in asked.iter().collect::<std::collections::BTreeSet<_>>() {
            if name_words.contains(word) {
                score += 2;
                matched.push(word.clone());
            } else if desc_words.contains(word) {
                score += 1;
                matched.push(word.clone());
            }
        }
        if score >= MIN_SCORE && best.as_ref().is_none_or(|(s, _, _)| score > *s) {
            best = Some((score, &entry.name, matched));
        }
    }
    match best {
        Some((_, name, matched)) => (
            name.to_string(),
            format!(
                "the description matches workflow `{name}` (words: {})",
                matched.join(", ")
            ),
        ),
        None => (
            DEFAULT_WORKFLOW.to_string(),
            "no workflow matched the description; it runs as a shell command".to_string(),
        ),
    }
}
