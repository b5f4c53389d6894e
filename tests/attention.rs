//! What "needs attention" holds, through the real binary and a real engine: a failure is
//! settled by a later success of the same workflow and description, by the user's own "no",
//! or by `bosun dismiss`; any other failure still asks for attention.

mod support;

use std::time::Duration;

use bosun::protocol::TaskId;
use bosun::store::{Store, summary};
use serde_json::Value;
use support::{Project, eventually};

const LONG: Duration = Duration::from_secs(30);

#[test]
fn failures_settle_by_a_later_success_the_users_no_or_a_dismissal() {
    let p = Project::new();
    p.write(
        ".bosun/workflows/w.yaml",
        "steps:\n  - { id: check, skill: shell, with: { run: \"test -e ok\" } }\n",
    );
    p.write(
        ".bosun/workflows/push.yaml",
        "steps:\n  - { id: push, skill: shell, with: { run: \"git push origin main\" } }\n",
    );
    let engine = p.start_engine(&[]);
    let failed = |description: &str| {
        let id = p.submit(&["--workflow", "w", description]);
        assert_eq!(p.wait_finished(&id, LONG)["status"], "failed");
        id
    };
    let fixed_later = failed("check it");
    let other = failed("check something else");
    let dismissed = failed("check once more");
    p.write("ok", "");
    let green = p.submit(&["--workflow", "w", "check it"]);
    assert_eq!(p.wait_finished(&green, LONG)["status"], "succeeded");

    let denied = p.submit(&["--workflow", "push", "push it"]);
    eventually(LONG, "the push question", || {
        let out = p.bosun(&["inbox", "--json"]);
        serde_json::from_slice::<Vec<Value>>(&out.stdout).is_ok_and(|q| !q.is_empty())
    });
    let inbox: Vec<Value> =
        serde_json::from_slice(&p.bosun(&["inbox", "--json"]).stdout).expect("inbox");
    let question = inbox[0]["id"].as_str().expect("id").to_string();
    assert!(p.bosun(&["answer", &question, "deny"]).status.success());
    assert_eq!(p.wait_finished(&denied, LONG)["status"], "failed");

    let out = p.bosun(&["dismiss", &dismissed]);
    assert!(out.status.success(), "{out:?}");
    let out = p.bosun(&["dismiss", &green]);
    assert_eq!(out.status.code(), Some(1), "only a failure is dismissed");
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a failed task"));
    engine.stop();

    let ids: Vec<TaskId> = [&fixed_later, &other, &dismissed, &denied]
        .iter()
        .map(|id| TaskId::from(id.as_str()))
        .collect();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let rows = runtime.block_on(async {
        let store = Store::open(&p.path(".bosun/state/bosun.db"))
            .await
            .expect("store");
        let rows = summary::summaries(&store.reader, &ids).await.expect("rows");
        store.close().await;
        rows
    });
    let settled = |id: &str| {
        rows.iter()
            .find(|t| t.id.as_str() == id)
            .map(|t| t.settled)
            .expect("listed")
    };
    assert!(
        settled(&fixed_later),
        "a later success of the same task settles it"
    );
    assert!(
        !settled(&other),
        "another description's failure still needs attention"
    );
    assert!(settled(&dismissed), "dismissed");
    assert!(settled(&denied), "the user said no: nothing to attend to");
}
