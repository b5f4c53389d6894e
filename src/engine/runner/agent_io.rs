//! The small parts of an agent step: the question a tool call asks, a call in one line, the
//! session id, writing to the agent, and its transcript file.

use serde_json::Value;
use tokio::io::AsyncWriteExt;

use super::Run;
use crate::store::StepRow;

/// The question asked about a tool call: the same for the same call, so a resumed session's
/// repeated request finds the question it asked before the restart.
pub(super) fn tool_question(tool: &str, input: &Value, argv: &[String]) -> String {
    let field = |name: &str| input[name].as_str().unwrap_or_default();
    match tool {
        "Bash" => format!("Let the agent run `{}`?", field("command")),
        "Write" | "Edit" | "MultiEdit" | "NotebookEdit" => {
            let path = [field("file_path"), field("notebook_path")].concat();
            format!("Let the agent edit `{path}`? ({tool})")
        }
        _ => format!(
            "Let the agent run `{}`? ({tool})",
            super::checks::display_command(argv)
        ),
    }
}

/// Past this many lines a tool call's detail is cut (a whole file written, say).
const DETAIL_LINES: usize = 200;

/// A tool call in full, for the inbox and the transcript: the tool and what it acts on on the
/// first line (`Bash: git push origin main`, `Edit: src/lib.rs`), then its input as a person
/// reads it — the agent's own note on a command as `# …`, an edit's old lines as `- …` and new
/// ones as `+ …`, a web fetch's prompt — or, for a tool Bosun cannot read, the input as JSON.
pub(crate) fn tool_detail(tool: &str, input: &Value) -> String {
    let field = |name: &str| input[name].as_str().unwrap_or_default();
    let mut lines: Vec<String> = Vec::new();
    let mut diff = |sign: &str, text: &str| {
        lines.extend(text.lines().map(|l| format!("{sign} {l}")));
    };
    let head = match tool {
        "Bash" => {
            let head = format!("Bash: {}", field("command").trim_end());
            if !field("description").is_empty() {
                diff("#", field("description"));
            }
            head
        }
        "Write" | "Edit" if input["changes"].is_array() => {
            // A Codex patch: each file's unified diff as Codex gives it.
            let mut paths = Vec::new();
            for change in input["changes"].as_array().into_iter().flatten() {
                let path = change["path"].as_str().unwrap_or("?");
                let kind = change["kind"]["type"].as_str().unwrap_or("change");
                let moved = change["kind"]["move_path"]
                    .as_str()
                    .map(|to| format!(" → {to}"))
                    .unwrap_or_default();
                paths.push(path.to_string());
                lines.push(format!("@@ {kind} {path}{moved}"));
                lines.extend(
                    change["diff"]
                        .as_str()
                        .unwrap_or("")
                        .lines()
                        .map(String::from),
                );
            }
            format!("{tool}: {}", paths.join(", "))
        }
        "Write" => {
            let content = field("content");
            diff("+", content);
            format!(
                "Write: {} ({})",
                field("file_path"),
                crate::text::count(content.lines().count() as i64, "line")
            )
        }
        "Edit" => {
            diff("-", field("old_string"));
            diff("+", field("new_string"));
            let every = if input["replace_all"] == true {
                " (every occurrence)"
            } else {
                ""
            };
            format!("Edit: {}{every}", field("file_path"))
        }
        "MultiEdit" => {
            let edits = input["edits"].as_array().cloned().unwrap_or_default();
            for (i, edit) in edits.iter().enumerate() {
                if i > 0 {
                    lines.push("@@".into());
                }
                let text = |k: &str| edit[k].as_str().unwrap_or_default().to_string();
                lines.extend(text("old_string").lines().map(|l| format!("- {l}")));
                lines.extend(text("new_string").lines().map(|l| format!("+ {l}")));
            }
            format!(
                "MultiEdit: {} ({})",
                field("file_path"),
                crate::text::count(edits.len() as i64, "edit")
            )
        }
        "NotebookEdit" => {
            diff("+", field("new_source"));
            let mode = [field("edit_mode"), field("cell_id")]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(", cell ");
            match mode.is_empty() {
                true => format!("NotebookEdit: {}", field("notebook_path")),
                false => format!("NotebookEdit: {} ({mode})", field("notebook_path")),
            }
        }
        "WebFetch" => {
            diff("#", field("prompt"));
            format!("WebFetch: {}", field("url"))
        }
        "WebSearch" => format!("WebSearch: {}", field("query")),
        _ => {
            let json = serde_json::to_string_pretty(input).unwrap_or_else(|_| input.to_string());
            lines.extend(json.lines().map(String::from));
            format!("{tool}:")
        }
    };
    let more = lines.len().saturating_sub(DETAIL_LINES);
    lines.truncate(DETAIL_LINES);
    if more > 0 {
        lines.push(format!(
            "… {} more",
            crate::text::count(more as i64, "line")
        ));
    }
    std::iter::once(head)
        .chain(lines)
        .collect::<Vec<_>>()
        .join("\n")
}

