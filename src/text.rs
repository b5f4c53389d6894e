//! Words for people: counts with their noun in the right number (`1 task`, `2 tasks`), so no
//! message says `task(s)`; a program's output without its escape codes, for a line of text;
//! dollars as people read them.

/// `n` and `noun`, plural when `n` is not one: `count(1, "attempt")` is `1 attempt`. Nouns
/// whose plural is not `+s` give it after a `|`: `count(2, "copy|copies")`.
pub fn count(n: impl Into<i64>, noun: &str) -> String {
    let n = n.into();
    let (one, many) = match noun.split_once('|') {
        Some((one, many)) => (one.to_string(), many.to_string()),
        None => (noun.to_string(), format!("{noun}s")),
    };
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Dollars: cents for a dollar or more (`$12.40`), four places below (`$0.0099`), where an
/// agent's calls are counted in hundredths of a cent.
pub fn usd(amount: f64) -> String {
    if amount.abs() >= 1.0 {
        format!("${amount:.2}")
    } else {
        format!("${amount:.4}")
    }
}

/// `text` without terminal escape sequences (ECMA-48: CSI such as colours and cursor moves,
/// OSC such as titles and links, and two-byte escapes), line breaks and tabs kept. Styled
/// output for a screen goes through `tui::ansi` instead; this is for plain words.
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                // CSI: parameters and intermediates, then one final byte in @..~.
                Some('[') => {
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                // OSC, DCS and the like: until BEL or ST (ESC \).
                Some(']' | 'P' | 'X' | '^' | '_') => {
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' {
                            break;
                        }
                        if c == '\u{1b}' && chars.peek() == Some(&'\\') {
                            chars.next();
                            break;
                        }
                    }
                }
                // nF escapes (a charset choice such as `ESC ( B`): intermediates, then a final.
                Some(' '..='/') => {
                    for c in chars.by_ref() {
                        if !(' '..='/').contains(&c) {
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\u{9b}' => {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{count, strip_ansi, usd};

    #[test]
    fn dollars_show_cents_or_hundredths_of_a_cent() {
        assert_eq!(usd(12.4), "$12.40");
        assert_eq!(usd(0.0099), "$0.0099");
        assert_eq!(usd(0.0), "$0.0000");
    }

    #[test]
    fn escape_codes_go_and_words_stay() {
        let text = "\u{1b}[1m\u{1b}[32m   Compiling\u{1b}[0m app\r\n\u{1b}[31merror\u{1b}[0m: x";
        assert_eq!(strip_ansi(text), "   Compiling app\nerror: x");
        let link = "see \u{1b}]8;;https://x.test\u{1b}\\docs\u{1b}]8;;\u{7} now\tok";
        assert_eq!(strip_ansi(link), "see docs now\tok");
        assert_eq!(
            strip_ansi("bell\u{7} and \u{1b}(B charset"),
            "bell and  charset"
        );
    }

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(count(1, "task"), "1 task");
        assert_eq!(count(0, "task"), "0 tasks");
        assert_eq!(count(2, "question"), "2 questions");
        assert_eq!(count(3_usize as i64, "copy|copies"), "3 copies");
        assert_eq!(count(1, "copy|copies"), "1 copy");
    }
}
