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
        while let Some(&c) = self.chars.get(i) {
            match c {
                '\\' => i += 1,
                '\'' => i = self.find_from(i + 1, '\'')?,
                '"' => i = self.double_end(i)?,
                '`' => i = self.find_from(i + 1, '`')?,
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
