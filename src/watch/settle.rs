//! Raw watcher events, settled into groups: the notify watcher's callback stamps each event
//! with the time it arrived, and [`next_group`] gathers what arrives until the tree has been
//! quiet for [`SETTLE`] (or for at most [`LONGEST`], so a tree that never rests still reports).
//!
//! Bosun settles events itself rather than through `notify-debouncer-full`: that debouncer
//! keeps its watched roots in a list it searches at every `watch` (and at every event), so
//! watching a tree of one watch per directory cost time quadratic in the directories — a
//! measured 6 CPU-seconds for 10,000 directories at each start. Here a watch is a hash-map
//! insert in the kernel watcher, and an event costs its own handling.

use std::time::{Duration, Instant};

use notify::event::{EventKind, ModifyKind, RenameMode};
use tokio::sync::mpsc;

/// How long the tree must be quiet before a group is passed on.
pub const SETTLE: Duration = Duration::from_millis(50);

/// The longest a group gathers while events keep coming.
pub const LONGEST: Duration = Duration::from_millis(500);

/// One raw event (or watcher error) and when it arrived.
pub type Raw = (notify::Result<notify::Event>, Instant);

/// The events of one settled group and the errors met, in arrival order; `None` once the
/// watcher is gone.
pub async fn next_group(
    raw: &mut mpsc::UnboundedReceiver<Raw>,
) -> Option<(Vec<(notify::Event, Instant)>, Vec<notify::Error>)> {
    let first = raw.recv().await?;
    let until = tokio::time::Instant::now() + LONGEST;
    let mut events = Vec::new();
    let mut errors = Vec::new();
    let mut take = |(result, at): Raw| match result {
        // inotify reports a rename as `From`, then `To`, then `Both` with the two paths: the
        // first two say all of it.
        Ok(event)
            if matches!(
                event.kind,
                EventKind::Modify(ModifyKind::Name(RenameMode::Both))
            ) => {}
        Ok(event) => events.push((event, at)),
        Err(e) => errors.push(e),
    };
    take(first);
    loop {
        let quiet = tokio::time::Instant::now() + SETTLE;
        match tokio::time::timeout_at(quiet.min(until), raw.recv()).await {
            Ok(Some(next)) => take(next),
            // Closed or settled: what was gathered goes out (the next call sees the closing).
            Ok(None) | Err(_) => break,
        }
    }
    Some((events, errors))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn event(kind: EventKind, path: &str) -> Raw {
        let event = notify::Event::new(kind).add_path(PathBuf::from(path));
        (Ok(event), Instant::now())
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_is_one_group_and_a_quiet_gap_starts_another() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let create = EventKind::Create(notify::event::CreateKind::File);
        let both = EventKind::Modify(ModifyKind::Name(RenameMode::Both));
        tx.send(event(create, "/p/a")).expect("send");
        tx.send(event(both, "/p/a")).expect("send");
        tx.send(event(create, "/p/b")).expect("send");
        let (events, errors) = next_group(&mut rx).await.expect("a group");
        assert_eq!(events.len(), 2, "the rename's `Both` is left out");
        assert!(errors.is_empty());
        tx.send(event(create, "/p/c")).expect("send");
        drop(tx);
        let (events, _) = next_group(&mut rx).await.expect("a second group");
        assert_eq!(events.len(), 1);
        assert!(next_group(&mut rx).await.is_none(), "the watcher is gone");
    }
}
