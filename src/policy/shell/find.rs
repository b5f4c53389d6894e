//! `find`: its starting points are read (or, with `-delete`, what lies under them is
//! deleted), `-fprint` files are written, and `-exec CMD {} ;` runs CMD on paths under each
//! starting point, read as a command of its own.

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
    while let Some(v) = run.value(i).map(str::to_string) {
        i += 1;
        match v.as_str() {
            "-delete" => access = Delete,
            "-exec" | "-execdir" | "-ok" | "-okdir" => {
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
    // `-delete` removes what matches under a starting point, never the point itself.
    for (&s, start) in starts.iter().zip(&start_values) {
        match access {
            Delete => run.touch_field(s, &start.under(), Delete),
            _ => run.touch(s, access),
        };
    }
    if starts.is_empty() && access == Delete {
        let cwd = run.cwd.clone();
        run.ctx.touch(
            &Field::known(usize::MAX, ".", "./*"),
            Delete,
            cwd.as_deref(),
            true,
        );
    }
    // `-exec CMD {} ;`: CMD runs on paths under each starting point.
    for cmd in execs {
        for start in &start_values {
            let fields = cmd
                .iter()
                .map(|f| match (f.value(), start.value()) {
                    (Some("{}"), Some(s)) => Field::known(f.word, &f.text, &format!("{s}/*")),
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
