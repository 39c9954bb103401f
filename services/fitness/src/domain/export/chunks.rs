//! The document's bytes as chunks of at most [`CHUNK_BYTES`], sent into a bounded channel.

use serde::Serialize;
use tokio::sync::mpsc;

use crate::error::{Error, Result};

/// Bytes per streamed chunk, at most.
pub const CHUNK_BYTES: usize = 64 * 1024;
/// Why a producer stops when its reader has gone.
pub const ABANDONED: &str = "EXPORT_ABANDONED";

/// The document's bytes, sent in chunks of at most [`CHUNK_BYTES`].
pub struct Chunks {
    buffer: Vec<u8>,
    /// Where full chunks go; an error ends the stream.
    pub sender: mpsc::Sender<Result<Vec<u8>>>,
}

impl Chunks {
    /// An empty document sending into `sender`.
    pub fn new(sender: mpsc::Sender<Result<Vec<u8>>>) -> Self {
        Self {
            buffer: Vec::with_capacity(CHUNK_BYTES),
            sender,
        }
    }

    /// Appends `bytes`, sending every chunk that fills; [`ABANDONED`] when the reader is gone.
    pub async fn write(&mut self, mut bytes: &[u8]) -> Result<()> {
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

    /// Appends `value` as JSON.
    pub async fn json<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let bytes = serde_json::to_vec(value)
            .map_err(|e| Error::internal(format_args!("cannot encode the export: {e}")))?;
        self.write(&bytes).await
    }

    /// Sends what is left.
    pub async fn flush(&mut self) {
        if !self.buffer.is_empty() {
            let chunk = std::mem::take(&mut self.buffer);
            let _ = self.sender.send(Ok(chunk)).await;
        }
    }
}
