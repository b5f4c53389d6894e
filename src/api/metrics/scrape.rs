//! The metrics read from the store at each scrape: the running totals `bosun stats` reads
//! (tasks by status, decisions by who made them, agents' spending), the inbox and its oldest
//! question, the stores' health and whether the disk is full. Each read is a few rows by an index, whatever the
//! history. Encoded as a prometheus-client [`Collector`] of constant values, since nothing of
//! it is kept between scrapes.
//!
//! Totals the store keeps are counters (`_total`): they only grow, except when a finished task
//! is run again (it leaves its old status), which Prometheus reads as a counter reset.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric, MetricEncoder};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Unit;

use crate::api::ApiState;
use crate::protocol::{StatsView, StoreHealth, TaskStatus};
use crate::store::escalations::read::oldest_open;

/// One scrape's reading.
#[derive(Debug, Default)]
pub struct Scraped {
    /// What the store says; `None` when it could not be read.
    pub(super) stats: Option<StatsView>,
    /// Seconds since the oldest open question was asked; `None` when the inbox is empty.
    pub(super) oldest_open_age: Option<f64>,
    pub(super) store_up: bool,
    /// `None` when Redis is off (or not checked yet).
    pub(super) redis_up: Option<bool>,
    /// The disk holding the database is full: the engine's writes wait for space.
    pub(super) disk_full: bool,
}

impl Scraped {
    /// Reads the store and the engine's view of its health.
    pub async fn read(state: &ApiState) -> Scraped {
        // Three reads on the read pool, side by side.
        let (health, stats, oldest) = tokio::join!(
            state.handle.health(),
            state.handle.stats(),
            oldest_open(&state.store.reader)
        );
        let (stats, oldest) = match stats.and_then(|stats| Ok((stats, oldest?))) {
            Ok((stats, oldest)) => (Some(stats), oldest),
            Err(e) => {
                tracing::warn!(error = %e, "/metrics cannot read the store");
                (None, None)
            }
        };
        let now = time::OffsetDateTime::now_utc();
        Scraped {
            oldest_open_age: oldest
                .as_deref()
                .and_then(crate::time::parse_rfc3339)
                .map(|at| (now - at).as_seconds_f64().max(0.0)),
            store_up: health.sqlite == StoreHealth::Ok && stats.is_some(),
            redis_up: match health.redis {
                StoreHealth::Ok => Some(true),
                StoreHealth::Down(_) => Some(false),
                StoreHealth::Off | StoreHealth::Unknown => None,
            },
            disk_full: health.disk_full.is_some(),
            stats,
        }
    }
}

