//! The status bar: running/limit, queued, waiting, the autonomy rate (over the choices a person
//! would otherwise have made, routine checks left out: `of N choices` on a wide screen), what
//! agent steps spent today (the UTC day, as the rate's today; shown once the project has run an
//! agent step, or when today's spending is not zero), SQLite and Redis health, `disk full` (only
//! while it is), the count of invalid definitions (only when there are some) and the clock on
//! the left; the last action's
//! outcome or the help key on the right.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::RenderCtx;
use crate::protocol::{AgentStatsView, StoreHealth};
use crate::tui::fmt::{fit, usd};
use crate::tui::theme::Role;

/// A line for the right side: an outcome (ok or error) or a hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Ok(String),
    Error(String),
}

/// What agent steps spent today, `$0.42 today` (`$0.42` when short); `None` in a project that
/// never ran one and spent nothing today.
pub fn cost_today(agents: &AgentStatsView, short: bool) -> Option<String> {
    if agents.today.cost_usd <= 0.0 && agents.all_time.steps == 0 {
        return None;
    }
    let spent = usd(agents.today.cost_usd);
    Some(if short {
        spent
    } else {
        format!("{spent} today")
    })
}

pub fn render(frame: &mut Frame, area: Rect, ctx: &RenderCtx, notice: Option<&Notice>, help: &str) {
    let theme = ctx.theme;
    let bar = theme.style(Role::StatusBar);
    let counts = ctx.model.counts();
    // Today's rate once a choice was made today, else the rate over all time.
    let choices = ctx.model.stats.as_ref().map(|s| {
        if s.today.choices > 0 {
            &s.today
        } else {
            &s.all_time
        }
    });
    let health = |name: &str, h: &StoreHealth| -> Span<'static> {
        let (text, role) = match h {
            StoreHealth::Ok => (format!("{name}: ok"), Role::HealthOk),
            StoreHealth::Off => (format!("{name}: off"), Role::HealthOff),
            StoreHealth::Down(_) => (format!("{name}: down"), Role::HealthBad),
            StoreHealth::Unknown => (format!("{name}: …"), Role::HealthOff),
        };
        Span::styled(text, bar.patch(theme.style(role)))
    };
    let local = ctx.now.to_offset(ctx.offset);
    let width = usize::from(area.width);
    // Below 100 columns the labels shrink so that the clock still fits at 80.
    let short = width < 100;
    let label = |long: &'static str, brief: &'static str| if short { brief } else { long };
    let sep = || Span::styled(if short { " " } else { " · " }, bar);
    // Where there is room, it says what the rate is over; routine checks are not in it.
    let rate = choices.and_then(|c| c.autonomy_rate.map(|r| (format!("{:.0}%", r * 100.0), c)));
    let autonomy = match rate {
        Some((rate, c)) if width >= 140 => match c.choices {
            1 => format!("autonomy {rate} of 1 choice"),
            n => format!("autonomy {rate} of {n} choices"),
        },
        Some((rate, _)) => format!("{} {rate}", label("autonomy", "auto")),
        None => format!("{} –", label("autonomy", "auto")),
    };
    // With its engine gone, nothing runs: "running 1/10" would be a claim nobody keeps.
    let running = match &ctx.model.health.engine_gone {
        Some(_) => Span::styled(
            format!(" {}", label("engine stopped", "no engine")),
            bar.patch(theme.style(Role::HealthBad)),
        ),
        None => Span::styled(
            format!(
                " {} {}/{}",
                label("running", "run"),
                counts.running,
                ctx.model.limit
            ),
            bar.patch(theme.style(Role::TaskRunning)),
        ),
    };
    let mut spans = vec![
        running,
        sep(),
        Span::styled(
            format!("{} {}", label("queued", "queue"), counts.queued),
            bar,
        ),
        sep(),
    ];
    let waiting_role = if counts.waiting > 0 {
        Role::TaskWaiting
    } else {
        Role::StatusBar
    };
    spans.push(Span::styled(
        format!("{} {}", label("waiting", "wait"), counts.waiting),
        bar.patch(theme.style(waiting_role)),
    ));
    spans.extend([sep(), Span::styled(autonomy, bar)]);
    if let Some(cost) = ctx
        .model
        .stats
        .as_ref()
        .and_then(|s| cost_today(&s.agents, short))
    {
        spans.extend([sep(), Span::styled(cost, bar)]);
    }
    spans.extend([
        sep(),
        health(label("sqlite", "db"), &ctx.model.health.sqlite),
        sep(),
        health("redis", &ctx.model.health.redis),
        sep(),
    ]);
    // Only while the disk is full: no task starts, running ones wait to save.
    if ctx.model.health.disk_full.is_some() {
        spans.extend([
            Span::styled(
                label("disk full", "disk!"),
                bar.patch(theme.style(Role::HealthBad)),
            ),
            sep(),
        ]);
    }
    // Only when some definition is invalid: the engine runs on its last good version.
    let broken = ctx.model.health.definitions.len();
    if broken > 0 {
        let text = match (short, broken) {
            (true, n) => format!("defs: {n} err"),
            (false, 1) => "defs: 1 error".to_string(),
            (false, n) => format!("defs: {n} errors"),
        };
        spans.extend([
            Span::styled(text, bar.patch(theme.style(Role::HealthBad))),
            sep(),
        ]);
    }
    spans.push(Span::styled(
        format!("{:02}:{:02} ", local.hour(), local.minute()),
        bar,
    ));
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    let (text, role) = match notice {
        Some(Notice::Ok(t)) => (t.clone(), Role::StatusBar),
        Some(Notice::Error(t)) => (t.clone(), Role::Error),
        None => (help.to_string(), Role::KeyHint),
    };
    let room = width.saturating_sub(used + 1);
    // The hint in its short form when the long one does not fit.
    let text = if notice.is_none() && text.chars().count() > room {
        text.replace(" · ", " ")
    } else {
        text
    };
    if room >= 8 {
        let right = fit(&text, room);
        let gap = room - right.chars().count();
        spans.push(Span::styled(" ".repeat(gap), bar));
        spans.push(Span::styled(right, bar.patch(theme.style(role))));
        spans.push(Span::styled(" ", bar));
    }
    frame.buffer_mut().set_style(area, bar);
    frame.render_widget(Line::from(spans), area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::AgentTotals;

    #[test]
    fn todays_cost_shows_once_agents_are_used() {
        let none = AgentStatsView::default();
        assert_eq!(cost_today(&none, false), None);
        let spent = |today: f64, steps: i64| AgentStatsView {
            today: AgentTotals {
                cost_usd: today,
                ..AgentTotals::default()
            },
            all_time: AgentTotals {
                steps,
                cost_usd: 4.4,
                ..AgentTotals::default()
            },
        };
        let used = spent(0.0, 4);
        assert_eq!(cost_today(&used, false).as_deref(), Some("$0.00 today"));
        let spent = spent(1.234, 5);
        assert_eq!(cost_today(&spent, false).as_deref(), Some("$1.23 today"));
        assert_eq!(cost_today(&spent, true).as_deref(), Some("$1.23"));
    }
}
