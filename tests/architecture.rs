//! The shape of the sources (STYLE.md practices 1, 11 and 12): dependencies point one way
//! (`engine` → `protocol` ← `tui`), every module opens with a `//!` doc comment, and no file
//! under `src/` grows past 600 lines.
//!
//! Imports are found in code only (comments and string literals are blanked first, so a doc may
//! explain the rule), with `use` trees expanded (`use crate::{cli, store}` names `crate::cli`)
//! and `self::`/`super::` resolved from the file's module path.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 600;

/// What the pure rooms (`policy`: decisions; `definitions`: what users write, parsed) must
/// not name: no front end, engine, store, Redis, watcher or process. The CLI, the engine and
/// agents' permission requests all ask them.
const PURE: &[&str] = &[
    "ratatui",
    "crossterm",
    "crate::engine",
    "crate::store",
    "crate::mirror",
    "crate::watch",
    "crate::tui",
    "crate::cli",
    "sqlx",
    "redis",
    "notify",
    "tokio::process",
];

/// Paths that files under `src/<area>/` must not use: the path itself or anything under it.
/// The rooms of STYLE.md's module tree: arrows point down, so a room never names one above it.
fn rules() -> Vec<(&'static str, Vec<&'static str>)> {
    let terminal = ["ratatui", "crossterm"];
    let with = |extra: &[&'static str]| [&terminal[..], extra].concat();
    vec![
        ("engine", with(&["crate::cli", "crate::tui"])),
        (
            "store",
            with(&["crate::engine", "crate::cli", "crate::tui"]),
        ),
        ("config", with(&["crate::engine", "crate::store"])),
        ("policy", PURE.to_vec()),
        (
            "agents",
            [
                PURE,
                &["crate::policy", "crate::definitions", "crate::config"],
            ]
            .concat(),
        ),
        ("definitions", [PURE, &["crate::policy"]].concat()),
        (
            "watch",
            with(&[
                "crate::engine",
                "crate::store",
                "crate::tui",
                "crate::cli",
                "sqlx",
                "redis",
            ]),
        ),
        (
            "protocol",
            with(&[
                "crate::engine",
                "crate::store",
                "crate::cli",
                "sqlx",
                "tokio::process",
                "std::fs",
            ]),
        ),
        ("tui", vec!["sqlx", "redis", "notify"]),
        // The git layer of a worktree per task: synchronous `git` calls the engine makes
        // through `spawn_blocking`; it names no store, engine, policy or async runtime.
        (
            "worktree",
            with(&[
                "crate::engine",
                "crate::store",
                "crate::mirror",
                "crate::watch",
                "crate::policy",
                "crate::tui",
                "crate::cli",
                "sqlx",
                "redis",
                "notify",
                "tokio",
            ]),
        ),
        // The API is a front end like the interface: it reads the store and acts through the
        // engine's handle; it names no terminal, no interface and no CLI verb.
        ("api", with(&["crate::cli", "crate::tui", "notify"])),
        // Backups copy the database on plain SQLite connections (blocking threads): they name
        // no engine, no front end, no sqlx.
        (
            "backup",
            with(&[
                "crate::engine",
                "crate::cli",
                "crate::tui",
                "crate::api",
                "crate::store",
                "sqlx",
                "redis",
            ]),
        ),
    ]
}

/// The forbidden paths of `area`.
fn rules_for(area: &str) -> Vec<&'static str> {
    rules()
        .into_iter()
        .find(|(a, _)| *a == area)
        .map(|(_, forbidden)| forbidden)
        .expect("the area has rules")
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every file under `dir`, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries {
        let path = entry.expect("a readable directory entry").path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files.sort();
    files
}

fn rust_files_under(dir: &Path) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("a source file is readable UTF-8")
}