/// A total the store keeps, as a counter's value (never below zero).
fn total(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Starts a metric family and hands its encoder to `samples`.
fn family(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    unit: Option<&Unit>,
    kind: MetricType,
    samples: impl FnOnce(MetricEncoder) -> Result<(), std::fmt::Error>,
) -> Result<(), std::fmt::Error> {
    samples(encoder.encode_descriptor(name, help, unit, kind)?)
}

/// One sample with labels.
fn labelled(
    metric: &mut MetricEncoder,
    labels: &impl EncodeLabelSet,
    value: &impl EncodeMetric,
) -> Result<(), std::fmt::Error> {
    value.encode(metric.encode_family(labels)?)
}

fn up(v: bool) -> ConstGauge {
    ConstGauge::new(i64::from(v))
}

impl Collector for Scraped {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let e = &mut encoder;
        family(
            e,
            "store_up",
            "1 when SQLite, the store of record, answers; 0 when it does not.",
            None,
            MetricType::Gauge,
            |m| up(self.store_up).encode(m),
        )?;
        family(
            e,
            "disk_full",
            "1 while the disk holding the database is full: no new task starts and running \
             ones wait to save; 0 otherwise.",
            None,
            MetricType::Gauge,
            |m| up(self.disk_full).encode(m),
        )?;
        if let Some(redis) = self.redis_up {
            family(
                e,
                "redis_up",
                "1 when Redis, the live mirror, answers; 0 when it does not (absent when Redis \
                 is off).",
                None,
                MetricType::Gauge,
                |m| up(redis).encode(m),
            )?;
        }
        let Some(stats) = &self.stats else {
            return Ok(());
        };
        let tasks = |status: TaskStatus| stats.tasks.get(status.as_str()).copied().unwrap_or(0);
        family(
            e,
            "tasks_open",
            "Tasks not finished, by status: queued (the queue's depth), running, waiting on a \
             question.",
            None,
            MetricType::Gauge,
            |mut m| {
                for status in [TaskStatus::Queued, TaskStatus::Running, TaskStatus::Waiting] {
                    let n = ConstGauge::new(tasks(status));
                    labelled(&mut m, &[("status", status.as_str())], &n)?;
                }
                Ok(())
            },
        )?;
        family(
            e,
            "tasks_finished",
            "Tasks finished, by how: succeeded, failed, cancelled (the store's tally).",
            None,
            MetricType::Counter,
            |mut m| {
                for status in [
                    TaskStatus::Succeeded,
                    TaskStatus::Failed,
                    TaskStatus::Cancelled,
                ] {
                    let n = ConstCounter::new(total(tasks(status)));
                    labelled(&mut m, &[("status", status.as_str())], &n)?;
                }
                Ok(())
            },
        )?;
        let all = &stats.all_time;
        family(
            e,
            "decisions",
            "Decisions recorded, by who made them (policy, rule:ID, remembered:SCOPE, user, \
             timeout) and class: a choice a person would otherwise have made, or a routine \
             check (a command the policy's default allowed).",
            None,
            MetricType::Counter,
            |mut m| {
                for (who, n) in &all.by {
                    let choices = all.choices_by.get(who).copied().unwrap_or(0);
                    for (class, n) in [("choice", choices), ("routine", n - choices)] {
                        let n = ConstCounter::new(total(n));
                        labelled(
                            &mut m,
                            &[("decided_by", who.as_str()), ("class", class)],
                            &n,
                        )?;
                    }
                }
                Ok(())
            },
        )?;
        family(
            e,
            "autonomy_rate",
            "Of the choices (routine checks aside), the share Bosun settled without asking: \
             today (the UTC day) and all time; absent before the first choice.",
            None,
            MetricType::Gauge,
            |mut m| {
                for (window, rate) in [
                    ("today", stats.today.autonomy_rate),
                    ("all_time", all.autonomy_rate),
                ] {
                    if let Some(rate) = rate {
                        labelled(&mut m, &[("window", window)], &ConstGauge::new(rate))?;
                    }
                }
                Ok(())
            },
        )?;
        family(
            e,
            "inbox_open",
            "Questions waiting in the inbox.",
            None,
            MetricType::Gauge,
            |m| ConstGauge::new(stats.open_escalations).encode(m),
        )?;
        family(
            e,
            "inbox_oldest_age",
            "How long the oldest open question has waited (0 when the inbox is empty).",
            Some(&Unit::Seconds),
            MetricType::Gauge,
            |m| {
                let age = ConstGauge::new(self.oldest_open_age.unwrap_or(0.0));
                age.encode(m)
            },
        )?;
        let agents = &stats.agents.all_time;
        family(
            e,
            "agent_cost",
            "What agent steps spent, in US dollars, as their agents reported it.",
            Some(&Unit::Other("usd".into())),
            MetricType::Counter,
            |m| ConstCounter::new(agents.cost_usd.max(0.0)).encode(m),
        )?;
        family(
            e,
            "agent_tokens",
            "Tokens agent steps used, by direction: input, output.",
            None,
            MetricType::Counter,
            |mut m| {
                for (direction, n) in [
                    ("input", agents.input_tokens),
                    ("output", agents.output_tokens),
                ] {
                    let n = ConstCounter::new(total(n));
                    labelled(&mut m, &[("direction", direction)], &n)?;
                }
                Ok(())
            },
        )?;
        family(
            e,
            "agent_steps",
            "Agent steps that reported what they spent.",
            None,
            MetricType::Counter,
            |m| ConstCounter::new(total(agents.steps)).encode(m),
        )
    }
}
