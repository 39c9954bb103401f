//! What one client can make a server hold: the HTTP/2 limits of `shared::server`, seen on the
//! wire. Raw frames where a well-behaved client library would hide the limit (it never opens
//! more streams than the server allows), the `h2` client where a response must be decoded.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use shared::pb::auth::v1::WatchRevocationsRequest;
use shared::pb::auth::v1::token_introspection_service_client::TokenIntrospectionServiceClient;
use testkit::raw_h2::{
    ACK, Frame, GOAWAY, PATIENCE, PING, REFUSED_STREAM, RST_STREAM, Raw, SETTINGS,
    SETTINGS_MAX_CONCURRENT_STREAMS, SETTINGS_MAX_HEADER_LIST_SIZE, setting,
};
use testkit::{Backend, TestAuth};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// The request head the raw tests send: a unary call whose body never ends.
const PATH: &str = "/stride.auth.v1.AuthService/GetJwks";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_advertises_its_stream_cap_and_header_list_limit() {
    let auth = TestAuth::spawn_with(Backend::Sqlite, |c| {
        c.server.limits.max_concurrent_streams = 7;
        c.server.limits.max_header_list_size = 8192;
    })
    .await;
    let settings = Raw::connect(auth.addr).await.settings().await;
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
    let mut raw = Raw::connect(auth.addr).await;
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
        raw.open(stream, PATH).await;
    }
    let mut refused = Vec::new();
    while refused.len() < EXCESS as usize {
        let Some(frame) = raw.next().await else {
            break;
        };
        if frame.kind == RST_STREAM {
            assert_eq!(
                frame.reset_code(),
                Some(REFUSED_STREAM),
                "stream {} reset",
                frame.stream
            );
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
    let mut raw = Raw::connect(auth.addr).await;
    raw.settings().await;
    // A stream left open, as a feed stream would be: the GOAWAY alone does not end it.
    raw.open(1, PATH).await;
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

/// Starts a call on `client` whose body declares a `declared`-byte message and sends `sent`
/// bytes of it, leaving the body open; the response future and the open body.
fn partial_call(
    client: &mut h2::client::SendRequest<bytes::Bytes>,
    addr: std::net::SocketAddr,
    declared: u32,
    sent: usize,
) -> (h2::client::ResponseFuture, h2::SendStream<bytes::Bytes>) {
    let request = http::Request::post(format!("http://{addr}/stride.auth.v1.AuthService/Login"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(())
        .unwrap();
    let (response, mut body) = client.send_request(request, false).unwrap();
    let mut data = vec![0_u8; sent];
    data[1..5].copy_from_slice(&declared.to_be_bytes());
    body.send_data(bytes::Bytes::from(data), false).unwrap();
    (response, body)
}

/// The `grpc-status` of a trailers-only answer.
async fn grpc_status(response: h2::client::ResponseFuture) -> http::HeaderMap {
    let response = tokio::time::timeout(PATIENCE, response)
        .await
        .expect("the server answered")
        .unwrap();
    response.headers().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_bodies_of_one_connection_share_a_budget_and_give_it_back() {
    const MIB: usize = 1024 * 1024;
    let auth = TestAuth::spawn_with(Backend::Sqlite, |c| {
        c.server.limits.max_message_size = 2 * MIB;
        c.server.limits.max_buffered_per_connection = 2 * MIB;
    })
    .await;
    let tcp = TcpStream::connect(auth.addr).await.unwrap();
    let (client, connection) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(connection);
    let mut client = client.ready().await.unwrap();

    // 1.5 MiB of a 2 MiB message, held open: three quarters of the connection's budget.
    let (first, first_body) = partial_call(&mut client, auth.addr, 2 * MIB as u32, 3 * MIB / 2);
    tokio::time::sleep(Duration::from_millis(300)).await;
    // A second one on the same connection overdraws it and is refused at once.
    let mut client = client.ready().await.unwrap();
    let (second, _second_body) = partial_call(&mut client, auth.addr, 2 * MIB as u32, MIB);
    let refused = grpc_status(second).await;
    assert_eq!(
        refused.get("grpc-status").and_then(|v| v.to_str().ok()),
        Some("8"),
        "RESOURCE_EXHAUSTED: {refused:?}"
    );
    let status = tonic::Status::from_header_map(&refused).expect("a gRPC status");
    let retry = tonic_types::StatusExt::get_details_retry_info(&status)
        .expect("RetryInfo")
        .retry_delay
        .expect("a delay");
    assert!(retry > Duration::ZERO);

    // Another connection has a budget of its own: a small call there is answered normally.
    let mut other =
        shared::pb::auth::v1::auth_service_client::AuthServiceClient::new(auth.channel().await);
    let jwks = other
        .get_jwks(shared::pb::auth::v1::GetJwksRequest::default())
        .await;
    assert!(jwks.is_ok(), "{jwks:?}");

    // Once the first call is gone, its bytes are back: the same large call is read whole and
    // reaches decoding (a message of zeros is not a valid LoginRequest).
    drop(first_body);
    drop(first);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut client = client.ready().await.unwrap();
    let (third, mut third_body) =
        partial_call(&mut client, auth.addr, (2 * MIB - 5) as u32, 3 * MIB / 2);
    third_body
        .send_data(bytes::Bytes::from(vec![0_u8; 2 * MIB - 3 * MIB / 2]), true)
        .unwrap();
    let answered = grpc_status(third).await;
    assert_ne!(
        answered.get("grpc-status").and_then(|v| v.to_str().ok()),
        Some("8"),
        "the budget came back: {answered:?}"
    );
}
