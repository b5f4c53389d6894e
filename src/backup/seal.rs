//! A backup's bytes on disk: zstd-compressed, then age-encrypted when recipients are set, and
//! written so that a backup file either is whole or does not exist — a temporary file, fsynced,
//! renamed, and the directory fsynced.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::BackupError;

/// zstd's default level: ~4× on a Bosun database at a few hundred MB/s.
const LEVEL: i32 = 3;

/// The secret keys a restore decrypts with.
pub type Identities = Vec<Box<dyn age::Identity + Send + Sync>>;

fn io(what: &Path, e: impl std::fmt::Display) -> BackupError {
    BackupError::Io(format!("{}: {e}", what.display()))
}

/// Parses `age1…` recipients.
pub(super) fn recipients(keys: &[String]) -> Result<Vec<age::x25519::Recipient>, BackupError> {
    keys.iter()
        .map(|k| {
            k.parse()
                .map_err(|e| BackupError::BadInput(format!("`{k}` is not an age recipient: {e}")))
        })
        .collect()
}

/// Reads an age identity file (what `age-keygen` or `bosun backup --new-identity` writes).
pub fn load_identities(path: &Path) -> Result<Identities, BackupError> {
    let file = age::IdentityFile::from_file(path.display().to_string()).map_err(|e| {
        BackupError::BadInput(format!("{}: not an age identity file: {e}", path.display()))
    })?;
    file.into_identities().map_err(|e| {
        BackupError::BadInput(format!("{}: not an age identity file: {e}", path.display()))
    })
}

/// Writes a new identity to `path` (mode 0600, never over an existing file); returns its
/// recipient, the `age1…` string `backup.encrypt` takes.
pub fn new_identity(path: &Path) -> Result<String, BackupError> {
    use age::secrecy::ExposeSecret;
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public().to_string();
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| io(path, e))?;
    let text = format!(
        "# created by bosun: {}\n# public key: {recipient}\n{}\n",
        crate::time::now_rfc3339(),
        identity.to_string().expose_secret()
    );
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| io(path, e))?;
    Ok(recipient)
}

/// Writes `dir/name` whole or not at all: `fill` writes the plain bytes, which are compressed
/// (and encrypted to `recipients`, if any) into `.name.tmp`, fsynced and renamed; the
/// directory is fsynced after. On any failure the temporary file is removed and nothing else
/// in `dir` changes. Returns the file's size.
pub(super) fn write_whole(
    dir: &Path,
    name: &str,
    recipients: &[age::x25519::Recipient],
    fill: impl FnOnce(&mut dyn Write) -> Result<(), BackupError>,
) -> Result<u64, BackupError> {
    let tmp = dir.join(format!(".{name}.tmp"));
    let done = write_tmp(&tmp, recipients, fill).and_then(|()| {
        let target = dir.join(name);
        std::fs::rename(&tmp, &target).map_err(|e| io(&target, e))?;
        sync_dir(dir)?;
        std::fs::metadata(&target)
            .map(|m| m.len())
            .map_err(|e| io(&target, e))
    });
    if done.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    done
}

fn write_tmp(
    tmp: &Path,
    recipients: &[age::x25519::Recipient],
    fill: impl FnOnce(&mut dyn Write) -> Result<(), BackupError>,
) -> Result<(), BackupError> {
    let file = crate::config::private::private_file()
        .write(true)
        .create(true)
        .truncate(true)
        .open(tmp)
        .map_err(|e| io(tmp, e))?;
    let out = BufWriter::with_capacity(1 << 20, file);
    let out = if recipients.is_empty() {
        compress(out, fill)?
    } else {
        let encryptor =
            age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
                .map_err(|e| BackupError::Io(format!("cannot encrypt: {e}")))?;
        let sealed = encryptor.wrap_output(out).map_err(|e| io(tmp, e))?;
        compress(sealed, fill)?.finish().map_err(|e| io(tmp, e))?
    };
    let file = out.into_inner().map_err(|e| io(tmp, e.error()))?;
    file.sync_all().map_err(|e| io(tmp, e))
}

fn compress<W: Write>(
    out: W,
    fill: impl FnOnce(&mut dyn Write) -> Result<(), BackupError>,
) -> Result<W, BackupError> {
    let mut encoder = zstd::stream::write::Encoder::new(out, LEVEL)
        .map_err(|e| BackupError::Io(format!("zstd: {e}")))?;
    encoder
        .include_checksum(true)
        .map_err(|e| BackupError::Io(format!("zstd: {e}")))?;
    fill(&mut encoder)?;
    encoder
        .finish()
        .map_err(|e| BackupError::Io(format!("zstd: {e}")))
}

/// Fsyncs a directory, so that a rename in it survives a power cut.
pub(super) fn sync_dir(dir: &Path) -> Result<(), BackupError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io(dir, e))
}

/// Opens a backup file for reading its plain bytes: decrypted with `identities` when it is
/// encrypted (none given: [`BackupError::NeedsIdentity`]), then decompressed.
pub(super) fn open(
    path: &Path,
    encrypted: bool,
    identities: &Identities,
) -> Result<Box<dyn Read>, BackupError> {
    let file = File::open(path).map_err(|e| io(path, e))?;
    let input = BufReader::with_capacity(1 << 20, file);
    let plain: Box<dyn Read> = if encrypted {
        if identities.is_empty() {
            return Err(BackupError::NeedsIdentity(path.display().to_string()));
        }
        let decryptor = age::Decryptor::new_buffered(input).map_err(|e| io(path, e))?;
        let reader = decryptor
            .decrypt(identities.iter().map(|i| i.as_ref() as &dyn age::Identity))
            .map_err(|e| BackupError::WrongIdentity(format!("{}: {e}", path.display())))?;
        Box::new(reader)
    } else {
        Box::new(input)
    };
    let decoder = zstd::stream::read::Decoder::new(plain).map_err(|e| io(path, e))?;
    Ok(Box::new(decoder))
}
