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
/// as printed. Best effort: a transcript that cannot be written never stops the agent.
pub(super) struct Transcript {
    file: Option<std::io::BufWriter<std::fs::File>>,
}

impl Transcript {
    pub(super) fn open(run: &Run<'_>, row: &StepRow) -> Transcript {
        let dir = run.ctx.paths.logs_dir().join("agents");
        let path = dir.join(format!("{}-{}.jsonl", run.task.id, row.id));
        let file = std::fs::create_dir_all(&dir)
            .and_then(|()| {
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
            })
            .ok()
            .map(std::io::BufWriter::new);
        Transcript { file }
    }

    pub(super) fn raw(&mut self, line: &str) {
        use std::io::Write;
        if let Some(file) = self.file.as_mut() {
            let _ = writeln!(file, "{line}");
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
}
