//! `bosun mcp`: Bosun's tools for a coding agent, over MCP on stdin/stdout (the server is
//! [`crate::api::mcp`]). Logs go to the project's log files and stderr: stdout is the protocol.

use super::{CliError, CliResult, Project};

pub async fn mcp(project: Project) -> CliResult {
    let Project { paths, settings } = project;
    let _logs = super::run::start_logging(&paths, &settings)?;
    crate::api::mcp::serve(paths, settings)
        .await
        .map_err(CliError::failed)
}
