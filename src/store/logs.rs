//! The `logs` table read back for front ends: the lines the engine logged about tasks (an
//! agent's text and tool calls, retries, questions asked), each as a Logs-pane line whose
//! source is the step it is about. Both reads go by the table's key, newest lines only.

use sqlx::SqlitePool;

use super::StoreError;
use crate::protocol::{LogLevel, LogLine, TaskId};

type Row = (i64, String, String, Option<String>, Option<String>, String);

const COLUMNS: &str = "seq, at, level, task_id, step_id, message";

fn line((_, at, level, task, step, message): Row) -> LogLine {
    let level = match level.as_str() {
        "error" => LogLevel::Error,
        "warn" => LogLevel::Warn,
        "debug" => LogLevel::Debug,
        "trace" => LogLevel::Trace,
        _ => LogLevel::Info,
    };
    LogLine {
        at,
        level,
        task_id: task.map(TaskId),
        source: step.unwrap_or_else(|| "engine".into()),
        text: message,
    }
}

/// Up to `limit` lines after line `after`, oldest first, and the number of the last one read
/// (`after` when there is none). Past `limit` new lines, the newest `limit` are kept.
pub async fn since(
    pool: &SqlitePool,
    after: i64,
    limit: i64,
) -> Result<(Vec<LogLine>, i64), StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM (SELECT {COLUMNS} FROM logs WHERE seq > ? ORDER BY seq DESC LIMIT ?) \
         ORDER BY seq"
    );
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await?;
    let last = rows.last().map_or(after, |r| r.0);
    Ok((rows.into_iter().map(line).collect(), last))
}

/// The newest `limit` lines, oldest first, and the number of the newest line in the table.
pub async fn tail(pool: &SqlitePool, limit: i64) -> Result<(Vec<LogLine>, i64), StoreError> {
    since(pool, 0, limit).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_line_is_named_by_its_step() {
        let row = (
            7,
            "2026-11-24T10:00:00.000Z".to_string(),
            "warn".to_string(),
            Some("t-1".to_string()),
            Some("fix".to_string()),
            "agent API overloaded (529): retry 1/2 in 1s".to_string(),
        );
        let shown = line(row);
        assert_eq!(shown.level, LogLevel::Warn);
        assert_eq!(shown.source, "fix");
        assert_eq!(shown.task_id, Some(TaskId("t-1".into())));
    }
}
