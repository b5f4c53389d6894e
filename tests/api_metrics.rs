//! `/metrics` of a real `bosun run --api` over real HTTP, read the way Prometheus reads it:
//! the exposition is parsed as OpenMetrics text (families declared once, samples named for
//! their family's type, labels escaped, histogram buckets cumulative, `# EOF` last), then the
//! numbers are checked against what the tasks and the inbox did.

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::json;
use support::Project;
use support::api::Api;

const LONG: Duration = Duration::from_secs(30);

/// One metric family: its type, unit and help.
#[derive(Debug, Default)]
struct Family {
    kind: String,
    unit: Option<String>,
    help: Option<String>,
}

type Labels = BTreeMap<String, String>;

/// A parsed exposition.
#[derive(Debug, Default)]
struct Exposition {
    families: BTreeMap<String, Family>,
    samples: BTreeMap<(String, Labels), f64>,
}

impl Exposition {
    /// The sample `name{labels}` (exactly these labels), if there is one.
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let labels = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.samples.get(&(name.to_string(), labels)).copied()
    }

    /// The sample, which must be there.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.get(name, labels)
            .unwrap_or_else(|| panic!("no sample {name}{labels:?} in {:#?}", self.samples))
    }
}

fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// `{k="v",…}` at the start of `text`: the labels and what follows.
fn labels(text: &str) -> (Labels, &str) {
    let Some(mut rest) = text.strip_prefix('{') else {
        return (Labels::new(), text);
    };
    let mut labels = Labels::new();
    loop {
        if let Some(after) = rest.strip_prefix('}') {
            return (labels, after);
        }
        let (key, after) = rest.split_once("=\"").expect("a label is key=\"value\"");
        assert!(is_name(key) && !key.contains(':'), "label name `{key}`");
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next().expect("a label value ends with a quote") {
                (i, '"') => break i,
                (_, '\\') => match chars.next().expect("an escape").1 {
                    'n' => value.push('\n'),
                    c @ ('\\' | '"') => value.push(c),
                    c => panic!("unknown escape \\{c}"),
                },
                (_, c) => value.push(c),
            }
        };
        assert!(
            labels.insert(key.to_string(), value).is_none(),
            "label {key} twice"
        );
        rest = &after[end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
}

fn number(text: &str) -> f64 {
    match text {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        _ => text
            .parse()
            .unwrap_or_else(|_| panic!("`{text}` is not a number")),
    }
}

/// The suffixes a sample of a family of `kind` may add to the family's name.
fn suffixes(kind: &str) -> &'static [&'static str] {
    match kind {
        "counter" => &["_total", "_created"],
        "histogram" => &["_bucket", "_sum", "_count", "_created"],
        "gauge" | "unknown" | "stateset" | "info" => &[""],
        other => panic!("unknown metric type `{other}`"),
    }
}

/// Parses OpenMetrics text, checking it as it goes.
fn parse(text: &str) -> Exposition {
    let body = text
        .strip_suffix("# EOF\n")
        .unwrap_or_else(|| panic!("the exposition must end with `# EOF`:\n{text}"));
    let mut exp = Exposition::default();
    let mut current: Option<String> = None;
    let mut sampled = false;
    for line in body.lines() {
        if let Some(meta) = line.strip_prefix("# ") {
            let (keyword, rest) = meta.split_once(' ').expect("# KEYWORD name …");
            let (name, value) = rest.split_once(' ').unwrap_or((rest, ""));
            assert!(is_name(name), "family name `{name}`");
            if current.as_deref() != Some(name) {
                assert!(
                    !exp.families.contains_key(name),
                    "family {name} declared twice"
                );
                current = Some(name.to_string());
                sampled = false;
            }
            assert!(!sampled, "metadata of {name} after its samples");
            let family = exp.families.entry(name.to_string()).or_default();
            match keyword {
                "TYPE" => family.kind = value.to_string(),
                "HELP" => family.help = Some(value.to_string()),
                "UNIT" => {
                    assert!(
                        name.ends_with(&format!("_{value}")),
                        "{name} has unit {value}"
                    );
                    family.unit = Some(value.to_string());
                }
                other => panic!("unknown metadata `# {other}`"),
            }
            continue;
        }
        assert!(!line.is_empty() && !line.starts_with('#'), "line `{line}`");
        let end = line.find(['{', ' ']).expect("a sample has a value");
        let (name, rest) = line.split_at(end);
        let (labels, rest) = labels(rest);
        let value = number(rest.strip_prefix(' ').expect("a space before the value"));
        let family = current
            .as_deref()
            .expect("a sample after its family's TYPE");
        let kind = exp.families[family].kind.as_str();
        let suffix = name.strip_prefix(family).unwrap_or_else(|| {
            panic!("sample {name} is not of family {family}");
        });
        assert!(
            suffixes(kind).contains(&suffix),
            "{name} in a {kind} family"
        );
        if suffix == "_bucket" {
            assert!(labels.contains_key("le"), "{name} without le");
        }
        sampled = true;
        let key = (name.to_string(), labels);
        assert!(
            exp.samples.insert(key, value).is_none(),
            "sample {line} twice"
        );
    }
    for (name, family) in &exp.families {
        assert!(!family.kind.is_empty(), "family {name} has no TYPE");
        if family.kind == "histogram" {
            check_histogram(&exp, name);
        }
    }
    exp
}

