//! The skills compiled into the binary, so a bare `bosun` works anywhere. A test checks that
//! this list names every file in `skills/`.

/// (file name, contents) of each bundled skill.
pub const BUNDLED_SKILLS: &[(&str, &str)] = &[
    ("shell.yaml", include_str!("../../../skills/shell.yaml")),
    (
        "git-status.yaml",
        include_str!("../../../skills/git-status.yaml"),
    ),
    (
        "git-diff.yaml",
        include_str!("../../../skills/git-diff.yaml"),
    ),
    (
        "git-commit.yaml",
        include_str!("../../../skills/git-commit.yaml"),
    ),
    (
        "git-branch.yaml",
        include_str!("../../../skills/git-branch.yaml"),
    ),
    (
        "cargo-build.yaml",
        include_str!("../../../skills/cargo-build.yaml"),
    ),
    (
        "cargo-test.yaml",
        include_str!("../../../skills/cargo-test.yaml"),
    ),
    (
        "cargo-clippy.yaml",
        include_str!("../../../skills/cargo-clippy.yaml"),
    ),
    (
        "cargo-fmt.yaml",
        include_str!("../../../skills/cargo-fmt.yaml"),
    ),
    ("make.yaml", include_str!("../../../skills/make.yaml")),
    (
        "npm-test.yaml",
        include_str!("../../../skills/npm-test.yaml"),
    ),
    ("npm-run.yaml", include_str!("../../../skills/npm-run.yaml")),
    (
        "npm-install.yaml",
        include_str!("../../../skills/npm-install.yaml"),
    ),
    ("pytest.yaml", include_str!("../../../skills/pytest.yaml")),
    ("claude.yaml", include_str!("../../../skills/claude.yaml")),
    ("codex.yaml", include_str!("../../../skills/codex.yaml")),
    (
        "test-command.yaml",
        include_str!("../../../skills/test-command.yaml"),
    ),
];
