//! Generated trees are never watched (docs/watch.md), with or without an ignore file: a fresh
//! `npm init` or `python -m venv` project has none, and watching `node_modules/` or a venv
//! cost a walk of every file and a kernel watch per directory at each start, and a flood of
//! events during an install. `node_modules`, `.venv`, `__pycache__` go by name; any directory
//! with a `pyvenv.cfg` or `CACHEDIR.TAG` by that marker, also when the marker appears later.

mod support;

use std::time::Duration;

use support::Project;
use support::watch::{
    changed_files, engine_log, id, start_watching, stays_at, wait_tasks, workflow,
};

#[test]
fn generated_trees_cost_no_watch_and_start_nothing() {
    let p = Project::new();
    p.write(
        ".bosun/workflows/wf.yaml",
        &workflow("**/*.txt", "100ms", "queue", "echo ran"),
    );
    p.write("node_modules/pkg/lib/a.txt", "");
    p.write(".venv/lib/python3/site-packages/b.txt", "");
    p.write("env/pyvenv.cfg", "home = /usr/bin\n");
    p.write("env/lib/c.txt", "");
    p.write(
        "target/CACHEDIR.TAG",
        "Signature: 8a477f597d28d172789f06886806bc55\n",
    );
    p.write("target/debug/d.txt", "");
    p.write("src/pkg/__pycache__/e.txt", "");
    p.write("src/pkg/keep", "");
    let _engine = start_watching(&p);
    // The root, src and src/pkg: nothing generated.
    assert!(
        engine_log(&p).contains("watching the project tree directories=3"),
        "{}",
        engine_log(&p)
    );
    for path in [
        "node_modules/pkg/lib/a.txt",
        "node_modules/new/x.txt",
        ".venv/lib/python3/site-packages/b.txt",
        "env/lib/c.txt",
        "target/debug/d.txt",
        "src/pkg/__pycache__/e.txt",
    ] {
        p.write(path, "generated");
    }
    stays_at(&p, 0, "generated trees start nothing");
    p.write("src/pkg/real.txt", "counts");
    let all = wait_tasks(&p, 1);
    let task = p.wait_finished(id(&all[0]), support::watch::LONG);
    assert_eq!(changed_files(&task), ["src/pkg/real.txt"], "{task:#}");
}

#[test]
fn a_directory_becomes_generated_when_its_marker_appears() {
    let p = Project::new();
    p.write(
        ".bosun/workflows/wf.yaml",
        &workflow("**/*.txt", "100ms", "queue", "echo ran"),
    );
    p.write("venv2/lib/keep", "");
    let _engine = start_watching(&p);
    p.write("venv2/lib/before.txt", "watched");
    let all = wait_tasks(&p, 1);
    p.wait_finished(id(&all[0]), support::watch::LONG);

    // What `python -m venv venv2` writes once its directories exist.
    p.write("venv2/pyvenv.cfg", "home = /usr/bin\n");
    std::thread::sleep(Duration::from_millis(500));
    p.write("venv2/lib/after.txt", "no longer watched");
    p.write("venv2/lib/deeper/more.txt", "no longer watched");
    stays_at(&p, 1, "a tree marked as a venv is no longer watched");
}
