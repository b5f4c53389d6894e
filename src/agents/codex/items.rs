//! Codex's items and approval requests as the tool calls Bosun's policy reads: a shell call is
//! `Bash` with the script inside Codex's wrapper; a patch is `Write` (only new files) or `Edit`
//! with `file_path` and every path it touches in `files` (a move's destination too); keystrokes
//! for a running process and a request for network access are tools of their own, which the
//! policy cannot read and so asks about.

use serde_json::{Value, json};

use super::shell;

/// The tool and input an approval of a command names.
pub(super) fn command_approval(params: &Value) -> (String, Value) {
    let command = shell::script(params["command"].as_str().unwrap_or_default());
    if params["kind"] == "writeStdin" {
        // Typed into a running process: what it does depends on the process, so it is asked.
        return ("WriteStdin".into(), json!({ "chars": command }));
    }
    if let Some(network) = params["networkApprovalContext"].as_object() {
        let mut input = network.clone();
        input.insert("command".into(), json!(command));
        return ("Network".into(), Value::Object(input));
    }
    ("Bash".into(), json!({ "command": command }))
}

/// A started item as the tool call it is, when it is one an approval may name.
pub(super) fn tool_call(item: &Value) -> Option<(String, Value)> {
    match item["type"].as_str()? {
        "commandExecution" => Some((
            "Bash".into(),
            json!({ "command": shell::script(item["command"].as_str().unwrap_or_default()) }),
        )),
        "fileChange" => {
            let changes = item["changes"].as_array()?;
            let mut files: Vec<&str> = Vec::new();
            for change in changes {
                files.extend(change["path"].as_str());
                files.extend(change["kind"]["move_path"].as_str());
            }
            let adds_only = changes.iter().all(|c| c["kind"]["type"] == "add");
            let tool = if adds_only { "Write" } else { "Edit" };
            Some((
                tool.into(),
                json!({ "file_path": files.first(), "files": files, "changes": changes }),
            ))
        }
        _ => None,
    }
}

/// The HTTP status a `codexErrorInfo` carries (`{"responseTooManyFailedAttempts":
/// {"httpStatusCode":429}}`), if any.
pub(super) fn http_status(info: &Value) -> Option<u16> {
    info.as_object()?
        .values()
        .find_map(|v| v["httpStatusCode"].as_u64())
        .and_then(|s| u16::try_from(s).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_that_changes_or_moves_a_file_is_an_edit_of_both_paths() {
        let item = json!({ "type": "fileChange", "id": "c", "changes": [
            { "path": "/w/a.txt", "kind": { "type": "add" }, "diff": "x" },
            { "path": "/w/b.txt", "kind": { "type": "update", "move_path": "/w/c.txt" }, "diff": "" },
        ]});
        let (tool, input) = tool_call(&item).expect("a tool call");
        assert_eq!(tool, "Edit");
        assert_eq!(input["file_path"], "/w/a.txt");
        assert_eq!(input["files"], json!(["/w/a.txt", "/w/b.txt", "/w/c.txt"]));
        assert_eq!(tool_call(&json!({ "type": "reasoning", "id": "r" })), None);
    }

    #[test]
    fn keystrokes_and_network_access_are_not_read_as_commands() {
        let stdin = json!({ "kind": "writeStdin", "command": "y" });
        assert_eq!(command_approval(&stdin).0, "WriteStdin");
        let network = json!({ "command": "/bin/bash -lc 'curl x.org'",
            "networkApprovalContext": { "host": "x.org", "protocol": "https" } });
        let (tool, input) = command_approval(&network);
        assert_eq!(
            (tool.as_str(), &input["host"]),
            ("Network", &json!("x.org"))
        );
        assert_eq!(input["command"], "curl x.org");
        assert_eq!(http_status(&json!("serverOverloaded")), None);
    }
}
