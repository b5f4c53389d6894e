//! `bosun mcp`: Bosun's tools for coding agents over MCP on stdin/stdout.
