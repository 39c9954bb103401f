//! `ExportMyData`: everything the auth service holds about the caller, as one JSON document
//! streamed in chunks: the account and profile, the avatar, the second factor's state, every
//! session, refresh and access token (ids and lifetimes: tokens themselves are never stored),
//! every security event and the addresses the account signed in from. Password hashes,
//! secrets and digests are never included.
//!
//! A producer task reads table by table in keyset pages and writes through
//! `shared::chunks`, so an export of any size holds one page and a few chunks in memory.

use base64::Engine as _;
use serde_json::{Map, Value, json};
use shared::chunks::{ChunkStream, Chunks};
use shared::db::Db;
use shared::time::{Micros, to_timestamp};

use crate::app::AppState;
use crate::domain::caller::Caller;
use crate::domain::security_events::{self, EventType, SecurityEvent};
use crate::domain::{Client, mfa};
use crate::error::{Auth, Error, Result};
use crate::store::{export, users};

/// Rows read per page.
const PAGE_ROWS: i64 = 500;

/// The export of the caller, as a stream of chunks to concatenate. Records `DATA_EXPORTED`
/// first; an error while producing ends the stream with that error.
pub(crate) async fn export(
    state: &AppState,
    caller: &Caller,
    client: &Client,
) -> Result<ChunkStream<Auth>> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let event = SecurityEvent::new(EventType::DataExported)
        .user(&caller.user_id)
        .session(&caller.session_id)
        .by(client);
    security_events::record(&mut tx, &event, now).await?;
    tx.commit().await?;
    let (mut out, stream) = Chunks::channel();
    let (db, user_id) = (state.db.clone(), caller.user_id.clone());
    tokio::spawn(async move {
        let result = produce(&db, &user_id, now, &mut out).await;
        out.finish(result).await;
    });
    Ok(stream)
}

/// Writes the whole document into `out`.
async fn produce(db: &Db, user_id: &str, now: Micros, out: &mut Chunks<Auth>) -> Result<()> {
    let (user, avatar, second_factor) = {
        let mut conn = db.read().await?;
        let user = users::get(&mut conn, user_id)
            .await?
            .ok_or(Error::NotFound("user"))?;
        let avatar = export::avatar(&mut conn, user_id).await?;
        let second_factor = mfa::export_state(&mut conn, user_id).await?;
        (user, avatar, second_factor)
    };
    let account = json!({
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "email_verified": user.email_verified.0,
        "pending_email": user.pending_email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": user.role,
        "active": user.active.0,
        "created_at": time(user.created_at),
        "updated_at": time(user.updated_at),
        "profile": {
            "full_name": user.full_name,
            "bio": user.bio,
            "birth_date": user.birth_date,
            "notes": user.notes,
            "language": user.language,
            "updated_at": time(user.profile_updated_at),
        },
    });
    let avatar = avatar.map(|(content_type, image)| {
        json!({
            "content_type": content_type,
            "image_base64": base64::engine::general_purpose::STANDARD.encode(image),
        })
    });
    out.write(br#"{"service":"auth","exported_at":"#).await?;
    out.json(&json!(time(now))).await?;
    out.write(br#","user":"#).await?;
    out.json(&account).await?;
    out.write(br#","avatar":"#).await?;
    out.json(&avatar).await?;
    out.write(br#","mfa":"#).await?;
    out.json(&second_factor).await?;
    section!(db, user_id, out, "sessions", export::sessions, |r| r.id);
    section!(
        db,
        user_id,
        out,
        "refresh_tokens",
        export::refresh_tokens,
        |r| r.jti
    );
    section!(
        db,
        user_id,
        out,
        "access_tokens",
        export::access_tokens,
        |r| r.jti
    );
    section!(
        db,
        user_id,
        out,
        "security_events",
        export::security_events,
        |r| r.id
    );
    section!(
        db,
        user_id,
        out,
        "known_clients",
        export::known_clients,
        |r| r.bucket
    );
    out.write(b"}").await
}

/// Writes `,"<name>":[…]` from the keyset pages of store function `$read`, keyed by field
/// `$key` of its rows.
macro_rules! section {
    ($db:expr, $user_id:expr, $out:expr, $name:literal, $read:path, |$r:ident| $r2:ident . $key:ident) => {{
        $out.write(concat!(",\"", $name, "\":[").as_bytes()).await?;
        let mut after = String::new();
        let mut first = true;
        loop {
            let rows = {
                let mut conn = $db.read().await?;
                $read(&mut conn, $user_id, &after, PAGE_ROWS).await?
            };
            let full = i64::try_from(rows.len()).unwrap_or(0) == PAGE_ROWS;
            let Some($r) = rows.last() else { break };
            after = $r2.$key.clone();
            for row in &rows {
                if !first {
                    $out.write(b",").await?;
                }
                first = false;
                let value = serde_json::to_value(row).map_err(json_error)?;
                $out.json(&with_times(value)).await?;
            }
            if !full {
                break;
            }
        }
        $out.write(b"]").await?;
    }};
}
use section;

/// A stored time as RFC 3339.
fn time(micros: Micros) -> String {
    to_timestamp(micros).to_string()
}

/// The row with its times (`*_at`, `last_seen`: microseconds) as RFC 3339.
fn with_times(value: Value) -> Value {
    match value {
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(name, v)| {
                    let is_time = name.ends_with("_at") || name == "last_seen";
                    match v.as_i64() {
                        Some(micros) if is_time => (name, Value::String(time(micros))),
                        _ => (name, v),
                    }
                })
                .collect::<Map<_, _>>(),
        ),
        other => other,
    }
}

fn json_error(err: serde_json::Error) -> Error {
    Error::internal(format!("cannot encode the export: {err}"))
}
