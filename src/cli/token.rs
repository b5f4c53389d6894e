//! `bosun token create | list | revoke`: the API's signed tokens, made and revoked against the
//! project's database whether or not an engine runs (a running engine's API sees the change
//! within its poll interval).

use std::io::Write;

use super::args::TokenAction;
use super::format::print_json;
use super::tasks::open_store;
use super::{CliError, CliResult, Project};
use crate::api::token::{Role, SigningKey, mint};
use crate::store::tokens::{self, TokenOp};

pub async fn token(project: &Project, action: TokenAction) -> CliResult {
    match action {
        TokenAction::Create { role, ttl, name } => create(project, &role, &ttl, name).await,
        TokenAction::List { json } => list(project, json).await,
        TokenAction::Revoke { id } => revoke(project, &id).await,
    }
}

async fn create(project: &Project, role: &str, ttl: &str, name: Option<String>) -> CliResult {
    let role = Role::parse(role).ok_or_else(|| {
        CliError::bad_input(format!(
            "--role must be readonly, user or admin, not `{role}`"
        ))
    })?;
    let ttl = crate::config::parse_duration(ttl)
        .map_err(|e| CliError::bad_input(format!("--ttl: {e}")))?;
    let store = open_store(project).await?;
    let key_path = project.paths.api_key();
    let key = SigningKey::load_or_create(&key_path).map_err(|e| {
        CliError::failed(format!(
            "cannot read the API key {}: {e}",
            key_path.display()
        ))
    })?;
    let (record, signed) =
        mint(&key, role, ttl, name, "cli".into()).map_err(CliError::bad_input)?;
    let written = store
        .writer
        .write(vec![TokenOp::Create(record).into()])
        .await;
    store.close().await;
    written?;
    println!("{signed}");
    Ok(())
}

async fn list(project: &Project, json: bool) -> CliResult {
    let store = open_store(project).await?;
    let list = tokens::list(&store.reader).await?;
    store.close().await;
    if json {
        return print_json(&list);
    }
    let mut out = std::io::stdout().lock();
    if list.is_empty() {
        let _ = writeln!(
            out,
            "no tokens yet: `bosun token create --role readonly` makes one"
        );
        return Ok(());
    }
    let now = crate::time::now_rfc3339();
    for t in &list {
        let state = match (&t.revoked_at, t.expires_at <= now) {
            (Some(at), _) => format!("revoked {at}"),
            (None, true) => format!("expired {}", t.expires_at),
            (None, false) => format!("valid until {}", t.expires_at),
        };
        let name = t
            .name
            .as_deref()
            .map(|n| format!("  {n}"))
            .unwrap_or_default();
        let _ = writeln!(out, "{}  {:<8}  {state}{name}", t.id, t.role);
    }
    Ok(())
}

async fn revoke(project: &Project, id: &str) -> CliResult {
    let store = open_store(project).await?;
    let known = tokens::get(&store.reader, id).await?;
    let result = match known {
        None => Err(CliError::bad_input(format!(
            "no token `{id}` in this project"
        ))),
        Some(t) if t.revoked_at.is_some() => {
            Err(CliError::failed(format!("token {id} is revoked already")))
        }
        Some(_) => {
            let at = crate::time::now_rfc3339();
            store
                .writer
                .write(vec![
                    TokenOp::Revoke {
                        id: id.to_string(),
                        at,
                    }
                    .into(),
                ])
                .await
                .map_err(CliError::from)
        }
    };
    store.close().await;
    result?;
    crate::engine::wake::nudge(&project.paths);
    println!("revoked {id}");
    Ok(())
}
