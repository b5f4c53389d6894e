//! `bosun doctor` against a real `redis-server`: started by the test on a free port (or the one
//! in `BOSUN_TEST_REDIS_URL`). Redis is optional to Bosun, so a dead Redis is reported without
//! failing the doctor and without waiting longer than its bound.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use support::{Project, eventually};

struct RedisServer {
    child: Option<Child>,
    url: String,
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// A real Redis: the configured one, else a fresh `redis-server` (the test fails if neither).
fn redis() -> RedisServer {
    if let Ok(url) = std::env::var("BOSUN_TEST_REDIS_URL") {
        return RedisServer { child: None, url };
    }
    let port = free_port();
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server must be installed (or BOSUN_TEST_REDIS_URL set) for the Redis tests");
    eventually(
        Duration::from_secs(10),
        "redis-server accepts connections",
        || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
    );
    RedisServer {
        child: Some(child),
        url: format!("redis://127.0.0.1:{port}/"),
    }
}

fn doctor(p: &Project, redis: &str) -> (bool, serde_json::Value) {
    let out = p.bosun(&["doctor", "--json", "--redis", redis]);
    let checks: serde_json::Value = serde_json::from_slice(&out.stdout).expect("doctor --json");
    let check = checks
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "redis"))
        .cloned()
        .expect("a redis check");
    (out.status.success(), check)
}

#[test]
fn doctor_reports_a_live_redis() {
    let server = redis();
    let p = Project::new();
    let (ok, check) = doctor(&p, &server.url);
    assert!(ok, "{check:#}");
    assert_eq!(check["ok"], true, "{check:#}");
    assert!(
        check["detail"].as_str().is_some_and(|d| d.contains("PONG")),
        "{check:#}"
    );
}

/// A TCP port that refuses connections and stays ours while the socket lives: bound but not
/// listening, so neither the kernel nor a `redis-server` started by a parallel test can take it.
fn refusing_port() -> (std::os::fd::OwnedFd, u16) {
    use nix::sys::socket::{
        AddressFamily, SockFlag, SockType, SockaddrIn, bind, getsockname, socket,
    };
    let fd = socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::SOCK_CLOEXEC,
        None,
    )
    .expect("socket");
    bind(
        std::os::fd::AsRawFd::as_raw_fd(&fd),
        &SockaddrIn::new(127, 0, 0, 1, 0),
    )
    .expect("bind");
    let addr: SockaddrIn = getsockname(std::os::fd::AsRawFd::as_raw_fd(&fd)).expect("getsockname");
    (fd, addr.port())
}

#[test]
fn doctor_reports_a_dead_redis_without_failing_bosun() {
    let p = Project::new();
    let (_held, port) = refusing_port();
    let url = format!("redis://127.0.0.1:{port}/");
    let (ok, check) = doctor(&p, &url);
    assert!(ok, "Redis is optional: the doctor still passes");
    assert_eq!(check["ok"], false, "{check:#}");
    assert!(
        check["detail"]
            .as_str()
            .is_some_and(|d| d.contains("works without it")),
        "{check:#}"
    );
    let (_, off) = doctor(&p, "off");
    assert!(
        off["detail"].as_str().is_some_and(|d| d.starts_with("off")),
        "{off:#}"
    );
}
