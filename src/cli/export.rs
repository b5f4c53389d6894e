//! `bosun export TASK [--out FILE]`: everything about one task as one JSON document
//! ([`crate::store::export`]), for a bug report or a review.
//!
//! The file is written whole or not at all: to a temporary file beside the target (mode 0600
//! from its creation, since the document holds output and transcripts that often hold
//! secrets), synced, then renamed over the target. `--out -` writes to stdout instead.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::tasks::{open_store, resolve};
use super::{CliError, CliResult, Project};
use crate::store::export::gather;

pub async fn export(project: &Project, task: &str, out: Option<PathBuf>) -> CliResult {
    let store = open_store(project).await?;
    let found = match resolve(&store, task).await {
        Ok(id) => gather(&store.reader, &project.paths, &id).await,
        Err(e) => {
            store.close().await;
            return Err(e);
        }
    };
    store.close().await;
    let document = found?.ok_or_else(|| CliError::bad_input(format!("no task `{task}`")))?;
    let mut text = serde_json::to_vec_pretty(&document).map_err(CliError::failed)?;
    text.push(b'\n');
    match out {
        Some(path) if path.as_os_str() == "-" => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(&text)
                .and_then(|()| stdout.flush())
                .map_err(|e| CliError::failed(format!("cannot write to stdout: {e}")))
        }
        out => {
            let target = out
                .unwrap_or_else(|| PathBuf::from(format!("bosun-task-{}.json", document.task.id)));
            write_whole(&target, &text)?;
            // The path alone on stdout, for scripts.
            println!("{}", target.display());
            Ok(())
        }
    }
}

/// A temporary file beside the target, removed unless it was renamed into place.
struct Temporary {
    path: PathBuf,
    kept: bool,
}

impl Drop for Temporary {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Writes `bytes` to `target` atomically, mode 0600.
fn write_whole(target: &Path, bytes: &[u8]) -> CliResult {
    let name = target.file_name().ok_or_else(|| {
        CliError::bad_input(format!("--out {}: not a file name", target.display()))
    })?;
    if target.is_dir() {
        return Err(CliError::bad_input(format!(
            "--out {}: is a directory; name a file",
            target.display()
        )));
    }
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(CliError::bad_input(format!(
            "--out {}: there is no directory {}",
            target.display(),
            dir.display()
        )));
    }
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let mut tmp = Temporary {
        path: dir.join(tmp_name),
        kept: false,
    };
    let failed = |what: &str, path: &Path, e: std::io::Error| {
        CliError::failed(format!("cannot {what} {}: {e}", path.display()))
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp.path)
        .map_err(|e| failed("create", &tmp.path, e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| failed("write", &tmp.path, e))?;
    drop(file);
    std::fs::rename(&tmp.path, target).map_err(|e| failed("write", target, e))?;
    tmp.kept = true;
    // The new name must survive a crash as well as the contents.
    let _ = File::open(&dir).and_then(|d| d.sync_all());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_file_replaces_the_target_whole_with_mode_0600() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("out.json");
        std::fs::write(&target, "old").expect("write");
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        write_whole(&target, b"{}\n").expect("written");
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "{}\n");
        let mode = std::fs::metadata(&target)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["out.json"], "no temporary file is left");
    }

    #[test]
    fn a_missing_directory_is_bad_input_naming_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("no/such/out.json");
        let err = write_whole(&target, b"{}").expect_err("refused");
        assert_eq!(err.code, 2);
        assert!(err.message.contains("no/such"), "{}", err.message);
    }
}
