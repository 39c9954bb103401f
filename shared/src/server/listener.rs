//! Accepting connections: TCP, then (optionally) the TLS handshake, then the HTTP/2 connection
//! preface, all within one deadline, before a connection reaches hyper; and the hard end of
//! every connection's life.
//!
//! hyper starts its keepalive timer only once the HTTP/2 handshake is done, and tonic's own TLS
//! acceptor waits without limit by default, so a peer that connects and stays silent would
//! otherwise hold a task and its buffers until the connection's maximum age. Handshakes run
//! concurrently (one slow peer does not delay the others) in a set owned by the accept task;
//! when tonic drops the stream at shutdown the task ends, closing the listener and abandoning
//! handshakes still in progress.
//!
//! tonic sends GOAWAY at the maximum connection age only when no grace is configured, and then
//! waits for the open streams however long they last (a `WatchRevocations` stream never ends by
//! itself); with a grace it skips the GOAWAY and closes abruptly. So tonic is given the age
//! alone, for the GOAWAY, and the grace is enforced here: past age plus grace the connection's
//! reads and writes fail, and hyper closes it.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::server::Connected;

/// The first bytes of every HTTP/2 connection (RFC 9113, section 3.4).
const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// How long to pause accepting after an accept error (typically EMFILE), so the loop does not
/// spin while descriptors are exhausted.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// A connection whose HTTP/2 preface has been read (to check it arrived in time) and is
/// replayed to hyper before the rest of the stream, and which fails once `ends` has passed.
#[derive(Debug)]
pub struct Prefaced<IO> {
    io: IO,
    replayed: usize,
    ends: Pin<Box<Sleep>>,
}

impl<IO> Prefaced<IO> {
    /// An error once the connection has outlived its maximum age and grace; registers the
    /// caller for that moment otherwise, so an idle connection is woken to close.
    fn expired(&mut self, cx: &mut Context<'_>) -> Option<io::Error> {
        self.ends.as_mut().poll(cx).is_ready().then(|| {
            io::Error::new(
                io::ErrorKind::TimedOut,
                "connection outlived its maximum age and grace",
            )
        })
    }
}

impl<IO: AsyncRead + Unpin> Prefaced<IO> {
    async fn read(mut io: IO, ends: Instant) -> io::Result<Self> {
        let mut preface = [0_u8; PREFACE.len()];
        io.read_exact(&mut preface).await?;
        if &preface != PREFACE {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "not an HTTP/2 connection preface",
            ));
        }
        Ok(Self {
            io,
            replayed: 0,
            ends: Box::pin(tokio::time::sleep_until(ends)),
        })
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Prefaced<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Some(err) = self.expired(cx) {
            return Poll::Ready(Err(err));
        }
        if self.replayed < PREFACE.len() {
            let rest = &PREFACE[self.replayed..];
            let n = rest.len().min(buf.remaining());
            buf.put_slice(&rest[..n]);
            self.replayed += n;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Prefaced<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if let Some(err) = self.expired(cx) {
            return Poll::Ready(Err(err));
        }
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if let Some(err) = self.expired(cx) {
            return Poll::Ready(Err(err));
        }
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

/// The connection's own information (peer address, and client certificates under TLS), so
/// `Request::remote_addr` and `Request::peer_certs` keep working.
impl<IO: Connected> Connected for Prefaced<IO> {
    type ConnectInfo = IO::ConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.io.connect_info()
    }
}

/// Connections from `listener` that completed `handshake` and sent the HTTP/2 preface within
/// `deadline`, with Nagle disabled (RPCs are small and latency-bound), each closed `lifetime`
/// after it was accepted.
pub fn accept<IO, H, Fut>(
    listener: TcpListener,
    deadline: Duration,
    lifetime: Duration,
    handshake: H,
) -> ReceiverStream<io::Result<Prefaced<IO>>>
where
    H: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = io::Result<IO>> + Send + 'static,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        let mut handshakes = JoinSet::new();
        loop {
            tokio::select! {
                () = tx.closed() => break,
                accepted = listener.accept() => match accepted {
                    Ok((tcp, peer)) => {
                        if let Err(err) = tcp.set_nodelay(true) {
                            tracing::debug!(%peer, error = %err, "cannot disable Nagle");
                        }
                        let handshake = handshake(tcp);
                        let ends = Instant::now() + lifetime;
                        handshakes.spawn(async move {
                            let done = tokio::time::timeout(deadline, async move {
                                Prefaced::read(handshake.await?, ends).await
                            });
                            (peer, done.await)
                        });
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "cannot accept a connection");
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                    }
                },
                Some(done) = handshakes.join_next() => match done {
                    Ok((_, Ok(Ok(io)))) => {
                        if tx.send(Ok(io)).await.is_err() {
                            break;
                        }
                    }
                    Ok((peer, Ok(Err(err)))) => {
                        tracing::debug!(%peer, error = %err, "connection handshake failed");
                    }
                    Ok((peer, Err(_))) => {
                        tracing::debug!(%peer, "connection handshake deadline passed");
                    }
                    Err(err) => tracing::warn!(error = %err, "handshake task failed"),
                },
            }
        }
    });
    ReceiverStream::new(rx)
}
