//! `bosun doctor` against a real `redis-server`: started by the test on a free port (or the one
//! in `BOSUN_TEST_REDIS_URL`). Redis is optional to Bosun, so a dead Redis is reported without
//! failing the doctor and without waiting longer than its bound.

mod support;

use support::Project;
use support::redis::RedisServer;

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
    let server = RedisServer::start();
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
