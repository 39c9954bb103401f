//! What the request bodies of one connection may make the server hold at once.
//!
//! tonic reads a request message whole before its handler runs, and grants HTTP/2
//! flow-control window as it buffers, so the windows do not bound what a connection can make
//! the server hold: its streams times the message cap do (100 × 4 MiB by default). So each
//! request may buffer a small [`ALLOWANCE`] of its own, enough for every ordinary RPC, and
//! draws anything beyond it from its connection's budget
//! (`ServerLimits::max_buffered_per_connection`). A request that would overdraw the budget
//! fails at once with RESOURCE_EXHAUSTED and `RetryInfo`, and its bytes return to the budget
//! when its body is dropped (tonic drops it as soon as the message is decoded, before the
//! handler runs).
//!
//! A request of a client-streaming RPC (read from the API's descriptor set) holds the message
//! it is receiving, not all it has sent: tonic's decoder asks its body for more bytes only
//! once every complete message it holds has gone to the handler. So its wrapper follows the
//! gRPC framing (a 5-byte prefix with the length, then the message), and each time more bytes
//! are asked for, only the bytes of the message not yet complete stay drawn: in the transport
//! an upload of any length holds one message at a time (what its handler keeps is the
//! handler's to bound). Every other request keeps all it has sent drawn until its body is
//! dropped, so a unary call cannot stream message after message into the server.
//!
//! A connection is known by its peer address (address and port), which tonic records on every
//! request. Behind a proxy that multiplexes many clients over a few connections (Envoy), the
//! budget is the proxy connection's: size it for the large messages those clients send at once.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use prost::Message as _;
use tonic::Status;
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
use tonic_types::{ErrorDetails, StatusExt as _};

/// Bytes of body every request may buffer without drawing on its connection's budget.
pub const ALLOWANCE: usize = 16 * 1024;

/// When a refused client should try again: by then the requests holding the budget have
/// usually been decoded.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Bytes drawn, per connection; an entry exists while some request of it holds bytes.
#[derive(Debug)]
struct Budgets {
    per_connection: usize,
    drawn: Mutex<HashMap<Option<SocketAddr>, usize>>,
}

impl Budgets {
    fn lock(&self) -> MutexGuard<'_, HashMap<Option<SocketAddr>, usize>> {
        // Every update is a single arithmetic step under the lock; a panic cannot tear it.
        self.drawn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Draws `bytes` from `peer`'s budget; false (drawing nothing) when it would overdraw.
    fn draw(&self, peer: Option<SocketAddr>, bytes: usize) -> bool {
        let mut drawn = self.lock();
        let held = drawn.entry(peer).or_insert(0);
        match held.checked_add(bytes) {
            Some(total) if total <= self.per_connection => {
                *held = total;
                true
            }
            _ => {
                if *held == 0 {
                    drawn.remove(&peer);
                }
                false
            }
        }
    }

    /// Returns `bytes` to `peer`'s budget.
    fn give_back(&self, peer: Option<SocketAddr>, bytes: usize) {
        let mut drawn = self.lock();
        if let Some(held) = drawn.get_mut(&peer) {
            *held = held.saturating_sub(bytes);
            if *held == 0 {
                drawn.remove(&peer);
            }
        }
    }
}

/// The layer giving every request body its connection's budget.
#[derive(Debug, Clone)]
pub struct BodyBudgetLayer {
    budgets: Arc<Budgets>,
    streaming: Arc<HashSet<String>>,
}

/// The paths (`/package.Service/Method`) of every client-streaming RPC of the API.
fn client_streaming_paths() -> HashSet<String> {
    let Ok(set) = prost_types::FileDescriptorSet::decode(crate::FILE_DESCRIPTOR_SET) else {
        return HashSet::new();
    };
    let mut paths = HashSet::new();
    for file in &set.file {
        let package = file.package();
        for service in &file.service {
            for method in &service.method {
                if method.client_streaming() {
                    paths.insert(format!("/{package}.{}/{}", service.name(), method.name()));
                }
            }
        }
    }
    paths
}

