//! `bosun mcp`: Bosun's tools for a coding agent, over MCP on stdin/stdout.

use super::{CliError, CliResult, Project};

pub async fn mcp(_project: Project) -> CliResult {
    Err(CliError::failed("not yet"))
}
