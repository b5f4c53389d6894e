//! `find`: its starting points are read (or, with `-delete`, what lies under them is
//! deleted), `-fprint` files are written, and `-exec CMD {} ;` runs CMD on paths under each
//! starting point, read as a command of its own.
//!
//! What an action acts on depends on the tests before it (find reads its expression left to
//! right): `find . -name '*.pyc' -delete` deletes `./**/*.pyc`, while `find . -delete -name x`
//! and `find . -type f -delete` delete everything under `.`.

use super::Access::{Delete, Read, Write};
use super::command::Run;
use super::expand::Field;

pub(super) fn run(run: &mut Run, at: usize) {
    let mut i = at + 1;
    // Options before the starting points: -H -L -P, -D debugopts, -Olevel.
    while let Some(v) = run.value(i) {
        match v {
            "-H" | "-L" | "-P" => i += 1,
            "-D" => i += 2,
            v if v.starts_with("-O") => i += 1,
            _ => break,
        }
    }
    let mut starts = Vec::new();
    while let Some(f) = run.fields.get(i) {
        let v = f.value().unwrap_or("");
        if v.starts_with('-') || v == "(" || v == "!" || v == "," {
            break;
        }
        starts.push(i);
        i += 1;
    }
    let start_values: Vec<Field> = match starts.is_empty() {
        true => vec![Field::known(usize::MAX, ".", ".")],
        false => starts.iter().map(|&s| run.fields[s].clone()).collect(),
    };
    let mut access = Read;
    let mut execs: Vec<Vec<Field>> = Vec::new();
    // The narrowing seen before the first action: `Some(name glob)` (`*` when a test narrows
    // by something other than the name), `None` while every file still matches.
    let mut narrowed: Option<String> = None;
    let mut acted = false;
    let mut alternatives = false;
    while let Some(v) = run.value(i).map(str::to_string) {
        i += 1;
        if !acted {
            match narrowing(&v, run.value(i)) {
                Some(Some(name)) => narrowed = Some(name),
                Some(None) => {
                    narrowed.get_or_insert_with(|| "*".into());
                }
                None => {}
            }
        }
        alternatives |= matches!(v.as_str(), "-o" | "-or" | "," | "!" | "-not");
        match v.as_str() {
            "-delete" => {
                access = Delete;
                acted = true;
            }
            "-exec" | "-execdir" | "-ok" | "-okdir" => {
                acted = true;
                let mut cmd = Vec::new();
                while let Some(f) = run.fields.get(i) {
                    i += 1;
                    if matches!(f.value(), Some(";" | "+")) {
                        break;
                    }
                    cmd.push(f.clone());
                }
                execs.push(cmd);
            }
            "-fprint" | "-fprint0" | "-fls" | "-fprintf" => {
                run.touch(i, Write);
                i += 1;
            }
            "-newer" | "-anewer" | "-cnewer" | "-samefile" => {
                run.touch(i, Read);
                i += 1;
            }
            _ => {}
        }
    }
    // Alternatives (`-o`, `!`) can undo a narrowing: then everything may match.
    let narrowed = narrowed.filter(|_| !alternatives);
    let matched = |start: &Field| match &narrowed {
        Some(name) => Field {
            value: start.value.as_ref().map(|v| format!("{v}/**/{name}")),
            pattern: format!("{}/**/{name}", start.pattern),
            ..start.clone()
        },
        None => start.under(),
    };
    // `-delete` removes what matches under a starting point, never the point itself.
    for (&s, start) in starts.iter().zip(&start_values) {
        match access {
            Delete => run.touch_field(s, &matched(start), Delete),
            _ => run.touch(s, access),
        };
    }
    if starts.is_empty() && access == Delete {
        let cwd = run.cwd.clone();
        let here = matched(&Field::known(usize::MAX, ".", "."));
        run.ctx.touch(&here, Delete, cwd.as_deref(), true);
    }
    // `-exec CMD {} ;`: CMD runs on paths under each starting point.
    for cmd in execs {
        for start in &start_values {
            let fields = cmd
                .iter()
                .map(|f| match (f.value(), matched(start).value()) {
                    (Some("{}"), Some(m)) => Field::known(f.word, &f.text, m),
                    (Some("{}"), None) => Field {
                        value: None,
                        pattern: format!("{}/{}", start.pattern, super::expand::UNKNOWN),
                        ..f.clone()
                    },
                    _ => f.clone(),
                })
                .collect();
            run.nested(fields);
        }
    }
}

/// Whether the find test `test` (with `value`, its next word) narrows what matches:
/// `Some(Some(glob))` by name, `Some(None)` by something else, `None` when it does not.
fn narrowing(test: &str, value: Option<&str>) -> Option<Option<String>> {
    match test {
        "-name" | "-iname" => {
            let name = value.unwrap_or("*");
            (!everything(name)).then(|| Some(name.to_string()))
        }
        "-path" | "-ipath" | "-wholename" | "-iwholename" | "-regex" | "-iregex" | "-lname"
        | "-ilname" | "-newer" | "-anewer" | "-cnewer" | "-mtime" | "-mmin" | "-atime"
        | "-amin" | "-ctime" | "-cmin" | "-size" | "-empty" | "-user" | "-group" | "-nouser"
        | "-nogroup" | "-perm" | "-inum" | "-links" | "-samefile" | "-used" => Some(None),
        _ => None,
    }
}

/// A glob that matches every name (`*`, `.*`, `{*,.*}`, `.[!.]*`): it narrows nothing.
pub(super) fn everything(name: &str) -> bool {
    name.contains('*') && name.chars().all(|c| "*?[]!{},.^".contains(c))
}

#[cfg(test)]
mod tests {
    use super::everything;

    #[test]
    fn globs_that_match_every_name() {
        for glob in ["*", ".*", "{*,.*}", ".[!.]*", "*.*", ".??*"] {
            assert!(everything(glob), "{glob}");
        }
        for glob in ["*.pyc", "target", "*.o", "a*"] {
            assert!(!everything(glob), "{glob}");
        }
    }
}
