//! The workflows compiled into the binary. A test checks that this list names every file in
//! `workflows/`.

/// (file name, contents) of each bundled workflow.
pub const BUNDLED_WORKFLOWS: &[(&str, &str)] = &[
    ("shell.yaml", include_str!("../../../workflows/shell.yaml")),
    (
        "rust-ci.yaml",
        include_str!("../../../workflows/rust-ci.yaml"),
    ),
    (
        "commit.yaml",
        include_str!("../../../workflows/commit.yaml"),
    ),
    (
        "node-ci.yaml",
        include_str!("../../../workflows/node-ci.yaml"),
    ),
    ("make.yaml", include_str!("../../../workflows/make.yaml")),
    (
        "python-ci.yaml",
        include_str!("../../../workflows/python-ci.yaml"),
    ),
    (
        "fix-tests.yaml",
        include_str!("../../../workflows/fix-tests.yaml"),
    ),
    (
        "implement.yaml",
        include_str!("../../../workflows/implement.yaml"),
    ),
    (
        "review.yaml",
        include_str!("../../../workflows/review.yaml"),
    ),
    (
        "resolve-conflicts.yaml",
        include_str!("../../../workflows/resolve-conflicts.yaml"),
    ),
];
