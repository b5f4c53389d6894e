//! `bosun mcp`: Bosun's tools for a coding agent, over MCP on stdin/stdout (the server is
//! [`crate::api::mcp`]). Logs go to the project's log files and stderr: stdout is the protocol.

use super::{CliError, CliResult, Project};

pub async fn mcp(project: Project) -> CliResult {
    let Project { paths, settings } = project;
    paths.ensure_state_dirs().map_err(|e| {
        CliError::failed(format!(
            "cannot create {}: {e}",
            paths.state_dir().display()
        ))
    })?;
    let _logs = crate::telemetry::init(&paths.logs_dir(), &settings.log_level, true)
        .map_err(CliError::bad_input)?;
    crate::api::mcp::serve(paths, settings)
        .await
        .map_err(CliError::failed)
}
