//! The script inside Codex's shell wrapper. Codex reports a shell call as the line it runs,
//! `/bin/bash -lc 'echo hi > out.txt'` (quoted the way Rust's `shlex` joins words: single
//! quotes, or double quotes with `\"`, `\\`, `\$` and `` \` `` when the script holds a `'`).
//! The policy wants the script itself. Only a line that is exactly a shell, `-c` or `-lc`,
//! and one script word is unwrapped; anything else — an expansion, an operator, a word this
//! reader is unsure of — is left whole, so the policy never judges less than what runs.

const SHELLS: &[&str] = &[
    "bash",
    "/bin/bash",
    "/usr/bin/bash",
    "sh",
    "/bin/sh",
    "/usr/bin/sh",
    "zsh",
    "/bin/zsh",
    "/usr/bin/zsh",
];

/// The script `command` runs when it is `<shell> -c|-lc <script>`, else `command` itself.
pub(super) fn script(command: &str) -> String {
    match words(command).as_deref() {
        Some([shell, flag, script])
            if SHELLS.contains(&shell.as_str()) && (flag == "-c" || flag == "-lc") =>
        {
            script.clone()
        }
        _ => command.to_string(),
    }
}

/// `line` split into words as a POSIX shell would, or `None` if it holds anything but plain
/// words and quotes.
fn words(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => words.extend(word.take()),
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => w.push(c),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => match chars.next()? {
                            c @ ('"' | '\\' | '$' | '`') => w.push(c),
                            '\n' => {}
                            c => w.extend(['\\', c]),
                        },
                        // An expansion: what runs is not the text.
                        '$' | '`' => return None,
                        c => w.push(c),
                    }
                }
            }
            '\\' => match chars.next()? {
                '\n' => {}
                c => word.get_or_insert_with(String::new).push(c),
            },
            c if c.is_alphanumeric() || "-_./,:@+=%".contains(c) => {
                word.get_or_insert_with(String::new).push(c)
            }
            _ => return None,
        }
    }
    words.extend(word);
    Some(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wrapper_codex_prints_is_taken_off() {
        // Both as Codex 0.171.0 printed them (tests/agents/codex_*.jsonl).
        assert_eq!(
            script("/bin/bash -lc 'echo hello > out.txt'"),
            "echo hello > out.txt"
        );
        assert_eq!(
            script(r#"/bin/bash -lc "printf '%s\\n' \"it's\" > q.txt && cat q.txt""#),
            r#"printf '%s\n' "it's" > q.txt && cat q.txt"#
        );
        assert_eq!(script("bash -c 'a'\\''b'"), "a'b");
        assert_eq!(script(r#"sh -c "cost \$5 \`x\`""#), "cost $5 `x`");
    }

    #[test]
    fn anything_else_is_left_whole() {
        for line in [
            "echo hello > out.txt",
            "/bin/bash -lc 'ls' && rm -rf /",
            "/bin/bash -lc 'ls' 'extra'",
            r#"/bin/bash -lc "echo $HOME""#,
            "/bin/bash -lc 'unterminated",
            "/bin/bash -x 'ls'",
            "python3 -c 'print(1)'",
        ] {
            assert_eq!(script(line), line);
        }
    }
}
