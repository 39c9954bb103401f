//! A JSON document streamed as chunks of at most [`CHUNK_BYTES`] through a bounded channel:
//! how both services' data exports answer. The producer (a task of its own) writes pieces as
//! it reads pages of rows; full chunks go to the channel, which holds [`CHANNEL_CHUNKS`], so an
//! export of any size holds a page and a few chunks in memory, and a client that reads slowly
//! slows the producer instead of growing a buffer.

use serde::Serialize;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::error::{Domain, Error};

/// Bytes per streamed chunk, at most.
pub const CHUNK_BYTES: usize = 64 * 1024;
/// Chunks buffered ahead of a slow reader.
pub const CHANNEL_CHUNKS: usize = 4;
/// Why a producer stops when its reader has gone (UNAVAILABLE; nobody is left to see it).
pub const ABANDONED: &str = "EXPORT_ABANDONED";

/// The chunks of one document, as a gRPC handler streams them.
pub type ChunkStream<D> = ReceiverStream<Result<Vec<u8>, Error<D>>>;

/// The writing end of a document.
#[derive(Debug)]
pub struct Chunks<D: Domain> {
    buffer: Vec<u8>,
    sender: mpsc::Sender<Result<Vec<u8>, Error<D>>>,
}

impl<D: Domain> Chunks<D> {
    /// An empty document and the stream its chunks will arrive on.
    pub fn channel() -> (Self, ChunkStream<D>) {
        let (sender, receiver) = mpsc::channel(CHANNEL_CHUNKS);
        let chunks = Self {
            buffer: Vec::with_capacity(CHUNK_BYTES),
            sender,
        };
        (chunks, ReceiverStream::new(receiver))
    }

    /// Appends `bytes`, sending every chunk that fills; UNAVAILABLE [`ABANDONED`] when the
    /// reader is gone.
    pub async fn write(&mut self, mut bytes: &[u8]) -> Result<(), Error<D>> {
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
    pub async fn json<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error<D>> {
        let bytes = serde_json::to_vec(value)
            .map_err(|e| Error::internal(format_args!("cannot encode the export: {e}")))?;
        self.write(&bytes).await
    }

    /// Ends the document with the producer's `result`: sends what is left after a success,
    /// ends the stream with the error after a failure, and says nothing to a reader that left.
    pub async fn finish(mut self, result: Result<(), Error<D>>) {
        match result {
            Ok(()) => {
                if !self.buffer.is_empty() {
                    let chunk = std::mem::take(&mut self.buffer);
                    let _ = self.sender.send(Ok(chunk)).await;
                }
            }
            Err(Error::Unavailable(ABANDONED)) => {
                tracing::debug!("the client left before the end of its data export");
            }
            Err(err) => {
                tracing::warn!(error = %err, "data export failed");
                let _ = self.sender.send(Err(err)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio_stream::StreamExt as _;

    use super::*;

    #[derive(Debug)]
    struct Test;

    impl Domain for Test {
        const DOMAIN: &'static str = "stride.test";
    }

    #[tokio::test]
    async fn a_document_arrives_whole_in_chunks_of_at_most_the_limit() {
        let (mut out, stream) = Chunks::<Test>::channel();
        let piece = vec![b'x'; 10_000];
        let producer = tokio::spawn(async move {
            let mut result = Ok(());
            for _ in 0..20 {
                result = out.write(&piece).await;
            }
            out.finish(result).await;
        });
        let chunks: Vec<Vec<u8>> = stream.map(|c| c.unwrap()).collect().await;
        producer.await.unwrap();
        assert!(
            chunks
                .iter()
                .all(|c| !c.is_empty() && c.len() <= CHUNK_BYTES)
        );
        assert_eq!(chunks.iter().map(Vec::len).sum::<usize>(), 200_000);
        assert_eq!(chunks.len(), 200_000usize.div_ceil(CHUNK_BYTES));
    }

    #[tokio::test]
    async fn a_reader_that_leaves_stops_the_producer() {
        let (mut out, stream) = Chunks::<Test>::channel();
        drop(stream);
        let result = out.write(&vec![0; CHUNK_BYTES]).await;
        assert!(matches!(result, Err(Error::Unavailable(ABANDONED))));
    }
}
