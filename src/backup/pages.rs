//! Page-level incremental backups. SQLite's online backup copies a database page for page, so
//! two copies of one database differ only in the pages that changed between them. After a
//! full copy Bosun keeps a hash of each of its pages (`.bosun/backups/.index`); a later backup
//! compares the new copy's pages against them and stores only the pages that differ (a
//! differential: each delta is against the full copy, so a restore needs two files, and a
//! damaged delta spoils no other).
//!
//! A delta, before compression: `BOSUNDL1`, the page size (u32), the page count (u64), the
//! hash of the full copy it applies to and of the image it makes (xxh3-128 each), the number of
//! pages in it (u64), then each page as its number (u64, from 1) and its bytes. Integers are
//! little-endian. A restore checks both hashes: a delta over the wrong base, or a delta that
//! missed a page, is refused rather than restored.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

use xxhash_rust::xxh3::{Xxh3, xxh3_64};

use super::BackupError;

const INDEX_MAGIC: &[u8; 8] = b"BOSUNIX1";
const DELTA_MAGIC: &[u8; 8] = b"BOSUNDL1";

fn io(what: &Path, e: impl std::fmt::Display) -> BackupError {
    BackupError::Io(format!("{}: {e}", what.display()))
}

fn corrupt(what: &str) -> BackupError {
    BackupError::Corrupt(what.to_string())
}

/// The hashes of a full copy's pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PageIndex {
    /// The full copy's stamp (see `catalog`).
    pub base: String,
    pub page_size: u32,
    pub image_hash: u128,
    pub pages: Vec<u64>,
}

/// An image read page by page: each page's hash and the whole image's.
pub(super) struct Scan {
    pub pages: Vec<u64>,
    pub image_hash: u128,
}

/// Hashes the database image at `path`, page by page.
pub(super) fn scan(path: &Path, page_size: u32) -> Result<Scan, BackupError> {
    let mut input = BufReader::with_capacity(1 << 20, File::open(path).map_err(|e| io(path, e))?);
    let mut page = vec![0u8; page_size as usize];
    let mut whole = Xxh3::new();
    let mut pages = Vec::new();
    loop {
        match input.read_exact(&mut page) {
            Ok(()) => {
                pages.push(xxh3_64(&page));
                whole.update(&page);
            }
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(io(path, e)),
        }
    }
    Ok(Scan {
        pages,
        image_hash: whole.digest128(),
    })
}

impl PageIndex {
    /// The index at `path`, if there is a readable one.
    pub fn read(path: &Path) -> Option<PageIndex> {
        let bytes = std::fs::read(path).ok()?;
        let mut r = bytes.as_slice();
        let mut magic = [0u8; 8];
        r.read_exact(&mut magic).ok()?;
        if &magic != INDEX_MAGIC {
            return None;
        }
        let page_size = read_u32(&mut r).ok()?;
        let image_hash = read_u128(&mut r).ok()?;
        let base_len = read_u32(&mut r).ok()? as usize;
        let base = String::from_utf8(r.get(..base_len)?.to_vec()).ok()?;
        r = &r[base_len..];
        let count = read_u64(&mut r).ok()?;
        if r.len() as u64 != count.checked_mul(8)? {
            return None;
        }
        let pages = r
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
            .collect();
        Some(PageIndex {
            base,
            page_size,
            image_hash,
            pages,
        })
    }

    /// Writes the index (through a temporary file and a rename; it can always be made again
    /// by the next full copy, so it is not fsynced).
    pub fn write(&self, path: &Path) -> Result<(), BackupError> {
        let mut out = Vec::with_capacity(64 + self.pages.len() * 8);
        out.extend_from_slice(INDEX_MAGIC);
        out.extend_from_slice(&self.page_size.to_le_bytes());
        out.extend_from_slice(&self.image_hash.to_le_bytes());
        out.extend_from_slice(&(self.base.len() as u32).to_le_bytes());
        out.extend_from_slice(self.base.as_bytes());
        out.extend_from_slice(&(self.pages.len() as u64).to_le_bytes());
        for hash in &self.pages {
            out.extend_from_slice(&hash.to_le_bytes());
        }
        let tmp = path.with_extension("tmp");
        crate::config::private::private_file()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .and_then(|mut f| f.write_all(&out))
            .map_err(|e| io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| io(path, e))
    }

    /// The page numbers (from 1) of `scan` that differ from this index.
    pub fn changed(&self, scan: &Scan) -> Vec<u64> {
        scan.pages
            .iter()
            .enumerate()
            .filter(|(i, hash)| self.pages.get(*i) != Some(hash))
            .map(|(i, _)| i as u64 + 1)
            .collect()
    }
}

/// Writes the delta of `image` (scanned as `scan`) over the full copy `index` describes.
pub(super) fn write_delta(
    image: &Path,
    index: &PageIndex,
    scan: &Scan,
    changed: &[u64],
    out: &mut dyn Write,
) -> Result<(), BackupError> {
    let file = File::open(image).map_err(|e| io(image, e))?;
    let page_size = u64::from(index.page_size);
    let mut head = Vec::with_capacity(64);
    head.extend_from_slice(DELTA_MAGIC);
    head.extend_from_slice(&index.page_size.to_le_bytes());
    head.extend_from_slice(&(scan.pages.len() as u64).to_le_bytes());
    head.extend_from_slice(&index.image_hash.to_le_bytes());
    head.extend_from_slice(&scan.image_hash.to_le_bytes());
    head.extend_from_slice(&(changed.len() as u64).to_le_bytes());
    let failed = |e: std::io::Error| BackupError::Io(format!("writing a delta: {e}"));
    out.write_all(&head).map_err(failed)?;
    let mut page = vec![0u8; page_size as usize];
    for &number in changed {
        file.read_exact_at(&mut page, (number - 1) * page_size)
            .map_err(|e| io(image, e))?;
        out.write_all(&number.to_le_bytes()).map_err(failed)?;
        out.write_all(&page).map_err(failed)?;
    }
    Ok(())
}

