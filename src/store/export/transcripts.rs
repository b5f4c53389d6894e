//! The agent transcripts of a task's export: for each of its steps (every run; a step's
//! transcript file is shared by its runs) the file `ProjectPaths::agent_transcript` names, if
//! its agent printed anything, line by line as JSON values. A line that is not JSON (a torn
//! last line, a CLI's plain-text warning) is kept as a string rather than dropped: in a bug
//! report it may be the line that matters. Blank lines are left out.

use serde_json::Value;

use super::Transcript;
use crate::config::ProjectPaths;
use crate::protocol::{StepView, TaskId};
use crate::store::StoreError;

/// The transcripts of `steps` of task `id`, in step order, each step once.
pub(super) async fn read(
    paths: &ProjectPaths,
    id: &TaskId,
    steps: &[&StepView],
) -> Result<Vec<Transcript>, StoreError> {
    let mut seen = std::collections::HashSet::new();
    let mut found = Vec::new();
    for step in steps {
        if !seen.insert(step.id.as_str()) {
            continue;
        }
        let file = paths.agent_transcript(id.as_str(), &step.id);
        let text = match tokio::fs::read(&file).await {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(StoreError::Io(format!(
                    "cannot read {}: {e}",
                    file.display()
                )));
            }
        };
        found.push(Transcript {
            step_id: step.id.clone(),
            file: file.display().to_string(),
            lines: lines(&text),
        });
    }
    Ok(found)
}

/// Each non-blank line as JSON, or as a string when it is not JSON.
fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| Value::String(l.to_string())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_lines_are_values_and_other_lines_strings() {
        let text = "{\"type\":\"system\"}\n\nnot json: warning\n[1,2]\n{\"type\":\"resu";
        assert_eq!(
            lines(text),
            [
                json!({"type": "system"}),
                json!("not json: warning"),
                json!([1, 2]),
                json!("{\"type\":\"resu"),
            ]
        );
    }
}
