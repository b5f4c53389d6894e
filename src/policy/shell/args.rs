//! Options and operands of a command, the way getopt reads them: `-abc` clusters, `-ofile`
//! and `-o file`, `--name=value` and `--name value`, `--` ending options.
//!
//! A command's table says which options take a value; that is what keeps a value (a pattern,
//! a mode, a count) from being mistaken for a path operand.

use super::expand::Field;

/// An option and, when it takes one, its value with the index of the field it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Opt {
    pub name: String,
    pub value: Option<(usize, Field)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Arg {
    Opt(Opt),
    /// The index of an operand field.
    Operand(usize),
}

/// Reads `fields[from..]`. `valued` lists the options that take a value (`-o`, `--output`).
/// With `stop_at_operand` (a command that runs another), reading stops at the first operand;
/// the index returned is where reading stopped.
pub(super) fn parse(
    fields: &[Field],
    from: usize,
    valued: &[&str],
    stop_at_operand: bool,
) -> (Vec<Arg>, usize) {
    let mut args = Vec::new();
    let mut i = from;
    while let Some(field) = fields.get(i) {
        let Some(v) = field.value() else {
            if stop_at_operand {
                return (args, i);
            }
            args.push(Arg::Operand(i));
            i += 1;
            continue;
        };
        if v == "--" {
            if stop_at_operand {
                return (args, i + 1);
            }
            args.extend((i + 1..fields.len()).map(Arg::Operand));
            return (args, fields.len());
        }
        if !v.starts_with('-') || v == "-" {
            if stop_at_operand {
                return (args, i);
            }
            args.push(Arg::Operand(i));
            i += 1;
            continue;
        }
        if let Some(long) = v.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, _)) => (format!("--{n}"), field.strip(&format!("--{n}="))),
                None => (v.to_string(), None),
            };
            let value = match inline {
                Some(f) => Some((i, f)),
                None if valued.contains(&name.as_str()) => {
                    i += 1;
                    fields.get(i).map(|f| (i, f.clone()))
                }
                None => None,
            };
            args.push(Arg::Opt(Opt { name, value }));
            i += 1;
            continue;
        }
        let chars: Vec<char> = v.chars().skip(1).collect();
        for (k, c) in chars.iter().enumerate() {
            let name = format!("-{c}");
            if !valued.contains(&name.as_str()) {
                args.push(Arg::Opt(Opt { name, value: None }));
                continue;
            }
            let prefix: String = v.chars().take(k + 2).collect();
            let value = if k + 1 < chars.len() {
                field.strip(&prefix).map(|f| (i, f))
            } else {
                i += 1;
                fields.get(i).map(|f| (i, f.clone()))
            };
            args.push(Arg::Opt(Opt { name, value }));
            break;
        }
        i += 1;
    }
    (args, i)
}

/// The operand indices among `args`.
pub(super) fn operands(args: &[Arg]) -> Vec<usize> {
    args.iter()
        .filter_map(|a| match a {
            Arg::Operand(i) => Some(*i),
            Arg::Opt(_) => None,
        })
        .collect()
}

/// True when an option named one of `names` was given.
pub(super) fn has(args: &[Arg], names: &[&str]) -> bool {
    args.iter()
        .any(|a| matches!(a, Arg::Opt(o) if names.contains(&o.name.as_str())))
}

/// The options named one of `names`, with their values.
pub(super) fn values<'a>(
    args: &'a [Arg],
    names: &'a [&str],
) -> impl Iterator<Item = &'a (usize, Field)> {
    args.iter().filter_map(move |a| match a {
        Arg::Opt(Opt {
            name,
            value: Some(v),
        }) if names.contains(&name.as_str()) => Some(v),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(words: &[&str]) -> Vec<Field> {
        words
            .iter()
            .enumerate()
            .map(|(i, w)| Field::known(i, w, w))
            .collect()
    }

    #[test]
    fn clusters_inline_and_separate_values() {
        let f = fields(&["-rf", "-ofile", "-o", "x", "--out=y", "a", "--", "-b"]);
        let (args, _) = parse(&f, 0, &["-o", "--out"], false);
        let vals: Vec<_> = values(&args, &["-o", "--out"])
            .map(|(_, f)| f.value.clone().unwrap_or_default())
            .collect();
        assert_eq!(vals, ["file", "x", "y"]);
        assert!(has(&args, &["-r"]) && has(&args, &["-f"]));
        assert_eq!(operands(&args), [5, 7]);
    }

    #[test]
    fn stops_at_the_first_operand() {
        let f = fields(&["-n", "5", "rm", "-rf", "/"]);
        let (_, next) = parse(&f, 0, &["-n"], true);
        assert_eq!(next, 2);
    }
}
