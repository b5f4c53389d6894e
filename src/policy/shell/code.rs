//! Tools that run code though they are not interpreters by name: `sed`'s `e` command and the
//! `e` flag of `s///` (the pattern space runs as a shell command), `awk`'s `system()` and its
//! pipes to and from commands, and `rg --pre` / `--hostname-bin` (a program run for every
//! file). What they run is only known when they run, so the user is asked (`shell.runs-code`).

use super::command::Run;

/// Reads command `name` at field `at` for code it would run.
pub(super) fn check(run: &mut Run, at: usize, name: &str) {
    let reason = match name {
        "sed" | "gsed" => sed_scripts(run, at)
            .iter()
            .any(|s| sed_runs_code(s))
            .then_some("runs lines of its input as shell commands (sed's `e`)"),
        "awk" | "gawk" | "mawk" | "nawk" => awk_program(run, at)
            .is_some_and(|p| awk_runs_code(&p))
            .then_some("runs shell commands from its program (`system()` or a pipe)"),
        "rg" => rg_program(run, at).map(|_| "runs a program on every file it searches"),
        _ => None,
    };
    if let Some(reason) = reason {
        let shown = run.shown(at);
        run.escalate("shell.runs-code", format!("`{shown}` {reason}."));
    }
}

/// The words after the command, as far as they are known.
fn args<'a>(run: &'a Run, at: usize) -> Vec<Option<&'a str>> {
    (at + 1..run.fields.len()).map(|i| run.value(i)).collect()
}

/// Every script a `sed` command line gives: `-e S`, `--expression=S`, else the first operand.
fn sed_scripts(run: &Run, at: usize) -> Vec<String> {
    let args = args(run, at);
    let mut scripts = Vec::new();
    let mut first_operand = None;
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        let Some(arg) = arg else {
            // An unknown word might be the script: it is not read as harmless.
            scripts.push("e".to_string());
            i += 1;
            continue;
        };
        if *arg == "-e" || *arg == "--expression" {
            scripts.extend(args.get(i + 1).copied().flatten().map(str::to_string));
            i += 2;
            continue;
        }
        if let Some(s) = arg.strip_prefix("--expression=") {
            scripts.push(s.to_string());
        } else if *arg == "-f" || *arg == "--file" || *arg == "-l" {
            i += 1;
        } else if !arg.starts_with('-') && first_operand.is_none() {
            first_operand = Some(arg.to_string());
        }
        i += 1;
    }
    if scripts.is_empty() {
        scripts.extend(first_operand);
    }
    scripts
}

/// Whether a sed script has an `e` command or an `s` command with the `e` flag.
fn sed_runs_code(script: &str) -> bool {
    let chars: Vec<char> = script.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        // Skip separators and an address: numbers, `$`, `/regex/`, ranges, `!`.
        while i < chars.len() && (chars[i].is_whitespace() || chars[i] == ';') {
            i += 1;
        }
        while i < chars.len() {
            match chars[i] {
                c if c.is_ascii_digit() || "$,!~+ ".contains(c) => i += 1,
                '/' | '\\' => i = skip_delimited(&chars, i, if chars[i] == '\\' { 2 } else { 1 }),
                _ => break,
            }
        }
        match chars.get(i) {
            Some('e') => return true,
            Some('s') => {
                let Some(&delim) = chars.get(i + 1) else {
                    return false;
                };
                let mut j = i + 2;
                for _ in 0..2 {
                    while j < chars.len() && chars[j] != delim {
                        j += if chars[j] == '\\' { 2 } else { 1 };
                    }
                    j += 1;
                }
                let flags: String = chars
                    .get(j.min(chars.len())..)
                    .unwrap_or_default()
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect();
                // `w FILE` ends the flags: what follows is a file name.
                let flags = flags.split('w').next().unwrap_or("");
                if flags.contains('e') {
                    return true;
                }
                i = j + flags.len();
            }
            Some('{' | '}') => i += 1,
            Some(_) => {
                // Other commands run to the end of the line or the next `;`.
                while i < chars.len() && chars[i] != ';' && chars[i] != '\n' {
                    i += 1;
                }
            }
            None => return false,
        }
    }
    false
}

/// The index after a `/regex/` (or `\cREGEXc`) address starting at `i`.
fn skip_delimited(chars: &[char], i: usize, open: usize) -> usize {
    let delim = chars.get(i + open - 1).copied().unwrap_or('/');
    let mut j = i + open;
    while j < chars.len() && chars[j] != delim {
        j += if chars[j] == '\\' { 2 } else { 1 };
    }
    j + 1
}

/// The program an `awk` command runs: the first operand that is not an option (`-f` programs
/// are files, read elsewhere).
fn awk_program(run: &Run, at: usize) -> Option<String> {
    let args = args(run, at);
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        let Some(arg) = arg else {
            return Some("system(".to_string());
        };
        match *arg {
            "-f" | "--file" => return None,
            "-F" | "-v" | "--assign" | "--field-separator" => i += 2,
            a if a.starts_with('-') => i += 1,
            a => return Some(a.to_string()),
        }
    }
    None
}

fn awk_runs_code(program: &str) -> bool {
    let compact: String = program.chars().filter(|c| !c.is_whitespace()).collect();
    compact.contains("system(")
        || compact.contains("|\"")
        || compact.contains("|getline")
        || compact.contains("|&")
}

/// The program `rg --pre PROG` or `--hostname-bin PROG` runs, if given.
fn rg_program(run: &Run, at: usize) -> Option<String> {
    let args = args(run, at);
    args.iter().enumerate().find_map(|(i, arg)| {
        let arg = (*arg)?;
        if arg == "--pre" || arg == "--hostname-bin" {
            return Some(
                args.get(i + 1)
                    .copied()
                    .flatten()
                    .unwrap_or("?")
                    .to_string(),
            );
        }
        ["--pre=", "--hostname-bin="]
            .iter()
            .find_map(|p| arg.strip_prefix(p))
            .map(str::to_string)
    })
}

#[cfg(test)]
mod tests {
    use super::{awk_runs_code, sed_runs_code};

    #[test]
    fn seds_e_command_and_flag() {
        assert!(sed_runs_code("s/y/echo hi/e"));
        assert!(sed_runs_code("1e rm -rf ~"));
        assert!(sed_runs_code("/x/e"));
        assert!(sed_runs_code("s|a|b|ge"));
        assert!(!sed_runs_code("s/e/E/g"));
        assert!(!sed_runs_code("s/a/b/w out.txt"));
        assert!(!sed_runs_code("1,5p"));
        assert!(!sed_runs_code("/^#/d; s/foo/bar/"));
    }

    #[test]
    fn awks_system_and_pipes() {
        assert!(awk_runs_code("BEGIN{system(\"rm -rf ~\")}"));
        assert!(awk_runs_code("{ print | \"sh\" }"));
        assert!(awk_runs_code("BEGIN { \"date\" | getline d }"));
        assert!(!awk_runs_code("{ print $1 }"));
        assert!(!awk_runs_code("$3 > 10 || $4 < 2"));
    }
}