/// A retried API call in words: `API overloaded (529): retry 1/10 in 601ms`.
pub(crate) fn retry_note(attempt: u32, max: u32, delay_ms: u64, status: Option<u16>) -> String {
    let what = api_trouble(status);
    let delay = humantime::format_duration(std::time::Duration::from_millis(delay_ms));
    format!("API {what}: retry {attempt}/{max} in {delay}")
}

/// An API failure as people say it: `overloaded (529)`, `rate limited (429)`.
pub(super) fn api_trouble(status: Option<u16>) -> String {
    match status {
        Some(529) => "overloaded (529)".to_string(),
        Some(429) => "rate limited (429)".to_string(),
        Some(s) => format!("error ({s})"),
        None => "error".to_string(),
    }
}

/// A tool call in a line: `Bash: cargo test`, `Edit: src/lib.rs`.
pub(crate) fn tool_summary(tool: &str, input: &Value) -> String {
    let detail = [
        "command",
        "file_path",
        "notebook_path",
        "path",
        "pattern",
        "url",
        "query",
    ]
    .iter()
    .find_map(|k| input[*k].as_str());
    match detail {
        Some(d) => format!("{tool}: {}", one_line(d)),
        None => tool.to_string(),
    }
}

pub(super) fn one_line(text: &str) -> String {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut line: String = first.trim().chars().take(200).collect();
    if text.trim().lines().count() > 1 || first.trim().chars().count() > 200 {
        line.push_str(" …");
    }
    line
}