impl BodyBudgetLayer {
    /// A layer letting each connection's requests hold `per_connection` bytes beyond their
    /// allowances.
    pub fn new(per_connection: usize) -> Self {
        Self {
            budgets: Arc::new(Budgets {
                per_connection,
                drawn: Mutex::new(HashMap::new()),
            }),
            streaming: Arc::new(client_streaming_paths()),
        }
    }
}

impl<S> tower_layer::Layer<S> for BodyBudgetLayer {
    type Service = BodyBudget<S>;

    fn layer(&self, inner: S) -> Self::Service {
        BodyBudget {
            inner,
            budgets: Arc::clone(&self.budgets),
            streaming: Arc::clone(&self.streaming),
        }
    }
}

/// A service whose request bodies are [`Budgeted`].
#[derive(Debug, Clone)]
pub struct BodyBudget<S> {
    inner: S,
    budgets: Arc<Budgets>,
    streaming: Arc<HashSet<String>>,
}

impl<S, B> tower_service::Service<http::Request<B>> for BodyBudget<S>
where
    S: tower_service::Service<http::Request<Budgeted<B>>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let peer = peer(request.extensions());
        let budgets = Arc::clone(&self.budgets);
        let streaming = self.streaming.contains(request.uri().path());
        self.inner.call(request.map(|inner| Budgeted {
            inner,
            budgets,
            peer,
            frames: streaming.then(Framing::default),
            received: 0,
            drawn: 0,
        }))
    }
}

/// The peer address tonic recorded for the request's connection, plaintext or TLS.
fn peer(extensions: &http::Extensions) -> Option<SocketAddr> {
    extensions
        .get::<TcpConnectInfo>()
        .and_then(TcpConnectInfo::remote_addr)
        .or_else(|| {
            extensions
                .get::<TlsConnectInfo<TcpConnectInfo>>()
                .and_then(|tls| tls.get_ref().remote_addr())
        })
}

/// A request body counting what it hands on: beyond [`ALLOWANCE`], every byte of the message
/// being received is drawn from its connection's budget until that message is complete and
/// more is asked for, or the body is dropped.
#[derive(Debug)]
pub struct Budgeted<B> {
    inner: B,
    budgets: Arc<Budgets>,
    peer: Option<SocketAddr>,
    /// The framing followed, for a client-streaming RPC; `None` keeps every byte drawn.
    frames: Option<Framing>,
    /// Bytes received so far.
    received: usize,
    drawn: usize,
}

/// Where the gRPC length-prefixed framing of a request body stands.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Framing {
    /// Bytes of the 5-byte prefix of the next message seen so far (0–4).
    prefix_seen: usize,
    /// The length read from the prefix so far (big-endian, bytes 1–4).
    length: u32,
    /// Bytes of the current message's body still to come, once its prefix is complete.
    remaining: u64,
    /// Bytes (prefix and body) of the message not yet complete.
    partial: usize,
}

/// Length of the gRPC message prefix: a compression flag and a 4-byte length.
const PREFIX: usize = 5;

impl Framing {
    /// Follows `data` through the framing; afterwards `partial` counts the bytes of the
    /// message it leaves incomplete.
    fn advance(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.remaining > 0 {
                let take = usize::try_from(self.remaining)
                    .unwrap_or(usize::MAX)
                    .min(data.len());
                self.remaining -= take as u64;
                self.partial = self.partial.saturating_add(take);
                data = &data[take..];
            } else {
                // Byte 0 is the compression flag; bytes 1–4 the length.
                if self.prefix_seen > 0 {
                    self.length = (self.length << 8) | u32::from(data[0]);
                }
                self.prefix_seen += 1;
                self.partial = self.partial.saturating_add(1);
                data = &data[1..];
                if self.prefix_seen == PREFIX {
                    self.remaining = u64::from(self.length);
                    self.prefix_seen = 0;
                    self.length = 0;
                }
            }
            if self.remaining == 0 && self.prefix_seen == 0 {
                // A message (possibly empty) is complete.
                self.partial = 0;
            }
        }
    }
}

