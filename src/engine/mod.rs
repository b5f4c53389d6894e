//! The engine: tokio actors that run tasks durably. It never names a terminal library.
//!
//! - [`handle`]: [`Engine`] (start, shutdown) and the cloneable [`EngineHandle`]; `attach`: a
//!   handle on the engine of another process, for a second interface.
//! - `scheduler`: the actor owning the queue and the running set.
//! - [`runner`]: one task's workflow, step by step, every change committed first.
//! - [`recovery`]: what a starting engine does about a predecessor that died.
//! - [`submit`], [`cancel`], [`answer`]: the same validation, cancellation and answering for
//!   every front end; `queries`: what a front end reads through its handle.
//! - The definitions it runs are in [`crate::definitions`]; who decides is [`crate::policy`].
//! - [`process`]: process groups, bounded output, timeouts. [`lock`]: one engine per project.
//! - [`wake`]: the datagram other processes send so the engine looks at the store at once.
//! - [`disk`]: whether the disk is full, as front ends are told; the writer's waiting is in
//!   [`crate::store`].
//! - [`reload`]: config and policy reloaded while the engine runs.
//! - [`retention`]: the history of tasks finished long ago pruned, at start and hourly.
//! - [`triggers`]: workflows started by file changes (the watcher's matches), and reloading
//!   definitions as they change.
//! - `transcript`: an agent step's transcript read back for its output view.
//! - `publish`: events and cache writes to Redis (see [`crate::mirror`]), beside the scheduler.

pub mod answer;
mod attach;
pub mod cancel;
pub mod disk;
pub mod dismiss;
pub mod handle;
pub mod landing;
pub mod lock;
pub mod process;
mod publish;
mod queries;
pub mod queue;
pub mod recovery;
pub mod reload;
pub mod retention;
pub mod runner;
mod scheduler;
pub mod submit;
mod transcript;
pub mod triggers;
pub mod wake;

pub use attach::Attachment;
pub use disk::disk_full_refusal;
pub use handle::{Engine, EngineHandle};
pub use publish::SNAPSHOT_RECENT;
pub use queries::{cached_snapshot, cached_task};
