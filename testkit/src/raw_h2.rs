//! A plaintext HTTP/2 client driven frame by frame, for tests of what one client can make a
//! server hold. A well-behaved client library hides exactly what these tests need: it never
//! opens more streams than the server allows, never leaves a request body open on purpose, and
//! answers flow control for you.
//!
//! [`Raw`] reads and writes on one task; [`Raw::into_split`] gives a [`FrameReader`] and a
//! [`FrameWriter`] for a test that must keep reading (so the server never blocks on a full
//! socket) while it writes.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// The client connection preface.
pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// Frame type DATA.
pub const DATA: u8 = 0x0;
/// Frame type HEADERS.
pub const HEADERS: u8 = 0x1;
/// Frame type RST_STREAM.
pub const RST_STREAM: u8 = 0x3;
/// Frame type SETTINGS.
pub const SETTINGS: u8 = 0x4;
/// Frame type PING.
pub const PING: u8 = 0x6;
/// Frame type GOAWAY.
pub const GOAWAY: u8 = 0x7;
/// Frame type WINDOW_UPDATE.
pub const WINDOW_UPDATE: u8 = 0x8;
/// Flag ACK on SETTINGS and PING.
pub const ACK: u8 = 0x1;
/// Flag END_STREAM on HEADERS and DATA.
pub const END_STREAM: u8 = 0x1;
/// Flag END_HEADERS on HEADERS.
pub const END_HEADERS: u8 = 0x4;
/// Setting SETTINGS_MAX_CONCURRENT_STREAMS.
pub const SETTINGS_MAX_CONCURRENT_STREAMS: u16 = 0x3;
/// Setting SETTINGS_INITIAL_WINDOW_SIZE.
pub const SETTINGS_INITIAL_WINDOW_SIZE: u16 = 0x4;
/// Setting SETTINGS_MAX_HEADER_LIST_SIZE.
pub const SETTINGS_MAX_HEADER_LIST_SIZE: u16 = 0x6;
/// Error code REFUSED_STREAM.
pub const REFUSED_STREAM: u32 = 0x7;
/// The flow-control window of every stream and of the connection until SETTINGS or
/// WINDOW_UPDATE say otherwise.
pub const DEFAULT_WINDOW: u32 = 65_535;
/// The largest frame payload a peer must accept without SETTINGS_MAX_FRAME_SIZE.
pub const DEFAULT_MAX_FRAME_SIZE: usize = 16_384;
/// How long [`Raw::next`] waits for a frame before failing the test.
pub const PATIENCE: Duration = Duration::from_secs(5);

/// One HTTP/2 frame.
#[derive(Debug)]
pub struct Frame {
    /// Its type (`DATA`, `HEADERS`, …).
    pub kind: u8,
    /// Its flags.
    pub flags: u8,
    /// Its stream (0 for the connection).
    pub stream: u32,
    /// Its payload, undecoded.
    pub payload: Vec<u8>,
}

impl Frame {
    /// The error code of a RST_STREAM frame, or `None` for any other frame.
    pub fn reset_code(&self) -> Option<u32> {
        match (self.kind, self.payload.get(..4)) {
            (RST_STREAM, Some(code)) => code.try_into().ok().map(u32::from_be_bytes),
            _ => None,
        }
    }

    /// The increment of a WINDOW_UPDATE frame, or `None` for any other frame.
    pub fn window_increment(&self) -> Option<u32> {
        match (self.kind, self.payload.get(..4)) {
            (WINDOW_UPDATE, Some(inc)) => inc
                .try_into()
                .ok()
                .map(|b| u32::from_be_bytes(b) & 0x7fff_ffff),
            _ => None,
        }
    }

    /// The parameters of a SETTINGS frame, in order.
    pub fn settings(&self) -> Vec<(u16, u32)> {
        self.payload
            .chunks_exact(6)
            .map(|p| {
                (
                    u16::from_be_bytes([p[0], p[1]]),
                    u32::from_be_bytes([p[2], p[3], p[4], p[5]]),
                )
            })
            .collect()
    }
}

/// The value of setting `id` among `settings`, if the peer sent it.
pub fn setting(settings: &[(u16, u32)], id: u16) -> Option<u32> {
    settings.iter().find(|(i, _)| *i == id).map(|(_, v)| *v)
}

