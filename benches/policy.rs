//! The time to check one command: every command line of the policy corpus's gathered suites
//! (`tests/policy_corpus/suites.tsv`) through `Policy::check_command` (read, resolve paths,
//! judge, match rules), in a project with a few files, many times each. Prints the
//! distribution per command in microseconds.

#[path = "common/stats.rs"]
mod common;

use std::collections::BTreeMap;
use std::time::Instant;

use bosun::policy::shell::Scope;
use bosun::policy::{Policy, Query, shell_command};
use bosun::protocol::{DecisionKind, Risk};

const ROUNDS: usize = 200;

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = dir
        .path()
        .canonicalize()
        .expect("canonical")
        .join("project");
    std::fs::create_dir_all(project.join("src")).expect("mkdir");
    std::fs::write(project.join("Cargo.toml"), "[package]\n").expect("write");
    std::fs::write(project.join(".env"), "X=1\n").expect("write");
    let scope = Scope {
        cwd: project.clone(),
        project,
        write_roots: Vec::new(),
        read_roots: Vec::new(),
        home: Some(dir.path().join("home")),
        env: BTreeMap::from([("PATH".to_string(), "/usr/bin:/bin".to_string())]),
    };
    let policy = Policy::builtin().expect("the built-in policy");
    let query = Query {
        kind: DecisionKind::Command,
        skill: "shell",
        workflow: None,
        step: None,
        risk: Risk::Medium,
    };
    let lines: Vec<String> = include_str!("../tests/policy_corpus/suites.tsv")
        .lines()
        .filter_map(|row| row.split('\t').nth(3))
        .map(|c| c.replace("\\n", "\n").replace("\\t", "\t"))
        .collect();
    let argvs: Vec<Vec<String>> = lines.iter().map(|l| shell_command(l)).collect();
    let mut reads = Vec::with_capacity(argvs.len() * ROUNDS);
    for _ in 0..ROUNDS {
        for argv in &argvs {
            let started = Instant::now();
            let analysis = bosun::policy::shell::analyze(argv, &scope);
            reads.push(started.elapsed().as_secs_f64() * 1e6);
            std::hint::black_box(analysis);
        }
    }
    let mut micros = Vec::with_capacity(argvs.len() * ROUNDS);
    for _ in 0..ROUNDS {
        for argv in &argvs {
            let started = Instant::now();
            let check = policy.check_command(argv, &scope, &query);
            micros.push(started.elapsed().as_secs_f64() * 1e6);
            std::hint::black_box(check);
        }
    }
    println!("{} commands x {ROUNDS} rounds", argvs.len());
    common::report("read (shell::analyze)", "us", reads);
    common::report("check_command (read + rules)", "us", micros);
}
