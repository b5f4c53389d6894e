//! Rows gathered from other tools' public command-safety suites (`suites.tsv`): Codex's command
//! safety tests, Gemini CLI's shell tests, Continue's terminal security tests,
//! destructive_command_guard, claude-code-safety-net, goose, Cline and Roo Code. The command
//! strings are theirs, as their tests have them; the class is Bosun's (a suite that blocks
//! `rm -rf node_modules` is overruled: a project-local cleanup is safe here; one that allows
//! `git push` is overruled the other way). Where each came from: `SOURCES.md` beside the file.
//!
//! One row a line, tab-separated: `suite`, `dangerous | safe`, category, command (`\n`, `\t`
//! and `\\` escaped so every row is one line).

use super::{Ask, Category, Class, Entry, entry};

const TABLE: &str = include_str!("suites.tsv");

fn category(name: &str) -> Option<Category> {
    use Category::*;
    Some(match name {
        "Read" => Read,
        "Build" => Build,
        "Install" => Install,
        "GitLocal" => GitLocal,
        "CleanInTree" => CleanInTree,
        "WriteInTree" => WriteInTree,
        "Push" => Push,
        "Deploy" => Deploy,
        "DeleteOutside" => DeleteOutside,
        "WriteOutside" => WriteOutside,
        "Secrets" => Secrets,
        "DownloadRun" => DownloadRun,
        "Privilege" => Privilege,
        "History" => History,
        "Database" => Database,
        "Processes" => Processes,
        "Obfuscation" => Obfuscation,
        "Upload" => Upload,
        "RemoteShell" => RemoteShell,
        "Container" => Container,
        "ServiceCli" => ServiceCli,
        "SysAdmin" => SysAdmin,
        "CodeExec" => CodeExec,
        _ => return None,
    })
}

/// `\n`, `\t` and `\\` as the characters they stand for.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Every row, or the first malformed one as `suites.tsv:LINE: why`.
pub(super) fn suites() -> Vec<Entry> {
    TABLE
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            let at = format!("tests/policy_corpus/suites.tsv:{}", i + 1);
            let fields: Vec<&str> = line.split('\t').collect();
            let [suite, class, cat, command] = fields[..] else {
                panic!(
                    "{at}: expected 4 tab-separated fields, got {}",
                    fields.len()
                );
            };
            let class = match class {
                "dangerous" => Class::Dangerous,
                "safe" => Class::Safe,
                other => panic!("{at}: class `{other}` is neither `dangerous` nor `safe`"),
            };
            let category =
                category(cat).unwrap_or_else(|| panic!("{at}: unknown category `{cat}`"));
            let command: &'static str = Box::leak(unescape(command).into_boxed_str());
            Entry {
                suite: Box::leak(suite.to_string().into_boxed_str()),
                ..entry(category, class, Ask::Shell(command))
            }
        })
        .collect()
}

#[test]
fn rows_unescape_and_name_their_suite() {
    assert_eq!(unescape(r"cat <<EOF\nx\nEOF"), "cat <<EOF\nx\nEOF");
    assert_eq!(unescape(r"printf 'a\\tb'"), r"printf 'a\tb'");
    assert_eq!(unescape(r"echo \x"), r"echo \x");
    let rows = suites();
    assert!(
        rows.iter()
            .all(|e| !e.suite.is_empty() && e.suite != "bosun")
    );
}
