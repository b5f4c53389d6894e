//! Encrypted backups through the real binary: a new identity, backups encrypted to its
//! recipient with `backup.encrypt`, and a restore that needs the identity and refuses another.

mod support;

use std::os::unix::fs::PermissionsExt;

use support::Project;
use support::backups::{self, fails, ok};

/// `bosun backup --new-identity FILE`: the recipient it prints.
fn new_identity(p: &Project, file: &str) -> String {
    let out = ok(
        &p.bosun(&[
            "backup",
            "--new-identity",
            p.path(file).to_str().expect("utf-8"),
        ]),
        "backup --new-identity",
    );
    let recipient = out.trim().to_string();
    assert!(recipient.starts_with("age1"), "{out}");
    recipient
}

/// `bosun restore --latest` with no `--identity` (nor its environment variable) and stdin not
/// a terminal.
fn restore_without_identity(p: &Project) -> std::process::Output {
    p.command(&["restore", "--latest"])
        .env_remove("BOSUN_BACKUP_IDENTITY")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run bosun")
}

#[test]
fn encrypted_backups_restore_only_with_their_identity() {
    let p = Project::new();
    let recipient = new_identity(&p, "key.txt");
    let mode = std::fs::metadata(p.path("key.txt"))
        .expect("the identity file")
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o777,
        0o600,
        "the identity is readable by its owner only"
    );
    assert!(p.read("key.txt").contains("AGE-SECRET-KEY-"));
    new_identity(&p, "other.txt");
    // Never over an existing identity.
    let err = fails(
        &p.bosun(&[
            "backup",
            "--new-identity",
            p.path("key.txt").to_str().expect("utf-8"),
        ]),
        1,
        "a second identity over the first",
    );
    assert!(err.contains("key.txt"), "{err}");
    assert_eq!(
        backups::names(&p),
        Vec::<String>::new(),
        "--new-identity takes no backup"
    );

    let id = p.submit(&["echo secret"]);
    p.write(
        ".bosun/config.yaml",
        &format!("backup:\n  encrypt: {recipient}\n"),
    );
    let name = backups::take(&p, &[]).expect("an encrypted backup");
    assert!(name.ends_with(".full.db.zst.age"), "{name}");
    assert_eq!(backups::list(&p)[0]["encrypted"], true);

    // Not a zstd stream: without the key it is not even compressed data.
    let zstd = std::process::Command::new("zstd")
        .args(["-d", "-c"])
        .arg(backups::dir(&p).join(&name))
        .output();
    match zstd {
        Ok(out) => assert!(!out.status.success(), "zstd read an encrypted backup"),
        Err(e) => panic!("this test needs zstd (apt-get install zstd): {e}"),
    }
    let plain = std::fs::read(backups::dir(&p).join(&name)).expect("the backup");
    assert!(plain.starts_with(b"age-encryption.org/v1"), "an age file");
    assert!(!plain.windows(11).any(|w| w == b"echo secret"));

    // A delta over it is encrypted too.
    p.submit(&["echo later"]);
    let delta = backups::take(&p, &[]).expect("a delta");
    assert!(
        delta.contains(".delta-") && delta.ends_with(".zst.age"),
        "{delta}"
    );

    let err = fails(&restore_without_identity(&p), 2, "restore without identity");
    assert!(
        err.contains("encrypted") && err.contains("--identity"),
        "{err}"
    );
    let other = p.path("other.txt");
    let err = fails(
        &p.bosun(&[
            "restore",
            "--latest",
            "--identity",
            other.to_str().expect("utf-8"),
        ]),
        1,
        "restore with another identity",
    );
    assert!(err.contains("cannot decrypt"), "{err}");
    assert!(
        backups::replaced(&p).is_empty(),
        "a refused restore replaced nothing"
    );

    let key = p.path("key.txt");
    let out = ok(
        &p.bosun(&["restore", &name, "--identity", key.to_str().expect("utf-8")]),
        "restore the full copy with its identity",
    );
    assert!(out.contains("integrity ok"), "{out}");
    assert_eq!(backups::task_ids(&p), std::slice::from_ref(&id));
    let out = ok(
        &p.command(&["restore", "--latest"])
            .env("BOSUN_BACKUP_IDENTITY", &key)
            .output()
            .expect("run bosun"),
        "restore the delta, the identity in the environment",
    );
    assert!(out.contains(&delta), "{out}");
    assert_eq!(backups::task_ids(&p).len(), 2);
}

#[test]
fn a_bad_recipient_is_refused_naming_the_setting() {
    let p = Project::new();
    p.submit(&["echo hello"]);
    p.write(".bosun/config.yaml", "backup:\n  encrypt: age1notakey\n");
    let err = fails(&p.bosun(&["backup"]), 2, "a bad recipient");
    assert!(
        err.contains("backup.encrypt") && err.contains("age1notakey"),
        "{err}"
    );
    assert!(err.contains("config.yaml"), "names the file: {err}");
    // Every verb reads the config, `bosun backups` too: look in the folder itself.
    let taken = std::fs::read_dir(backups::dir(&p))
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("bosun-"))
                .count()
        })
        .unwrap_or(0);
    assert_eq!(taken, 0, "a backup was taken with a bad recipient");
    // Listing and restoring go on with the built-in settings, saying why: a typo in the config
    // must not stand between the user and their backups.
    let listed = p.bosun(&["backups"]);
    assert!(listed.status.success(), "{listed:?}");
    let warning = String::from_utf8_lossy(&listed.stderr);
    assert!(warning.contains("built-in settings"), "{warning}");
}
