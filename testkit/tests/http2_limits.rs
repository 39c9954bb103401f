//! What one client can make a server hold: the HTTP/2 limits of `shared::server`, seen on the
//! wire. Raw frames where a well-behaved client library would hide the limit (it never opens
//! more streams than the server allows), the `h2` client where a response must be decoded.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use shared::pb::auth::v1::WatchRevocationsRequest;
use shared::pb::auth::v1::token_introspection_service_client::TokenIntrospectionServiceClient;
use testkit::{Backend, TestAuth};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const HEADERS: u8 = 0x1;
const RST_STREAM: u8 = 0x3;
const SETTINGS: u8 = 0x4;
const PING: u8 = 0x6;
const GOAWAY: u8 = 0x7;
const ACK: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
const SETTINGS_MAX_CONCURRENT_STREAMS: u16 = 0x3;
const SETTINGS_MAX_HEADER_LIST_SIZE: u16 = 0x6;
const REFUSED_STREAM: u32 = 0x7;
const PATIENCE: Duration = Duration::from_secs(5);

/// One HTTP/2 frame.
#[derive(Debug)]
struct Frame {
    kind: u8,
    flags: u8,
    stream: u32,
    payload: Vec<u8>,
}

/// A plaintext HTTP/2 connection driven frame by frame.
struct Raw(TcpStream);

impl Raw {
    /// Connects and sends the preface and an empty SETTINGS frame.
    async fn connect(auth: &TestAuth) -> Self {
        let mut raw = Self(TcpStream::connect(auth.addr).await.unwrap());
        raw.0.write_all(PREFACE).await.unwrap();
        raw.send(SETTINGS, 0, 0, &[]).await;
        raw
    }

    async fn send(&mut self, kind: u8, flags: u8, stream: u32, payload: &[u8]) {
        let len = u32::try_from(payload.len()).unwrap().to_be_bytes();
        let mut frame = vec![len[1], len[2], len[3], kind, flags];
        frame.extend_from_slice(&stream.to_be_bytes());
        frame.extend_from_slice(payload);
        self.0.write_all(&frame).await.unwrap();
    }