/// The path as shown in failures: relative to the crate root.
fn shown(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The module a file defines, e.g. `src/engine/workflow/mod.rs` → `[engine, workflow]`.
fn module_path(file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src_dir()).unwrap_or(file);
    let mut parts: Vec<String> = relative
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `text` with comments and the contents of string and char literals removed; line breaks
/// are kept, so line numbers still match.
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if chars[i] == '\n' {
                        out.push('\n');
                    }
                    i += 1;
                }
            }
        } else if let Some(hashes) = raw_string_start(&chars, i) {
            i += 2 + hashes;
            let closing: Vec<char> = std::iter::once('"')
                .chain("#".repeat(hashes).chars())
                .collect();
            while i < chars.len() && !chars[i..].starts_with(&closing) {
                if chars[i] == '\n' {
                    out.push('\n');
                }
                i += 1;
            }
            out.push_str("\"\"");
            i += closing.len();
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\n' {
                    out.push('\n');
                }
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            out.push_str("\"\"");
            i += 1;
        } else if c == '\'' && at(i + 1) == '\\' {
            i += 2;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i += 1;
        } else if c == '\'' && at(i + 2) == '\'' {
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// At `r"`, `r#"`, `br"`…: the number of `#`s of the raw string starting at `i`.
fn raw_string_start(chars: &[char], i: usize) -> Option<usize> {
    if chars[i] != 'r' {
        return None;
    }
    let before = |n: usize| i.checked_sub(n).map(|j| chars[j]);
    let starts_token = match before(1) {
        None => true,
        Some('b') => !before(2).is_some_and(is_ident),
        Some(c) => !is_ident(c),
    };
    let hashes = chars[i + 1..].iter().take_while(|&&c| c == '#').count();
    (starts_token && chars.get(i + 1 + hashes) == Some(&'"')).then_some(hashes)
}

/// Expands a `use` tree: `a::{b, c::{d, self}}` → `a::b`, `a::c::d`, `a::c`.
fn expand_use_tree(tree: &str) -> Vec<String> {
    let tree: String = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap_or_default();
        return vec![path.replace(' ', "")];
    };
    let prefix = tree[..open].trim().trim_end_matches("::").to_string();
    let close = tree.rfind('}').unwrap_or(tree.len());
    let inner = &tree[open + 1..close];
    let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    let join = |sub: String| match (prefix.is_empty(), sub.as_str()) {
        (true, _) => sub,
        (false, "self") => prefix.clone(),
        (false, _) => format!("{prefix}::{sub}"),
    };
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(expand_use_tree)
        .map(join)
        .collect()
}

/// Makes `self::`/`super::` paths absolute (`crate::…`) from the file's module path.
fn resolve(path: &str, module: &[String]) -> String {
    let path = path.trim_start_matches("::");
    let mut segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let mut base: Vec<&str> = module.iter().map(String::as_str).collect();
    match segments.first().copied() {
        Some("self") => {
            segments.remove(0);
        }
        Some("super") => {
            while segments.first() == Some(&"super") {
                segments.remove(0);
                base.pop();
            }
        }
        _ => return segments.join("::"),
    }
    std::iter::once("crate")
        .chain(base)
        .chain(segments)
        .collect::<Vec<_>>()
        .join("::")
}

/// Every path a source file names, with its line: `use` trees expanded, plus every `a::b` in
/// the code.
fn paths_used(text: &str, module: &[String]) -> Vec<(usize, String)> {
    let code = code_only(text);
    let line_of = |offset: usize| code[..offset].matches('\n').count() + 1;
    let mut found = Vec::new();
    let mut token_start = None;
    for (i, c) in code
        .char_indices()
        .chain(std::iter::once((code.len(), ' ')))
    {
        if is_ident(c) || c == ':' {
            token_start.get_or_insert(i);
            continue;
        }
        let Some(start) = token_start.take() else {
            continue;
        };
        let token = &code[start..i];
        if token == "use" && c.is_whitespace() {
            let end = code[i..].find(';').map_or(code.len(), |e| i + e);
            for path in expand_use_tree(&code[i..end]) {
                found.push((line_of(start), resolve(&path, module)));
            }
        } else if token.contains("::") {
            found.push((line_of(start), resolve(token, module)));
        }
    }
    found
}

/// True when `path` is `forbidden` or lies under it.
fn is_under(path: &str, forbidden: &str) -> bool {
    path == forbidden || path.starts_with(&format!("{forbidden}::"))
}

/// `file:line: code` for each line of `file` that uses a forbidden path, once per rule.
fn violations(file: &Path, text: &str, forbidden: &[&str]) -> Vec<String> {
    let hits: BTreeSet<(usize, &str)> = paths_used(text, &module_path(file))
        .into_iter()
        .filter_map(|(line, path)| Some((line, *forbidden.iter().find(|f| is_under(&path, f))?)))
        .collect();
    let lines: Vec<&str> = text.lines().collect();
    hits.into_iter()
        .map(|(line, rule)| {
            let code = lines.get(line - 1).map_or("", |l| l.trim());
            format!("{}:{line}: uses `{rule}`: {code}", shown(file))
        })
        .collect()
}

