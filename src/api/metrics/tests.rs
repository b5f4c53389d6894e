//! The exposition's text for known readings, the route labels, and the request middleware in
//! front of a real server.

use std::collections::BTreeMap;

use super::scrape::Scraped;
use super::*;
use crate::protocol::{AgentStatsView, AgentTotals, DecisionCounts, StatsView, StepStatus};

fn stats() -> StatsView {
    let mut all_time = DecisionCounts {
        decisions: 5,
        autonomous: 1,
        asked: 1,
        autonomy_rate: Some(0.5),
        choices: 2,
        routine: 3,
        ..Default::default()
    };
    all_time.by = BTreeMap::from([("policy".into(), 4), ("user".into(), 1)]);
    all_time.choices_by = BTreeMap::from([("policy".into(), 1), ("user".into(), 1)]);
    StatsView {
        today: DecisionCounts::default(),
        all_time,
        open_escalations: 2,
        tasks: BTreeMap::from([("queued".into(), 3), ("failed".into(), 1)]),
        agents: AgentStatsView {
            today: AgentTotals::default(),
            all_time: AgentTotals {
                steps: 2,
                cost_usd: 0.25,
                input_tokens: 1200,
                output_tokens: 300,
                ..Default::default()
            },
        },
    }
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

#[test]
fn store_readings_become_openmetrics_lines() {
    let metrics = Metrics::new();
    let text = metrics
        .render(Scraped {
            stats: Some(stats()),
            oldest_open_age: Some(90.5),
            store_up: true,
            redis_up: None,
            disk_full: false,
        })
        .expect("encodes");
    let lines = lines(&text);
    for expected in [
        "# TYPE bosun_store_up gauge",
        "bosun_store_up 1",
        "# TYPE bosun_disk_full gauge",
        "bosun_disk_full 0",
        "bosun_tasks_open{status=\"queued\"} 3",
        "bosun_tasks_open{status=\"running\"} 0",
        "bosun_tasks_open{status=\"waiting\"} 0",
        "# TYPE bosun_tasks_finished counter",
        "bosun_tasks_finished_total{status=\"succeeded\"} 0",
        "bosun_tasks_finished_total{status=\"failed\"} 1",
        "bosun_tasks_finished_total{status=\"cancelled\"} 0",
        "bosun_decisions_total{decided_by=\"policy\",class=\"choice\"} 1",
        "bosun_decisions_total{decided_by=\"policy\",class=\"routine\"} 3",
        "bosun_decisions_total{decided_by=\"user\",class=\"choice\"} 1",
        "bosun_decisions_total{decided_by=\"user\",class=\"routine\"} 0",
        "bosun_autonomy_rate{window=\"all_time\"} 0.5",
        "bosun_inbox_open 2",
        "# UNIT bosun_inbox_oldest_age_seconds seconds",
        "bosun_inbox_oldest_age_seconds 90.5",
        "# UNIT bosun_agent_cost_usd usd",
        "bosun_agent_cost_usd_total 0.25",
        "bosun_agent_tokens_total{direction=\"input\"} 1200",
        "bosun_agent_tokens_total{direction=\"output\"} 300",
        "bosun_agent_steps_total 2",
    ] {
        assert!(lines.contains(&expected), "no `{expected}` in:\n{text}");
    }
    // No choice today: no rate for today. Redis off: no `redis_up`.
    assert!(!text.contains("window=\"today\""), "{text}");
    assert!(!text.contains("bosun_redis_up"), "{text}");
    assert!(text.ends_with("\n# EOF\n"), "{text}");
}

#[test]
fn a_store_that_does_not_answer_is_said_and_nothing_else_is_guessed() {
    let text = Metrics::new()
        .render(Scraped {
            stats: None,
            oldest_open_age: None,
            store_up: false,
            redis_up: Some(false),
            disk_full: true,
        })
        .expect("encodes");
    assert!(lines(&text).contains(&"bosun_store_up 0"), "{text}");
    assert!(lines(&text).contains(&"bosun_disk_full 1"), "{text}");
    assert!(lines(&text).contains(&"bosun_redis_up 0"), "{text}");
    assert!(!text.contains("bosun_tasks"), "{text}");
    assert!(text.ends_with("# EOF\n"), "{text}");
}

#[test]
fn step_durations_fall_in_their_buckets() {
    let metrics = Metrics::new();
    metrics.steps.observe("shell", StepStatus::Succeeded, 0.2);
    metrics.steps.observe("shell", StepStatus::Succeeded, 40.0);
    let text = metrics.render(Scraped::default()).expect("encodes");
    let lines = lines(&text);
    for expected in [
        "# TYPE bosun_step_duration_seconds histogram",
        "# UNIT bosun_step_duration_seconds seconds",
        "bosun_step_duration_seconds_sum{skill=\"shell\",status=\"succeeded\"} 40.2",
        "bosun_step_duration_seconds_count{skill=\"shell\",status=\"succeeded\"} 2",
        "bosun_step_duration_seconds_bucket{le=\"0.1\",skill=\"shell\",status=\"succeeded\"} 0",
        "bosun_step_duration_seconds_bucket{le=\"0.25\",skill=\"shell\",status=\"succeeded\"} 1",
        "bosun_step_duration_seconds_bucket{le=\"30.0\",skill=\"shell\",status=\"succeeded\"} 1",
        "bosun_step_duration_seconds_bucket{le=\"60.0\",skill=\"shell\",status=\"succeeded\"} 2",
        "bosun_step_duration_seconds_bucket{le=\"3600.0\",skill=\"shell\",status=\"succeeded\"} 2",
        "bosun_step_duration_seconds_bucket{le=\"+Inf\",skill=\"shell\",status=\"succeeded\"} 2",
    ] {
        assert!(lines.contains(&expected), "no `{expected}` in:\n{text}");
    }
}

#[test]
fn routes_are_templates_not_paths() {
    use super::requests::route;
    assert_eq!(route("/metrics"), "/metrics");
    assert_eq!(route("/api/tasks"), "/api/tasks");
    assert_eq!(route("/api/tasks/t-01ABC"), "/api/tasks/{id}");
    assert_eq!(route("/api/tasks/t-01ABC/cancel"), "/api/tasks/{id}/cancel");
    assert_eq!(
        route("/api/escalations/e-1/answer"),
        "/api/escalations/{id}/answer"
    );
    assert_eq!(route("/api/tokens/k-1/revoke"), "/api/tokens/{id}/revoke");
    assert_eq!(route("/api/tasks/"), "other");
    assert_eq!(route("/wp-admin/x.php"), "other");
    assert_eq!(route("/api/tasks/a/b/c"), "other");
}

#[tokio::test]
async fn requests_are_counted_by_route_and_status() {
    use axum::routing::get;
    let metrics = Metrics::new();
    let app = axum::Router::new()
        .route("/api/tasks/{id}", get(|| async { "a task" }))
        .layer(axum::middleware::from_fn_with_state(
            metrics.requests(),
            count_requests,
        ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let client = reqwest::Client::new();
    for path in ["/api/tasks/t-1", "/api/tasks/t-2", "/nowhere"] {
        client
            .get(format!("http://{addr}{path}"))
            .send()
            .await
            .expect("GET");
    }
    server.abort();
    let text = metrics.render(Scraped::default()).expect("encodes");
    let lines = lines(&text);
    for expected in [
        "# TYPE bosun_api_requests counter",
        "bosun_api_requests_total{route=\"/api/tasks/{id}\",status=\"200\"} 2",
        "bosun_api_requests_total{route=\"other\",status=\"404\"} 1",
    ] {
        assert!(lines.contains(&expected), "no `{expected}` in:\n{text}");
    }
}