/// The header block of a gRPC request head for `path`: HPACK literals without indexing and
/// without Huffman coding, so every stream's block is the same bytes and no HPACK state is
/// shared between streams.
pub fn grpc_request_head(path: &str) -> Vec<u8> {
    let mut block = Vec::new();
    for (name, value) in [
        (":method", "POST"),
        (":scheme", "http"),
        (":path", path),
        (":authority", "localhost"),
        ("content-type", "application/grpc"),
        ("te", "trailers"),
    ] {
        // Literal without indexing, new name; lengths fit the 7-bit prefix.
        block.push(0);
        block.push(u8::try_from(name.len()).expect("a short header name"));
        block.extend_from_slice(name.as_bytes());
        block.push(u8::try_from(value.len()).expect("a short header value"));
        block.extend_from_slice(value.as_bytes());
    }
    block
}

/// The reading half of a connection.
#[derive(Debug)]
pub struct FrameReader(OwnedReadHalf);

impl FrameReader {
    /// The next frame, or `None` once the server has closed the connection. Waits as long as
    /// it takes.
    pub async fn next(&mut self) -> Option<Frame> {
        let mut head = [0_u8; 9];
        self.0.read_exact(&mut head).await.ok()?;
        let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
        let mut payload = vec![0; len];
        self.0.read_exact(&mut payload).await.ok()?;
        let stream = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
        Some(Frame {
            kind: head[3],
            flags: head[4],
            stream,
            payload,
        })
    }
}

/// The writing half of a connection.
#[derive(Debug)]
pub struct FrameWriter(OwnedWriteHalf);

impl FrameWriter {
    /// Sends one frame. Fails once the server has closed the connection.
    pub async fn try_send(
        &mut self,
        kind: u8,
        flags: u8,
        stream: u32,
        payload: &[u8],
    ) -> std::io::Result<()> {
        let len = u32::try_from(payload.len())
            .ok()
            .filter(|len| *len < 1 << 24)
            .expect("a frame payload under 16 MiB")
            .to_be_bytes();
        let mut frame = Vec::with_capacity(9 + payload.len());
        frame.extend_from_slice(&[len[1], len[2], len[3], kind, flags]);
        frame.extend_from_slice(&stream.to_be_bytes());
        frame.extend_from_slice(payload);
        self.0.write_all(&frame).await
    }

    /// Sends one frame; the connection must still be open.
    pub async fn send(&mut self, kind: u8, flags: u8, stream: u32, payload: &[u8]) {
        self.try_send(kind, flags, stream, payload)
            .await
            .expect("send a frame");
    }
}

/// A plaintext HTTP/2 connection driven frame by frame.
#[derive(Debug)]
pub struct Raw {
    reader: FrameReader,
    writer: FrameWriter,
}

impl Raw {
    /// Connects to `addr` and sends the preface and an empty SETTINGS frame.
    pub async fn connect(addr: SocketAddr) -> Self {
        let tcp = TcpStream::connect(addr).await.expect("connect");
        let (read, write) = tcp.into_split();
        let mut raw = Self {
            reader: FrameReader(read),
            writer: FrameWriter(write),
        };
        raw.writer.0.write_all(PREFACE).await.expect("send preface");
        raw.send(SETTINGS, 0, 0, &[]).await;
        raw
    }

    /// Sends one frame; the connection must still be open.
    pub async fn send(&mut self, kind: u8, flags: u8, stream: u32, payload: &[u8]) {
        self.writer.send(kind, flags, stream, payload).await;
    }

    /// The next frame, or `None` once the server has closed the connection. Panics if none
    /// comes within [`PATIENCE`].
    pub async fn next(&mut self) -> Option<Frame> {
        tokio::time::timeout(PATIENCE, self.reader.next())
            .await
            .expect("the server sent a frame in time")
    }

    /// Reads up to the server's SETTINGS, acknowledges them, and returns their parameters.
    pub async fn settings(&mut self) -> Vec<(u16, u32)> {
        loop {
            let frame = self.next().await.expect("the server's SETTINGS");
            if frame.kind == SETTINGS && frame.flags & ACK == 0 {
                self.send(SETTINGS, ACK, 0, &[]).await;
                return frame.settings();
            }
        }
    }

    /// Opens `stream` with a gRPC request head for `path` and leaves its body open, as a
    /// client that never finishes its request would.
    pub async fn open(&mut self, stream: u32, path: &str) {
        self.send(HEADERS, END_HEADERS, stream, &grpc_request_head(path))
            .await;
    }

    /// The two halves, to read on one task while writing on another.
    pub fn into_split(self) -> (FrameReader, FrameWriter) {
        (self.reader, self.writer)
    }
}