#[test]
fn dependencies_point_one_way() {
    let mut problems = Vec::new();
    for (area, forbidden) in rules() {
        // The area's folder, and `src/<area>.rs` when the module root is written that way.
        let root_file = src_dir().join(format!("{area}.rs"));
        let files = rust_files_under(&src_dir().join(area));
        assert!(
            !files.is_empty(),
            "src/{area}/ has no sources: is the rule stale?"
        );
        let files = files.into_iter();
        for file in files.chain(root_file.exists().then_some(root_file)) {
            problems.extend(violations(&file, &read(&file), &forbidden));
        }
    }
    assert!(
        problems.is_empty(),
        "wrong-way dependencies (STYLE.md practice 1):\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_module_opens_with_a_doc_comment() {
    let missing: Vec<String> = rust_files_under(&src_dir())
        .into_iter()
        .filter_map(|file| {
            let text = read(&file);
            match text.lines().enumerate().find(|(_, l)| !l.trim().is_empty()) {
                None => Some(format!("{}:1: empty file", shown(&file))),
                Some((_, first)) if first.starts_with("//!") => None,
                Some((index, first)) => Some(format!("{}:{}: `{first}`", shown(&file), index + 1)),
            }
        })
        .collect();
    assert!(
        missing.is_empty(),
        "modules without a leading `//!` comment:\n{}",
        missing.join("\n")
    );
}

#[test]
fn no_source_file_is_longer_than_600_lines() {
    let long: Vec<String> = files_under(&src_dir())
        .into_iter()
        .filter_map(|file| {
            let bytes = std::fs::read(&file).expect("a source file is readable");
            let lines = String::from_utf8_lossy(&bytes).lines().count();
            (lines > MAX_LINES)
                .then(|| format!("{}:{}: {lines} lines", shown(&file), MAX_LINES + 1))
        })
        .collect();
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines (split them by concern):\n{}",
        long.join("\n")
    );
}

/// The scanner itself: a rule that can never fire would pass forever.
#[test]
fn the_import_scanner_sees_through_groups_relative_paths_and_comments() {
    let engine = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/engine/mod.rs");
    let text = "//! Never names ratatui.\nuse crate::{config, cli::Cli};\nuse super::cli as front;\n/* crossterm */\nfn f() { let s = \"ratatui::x\"; let c = '\"'; ::ratatui::init(); }\n";
    let found = violations(&engine, text, &["ratatui", "crossterm", "crate::cli"]);
    let expected = [
        "src/engine/mod.rs:2: uses `crate::cli`: use crate::{config, cli::Cli};",
        "src/engine/mod.rs:3: uses `crate::cli`: use super::cli as front;",
        "src/engine/mod.rs:5: uses `ratatui`: fn f() { let s = \"ratatui::x\"; let c = '\"'; ::ratatui::init(); }",
    ];
    assert_eq!(found, expected);

    let ids = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/protocol/ids.rs");
    let text = "use std::{fmt, fs::{self, File}};\nuse super::status::X;\nfn g() {\n    std::fs::read(r#\"a\"b\"#);\n    let _: tokio::process::Child;\n}\n";
    let found = violations(&ids, text, &["std::fs", "tokio::process", "crate::engine"]);
    let lines: Vec<&str> = found
        .iter()
        .map(|f| f.split(": uses").next().unwrap_or_default())
        .collect();
    assert_eq!(
        lines,
        [
            "src/protocol/ids.rs:1",
            "src/protocol/ids.rs:4",
            "src/protocol/ids.rs:5"
        ],
        "{found:#?}"
    );
}

/// The rules themselves, on the imports the house had before its rooms: the watcher naming the
/// engine, the policy naming the engine's problems, a definition naming the policy.
#[test]
fn the_rules_refuse_the_old_wrong_way_imports() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cases = [
        (
            "watch",
            "src/watch/triggers.rs",
            "use crate::engine::workflow::{OnBusy, Workflow};",
        ),
        (
            "policy",
            "src/policy/cache.rs",
            "use crate::engine::problems::DefinitionProblems;",
        ),
        (
            "definitions",
            "src/definitions/workflow/plan.rs",
            "use crate::policy::Policy;",
        ),
        (
            "policy",
            "src/policy/shell/mod.rs",
            "use super::super::store::Store;",
        ),
    ];
    for (area, file, line) in cases {
        let text = format!("//! A module.\n{line}\n");
        let found = violations(&root.join(file), &text, &rules_for(area));
        assert_eq!(
            found.len(),
            1,
            "{file}: `{line}` passed the rules of {area}: {found:?}"
        );
    }
    let fine = "//! A module.\nuse crate::definitions::workflow::Workflow;\n";
    assert!(
        violations(
            &root.join("src/watch/triggers.rs"),
            fine,
            &rules_for("watch")
        )
        .is_empty()
    );
}
