//! The audit log, `.bosun/audit.jsonl`: one JSON record per line for every decision and every
//! command run, each carrying the hash of the record before it, so an edit or a deletion
//! anywhere breaks the chain and `bosun audit verify` names the line.
//!
//! A record is one line, keys in this order:
//!
//! ```text
//! {"seq":1,"at":"2026-11-24T05:20:00.123Z","kind":"decision",…,"prev":"000…0","hash":"9f2c…"}
//! ```
//!
//! - `seq` counts from 1 with no gaps; `at` is RFC 3339 UTC (the caller's, or the time it was
//!   queued or appended); `kind` and the payload are the caller's.
//! - `hash` is the lowercase hex SHA-256 of the record's content without `hash` (compact JSON,
//!   keys sorted at every depth), and `prev` is the `hash` of the record before, or 64 zeros for
//!   the first. The hash covers content, not layout: re-spacing a line is not a change. Other
//!   tools can recompute it: for strings and whole numbers, Python's `json.dumps(r,
//!   sort_keys=True, separators=(",", ":"), ensure_ascii=False)` without `hash` gives the bytes.
//!
//! Invariants: only [`AuditLog::append`] writes the file, under an exclusive `flock`, so the
//! chain stays whole with several processes appending; every append is `fsync`ed before it
//! returns. [`verify`] reads under a shared `flock`, so it never sees half an append. A torn
//! line from a crash stays in place and `verify` names it; later appends chain from the last
//! readable record, so the log keeps recording.
//!
//! What the chain does not prove: someone who rewrites every record from the edit onwards, or
//! removes records only from the end, leaves a chain that verifies. Detecting that needs the last
//! hash kept somewhere else as well.
//!
//! Parts: `record` (sealing, hashing, one line), `append` ([`AuditLog`]), `verify`, `actor`
//! ([`AuditHandle`], the engine's non-blocking way in), `select` (one task's records, for
//! `bosun export`).

mod actor;
mod append;
mod record;
mod select;
mod verify;

use std::path::PathBuf;

pub use actor::AuditHandle;
pub use append::AuditLog;
pub use select::records_of_task;
pub use verify::{Problem, VerifyReport, verify};

/// An audit log that cannot be read or written.
///
/// There is no "corrupt" error: damage found while appending does not stop the log (see above),
/// and [`verify`] reports damage line by line in its [`VerifyReport`] instead of failing.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("audit log {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