/// Copies `input` (a full copy's plain bytes) into `target`; returns the image's hash.
pub(super) fn write_image(input: &mut dyn Read, target: &Path) -> Result<u128, BackupError> {
    // Mode 0600: it becomes the project's database.
    let file = crate::config::private::private_file()
        .write(true)
        .create(true)
        .truncate(true)
        .open(target)
        .map_err(|e| io(target, e))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut whole = Xxh3::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = input.read(&mut buf).map_err(|e| {
            BackupError::Corrupt(format!(
                "cannot read the backup (damaged or cut short): {e}"
            ))
        })?;
        if n == 0 {
            break;
        }
        whole.update(&buf[..n]);
        out.write_all(&buf[..n]).map_err(|e| io(target, e))?;
    }
    let file = out.into_inner().map_err(|e| io(target, e.error()))?;
    file.sync_all().map_err(|e| io(target, e))?;
    Ok(whole.digest128())
}

/// Lays the delta read from `input` over the full copy at `target`, whose hash is
/// `base_hash`; checks the result is the image the delta was made from.
pub(super) fn apply_delta(
    input: &mut dyn Read,
    target: &Path,
    base_hash: u128,
) -> Result<(), BackupError> {
    let unreadable = |e: std::io::Error| {
        BackupError::Corrupt(format!("cannot read the delta (damaged or cut short): {e}"))
    };
    let mut magic = [0u8; 8];
    input.read_exact(&mut magic).map_err(unreadable)?;
    if &magic != DELTA_MAGIC {
        return Err(corrupt("not a Bosun delta backup"));
    }
    let page_size = read_u32(input).map_err(unreadable)?;
    let page_count = read_u64(input).map_err(unreadable)?;
    let wanted_base = read_u128(input).map_err(unreadable)?;
    let image_hash = read_u128(input).map_err(unreadable)?;
    let changed = read_u64(input).map_err(unreadable)?;
    if wanted_base != base_hash {
        return Err(corrupt(
            "the delta was made over another full copy than the one found under its base's name",
        ));
    }
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(target)
        .map_err(|e| io(target, e))?;
    let mut page = vec![0u8; page_size as usize];
    for _ in 0..changed {
        let number = read_u64(input).map_err(unreadable)?;
        input.read_exact(&mut page).map_err(unreadable)?;
        if number == 0 || number > page_count {
            return Err(corrupt("the delta names a page outside the database"));
        }
        file.write_all_at(&page, (number - 1) * u64::from(page_size))
            .map_err(|e| io(target, e))?;
    }
    file.set_len(page_count * u64::from(page_size))
        .and_then(|()| file.sync_all())
        .map_err(|e| io(target, e))?;
    let made = scan(target, page_size)?;
    if made.image_hash != image_hash {
        return Err(corrupt(
            "the database made from the delta is not the one it was taken from",
        ));
    }
    Ok(())
}

fn read_u32(r: &mut dyn Read) -> std::io::Result<u32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

fn read_u64(r: &mut dyn Read) -> std::io::Result<u64> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

fn read_u128(r: &mut dyn Read) -> std::io::Result<u128> {
    let mut b = [0u8; 16];
    r.read_exact(&mut b)?;
    Ok(u128::from_le_bytes(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delta_rebuilds_the_newer_image_and_refuses_another_base() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (old, new, target) = (
            dir.path().join("old"),
            dir.path().join("new"),
            dir.path().join("target"),
        );
        let old_bytes: Vec<u8> = (0..4096 * 4).map(|i| (i % 251) as u8).collect();
        let mut new_bytes = old_bytes.clone();
        new_bytes[4096 * 2 + 7] ^= 0xff;
        new_bytes.extend(std::iter::repeat_n(9u8, 4096));
        std::fs::write(&old, &old_bytes).expect("old");
        std::fs::write(&new, &new_bytes).expect("new");
        let base = scan(&old, 4096).expect("scan old");
        let index = PageIndex {
            base: "20260101T000000Z".into(),
            page_size: 4096,
            image_hash: base.image_hash,
            pages: base.pages,
        };
        let index_path = dir.path().join(".index");
        index.write(&index_path).expect("write index");
        assert_eq!(PageIndex::read(&index_path), Some(index.clone()));
        let later = scan(&new, 4096).expect("scan new");
        let changed = index.changed(&later);
        assert_eq!(changed, vec![3, 5]);
        let mut delta = Vec::new();
        write_delta(&new, &index, &later, &changed, &mut delta).expect("delta");

        let base_hash = write_image(&mut old_bytes.as_slice(), &target).expect("base");
        apply_delta(&mut delta.as_slice(), &target, base_hash).expect("applied");
        assert_eq!(std::fs::read(&target).expect("read"), new_bytes);

        let err = apply_delta(&mut delta.as_slice(), &target, base_hash ^ 1).expect_err("base");
        assert!(err.to_string().contains("another full copy"), "{err}");
    }
}
