//! The `config.toml` of the Codex home Bosun gives an agent step, so that Codex's own
//! settings approve nothing (DESIGN.md §8). Pure: the user's config text in, the home's out;
//! the engine writes the home (`engine::runner::agent_home`).
//!
//! Kept from the user's own config, by name: what picks and reaches the model (model,
//! provider and their tables, reasoning, service tier), login, instructions, the commands'
//! environment, telemetry switches, and features turned off. Everything else is dropped —
//! `approval_policy`, `approvals_reviewer`, `sandbox_mode`, `sandbox_workspace_write`,
//! permission profiles, `projects` trust entries, profiles, hooks, `notify`, MCP servers,
//! plugins, apps — and so is any key this list does not name, so that a later Codex's new
//! way to approve something is not let through by default.
//!
//! Bosun then sets, measured against codex-cli 0.171:
//! - every directory it runs Codex in `trust_level = "untrusted"`. A project with no entry
//!   has its `.codex/rules` applied (an allow rule ran `touch` without asking); an untrusted
//!   one has none of its `.codex/` layers loaded. The working directory's entry decides, for
//!   layers in its parents too, and the main checkout's covers a linked worktree.
//! - `web_search = "disabled"`: Codex's native web search asks no one.
//! - the features `hooks`, `plugins`, `remote_plugin` and `apps` off: a hook can approve, and
//!   the tools of plugins and apps are MCP calls the policy cannot read (as Claude Code's MCP
//!   servers are kept off by `--strict-mcp-config`).
//! - `model`, when `agents.codex.model` names one.

use toml::{Table, Value};

/// The top-level keys copied from the user's config.
const KEPT: &[&str] = &[
    "model",
    "review_model",
    "model_provider",
    "model_providers",
    "oss_provider",
    "model_reasoning_effort",
    "plan_mode_reasoning_effort",
    "model_reasoning_summary",
    "model_verbosity",
    "model_supports_reasoning_summaries",
    "model_context_window",
    "model_auto_compact_token_limit",
    "service_tier",
    "personality",
    "openai_base_url",
    "chatgpt_base_url",
    "preferred_auth_method",
    "forced_login_method",
    "forced_chatgpt_workspace_id",
    "cli_auth_credentials_store",
    "instructions",
    "developer_instructions",
    "model_instructions_file",
    "project_doc_max_bytes",
    "project_doc_fallback_filenames",
    "shell_environment_policy",
    "check_for_update_on_startup",
    "hide_agent_reasoning",
    "show_raw_agent_reasoning",
    "analytics",
    "feedback",
    "otel",
];

/// Features Bosun turns off whatever the user's config says.
const OFF: &[&str] = &["hooks", "plugins", "remote_plugin", "apps"];

/// The home's `config.toml`: `user` (the user's own `config.toml`, if any) reduced to what
/// approves nothing, `model` when Bosun's settings name one, and each of `untrusted` marked
/// so. `Err` is TOML's complaint about `user`, for the caller to name the file.
pub fn config(
    user: Option<&str>,
    model: Option<&str>,
    untrusted: &[String],
) -> Result<String, String> {
    let user: Table = match user {
        Some(text) => text.parse().map_err(|e: toml::de::Error| e.to_string())?,
        None => Table::new(),
    };
    let mut home = Table::new();
    for (key, value) in user.iter() {
        if KEPT.contains(&key.as_str()) {
            home.insert(key.clone(), value.clone());
        }
    }
    if let Some(model) = model {
        home.insert("model".into(), Value::String(model.into()));
    }
    home.insert("web_search".into(), Value::String("disabled".into()));
    let mut features: Table = user
        .get("features")
        .and_then(Value::as_table)
        .into_iter()
        .flatten()
        .filter(|(_, on)| on.as_bool() == Some(false))
        .map(|(name, on)| (name.clone(), on.clone()))
        .collect();
    for name in OFF {
        features.insert((*name).into(), Value::Boolean(false));
    }
    home.insert("features".into(), Value::Table(features));
    let mut projects = Table::new();
    for dir in untrusted {
        let mut entry = Table::new();
        entry.insert("trust_level".into(), Value::String("untrusted".into()));
        projects.insert(dir.clone(), Value::Table(entry));
    }
    home.insert("projects".into(), Value::Table(projects));
    toml::to_string(&home).map_err(|e| e.to_string())
}

