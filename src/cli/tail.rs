//! `bosun tail`: the project's live event stream, like `tail -f` of the event log. It prints the
//! last few stored events, then every new one as it is committed — through Redis within a
//! millisecond or two, or by watching SQLite (within a second) when Redis is off or down.
//! `--json` prints one `EventEnvelope` object per line.

use std::io::Write;

use tokio_util::sync::CancellationToken;

use super::tasks::open_store;
use super::{CliError, CliResult, Project};
use crate::mirror::{FeedItem, FeedStore, Mirror, follow};
use crate::protocol::{EventEnvelope, LogLevel};
use crate::store::summary;

pub async fn tail(project: &Project, json: bool, lines: i64) -> CliResult {
    let store = open_store(project).await?;
    let mirror = Mirror::new(
        project.settings.cache.redis_url.as_deref(),
        &project.paths.root,
        project.settings.cache.timeout,
    )
    .map_err(CliError::bad_input)?;
    let last = summary::last_seq(&store.reader).await?;
    let from = (last - lines.max(0)).max(0);
    let feed_store = FeedStore {
        pool: store.reader.clone(),
        database: project.paths.database(),
    };
    let stop = CancellationToken::new();
    let mut feed = follow(feed_store, mirror, from, stop.clone());
    let mut out = std::io::stdout().lock();
    let result = loop {
        tokio::select! {
            item = feed.recv() => match item {
                Some(FeedItem::Event(event)) => {
                    if print(&mut out, &event, json).is_err() {
                        // The reader went away (`bosun tail | head`): that is the end.
                        break Ok(());
                    }
                }
                // On stderr, so `--json` output stays one object per line.
                Some(FeedItem::Source { live, detail }) => source_note(live, &detail),
                None => break Err(CliError::failed("the event feed stopped; see the log")),
            },
            _ = tokio::signal::ctrl_c() => break Ok(()),
        }
    };
    stop.cancel();
    store.close().await;
    result
}

fn print(out: &mut impl Write, event: &EventEnvelope, json: bool) -> std::io::Result<()> {
    if json {
        let line = serde_json::to_string(event).map_err(std::io::Error::other)?;
        writeln!(out, "{line}")?;
    } else {
        let (level, text) = event.event.describe();
        let time = event.at.get(11..19).unwrap_or(&event.at);
        let mark = match level {
            LogLevel::Error => "!!",
            LogLevel::Warn => " !",
            _ => "  ",
        };
        writeln!(
            out,
            "{time} {mark} #{:<6} {}  {text}",
            event.seq,
            event.event.task_id()
        )?;
    }
    out.flush()
}

/// Says on stderr how events arrive, each time that changes.
fn source_note(live: bool, detail: &str) {
    if live {
        eprintln!("bosun: following live through Redis");
    } else if detail == "redis is off" {
        eprintln!("bosun: following the store (Redis is off); new events show within a second");
    } else {
        eprintln!("bosun: Redis is unavailable ({detail}); following the store within a second");
    }
}
