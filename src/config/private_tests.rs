//! The walker and the private-by-birth helpers on real files in a temporary directory: what
//! they change, what they leave (links, the owner's own bits), and that a second walk is a no-op.

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

use super::*;

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o7777
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, Permissions::from_mode(mode)).expect("chmod");
}

fn file(path: &Path, mode: u32) {
    std::fs::write(path, "secret").expect("write");
    chmod(path, mode);
}

#[test]
fn the_walk_takes_the_shared_bits_from_every_directory_and_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("state");
    let deep = root.join("agents/codex-home/sessions");
    std::fs::create_dir_all(&deep).expect("mkdir");
    for d in [
        &root,
        &root.join("agents"),
        &root.join("agents/codex-home"),
        &deep,
    ] {
        chmod(d, 0o755);
    }
    file(&root.join("bosun.db"), 0o644);
    file(&root.join("api.addr"), 0o666);
    file(&deep.join("run.jsonl"), 0o640);
    file(&root.join("hook.sh"), 0o755);
    file(&root.join("read-only"), 0o444);
    file(&root.join("already"), 0o600);

    let done = tighten_tree(&root).expect("tighten");

    assert_eq!(done, Tightened { dirs: 4, files: 5 });
    for d in [&root, &root.join("agents"), &deep] {
        assert_eq!(mode(d), 0o700, "{}", d.display());
    }
    assert_eq!(mode(&root.join("bosun.db")), 0o600);
    assert_eq!(mode(&root.join("api.addr")), 0o600);
    assert_eq!(mode(&deep.join("run.jsonl")), 0o600);
    // The owner's bits stay the owner's: an executable stays one, a read-only file read-only.
    assert_eq!(mode(&root.join("hook.sh")), 0o700);
    assert_eq!(mode(&root.join("read-only")), 0o400);
    assert_eq!(mode(&root.join("already")), 0o600);
    // Done once: a second walk finds nothing to change.
    assert!(tighten_tree(&root).expect("again").is_empty());
}

#[test]
fn the_walk_never_follows_nor_changes_a_link() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("state");
    std::fs::create_dir(&root).expect("mkdir");
    chmod(&root, 0o700);
    // The user's files, linked into the state directory (as an agent's credentials are).
    let users = dir.path().join("users");
    std::fs::create_dir(&users).expect("mkdir");
    chmod(&users, 0o755);
    file(&users.join("auth.json"), 0o644);
    symlink(users.join("auth.json"), root.join("auth.json")).expect("file link");
    symlink(&users, root.join("elsewhere")).expect("dir link");

    let done = tighten_tree(&root).expect("tighten");

    assert!(done.is_empty(), "{done:?}");
    assert_eq!(mode(&users), 0o755);
    assert_eq!(mode(&users.join("auth.json")), 0o644);
}

#[test]
fn a_missing_tree_is_nothing_to_do_and_a_file_is_no_tree() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert!(
        tighten_tree(&dir.path().join("none"))
            .expect("missing")
            .is_empty()
    );
    let plain = dir.path().join("plain");
    file(&plain, 0o644);
    let err = tighten_tree(&plain).expect_err("not a directory");
    assert!(err.to_string().contains("plain"), "{err}");
}

#[test]
fn a_single_file_is_tightened_unless_it_is_a_link() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("audit.jsonl");
    file(&log, 0o644);
    assert!(tighten_file(&log).expect("tighten"));
    assert_eq!(mode(&log), 0o600);
    let target = dir.path().join("target");
    file(&target, 0o644);
    let link = dir.path().join("link.jsonl");
    symlink(&target, &link).expect("link");
    assert!(!tighten_file(&link).expect("a link"));
    assert_eq!(mode(&target), 0o644);
    assert!(!tighten_file(&dir.path().join("none")).expect("missing"));
}

#[test]
fn files_and_directories_bosun_makes_are_private() {
    let dir = tempfile::tempdir().expect("tempdir");
    let made = dir.path().join("a/b");
    create_private_dir(&made).expect("create");
    assert_eq!(mode(&made), 0o700);
    assert_eq!(mode(&dir.path().join("a")), 0o700);
    // One that exists is made private too.
    let open = dir.path().join("open");
    std::fs::create_dir(&open).expect("mkdir");
    chmod(&open, 0o755);
    create_private_dir(&open).expect("tighten");
    assert_eq!(mode(&open), 0o700);

    let addr = dir.path().join("api.addr");
    file(&addr, 0o644);
    write_private(&addr, b"127.0.0.1:1\n").expect("write");
    assert_eq!(mode(&addr), 0o600);
    assert_eq!(
        std::fs::read_to_string(&addr).expect("read"),
        "127.0.0.1:1\n"
    );
    // A file whose owner bits a umask took is given them back.
    let odd = dir.path().join("odd");
    file(&odd, 0o400);
    let opened = private_file().read(true).open(&odd).expect("open");
    make_private(&opened).expect("fix");
    assert_eq!(mode(&odd), 0o600);
}