/// Buckets grow with their bound, end at `+Inf`, and that one equals `_count`.
fn check_histogram(exp: &Exposition, name: &str) {
    let mut series: BTreeMap<Labels, Vec<(f64, f64)>> = BTreeMap::new();
    for ((sample, labels), value) in &exp.samples {
        if *sample == format!("{name}_bucket") {
            let mut rest = labels.clone();
            let le = number(&rest.remove("le").expect("le"));
            series.entry(rest).or_default().push((le, *value));
        }
    }
    for (labels, mut buckets) in series {
        buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert!(
            buckets.windows(2).all(|w| w[0].1 <= w[1].1),
            "{name}{labels:?} buckets not cumulative: {buckets:?}"
        );
        let (le, inf) = *buckets.last().expect("buckets");
        assert_eq!(le, f64::INFINITY, "{name}{labels:?} has no +Inf bucket");
        let count = exp.samples[&(format!("{name}_count"), labels.clone())];
        assert_eq!(
            inf, count,
            "{name}{labels:?}: +Inf bucket and _count differ"
        );
        assert!(exp.samples.contains_key(&(format!("{name}_sum"), labels)));
    }
}

/// `GET /metrics` with a readonly token, checked and parsed.
async fn scrape(api: &Api) -> Exposition {
    let r = api.get("/metrics", Some(&api.readonly)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        r.headers["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    let text = r.body.as_str().expect("metrics are text, not JSON");
    parse(text)
}

/// Scrapes until `ready` holds (the durations are observed from events, a moment after the
/// task reads as finished); panics after a while with the last exposition.
async fn scrape_until(api: &Api, ready: impl Fn(&Exposition) -> bool) -> Exposition {
    let start = Instant::now();
    loop {
        let exp = scrape(api).await;
        if ready(&exp) {
            return exp;
        }
        assert!(start.elapsed() < LONG, "never got there: {exp:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_need_a_token_and_describe_an_idle_engine() {
    let project = Project::new();
    let api = project.start_api(&[]);
    let r = api.get("/metrics", None).await;
    assert_eq!(r.status, 401, "{:?}", r.body);
    assert!(r.body["error"].is_string(), "{:?}", r.body);
    assert_eq!(api.get("/metrics", Some("not-a-token")).await.status, 401);

    let exp = scrape(&api).await;
    assert_eq!(exp.value("bosun_store_up", &[]), 1.0);
    // Refused requests are counted too, by route template and status.
    let refused = [("route", "/metrics"), ("status", "401")];
    assert_eq!(exp.value("bosun_api_requests_total", &refused), 2.0);
    // Redis is off in tests: no series says it is down.
    assert!(!exp.families.contains_key("bosun_redis_up"));
    for status in ["queued", "running", "waiting"] {
        assert_eq!(exp.value("bosun_tasks_open", &[("status", status)]), 0.0);
    }
    for status in ["succeeded", "failed", "cancelled"] {
        let finished = exp.value("bosun_tasks_finished_total", &[("status", status)]);
        assert_eq!(finished, 0.0);
    }
    assert_eq!(exp.value("bosun_inbox_open", &[]), 0.0);
    assert_eq!(exp.value("bosun_inbox_oldest_age_seconds", &[]), 0.0);
    assert_eq!(exp.value("bosun_agent_cost_usd_total", &[]), 0.0);
    assert_eq!(
        exp.value("bosun_agent_tokens_total", &[("direction", "output")]),
        0.0
    );
    // No choice yet: no rate rather than a made-up one.
    assert!(
        exp.get("bosun_autonomy_rate", &[("window", "all_time")])
            .is_none()
    );
    let unit = exp.families["bosun_inbox_oldest_age_seconds"]
        .unit
        .as_deref();
    assert_eq!(unit, Some("seconds"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_tasks_and_their_step_durations_are_counted() {
    let project = Project::new();
    let api = project.start_api(&[]);
    let mut ids = Vec::new();
    for description in ["echo one", "echo two", "false"] {
        ids.push(api.submit(description).await);
    }
    for id in &ids {
        api.wait_for(id, LONG, |t| {
            matches!(t["status"].as_str(), Some("succeeded" | "failed"))
        })
        .await;
    }
    let shell = |status| [("skill", "shell"), ("status", status)];
    let exp = scrape_until(&api, |exp| {
        let count = |status| exp.get("bosun_step_duration_seconds_count", &shell(status));
        count("succeeded") == Some(2.0) && count("failed") == Some(1.0)
    })
    .await;
    let finished = |status| exp.value("bosun_tasks_finished_total", &[("status", status)]);
    assert_eq!(finished("succeeded"), 2.0);
    assert_eq!(finished("failed"), 1.0);
    assert_eq!(finished("cancelled"), 0.0);
    assert_eq!(exp.value("bosun_tasks_open", &[("status", "queued")]), 0.0);
    let sum = exp.value("bosun_step_duration_seconds_sum", &shell("succeeded"));
    assert!(sum >= 0.0 && sum.is_finite(), "{sum}");
    let unit = exp.families["bosun_step_duration_seconds"].unit.as_deref();
    assert_eq!(unit, Some("seconds"));

    // Three commands the policy's default allowed (routine), one failure it settled (a
    // choice): the ledger's counts, which the session route gives too.
    let policy = |class| {
        exp.value(
            "bosun_decisions_total",
            &[("decided_by", "policy"), ("class", class)],
        )
    };
    assert_eq!(policy("routine"), 3.0);
    assert_eq!(policy("choice"), 1.0);
    let session = api.get("/api/state/session", Some(&api.readonly)).await;
    assert_eq!(session.body["stats"]["all_time"]["by"]["policy"], json!(4));
    assert_eq!(
        exp.value("bosun_autonomy_rate", &[("window", "all_time")]),
        1.0
    );
    assert_eq!(
        exp.value("bosun_autonomy_rate", &[("window", "today")]),
        1.0
    );
}

/// A high-risk question: it waits in the inbox until someone answers.
const SHIP: &str = r#"
steps:
  - id: ship
    decide: { question: "Push the release?", options: [push, hold], default: hold, risk: high }
  - { id: held, if: "steps.ship.choice == 'hold'", skill: shell, with: { run: "echo held" } }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_question_in_the_inbox_shows_in_the_inbox_gauges() {
    let project = Project::new();
    project.write(".bosun/workflows/ship.yaml", SHIP);
    let api = project.start_api(&[]);
    let body = json!({ "description": "ship it", "workflow_id": "ship" }).to_string();
    let submitted = api.post("/api/tasks", Some(&api.user), &body).await;
    assert_eq!(submitted.status, 202, "{:?}", submitted.body);
    let id = submitted.body["task_id"]
        .as_str()
        .expect("task_id")
        .to_string();
    api.wait_for(&id, LONG, |t| t["status"] == "waiting").await;

    let exp = scrape_until(&api, |exp| exp.get("bosun_inbox_open", &[]) == Some(1.0)).await;
    let age = exp.value("bosun_inbox_oldest_age_seconds", &[]);
    assert!(age >= 0.0 && age.is_finite(), "{age}");
    assert_eq!(exp.value("bosun_tasks_open", &[("status", "waiting")]), 1.0);

    let inbox = api.get("/api/inbox", Some(&api.readonly)).await;
    let question = inbox.body[0]["id"].as_str().expect("an open question");
    let answer = json!({ "choice": "hold" }).to_string();
    let path = format!("/api/escalations/{question}/answer");
    let answered = api.post(&path, Some(&api.user), &answer).await;
    assert_eq!(answered.status, 200, "{:?}", answered.body);
    api.wait_for(&id, LONG, |t| t["status"] == "succeeded")
        .await;

    let decide = [("skill", "decide"), ("status", "succeeded")];
    let exp = scrape_until(&api, |exp| {
        exp.get("bosun_step_duration_seconds_count", &decide) == Some(1.0)
    })
    .await;
    assert_eq!(exp.value("bosun_inbox_open", &[]), 0.0);
    assert_eq!(exp.value("bosun_inbox_oldest_age_seconds", &[]), 0.0);
    assert_eq!(exp.value("bosun_tasks_open", &[("status", "waiting")]), 0.0);
    let user = [("decided_by", "user"), ("class", "choice")];
    assert_eq!(exp.value("bosun_decisions_total", &user), 1.0);
    // The only choice was the user's: nothing settled without asking.
    assert_eq!(
        exp.value("bosun_autonomy_rate", &[("window", "all_time")]),
        0.0
    );
}
