//! Settings whose value runs as a command or loads code: environment variables
//! (`GIT_SSH_COMMAND`, `PAGER`, `BASH_ENV`, `LD_PRELOAD`…) and git configuration keys
//! (`core.pager`, `alias.x = !…`, `core.hooksPath`…). Setting one is reading its value as a
//! script, or reporting that it cannot be read.

/// What a setting's value does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Hook {
    /// The value is a shell command line, run later.
    Script,
    /// The value names a file of shell commands, sourced later.
    Sourced,
    /// The value brings in code this reader cannot follow (a library, a hooks directory).
    Opaque,
}

const SCRIPT_VARS: &[&str] = &[
    "GIT_SSH_COMMAND",
    "GIT_SSH",
    "GIT_EDITOR",
    "GIT_PAGER",
    "GIT_SEQUENCE_EDITOR",
    "GIT_EXTERNAL_DIFF",
    "GIT_ASKPASS",
    "SSH_ASKPASS",
    "PAGER",
    "MANPAGER",
    "EDITOR",
    "VISUAL",
    "LESSOPEN",
    "LESSCLOSE",
    "PROMPT_COMMAND",
    "RSYNC_RSH",
];

const OPAQUE_VARS: &[&str] = &[
    "LD_PRELOAD",
    "LD_AUDIT",
    "DYLD_INSERT_LIBRARIES",
    "PYTHONSTARTUP",
    "PERL5OPT",
    "RUBYOPT",
    "NODE_OPTIONS",
    "GIT_CONFIG_GLOBAL",
    "GIT_CONFIG_SYSTEM",
];

/// Git keys (lowercase) whose value is a command line.
const SCRIPT_KEYS: &[&str] = &[
    "core.pager",
    "core.editor",
    "core.sshcommand",
    "core.fsmonitor",
    "core.askpass",
    "sequence.editor",
    "diff.external",
    "gpg.program",
    "gpg.ssh.program",
    "gpg.x509.program",
    "uploadpack.packobjectshook",
];

/// Git key suffixes (of `section.name.key`) whose value is a command line.
const SCRIPT_KEY_SUFFIXES: &[&str] = &[
    ".clean",
    ".smudge",
    ".process",
    ".driver",
    ".textconv",
    ".command",
    ".cmd",
];

/// What setting the environment variable `name` does.
pub(super) fn env_var(name: &str) -> Option<Hook> {
    if SCRIPT_VARS.contains(&name) {
        Some(Hook::Script)
    } else if matches!(name, "BASH_ENV" | "ENV") {
        Some(Hook::Sourced)
    } else if OPAQUE_VARS.contains(&name) {
        Some(Hook::Opaque)
    } else {
        None
    }
}

/// What setting git's `key` to `value` does; the command itself when it is one.
pub(super) fn git_key<'v>(key: &str, value: &'v str) -> Option<(Hook, &'v str)> {
    let key = key.to_ascii_lowercase();
    if key.starts_with("alias.") {
        // Only an alias starting with `!` is a shell command.
        return value.strip_prefix('!').map(|cmd| (Hook::Script, cmd));
    }
    if key == "credential.helper" {
        return value.strip_prefix('!').map(|cmd| (Hook::Script, cmd));
    }
    if key == "core.hookspath" || key == "include.path" || key.ends_with(".path") {
        return Some((Hook::Opaque, value));
    }
    let scripted = SCRIPT_KEYS.contains(&key.as_str())
        || key.starts_with("pager.")
        || (key.matches('.').count() >= 2 && SCRIPT_KEY_SUFFIXES.iter().any(|s| key.ends_with(s)));
    scripted.then_some((Hook::Script, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_keys() {
        assert_eq!(git_key("core.pager", "less"), Some((Hook::Script, "less")));
        assert_eq!(
            git_key("alias.x", "!rm -rf /"),
            Some((Hook::Script, "rm -rf /"))
        );
        assert_eq!(git_key("alias.co", "checkout"), None);
        assert_eq!(git_key("filter.lfs.smudge", "x"), Some((Hook::Script, "x")));
        assert_eq!(
            git_key("core.hooksPath", "/tmp/h").map(|h| h.0),
            Some(Hook::Opaque)
        );
        assert_eq!(git_key("user.name", "me"), None);
    }

    #[test]
    fn env_vars() {
        assert_eq!(env_var("GIT_SSH_COMMAND"), Some(Hook::Script));
        assert_eq!(env_var("BASH_ENV"), Some(Hook::Sourced));
        assert_eq!(env_var("LD_PRELOAD"), Some(Hook::Opaque));
        assert_eq!(env_var("RUST_LOG"), None);
    }
}
