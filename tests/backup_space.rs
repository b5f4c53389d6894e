//! A backup that runs out of space, on a real small filesystem (a tmpfs mounted on
//! `.bosun/backups`, so this test needs root; CI runs as root): it fails with a message that
//! says so, leaves nothing half-written, and never costs the good backup already there —
//! whether the space runs out while copying the database or while writing the backup file.

mod support;

use std::path::{Path, PathBuf};

use support::Project;
use support::backups::{self, fails, ok};

/// A tmpfs mounted for the length of a test, unmounted (lazily, so a file still open does not
/// keep it) when dropped.
struct Tmpfs {
    at: PathBuf,
}

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(at).expect("mount point");
        let out = std::process::Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(at)
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "this test needs root (CI runs as root) to mount a tmpfs on {}: {}",
            at.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs {
            at: at.to_path_buf(),
        }
    }

    /// Bytes free on it.
    fn free(&self) -> u64 {
        let stat = nix::sys::statvfs::statvfs(&self.at).expect("statvfs");
        stat.blocks_available() as u64 * stat.fragment_size() as u64
    }

    /// Fills it with a file (no backup's name) until `leave` bytes are free.
    fn fill_until(&self, leave: u64) {
        let filler = self.at.join("filler");
        let _ = std::fs::remove_file(&filler);
        let size = self.free().checked_sub(leave).expect("room to fill");
        std::fs::write(&filler, vec![0u8; size as usize]).expect("fill the tmpfs");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.at)
            .output();
    }
}

/// A task whose description is about 100 KB of random text, which does not compress much.
fn big_task(p: &Project) {
    use base64::Engine;
    let mut random = vec![0u8; 75_000];
    let mut urandom = std::fs::File::open("/dev/urandom").expect("/dev/urandom");
    std::io::Read::read_exact(&mut urandom, &mut random).expect("random bytes");
    let text = base64::engine::general_purpose::STANDARD.encode(&random);
    p.submit(&[&format!("echo {text}")]);
}

/// The database's size as a backup copies it: its pages, however much of them is in the WAL.
fn logical_size(p: &Project) -> u64 {
    let db = backups::db(p);
    let pages = backups::query_i64(&db, "PRAGMA page_count");
    let page_size = backups::query_i64(&db, "PRAGMA page_size");
    u64::try_from(pages * page_size).expect("a size")
}

/// A failed backup: exit 1 saying the disk is full, the good backup still the only one,
/// nothing half-written left.
fn fails_for_space(p: &Project, good: &str) -> String {
    let err = fails(&p.bosun(&["backup"]), 1, "a backup with no space");
    let lower = err.to_lowercase();
    assert!(
        lower.contains("no space left") || lower.contains("disk is full"),
        "{err}"
    );
    assert_eq!(backups::names(p), [good.to_string()]);
    let left = backups::leftovers(&backups::dir(p));
    assert!(left.is_empty(), "left behind: {left:?}");
    err
}

#[test]
fn a_backup_out_of_space_fails_cleanly_and_keeps_the_good_one() {
    let p = Project::new();
    let first = p.submit(&["echo hello"]);
    let tmpfs = Tmpfs::mount(&backups::dir(&p), "8m");
    let good = backups::take(&p, &[]).expect("a good backup");

    for _ in 0..3 {
        big_task(&p);
    }
    // Room for the copy of the database (and SQLite's shared memory beside it), not for the
    // backup of ~225 KB of random text: the space runs out writing the backup file.
    tmpfs.fill_until(logical_size(&p) + 128 * 1024);
    let err = fails_for_space(&p, &good);
    assert!(err.contains("writing") || err.contains(".tmp"), "{err}");

    // No room even for the copy: the space runs out in SQLite.
    tmpfs.fill_until(logical_size(&p) / 2);
    let err = fails_for_space(&p, &good);
    assert!(err.contains(".snapshot.db"), "{err}");

    std::fs::remove_file(backups::dir(&p).join("filler")).expect("make room");
    let out = ok(&p.bosun(&["restore", &good]), "restore the good backup");
    assert!(out.contains("integrity ok"), "{out}");
    assert_eq!(backups::task_ids(&p), [first]);
    drop(tmpfs);
}
