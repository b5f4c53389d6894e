//! Bosun's own files are private: step output, logs, agent transcripts, the database and its
//! backups hold secrets, so their directories are mode 0700 and their files 0600, whatever the
//! umask.
//!
//! Two halves. Files and directories Bosun makes are born private ([`private_file`] and
//! [`create_private_dir`] create them so, then set the mode explicitly, since a umask only ever
//! removes bits and an odd one such as 0277 would leave a file its owner cannot write).
//! What already exists is tightened at start ([`tighten_tree`]): a project made by an older
//! Bosun, or files a tool such as an agent wrote into the state directory with its own modes.
//!
//! Tightening only removes the group's and others' bits: the owner's own bits are the owner's
//! business (a file of theirs that is read-only stays so). The walk never follows a symbolic
//! link, nor changes one: a link in the state directory points at a file of the user's (an
//! agent's credentials linked into its home), which is not Bosun's to change. The process umask
//! is never set, so the steps Bosun starts keep the user's.

use std::fs::{DirBuilder, File, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// A directory of Bosun's own.
pub const DIR_MODE: u32 = 0o700;
/// A file of Bosun's own.
pub const FILE_MODE: u32 = 0o600;
/// The group's and others' bits, which a private file or directory never has.
const SHARED_BITS: u32 = 0o077;

/// Options that create a file with mode 0600; the caller adds how it opens (append, create,
/// truncate). Follow the open with [`make_private`] when the file may have been created, for
/// a umask that took the owner's bits too.
pub fn private_file() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.mode(FILE_MODE);
    options
}

/// Sets an open file of Bosun's to exactly 0600 unless it already is (one `fstat` then).
pub fn make_private(file: &File) -> io::Result<()> {
    if file.metadata()?.permissions().mode() & 0o777 != FILE_MODE {
        file.set_permissions(Permissions::from_mode(FILE_MODE))?;
    }
    Ok(())
}

/// Writes `contents` to `path` as a private file, replacing what it held.
pub fn write_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut file = private_file()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)?;
    make_private(&file)?;
    io::Write::write_all(&mut file, contents)
}

/// Creates `dir` and its missing parents with mode 0700, and makes `dir` itself 0700 if it
/// already was there. Parents that exist are left as they are. A `dir` that is a link to a
/// directory counts as that directory: the user put Bosun's files there.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)?;
    let mode = std::fs::metadata(dir)?.permissions().mode();
    if mode & 0o777 != DIR_MODE {
        std::fs::set_permissions(dir, Permissions::from_mode(DIR_MODE))?;
    }
    Ok(())
}

/// What a [`tighten_tree`] changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tightened {
    pub dirs: usize,
    pub files: usize,
}

impl Tightened {
    pub fn is_empty(&self) -> bool {
        self.dirs == 0 && self.files == 0
    }

    pub fn add(&mut self, other: Tightened) {
        self.dirs += other.dirs;
        self.files += other.files;
    }
}

/// Removes the group's and others' bits from `root` (a directory, or a link to one) and from
/// every directory and file below it, without following links below it. A missing `root` is
/// nothing to do; an entry that vanishes during the walk is skipped. An error names the path.
pub fn tighten_tree(root: &Path) -> io::Result<Tightened> {
    let meta = match std::fs::metadata(root) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Tightened::default()),
        Err(e) => return Err(named(root, e)),
    };
    if !meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            format!("{} is not a directory", root.display()),
        ));
    }
    let mut done = Tightened::default();
    if tighten(root, meta.permissions().mode())? {
        done.dirs += 1;
    }
    done.add(tighten_below(root)?);
    Ok(done)
}

fn tighten_below(dir: &Path) -> io::Result<Tightened> {
    let mut done = Tightened::default();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(done),
        Err(e) => return Err(named(dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| named(dir, e))?;
        let path = entry.path();
        // `symlink_metadata`, not `metadata`: a link is looked at, never through.
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(named(&path, e)),
        };
        let kind = meta.file_type();
        if kind.is_dir() {
            if tighten(&path, meta.permissions().mode())? {
                done.dirs += 1;
            }
            done.add(tighten_below(&path)?);
        } else if kind.is_file() && tighten(&path, meta.permissions().mode())? {
            done.files += 1;
        }
    }
    Ok(done)
}

/// Tightens one regular file of Bosun's that is not in a tree of its own (the audit log).
pub fn tighten_file(path: &Path) -> io::Result<bool> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_file() => tighten(path, meta.permissions().mode()),
        Ok(_) => Ok(false),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(named(path, e)),
    }
}

/// Removes the shared bits from `path`, whose mode is `mode`; true if it changed anything.
fn tighten(path: &Path, mode: u32) -> io::Result<bool> {
    if mode & SHARED_BITS == 0 {
        return Ok(false);
    }
    match std::fs::set_permissions(path, Permissions::from_mode(mode & !SHARED_BITS & 0o7777)) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(named(path, e)),
    }
}

fn named(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(
        e.kind(),
        format!("cannot make {} private: {e}", path.display()),
    )
}

#[cfg(test)]
#[path = "private_tests.rs"]
mod tests;
