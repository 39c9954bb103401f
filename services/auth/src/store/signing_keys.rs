//! `signing_keys`: Ed25519 keys, private half PKCS#8 (sealed when a master key is set).

use shared::db::Flag;
use shared::time::Micros;
use sqlx::AnyConnection;

/// A stored signing key.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct KeyRow {
    /// Key id (`kid` header).
    pub kid: String,
    /// PKCS#8 DER, or `nonce || ciphertext` when `encrypted`.
    pub private_key: Vec<u8>,
    /// Whether `private_key` is sealed under the master key.
    pub encrypted: Flag,
    /// Raw 32-byte Ed25519 public key.
    pub public_key: Vec<u8>,
    /// When the key was created.
    pub created_at: Micros,
    /// When a newer key took over; `None` while active.
    pub retired_at: Option<Micros>,
    /// After this it leaves the JWKS; `None` while active.
    pub expires_at: Option<Micros>,
}

/// Every key still able to verify a live token at `now`, the active one first.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn live(conn: &mut AnyConnection, now: Micros) -> sqlx::Result<Vec<KeyRow>> {
    sqlx::query_as(
        "SELECT kid, private_key, encrypted, public_key, created_at, retired_at, expires_at \
         FROM signing_keys WHERE expires_at IS NULL OR expires_at > $1 \
         ORDER BY (CASE WHEN retired_at IS NULL THEN 0 ELSE 1 END), created_at DESC",
    )
    .bind(now)
    .fetch_all(conn)
    .await
}

/// Stores a new active key.
#[tracing::instrument(level = "debug", skip_all, fields(kid = %row.kid))]
pub(crate) async fn insert(conn: &mut AnyConnection, row: &KeyRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO signing_keys (kid, private_key, encrypted, public_key, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&row.kid)
    .bind(&row.private_key)
    .bind(row.encrypted)
    .bind(&row.public_key)
    .bind(row.created_at)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Retires the active key (if any): it verifies until `expires_at`, then leaves the JWKS.
/// Returns the retired key's id.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn retire_active(
    conn: &mut AnyConnection,
    now: Micros,
    expires_at: Micros,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "UPDATE signing_keys SET retired_at = $1, expires_at = $2 \
         WHERE retired_at IS NULL RETURNING kid",
    )
    .bind(now)
    .bind(expires_at)
    .fetch_optional(conn)
    .await
}

/// True when some key is active (not retired).
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn has_active(conn: &mut AnyConnection) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM signing_keys WHERE retired_at IS NULL")
        .fetch_one(conn)
        .await?;
    Ok(n > 0)
}
