//! `ExportMyData`: everything the auth service holds about the caller, as one JSON document
//! streamed in chunks: the account and profile, the avatar, the second factor's state, every
//! session, refresh and access token (ids and lifetimes: tokens themselves are never stored),
//! every security event and the addresses the account signed in from. Password hashes,
//! secrets and digests are never included.
//!
//! A producer task reads table by table in keyset pages and writes into a bounded channel, so
//! an export of any size holds one page and a few chunks in memory, and a client that reads
//! slowly slows the producer instead of growing a buffer.

use base64::Engine as _;
use serde::Serialize;
use serde_json::{Map, Value, json};
use shared::db::Db;
use shared::time::{Micros, to_timestamp};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::app::AppState;
use crate::domain::caller::Caller;
use crate::domain::security_events::{self, EventType, SecurityEvent};
use crate::domain::{Client, mfa};
use crate::error::{Error, Result};
use crate::store::{export, users};

/// Bytes per streamed chunk, at most.
pub(crate) const CHUNK_BYTES: usize = 64 * 1024;
/// Rows read per page.
const PAGE_ROWS: i64 = 500;
/// Why a producer stops when its reader has gone.
const ABANDONED: &str = "EXPORT_ABANDONED";
/// Chunks buffered ahead of a slow reader.
const CHANNEL_CHUNKS: usize = 4;

/// The export of the caller, as a stream of chunks to concatenate. Records `DATA_EXPORTED`
/// first; an error while producing ends the stream with that error.
pub(crate) async fn export(
    state: &AppState,
    caller: &Caller,
    client: &Client,
) -> Result<ReceiverStream<Result<Vec<u8>>>> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let event = SecurityEvent::new(EventType::DataExported)
        .user(&caller.user_id)
        .session(&caller.session_id)
        .by(client);
    security_events::record(&mut tx, &event, now).await?;
    tx.commit().await?;
    let (sender, receiver) = mpsc::channel(CHANNEL_CHUNKS);
    let (db, user_id) = (state.db.clone(), caller.user_id.clone());
    tokio::spawn(async move {
        let mut out = Chunks {
            buffer: Vec::with_capacity(CHUNK_BYTES),
            sender,
        };
        let result = produce(&db, &user_id, now, &mut out).await;
        match result {
            Ok(()) => {
                out.flush().await;
            }
            Err(Error::Unavailable(ABANDONED)) => {
                tracing::debug!("the client left before the end of its data export");
            }
            Err(err) => {
                tracing::warn!(error = %err, "data export failed");
                let _ = out.sender.send(Err(err)).await;
            }
        }
    });
    Ok(ReceiverStream::new(receiver))
}

/// Writes the whole document into `out`.
async fn produce(db: &Db, user_id: &str, now: Micros, out: &mut Chunks) -> Result<()> {
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

/// The document's bytes, sent in chunks of at most [`CHUNK_BYTES`].
struct Chunks {
    buffer: Vec<u8>,
    sender: mpsc::Sender<Result<Vec<u8>>>,
}

impl Chunks {
    async fn write(&mut self, mut bytes: &[u8]) -> Result<()> {
        while !bytes.is_empty() {
            let room = CHUNK_BYTES - self.buffer.len();
            let (now, rest) = bytes.split_at(room.min(bytes.len()));
            self.buffer.extend_from_slice(now);
            bytes = rest;
            if self.buffer.len() == CHUNK_BYTES {
                let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK_BYTES));
                if self.sender.send(Ok(chunk)).await.is_err() {
                    return Err(Error::Unavailable(ABANDONED));
                }
            }
        }
        Ok(())
    }

    async fn json(&mut self, value: &impl Serialize) -> Result<()> {
        let bytes = serde_json::to_vec(value).map_err(json_error)?;
        self.write(&bytes).await
    }

    async fn flush(&mut self) {
        if !self.buffer.is_empty() {
            let chunk = std::mem::take(&mut self.buffer);
            let _ = self.sender.send(Ok(chunk)).await;
        }
    }
}
