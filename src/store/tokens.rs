//! The API's token records (table `api_tokens`): made by `bosun token create` or an admin over
//! the API, revoked the same ways. The signed token itself is never stored; its id (the JWT's
//! `jti`) names the row, which says whether it still stands.

use sqlx::{Row, SqlitePool};

use super::{StoreError, WriteOp};

/// One token's record (the API gives it as it is: never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = TokenInfo)]
pub struct TokenRecord {
    pub id: String,
    pub role: String,
    pub name: Option<String>,
    pub created_at: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
    /// Who made it: `cli`, or `api:<token id>`.
    pub created_by: String,
}

/// A change to the token records.
#[derive(Debug, Clone)]
pub enum TokenOp {
    Create(TokenRecord),
    /// Conflicts when there is no such token or it was revoked already.
    Revoke {
        id: String,
        at: String,
    },
}

impl TokenOp {
    pub(super) async fn apply(&self, conn: &mut sqlx::SqliteConnection) -> Result<u64, StoreError> {
        Ok(match self {
            TokenOp::Create(t) => sqlx::query(
                "INSERT INTO api_tokens (id, role, name, created_at, expires_at, revoked_at, created_by)
                 VALUES (?, ?, ?, ?, ?, NULL, ?)",
            )
            .bind(&t.id)
            .bind(&t.role)
            .bind(&t.name)
            .bind(&t.created_at)
            .bind(&t.expires_at)
            .bind(&t.created_by)
            .execute(&mut *conn)
            .await?
            .rows_affected(),
            TokenOp::Revoke { id, at } => {
                let n = sqlx::query(
                    "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                )
                .bind(at)
                .bind(id)
                .execute(&mut *conn)
                .await?
                .rows_affected();
                super::write_ops::require_change(n, || format!("no token {id} that is not revoked"))?
            }
        })
    }
}

impl From<TokenOp> for WriteOp {
    fn from(op: TokenOp) -> WriteOp {
        WriteOp::Token(op)
    }
}

/// Every token made, newest first.
pub async fn list(pool: &SqlitePool) -> Result<Vec<TokenRecord>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, role, name, created_at, expires_at, revoked_at, created_by
         FROM api_tokens ORDER BY created_at DESC, id DESC",
    )
    .fetch_all(pool)
    .await?;
    rows.iter().map(record).collect()
}

/// The record of token `id`, if one was made.
pub async fn get(pool: &SqlitePool, id: &str) -> Result<Option<TokenRecord>, StoreError> {
    let row = sqlx::query(
        "SELECT id, role, name, created_at, expires_at, revoked_at, created_by
         FROM api_tokens WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(record).transpose()
}

fn record(row: &sqlx::sqlite::SqliteRow) -> Result<TokenRecord, StoreError> {
    Ok(TokenRecord {
        id: row.try_get("id")?,
        role: row.try_get("role")?,
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        revoked_at: row.try_get("revoked_at")?,
        created_by: row.try_get("created_by")?,
    })
}
