//! The API of a real `bosun run --api 127.0.0.1:0`: its address (from `.bosun/state/api.addr`),
//! tokens made by the real `bosun token create`, and requests over real HTTP (reqwest).

use std::time::{Duration, Instant};

use serde_json::Value;

use super::{EngineProcess, Project};

/// An engine serving the API, with a token of each role.
pub struct Api {
    pub engine: EngineProcess,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    pub admin: String,
    pub user: String,
    pub readonly: String,
    pub client: reqwest::Client,
}

/// A response: its status and its body (JSON when it parses, else a string).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Project {
    /// A token of `role` from `bosun token create`.
    pub fn token(&self, role: &str) -> String {
        let out = self.bosun(&["token", "create", "--role", role]);
        assert!(
            out.status.success(),
            "token create: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .expect("utf-8")
            .trim()
            .to_string()
    }

    /// Starts `bosun run --api 127.0.0.1:0 EXTRA…` and waits until its API answers. In an
    /// async test, the runtime must be multi-threaded.
    pub fn start_api(&self, extra: &[&str]) -> Api {
        let (admin, user, readonly) = (
            self.token("admin"),
            self.token("user"),
            self.token("readonly"),
        );
        let addr_file = self.path(".bosun/state/api.addr");
        let _ = std::fs::remove_file(&addr_file);
        let mut args = vec!["--api", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        // Waiting for the lease runs a runtime of its own: off the async workers, in a test.
        let mut engine = match tokio::runtime::Handle::try_current() {
            Ok(_) => tokio::task::block_in_place(|| self.start_engine(&args)),
            Err(_) => self.start_engine(&args),
        };
        let start = Instant::now();
        let addr = loop {
            if let Ok(text) = std::fs::read_to_string(&addr_file)
                && text.ends_with('\n')
            {
                break text.trim().to_string();
            }
            assert!(
                engine.is_running(),
                "the engine exited before its API listened"
            );
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "the API did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        Api {
            engine,
            addr,
            admin,
            user,
            readonly,
            client: reqwest::Client::new(),
        }
    }
}

impl Project {
    /// The first audit record of `kind` that `matches` (written by an actor: shortly after).
    pub fn wait_audit(&self, kind: &str, matches: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let log = std::fs::read_to_string(self.path(".bosun/audit.jsonl")).unwrap_or_default();
            if let Some(found) = log
                .lines()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .find(|r| r["kind"] == kind && matches(r))
            {
                return found;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "no {kind} in the audit log:\n{log}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Api {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `ws://…/ws?…`.
    pub fn ws_url(&self, query: &str) -> String {
        format!("ws://{}/ws?{query}", self.addr)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        let mut req = self.client.get(self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        reply(req.send().await.expect("GET")).await
    }

    /// POSTs `body` as it is (it may be broken JSON on purpose).
    pub async fn post(&self, path: &str, token: Option<&str>, body: &str) -> Reply {
        let mut req = self
            .client
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        reply(req.send().await.expect("POST")).await
    }

    /// Submits `description` with a user token; the new task's id.
    pub async fn submit(&self, description: &str) -> String {
        let body = serde_json::json!({ "description": description }).to_string();
        let r = self.post("/api/tasks", Some(&self.user), &body).await;
        assert_eq!(r.status, 202, "submit: {:?}", r.body);
        r.body["task_id"].as_str().expect("task_id").to_string()
    }

    /// Reads task `id` until `done` says so (panics after `limit`).
    pub async fn wait_for(
        &self,
        id: &str,
        limit: Duration,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let start = Instant::now();
        loop {
            let r = self
                .get(&format!("/api/tasks/{id}"), Some(&self.readonly))
                .await;
            if r.status == 200 && done(&r.body) {
                return r.body;
            }
            assert!(
                start.elapsed() < limit,
                "task {id} never got there: {:?}",
                r.body
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Reply {
        status,
        body,
        headers,
    }
}