/// A new session id: a v4 UUID (Claude Code wants one), from the ulid crate's randomness.
pub(super) fn new_session_id() -> String {
    let bits = ulid::Ulid::new().0.to_be_bytes();
    let mut b = bits;
    // The ulid's first 48 bits are the time: mix in the clock's nanoseconds as well.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default()
        .to_be_bytes();
    for (i, n) in nanos.iter().enumerate() {
        b[i] ^= n;
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Writes lines to the agent; a closed stdin (the agent is ending) is not an error.
pub(super) async fn write_lines(
    stdin: &mut Option<tokio::process::ChildStdin>,
    lines: Vec<String>,
) {
    let Some(pipe) = stdin.as_mut() else {
        return;
    };
    for line in lines {
        let mut bytes = line.into_bytes();
        bytes.push(b'\n');
        if pipe.write_all(&bytes).await.is_err() || pipe.flush().await.is_err() {
            *stdin = None;
            return;
        }
    }
}

/// The agent's transcript file, `.bosun/logs/agents/<task>-<step>.jsonl`: every line it printed,
/// as printed (read back by `engine::transcript` for the step's output view). Best effort: a
/// transcript that cannot be written never stops the agent.
pub(super) struct Transcript {
    file: Option<std::io::BufWriter<std::fs::File>>,
}

impl Transcript {
    pub(super) fn open(run: &Run<'_>, row: &StepRow) -> Transcript {
        let path = run
            .ctx
            .paths
            .agent_transcript(run.task.id.as_str(), &row.id);
        let dir = path
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default();
        // Private (0700, 0600): an agent's transcript quotes whatever it read and ran.
        let file = crate::config::private::create_private_dir(&dir)
            .and_then(|()| {
                crate::config::private::private_file()
                    .create(true)
                    .append(true)
                    .open(path)
            })
            .and_then(|file| crate::config::private::make_private(&file).map(|()| file))
            .ok()
            .map(std::io::BufWriter::new);
        Transcript { file }
    }

    pub(super) fn raw(&mut self, line: &str) {
        use std::io::Write;
        if let Some(file) = self.file.as_mut() {
            // Flushed line by line: the output view reads it while the agent runs, and a
            // `kill -9` loses nothing already said.
            let _ = writeln!(file, "{line}").and_then(|()| file.flush());
        }
    }

    pub(super) fn close(&mut self) {
        use std::io::Write;
        if let Some(file) = self.file.as_mut() {
            let _ = file.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_v4_uuids() {
        let a = new_session_id();
        let b = new_session_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
    }

    #[test]
    fn the_same_call_asks_the_same_question() {
        let input = serde_json::json!({ "command": "rm -rf build", "description": "x" });
        let argv = vec!["sh".into(), "-c".into(), "rm -rf build".into()];
        assert_eq!(
            tool_question("Bash", &input, &argv),
            "Let the agent run `rm -rf build`?"
        );
        assert_eq!(tool_summary("Bash", &input), "Bash: rm -rf build");
    }

    #[test]
    fn a_tool_call_in_full_shows_its_command_or_its_edit() {
        let bash =
            serde_json::json!({ "command": "git push origin main", "description": "Publish" });
        assert_eq!(
            tool_detail("Bash", &bash),
            "Bash: git push origin main\n# Publish"
        );
        let edit = serde_json::json!({
            "file_path": "src/lib.rs", "old_string": "fn a() {}\n", "new_string": "fn a() { b() }\n"
        });
        assert_eq!(
            tool_detail("Edit", &edit),
            "Edit: src/lib.rs\n- fn a() {}\n+ fn a() { b() }"
        );
        let write = serde_json::json!({ "file_path": "notes.txt", "content": "one\ntwo\n" });
        assert_eq!(
            tool_detail("Write", &write),
            "Write: notes.txt (2 lines)\n+ one\n+ two"
        );
        let multi = serde_json::json!({ "file_path": "a.rs", "edits": [
            { "old_string": "x", "new_string": "y" }, { "old_string": "p", "new_string": "q" }
        ]});
        assert_eq!(
            tool_detail("MultiEdit", &multi),
            "MultiEdit: a.rs (2 edits)\n- x\n+ y\n@@\n- p\n+ q"
        );
        let fetch = serde_json::json!({ "url": "https://example.org", "prompt": "the title" });
        assert_eq!(
            tool_detail("WebFetch", &fetch),
            "WebFetch: https://example.org\n# the title"
        );
        let search = serde_json::json!({ "query": "tokio 1.54 changelog" });
        assert_eq!(
            tool_detail("WebSearch", &search),
            "WebSearch: tokio 1.54 changelog"
        );
        let mcp = serde_json::json!({ "issue": 7 });
        assert_eq!(
            tool_detail("mcp__github__close", &mcp),
            "mcp__github__close:\n{\n  \"issue\": 7\n}"
        );
    }

    #[test]
    fn a_retry_says_why_and_when() {
        assert_eq!(
            retry_note(1, 10, 601, Some(529)),
            "API overloaded (529): retry 1/10 in 601ms"
        );
        assert_eq!(
            retry_note(2, 2, 1_000, Some(429)),
            "API rate limited (429): retry 2/2 in 1s"
        );
    }

    #[test]
    fn a_codex_patch_shows_each_file_and_its_diff() {
        let patch = serde_json::json!({ "file_path": "/w/a.txt", "files": ["/w/a.txt"], "changes": [
            { "path": "/w/a.txt", "kind": { "type": "update" }, "diff": "@@ -1 +1 @@\n-a\n+b\n" }
        ]});
        assert_eq!(
            tool_detail("Edit", &patch),
            "Edit: /w/a.txt\n@@ update /w/a.txt\n@@ -1 +1 @@\n-a\n+b"
        );
    }

    #[test]
    fn a_long_write_is_cut_and_says_how_much() {
        let content: String = (0..250).map(|i| format!("{i}\n")).collect();
        let write = serde_json::json!({ "file_path": "big.txt", "content": content });
        let shown = tool_detail("Write", &write);
        assert_eq!(shown.lines().count(), 1 + DETAIL_LINES + 1);
        assert!(shown.ends_with("… 50 lines more"), "{shown}");
    }
}
