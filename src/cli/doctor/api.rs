//! `bosun doctor`'s API check: whether a running engine serves the API and where, what the
//! settings ask for, and the tokens that can use it. Never a failure: the API is optional.

use super::{Check, Project};

async fn inspect(project: &Project) -> Result<String, String> {
    // The address a running engine wrote, if something still listens there: a killed engine
    // leaves its file behind until the next one starts.
    let serving = std::fs::read_to_string(project.paths.api_addr())
        .ok()
        .map(|a| a.trim().to_string())
        .filter(|a| listening(a));
    let engine = crate::engine::lock::live_holder(&project.paths.database())
        .await
        .ok()
        .flatten();
    let tokens = match crate::store::Store::open(&project.paths.database()).await {
        Ok(store) => {
            let list = crate::store::tokens::list(&store.reader)
                .await
                .unwrap_or_default();
            store.close().await;
            let now = crate::time::now_rfc3339();
            list.iter()
                .filter(|t| t.revoked_at.is_none() && t.expires_at > now)
                .count()
        }
        Err(_) => 0,
    };
    let tokens = crate::text::count(tokens as i64, "valid token");
    match (&project.settings.api.listen, serving, engine) {
        (_, Some(addr), Some(_)) => Ok(format!(
            "serving on http://{addr} (dashboard at /); {tokens}"
        )),
        (Some(listen), _, None) => Ok(format!(
            "api.listen is {listen}: served while an engine runs; {tokens}"
        )),
        (Some(listen), _, Some(_)) => Err(format!(
            "api.listen is {listen} but the running engine does not serve it (started before the setting, or it could not listen: see its log)"
        )),
        (None, _, _) => Ok(format!(
            "off (bosun run --api 127.0.0.1:8765 or api.listen serve it); {tokens}"
        )),
    }
}

fn listening(addr: &str) -> bool {
    addr.parse::<std::net::SocketAddr>().is_ok_and(|addr| {
        std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(300)).is_ok()
    })
}

pub(super) async fn api(project: &Project) -> Check {
    let mut check = super::check("api", inspect(project).await);
    check.required = false;
    check
}