/// The directories a home's `config.toml` (as [`config`] wrote it) marks untrusted, so that
/// a rewrite keeps those of other steps. Anything unreadable gives none.
pub fn untrusted_dirs(home_config: &str) -> Vec<String> {
    let Ok(table) = home_config.parse::<Table>() else {
        return Vec::new();
    };
    table
        .get("projects")
        .and_then(Value::as_table)
        .into_iter()
        .flatten()
        .filter(|(_, entry)| entry.get("trust_level").and_then(Value::as_str) == Some("untrusted"))
        .map(|(dir, _)| dir.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: &str = r#"
model = "gpt-5.5"
model_provider = "corp"
approval_policy = "never"
approvals_reviewer = "auto_review"
sandbox_mode = "danger-full-access"
notify = ["notify-send"]
profile = "yolo"

[model_providers.corp]
name = "corp"
base_url = "https://llm.corp.example/v1"
env_key = "CORP_KEY"

[sandbox_workspace_write]
network_access = true

[projects."/work/app"]
trust_level = "trusted"

[profiles.yolo]
approval_policy = "never"

[mcp_servers.docs]
command = "docs-mcp"

[features]
plugins = false
multi_agent = true
web_search_request = true

[hooks]
PreToolUse = []
"#;

    fn parsed(text: &str) -> Table {
        text.parse().expect("the home's config is TOML")
    }

    #[test]
    fn the_model_and_its_provider_are_kept_and_every_approval_setting_dropped() {
        let home = parsed(&config(Some(USER), None, &["/work/app".into()]).expect("config"));
        assert_eq!(home["model"].as_str(), Some("gpt-5.5"));
        assert_eq!(home["model_provider"].as_str(), Some("corp"));
        assert_eq!(
            home["model_providers"]["corp"]["base_url"].as_str(),
            Some("https://llm.corp.example/v1")
        );
        for dropped in [
            "approval_policy",
            "approvals_reviewer",
            "sandbox_mode",
            "sandbox_workspace_write",
            "notify",
            "profile",
            "profiles",
            "mcp_servers",
            "hooks",
        ] {
            assert!(home.get(dropped).is_none(), "{dropped} is dropped: {home}");
        }
        assert_eq!(
            home["projects"]["/work/app"]["trust_level"].as_str(),
            Some("untrusted"),
            "the user's trust in the project is replaced"
        );
        assert_eq!(home["web_search"].as_str(), Some("disabled"));
    }

    #[test]
    fn features_are_only_ever_turned_off() {
        let home = parsed(&config(Some(USER), None, &[]).expect("config"));
        let features = home["features"].as_table().expect("features");
        assert!(features.get("multi_agent").is_none(), "{features}");
        assert!(features.get("web_search_request").is_none(), "{features}");
        for off in ["plugins", "hooks", "remote_plugin", "apps"] {
            assert_eq!(features[off].as_bool(), Some(false), "{off}");
        }
    }

    #[test]
    fn bosun_s_model_wins_and_no_user_config_is_fine() {
        let home = parsed(&config(Some(USER), Some("gpt-6"), &[]).expect("config"));
        assert_eq!(home["model"].as_str(), Some("gpt-6"));
        let bare = parsed(&config(None, None, &["/p".into(), "/p/sub".into()]).expect("config"));
        assert!(bare.get("model").is_none());
        assert_eq!(
            untrusted_dirs(&toml::to_string(&bare).expect("toml")),
            ["/p", "/p/sub"]
        );
    }

    #[test]
    fn a_broken_user_config_is_an_error_saying_where() {
        let err = config(Some("model = \n"), None, &[]).expect_err("not TOML");
        assert!(err.contains("line 1"), "{err}");
        assert!(untrusted_dirs("[[[").is_empty());
    }
}
