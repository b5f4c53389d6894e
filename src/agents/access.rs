//! What an agent's tool call does, as the policy reads it: a command line that does the same
//! thing, so every rule, the safety floor and the project boundary apply to it as to a step's
//! command. A Bash call is its command; a file edit is a write to its paths (`tee`), a read a
//! read (`cat`, `grep`, `ls`), a web fetch a download (`curl`). A tool with no such reading —
//! web search, an MCP server's tool, one this adapter does not know — is judged by its name
//! (`tool:` rules of the policy), and asked about when no rule names it.

use serde_json::Value;

/// How a tool call is judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// As this command line.
    Command(Vec<String>),
    /// Nothing to read it as: ask, saying why.
    Ask(String),
    /// Changes nothing outside the agent (its to-do list, a question to the user): allowed.
    Inert,
}

fn words(words: &[&str], tail: &[&str]) -> Access {
    Access::Command(words.iter().chain(tail).map(|w| w.to_string()).collect())
}

/// The reading of a Claude Code tool call (Codex's shell calls are Bash calls too).
pub fn access(tool: &str, input: &Value) -> Access {
    let field = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| input[*n].as_str())
            .map(str::to_string)
    };
    match tool {
        "Bash" => match field(&["command"]) {
            Some(command) => Access::Command(vec!["sh".into(), "-c".into(), command]),
            None => Access::Ask("a Bash call without a command".into()),
        },
        // A Codex patch names every file it touches in `files`: all are judged, not the first.
        "Write" | "Edit" if input["files"].is_array() => {
            let files: Option<Vec<&str>> = input["files"]
                .as_array()
                .into_iter()
                .flatten()
                .map(Value::as_str)
                .collect();
            match files {
                Some(files) if !files.is_empty() => words(&["tee", "--"], &files),
                _ => Access::Ask(format!("`{tool}` names no file, or not as text")),
            }
        }
        "Write" | "Edit" | "MultiEdit" | "NotebookEdit" => {
            match field(&["file_path", "notebook_path"]) {
                Some(path) => words(&["tee", "--"], &[&path]),
                None => Access::Ask(format!("`{tool}` names no file")),
            }
        }
        "Read" => match field(&["file_path"]) {
            Some(path) => words(&["cat", "--"], &[&path]),
            None => Access::Ask("`Read` names no file".into()),
        },
        "Grep" => {
            let pattern = field(&["pattern"]).unwrap_or_default();
            let path = field(&["path"]).unwrap_or_else(|| ".".into());
            words(&["grep", "-r", "--"], &[&pattern, &path])
        }
        "Glob" | "LS" => words(
            &["ls", "--"],
            &[&field(&["path"]).unwrap_or_else(|| ".".into())],
        ),
        "WebFetch" => match field(&["url"]) {
            Some(url) => words(&["curl", "-sS", "--"], &[&url]),
            None => Access::Ask("`WebFetch` names no URL".into()),
        },
        "TodoWrite" | "AskUserQuestion" | "EnterPlanMode" | "ExitPlanMode" | "StructuredOutput" => {
            Access::Inert
        }
        "WebSearch" => Access::Ask("a web search sends the query out of the project".into()),
        mcp if mcp.starts_with("mcp__") => Access::Ask(format!(
            "`{mcp}` is an MCP server's tool, which no rule names"
        )),
        other => Access::Ask(format!("`{other}` is a tool Bosun cannot read")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn each_tool_is_read_as_what_it_does() {
        assert_eq!(
            access("Bash", &json!({ "command": "cargo test" })),
            Access::Command(vec!["sh".into(), "-c".into(), "cargo test".into()])
        );
        assert_eq!(
            access(
                "Edit",
                &json!({ "file_path": "src/lib.rs", "old_string": "a" })
            ),
            Access::Command(vec!["tee".into(), "--".into(), "src/lib.rs".into()])
        );
        assert!(
            matches!(access("Read", &json!({ "file_path": ".env" })), Access::Command(c) if c[0] == "cat")
        );
        assert!(matches!(
            access("mcp__github__create_issue", &json!({})),
            Access::Ask(_)
        ));
        assert!(
            matches!(access("Frobnicate", &json!({})), Access::Ask(w) if w.contains("Frobnicate"))
        );
        assert_eq!(access("TodoWrite", &json!({ "todos": [] })), Access::Inert);
    }

    #[test]
    fn a_patch_is_a_write_to_every_file_it_names() {
        let patch = json!({ "file_path": "a.txt", "files": ["a.txt", "/etc/passwd"] });
        assert_eq!(
            access("Edit", &patch),
            Access::Command(vec![
                "tee".into(),
                "--".into(),
                "a.txt".into(),
                "/etc/passwd".into()
            ])
        );
        for files in [json!([]), json!(["a.txt", 7])] {
            let odd = json!({ "file_path": "a.txt", "files": files });
            assert!(matches!(access("Write", &odd), Access::Ask(_)));
        }
    }
}
