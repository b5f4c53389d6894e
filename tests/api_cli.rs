//! The command line around the API: `bosun token` and `bosun run --api`'s refusals.

mod support;

use std::os::unix::fs::PermissionsExt;

use serde_json::Value;
use support::Project;

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn tokens_are_made_listed_and_revoked_from_the_command_line() {
    let p = Project::new();
    let out = p.bosun(&[
        "token", "create", "--role", "user", "--ttl", "2h", "--name", "laptop",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let token = String::from_utf8(out.stdout).unwrap();
    // The token alone on stdout: three base64url parts.
    assert_eq!(token.trim().split('.').count(), 3, "{token}");
    assert_eq!(token.lines().count(), 1);
    // The key it was signed with is private to its owner.
    let mode = std::fs::metadata(p.path(".bosun/state/api.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    let list: Value =
        serde_json::from_slice(&p.bosun(&["token", "list", "--json"]).stdout).unwrap();
    let t = &list[0];
    assert_eq!((&t["role"], &t["name"]), (&"user".into(), &"laptop".into()));
    assert!(t["revoked_at"].is_null());
    // The list never shows the token itself.
    assert!(!list.to_string().contains(token.trim()));
    let id = t["id"].as_str().unwrap();
    let text = String::from_utf8(p.bosun(&["token", "list"]).stdout).unwrap();
    assert!(text.contains(id) && text.contains("valid until"), "{text}");

    let out = p.bosun(&["token", "revoke", id]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(p.bosun(&["token", "list"]).stdout).unwrap();
    assert!(text.contains("revoked"), "{text}");
    // Twice: a failure of the operation; an unknown id: bad input.
    assert_eq!(p.bosun(&["token", "revoke", id]).status.code(), Some(1));
    let out = p.bosun(&["token", "revoke", "tok-nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no token"), "{}", stderr(&out));
}

#[test]
fn a_bad_role_or_ttl_is_bad_input() {
    let p = Project::new();
    let out = p.bosun(&["token", "create", "--role", "root"]);
    assert_eq!(out.status.code(), Some(2));
    let out = p.bosun(&["token", "create", "--role", "user", "--ttl", "forever"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--ttl"), "{}", stderr(&out));
}

#[test]
fn the_api_on_a_public_address_needs_the_risk_named() {
    let p = Project::new();
    let out = p.spawn_engine(&["--api", "0.0.0.0:0"]).finish();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--api-expose-without-tls"),
        "{}",
        stderr(&out)
    );
    let out = p.spawn_engine(&["--api", "localhost"]).finish();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("127.0.0.1:8765"), "{}", stderr(&out));
}

#[test]
fn a_port_already_taken_stops_the_start_with_the_reason() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let p = Project::new();
    let out = p.spawn_engine(&["--api", &addr]).finish();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains(&addr), "{}", stderr(&out));
    // Nothing holds the project afterwards: a later engine starts.
    assert_eq!(p.lease_holder(), None);
}

#[test]
fn doctor_says_where_the_api_is_served() {
    let p = Project::new();
    let doctor = |p: &Project| -> Value {
        let out = p.bosun(&["doctor", "--json"]);
        let all: Value = serde_json::from_slice(&out.stdout).unwrap();
        all.as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "api")
            .cloned()
            .unwrap()
    };
    assert!(doctor(&p)["detail"].as_str().unwrap().starts_with("off"));
    let api = p.start_api(&[]);
    let check = doctor(&p);
    let detail = check["detail"].as_str().unwrap();
    assert!(detail.contains(&format!("http://{}", api.addr)), "{detail}");
    assert!(detail.contains("3 valid tokens"), "{detail}");
    // Killed: its address is not taken for a later engine's.
    api.engine.kill_hard();
    let _engine = p.start_engine(&[]);
    assert!(doctor(&p)["detail"].as_str().unwrap().starts_with("off"));
}