impl<B> Body for Budgeted<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let frame = match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => frame,
            Poll::Ready(Some(Err(err))) => return Poll::Ready(Some(Err(err.into()))),
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Pending => return Poll::Pending,
        };
        if let Some(data) = frame.data_ref() {
            self.received = self.received.saturating_add(data.len());
            // A streaming request is asked for more only once its complete messages went to
            // the handler: what it holds now is the incomplete message and this frame.
            let held = match &self.frames {
                Some(frames) => frames.partial.saturating_add(data.len()),
                None => self.received,
            };
            let needed = held.saturating_sub(ALLOWANCE);
            if needed > self.drawn {
                let more = needed - self.drawn;
                if !self.budgets.draw(self.peer, more) {
                    return Poll::Ready(Some(Err(Box::new(over_budget(
                        self.budgets.per_connection,
                    )))));
                }
            } else if needed < self.drawn {
                self.budgets.give_back(self.peer, self.drawn - needed);
            }
            self.drawn = needed;
            if let Some(mut frames) = self.frames {
                frames.advance(data);
                self.frames = Some(frames);
            }
        }
        Poll::Ready(Some(Ok(frame)))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<B> Drop for Budgeted<B> {
    fn drop(&mut self) {
        if self.drawn > 0 {
            self.budgets.give_back(self.peer, self.drawn);
        }
    }
}

/// RESOURCE_EXHAUSTED with `RetryInfo`: the connection's requests already hold its budget.
fn over_budget(per_connection: usize) -> Status {
    Status::with_error_details(
        tonic::Code::ResourceExhausted,
        format!(
            "this connection's requests already hold {per_connection} bytes of message data; \
             retry once they are read"
        ),
        ErrorDetails::with_retry_info(Some(RETRY_AFTER)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(len: usize) -> Vec<u8> {
        let mut bytes = vec![0];
        bytes.extend_from_slice(&u32::try_from(len).unwrap().to_be_bytes());
        bytes.extend(std::iter::repeat_n(7, len));
        bytes
    }

    #[test]
    fn the_client_streaming_rpcs_are_read_from_the_api() {
        let paths = client_streaming_paths();
        assert!(paths.contains("/stride.fitness.v1.DataService/ImportWorkouts"));
        assert!(!paths.contains("/stride.auth.v1.AuthService/Login"));
        assert!(
            !paths.contains("/stride.auth.v1.TokenIntrospectionService/WatchRevocations"),
            "a server-streaming RPC is not client-streaming"
        );
    }

    #[test]
    fn framing_counts_only_the_incomplete_message() {
        let mut f = Framing::default();
        let first = message(10);
        f.advance(&first[..3]);
        assert_eq!(f.partial, 3, "inside the prefix");
        f.advance(&first[3..12]);
        assert_eq!(f.partial, 12, "inside the body");
        f.advance(&first[12..]);
        assert_eq!(f.partial, 0, "complete");
        // Two whole messages and the start of a third in one frame, then an empty message.
        let mut data = message(4);
        data.extend(message(300));
        data.extend(&message(1000)[..20]);
        f.advance(&data);
        assert_eq!(f.partial, 20);
        f.advance(&message(1000)[20..]);
        assert_eq!(f.partial, 0);
        f.advance(&message(0));
        assert_eq!(
            f.partial, 0,
            "an empty message is complete after its prefix"
        );
        f.advance(&message(70_000)[..65_541]);
        assert_eq!(f.partial, 65_541, "lengths above 16 bits are read whole");
    }

    #[test]
    fn a_budget_is_drawn_up_to_its_size_and_given_back() {
        let budgets = Budgets {
            per_connection: 100,
            drawn: Mutex::new(HashMap::new()),
        };
        let a = Some(SocketAddr::from(([127, 0, 0, 1], 1)));
        let b = Some(SocketAddr::from(([127, 0, 0, 1], 2)));
        assert!(budgets.draw(a, 60));
        assert!(!budgets.draw(a, 41), "over the budget");
        assert!(budgets.draw(b, 100), "another connection has its own");
        assert!(budgets.draw(a, 40));
        budgets.give_back(a, 100);
        budgets.give_back(b, 100);
        assert!(budgets.lock().is_empty(), "no entry outlives its bytes");
        assert!(!budgets.draw(a, 101));
        assert!(
            budgets.lock().is_empty(),
            "a refused draw leaves nothing behind"
        );
    }
}
