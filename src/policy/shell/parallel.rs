//! GNU `parallel CMD ::: ARGS…`: CMD runs once for each argument, `{}` replaced by it (or the
//! argument appended), so each run is read as a command of its own; a single word with spaces
//! is a shell script, as parallel runs it. What it reads from its input or from files
//! (`::::`), or runs on other machines (`-S`), is not known, and is asked about.

use super::command::Run;
use super::expand::Field;

/// Options that take a value as the next word.
const VALUED: &[&str] = &[
    "-j",
    "--jobs",
    "-n",
    "--max-args",
    "-N",
    "-I",
    "--joblog",
    "--results",
    "--colsep",
    "-C",
    "--delay",
    "--timeout",
    "--halt",
    "-P",
    "--tmpdir",
    "--tag-string",
    "--rpl",
];

/// Options that send the work elsewhere or read arguments this reader cannot see.
const OPAQUE: &[&str] = &[
    "-S",
    "--sshlogin",
    "--slf",
    "--sshloginfile",
    "--transfer",
    "--return",
    "--pipe",
    "--pipepart",
    "-a",
    "--arg-file",
    "--basefile",
];

pub(super) fn run(run: &mut Run, at: usize) {
    let mut i = at + 1;
    while let Some(v) = run.value(i).map(str::to_string) {
        if OPAQUE.contains(&v.as_str()) {
            return unknown(
                run,
                at,
                "runs its commands where this reader does not follow",
            );
        }
        if !v.starts_with('-') {
            break;
        }
        i += if VALUED.contains(&v.as_str()) { 2 } else { 1 };
    }
    let command_end = (i..run.fields.len())
        .find(|&j| run.value(j).is_some_and(|v| v.starts_with(":::")))
        .unwrap_or(run.fields.len());
    let command: Vec<Field> = run.fields[i..command_end].to_vec();
    if command_end == run.fields.len() || command.is_empty() {
        return unknown(run, at, "runs commands made from its input");
    }
    let mut args = Vec::new();
    let mut j = command_end;
    while let Some(sep) = run.value(j).map(str::to_string) {
        j += 1;
        if sep != ":::" {
            return unknown(run, at, "takes its arguments from files");
        }
        while let Some(f) = run.fields.get(j) {
            if f.value().is_some_and(|v| v.starts_with(":::")) {
                break;
            }
            args.push(f.clone());
            j += 1;
        }
    }
    for arg in args {
        let Some(value) = arg.value().map(str::to_string) else {
            return unknown(
                run,
                at,
                "runs commands on arguments only known when it runs",
            );
        };
        let placed = command
            .iter()
            .any(|f| f.value().is_some_and(|v| v.contains("{}")));
        let mut fields: Vec<Field> = command
            .iter()
            .map(|f| match f.value() {
                Some(v) if v.contains("{}") => {
                    Field::known(f.word, &f.text, &v.replace("{}", &value))
                }
                _ => f.clone(),
            })
            .collect();
        if !placed {
            fields.push(arg.clone());
        }
        match fields.as_slice() {
            [script] if script.value().is_some_and(|v| v.contains(' ')) => {
                let script = script.clone();
                run.script_field(Some(&script), "parallel");
            }
            _ => run.nested(fields),
        }
    }
}

fn unknown(run: &mut Run, at: usize, what: &str) {
    let shown = run.shown(at);
    run.ctx.opaque(format!("`{shown}` {what}."));
    run.path_like(at + 1);
}
