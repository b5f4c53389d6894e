//! The REST API over real HTTP against a real `bosun run --api`: tokens and roles, submit and
//! read, bad input, and the engine answering after each.

mod support;

use std::time::Duration;

use support::Project;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_submitted_over_http_runs_and_reads_back() {
    let project = Project::new();
    let api = project.start_api(&[]);
    let id = api.submit("echo from-the-api").await;
    let task = api
        .wait_for(&id, Duration::from_secs(20), |t| t["status"] == "succeeded")
        .await;
    assert_eq!(task["steps"][0]["output"], "from-the-api\n");
    // The CLI sees the same task.
    assert_eq!(project.show(&id)["status"], "succeeded");
}