    /// The next frame, or `None` once the server has closed the connection.
    async fn next(&mut self) -> Option<Frame> {
        let mut head = [0_u8; 9];
        tokio::time::timeout(PATIENCE, self.0.read_exact(&mut head))
            .await
            .expect("the server sent a frame in time")
            .ok()?;
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

    /// Reads up to the server's SETTINGS, acknowledges them, and returns their parameters.
    async fn settings(&mut self) -> Vec<(u16, u32)> {
        loop {
            let frame = self.next().await.expect("the server's SETTINGS");
            if frame.kind == SETTINGS && frame.flags & ACK == 0 {
                self.send(SETTINGS, ACK, 0, &[]).await;
                return frame
                    .payload
                    .chunks_exact(6)
                    .map(|p| {
                        (
                            u16::from_be_bytes([p[0], p[1]]),
                            u32::from_be_bytes([p[2], p[3], p[4], p[5]]),
                        )
                    })
                    .collect();
            }
        }
    }

    /// Opens `stream` with a gRPC request head and leaves its body open, as a client that
    /// never finishes its request would.
    async fn open(&mut self, stream: u32) {
        let mut block = Vec::new();
        for (name, value) in [
            (":method", "POST"),
            (":scheme", "http"),
            (":path", "/stride.auth.v1.AuthService/GetJwks"),
            (":authority", "localhost"),
            ("content-type", "application/grpc"),
            ("te", "trailers"),
        ] {
            // HPACK literal without indexing, new name, no Huffman coding.
            block.push(0);
            block.push(u8::try_from(name.len()).unwrap());
            block.extend_from_slice(name.as_bytes());
            block.push(u8::try_from(value.len()).unwrap());
            block.extend_from_slice(value.as_bytes());
        }
        self.send(HEADERS, END_HEADERS, stream, &block).await;
    }
}

fn setting(settings: &[(u16, u32)], id: u16) -> Option<u32> {
    settings.iter().find(|(i, _)| *i == id).map(|(_, v)| *v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_advertises_its_stream_cap_and_header_list_limit() {
    let auth = TestAuth::spawn_with(Backend::Sqlite, |c| {
        c.server.limits.max_concurrent_streams = 7;
        c.server.limits.max_header_list_size = 8192;
    })
    .await;
    let settings = Raw::connect(&auth).await.settings().await;
    assert_eq!(
        setting(&settings, SETTINGS_MAX_CONCURRENT_STREAMS),
        Some(7),
        "{settings:?}"
    );
    assert_eq!(
        setting(&settings, SETTINGS_MAX_HEADER_LIST_SIZE),
        Some(8192),
        "{settings:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_beyond_the_cap_on_one_connection_are_refused() {
    const CAP: u32 = 4;
    const EXCESS: u32 = 3;
    let auth = TestAuth::spawn_with(Backend::Sqlite, |c| {
        c.server.limits.max_concurrent_streams = CAP;
    })
    .await;
    let mut raw = Raw::connect(&auth).await;
    raw.settings().await;
    // Wait for the server to acknowledge ours, so the connection is fully set up.
    while !matches!(
        raw.next().await,
        Some(Frame {
            kind: SETTINGS,
            flags: ACK,
            ..
        })
    ) {}
    let streams: Vec<u32> = (0..CAP + EXCESS).map(|i| 2 * i + 1).collect();
    for &stream in &streams {
        raw.open(stream).await;
    }
    let mut refused = Vec::new();
    while refused.len() < EXCESS as usize {
        let Some(frame) = raw.next().await else {
            break;
        };
        if frame.kind == RST_STREAM {
            let code = u32::from_be_bytes(frame.payload[..4].try_into().unwrap());
            assert_eq!(code, REFUSED_STREAM, "stream {} reset", frame.stream);
            refused.push(frame.stream);
        }
    }
    assert_eq!(
        refused,
        streams[CAP as usize..],
        "exactly the streams beyond the cap are refused"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_connection_is_closed_at_the_handshake_deadline() {
    let auth = TestAuth::spawn_with(Backend::Sqlite, |c| {
        c.server.limits.handshake_timeout = Duration::from_millis(200);
    })
    .await;
    let mut tcp = TcpStream::connect(auth.addr).await.unwrap();
    let mut buf = [0_u8; 64];
    let read = tokio::time::timeout(PATIENCE, tcp.read(&mut buf))
        .await
        .expect("the server closed the silent connection");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_connection_is_pinged_and_an_old_one_is_sent_goaway_then_closed() {
    let auth = TestAuth::spawn_with(Backend::Sqlite, |c| {
        c.server.limits.keepalive_interval = Duration::from_millis(100);
        c.server.limits.max_connection_age = Duration::from_millis(600);
        c.server.limits.max_connection_age_grace = Duration::from_millis(200);
    })
    .await;
    let mut raw = Raw::connect(&auth).await;
    raw.settings().await;
    // A stream left open, as a feed stream would be: the GOAWAY alone does not end it.
    raw.open(1).await;
    let (mut pinged, mut goaway) = (false, false);
    while let Some(frame) = raw.next().await {
        match frame.kind {
            PING if frame.flags & ACK == 0 => {
                pinged = true;
                raw.send(PING, ACK, 0, &frame.payload).await;
            }
            GOAWAY => goaway = true,
            _ => {}
        }
    }
    assert!(pinged, "no keepalive PING on an idle connection");
    assert!(
        goaway,
        "no GOAWAY once the connection reached its maximum age"
    );
    // `raw.next()` returned `None` within its patience: the connection was closed after the
    // grace although a stream was still open.
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unary_call_past_the_request_timeout_is_cut_while_a_feed_stream_lives_on() {
    let timeout = Duration::from_millis(300);
    let auth = TestAuth::spawn_with(Backend::Sqlite, |c| {
        c.server.limits.request_timeout = timeout;
    })
    .await;

    // The feed stream (heartbeats every second in tests) outlives several request timeouts.
    let mut feed = TokenIntrospectionServiceClient::new(auth.channel().await);
    let mut request = tonic::Request::new(WatchRevocationsRequest::default());
    request
        .metadata_mut()
        .insert("x-stride-service-key", "test-service-key".parse().unwrap());
    let started = tokio::time::Instant::now();
    let mut stream = feed.watch_revocations(request).await.unwrap().into_inner();

    // A unary request whose body never ends: its handler waits for it until the timeout.
    let tcp = TcpStream::connect(auth.addr).await.unwrap();
    let (client, connection) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(connection);
    let mut client = client.ready().await.unwrap();
    let request = http::Request::post(format!(
        "http://{}/stride.auth.v1.AuthService/GetJwks",
        auth.addr
    ))
    .header("content-type", "application/grpc")
    .header("te", "trailers")
    .body(())
    .unwrap();
    let (response, _body_left_open) = client.send_request(request, false).unwrap();
    let response = tokio::time::timeout(PATIENCE, response)
        .await
        .expect("the server answered the stalled call")
        .unwrap();
    let status = response
        .headers()
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    // CANCELLED (tonic's code for its own timeout) or DEADLINE_EXCEEDED.
    assert!(status == "1" || status == "4", "grpc-status {status:?}");

    while started.elapsed() < timeout * 5 {
        let message = tokio::time::timeout(PATIENCE, stream.message())
            .await
            .expect("a heartbeat in time");
        assert!(
            matches!(message, Ok(Some(_))),
            "the feed stream ended after {:?}: {message:?}",
            started.elapsed()
        );
    }
}
