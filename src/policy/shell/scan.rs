//! Scanning across quotes: finding the bracket that closes `$(`, `${` or `<(` without being
//! fooled by quotes, escapes or nested substitutions, and decoding `$'…'` strings.
//!
//! Invariant: a bracket inside quotes never counts; when no closing bracket exists the answer
//! is `None`, and the caller reports the construct as unreadable.

use super::lex::Cursor;

impl Cursor {
    /// The index of the `close` that matches the `open` at `at`, skipping quotes and escapes.
    pub fn matching(&self, at: usize, open: char, close: char) -> Option<usize> {
        let mut depth = 0usize;
        let mut i = at;
        // Here-documents opened on the current line: their bodies start at the next newline,
        // and what is in them (an apostrophe in a commit message) is text, not quotes.
        let mut heredocs: Vec<(String, bool)> = Vec::new();
        while let Some(&c) = self.chars.get(i) {
            match c {
                '\\' => i += 1,
                '\'' => i = self.find_from(i + 1, '\'')?,
                '"' => i = self.double_end(i)?,
                '`' => i = self.find_from(i + 1, '`')?,
                '<' if self.chars.get(i + 1) == Some(&'<')
                    && self.chars.get(i + 2) != Some(&'<') =>
                {
                    let (delimiter, dash, end) = self.heredoc_delimiter(i + 2);
                    heredocs.extend(delimiter.map(|d| (d, dash)));
                    i = end;
                    continue;
                }
                '\n' if !heredocs.is_empty() => {
                    for (delimiter, dash) in std::mem::take(&mut heredocs) {
                        i = self.heredoc_end(i + 1, &delimiter, dash)?;
                    }
                    continue;
                }
                c if c == open => depth += 1,
                c if c == close => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
            i += 1;
        }
        None
    }

    /// After `<<` at `at`: the delimiter (quotes removed), whether it was `<<-`, and the index
    /// after it.
    fn heredoc_delimiter(&self, at: usize) -> (Option<String>, bool, usize) {
        let mut i = at;
        let dash = self.chars.get(i) == Some(&'-');
        i += usize::from(dash);
        while self.chars.get(i).is_some_and(|c| *c == ' ' || *c == '\t') {
            i += 1;
        }
        let mut word = String::new();
        while let Some(&c) = self.chars.get(i) {
            match c {
                '\'' | '"' => {
                    let Some(end) = self.find_from(i + 1, c) else {
                        return (None, dash, i);
                    };
                    word.extend(&self.chars[i + 1..end]);
                    i = end + 1;
                }
                '\\' => {
                    word.extend(self.chars.get(i + 1));
                    i += 2;
                }
                c if c.is_whitespace() || ";|&()<>".contains(c) => break,
                c => {
                    word.push(c);
                    i += 1;
                }
            }
        }
        ((!word.is_empty()).then_some(word), dash, i)
    }

    /// The index of the newline ending the here-document body that starts at `from` (the
    /// line that is `delimiter`), or the end of the text after it.
    fn heredoc_end(&self, from: usize, delimiter: &str, dash: bool) -> Option<usize> {
        let mut start = from;
        while start < self.chars.len() {
            let end = self.find_from(start, '\n').unwrap_or(self.chars.len());
            let line: String = self.chars[start..end].iter().collect();
            let line = if dash {
                line.trim_start_matches('\t')
            } else {
                &line
            };
            if line == delimiter {
                return Some(end);
            }
            start = end + 1;
        }
        None
    }

    fn find_from(&self, from: usize, target: char) -> Option<usize> {
        (from..self.chars.len()).find(|&j| self.chars[j] == target)
    }

    /// The index of the `"` closing the one at `at`.
    fn double_end(&self, at: usize) -> Option<usize> {
        let mut i = at + 1;
        while let Some(&c) = self.chars.get(i) {
            match c {
                '\\' => i += 1,
                '"' => return Some(i),
                '$' if self.chars.get(i + 1) == Some(&'(') => i = self.matching(i + 1, '(', ')')?,
                _ => {}
            }
            i += 1;
        }
        None
    }

    /// The body of `$'…'` with its escapes decoded; the cursor is just past the `'`.
    pub fn ansi_c(&mut self) -> String {
        let mut out = String::new();
        while let Some(c) = self.peek(0) {
            self.pos += 1;
            match c {
                '\'' => return out,
                '\\' => out.push_str(&self.ansi_escape()),
                c => out.push(c),
            }
        }
        self.problem("a `$'…'` string is never closed");
        out
    }

    fn ansi_escape(&mut self) -> String {
        let Some(c) = self.peek(0) else {
            return "\\".into();
        };
        self.pos += 1;
        let simple = match c {
            'n' => Some('\n'),
            't' => Some('\t'),
            'r' => Some('\r'),
            'a' => Some('\u{7}'),
            'b' => Some('\u{8}'),
            'e' | 'E' => Some('\u{1b}'),
            'f' => Some('\u{c}'),
            'v' => Some('\u{b}'),
            '\\' | '\'' | '"' | '?' => Some(c),
            _ => None,
        };
        if let Some(s) = simple {
            return s.to_string();
        }
        let (radix, max) = match c {
            'x' => (16, 2),
            'u' => (16, 4),
            'U' => (16, 8),
            '0'..='7' => {
                self.pos -= 1;
                (8, 3)
            }
            _ => return format!("\\{c}"),
        };
        let mut digits = String::new();
        while digits.len() < max && self.peek(0).is_some_and(|d| d.is_digit(radix)) {
            digits.extend(self.peek(0));
            self.pos += 1;
        }
        u32::from_str_radix(&digits, radix)
            .ok()
            .and_then(char::from_u32)
            .map_or_else(|| format!("\\{c}"), |ch| ch.to_string())
    }
}
