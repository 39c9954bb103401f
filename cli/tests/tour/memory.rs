//! What one abusive, unauthenticated HTTP/2 connection can make the real `stride dev` process
//! hold, measured as its resident memory (VmRSS) in MiB.
//!
//! The protocol-level limits are proven frame by frame in testkit's `http2_limits`; this test
//! puts a number on what they buy. Without them, 30,000 pending streams on one connection grew
//! auth from 30 MB to 293 MB.
//!
//! The connection does what a cheap attacker would: it opens 30,000 `Login` streams whose
//! bodies never end (the stream cap refuses all but the first hundred and the server holds
//! about 1 MiB for them; with the cap lifted it held about 280 MiB). The second test then
//! sends, on every stream the server accepted, as much body as flow control allows (up to
//! [`DATA_BUDGET`]), each body declaring a message as large as the server will wait for. The
//! flow-control windows alone do not bound that (the server grants window as fast as its
//! decoder buffers, so without a budget one connection held `STRIDE_MAX_CONCURRENT_STREAMS` x
//! `STRIDE_MAX_MESSAGE_SIZE`, 400 MiB with the defaults: 19 MiB of growth for 16 MiB sent,
//! 67 MiB for 64 MiB); the per-connection body budget (`shared::server::body_budget`) does.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::time::Duration;

use testkit::raw_h2::{
    DATA, DEFAULT_MAX_FRAME_SIZE, DEFAULT_WINDOW, END_HEADERS, END_STREAM, FrameReader, GOAWAY,
    HEADERS, Raw, SETTINGS_INITIAL_WINDOW_SIZE, SETTINGS_MAX_CONCURRENT_STREAMS, grpc_request_head,
    setting,
};
use tokio::sync::mpsc;

use crate::stack::Stack;

/// Streams the connection tries to open.
const STREAMS: u32 = 30_000;
/// Request body bytes the connection sends at most, over all its streams.
const DATA_BUDGET: usize = 16 * 1024 * 1024;
/// The bound on growth this test proves.
const BOUND_MIB: f64 = 16.0;
/// An unauthenticated RPC.
const LOGIN: &str = "/stride.auth.v1.AuthService/Login";
/// The message length each body declares in its gRPC prefix: the default
/// `STRIDE_MAX_MESSAGE_SIZE`, the largest message the server waits for before decoding.
const DECLARED: u32 = 4 * 1024 * 1024;

/// The resident memory of process `pid`, in MiB.
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .unwrap_or_else(|| panic!("no VmRSS in /proc/{pid}/status"))
        .trim()
        .parse()
        .unwrap();
    kib / 1024.0
}

/// What the reader task saw, in order.
#[derive(Debug)]
enum Event {
    /// The server reset a stream (refused it, or ended it).
    Reset(u32),
    /// The server granted more window to a stream (0: the connection).
    Window(u32, u32),
    /// The server sent GOAWAY or closed the connection.
    Closed,
}

/// Reads every frame the server sends, so it never blocks on a full socket, and reports what
/// flow control needs.
async fn read_all(mut reader: FrameReader, events: mpsc::UnboundedSender<Event>) {
    while let Some(frame) = reader.next().await {
        let event = if frame.kind == GOAWAY {
            Some(Event::Closed)
        } else if frame.reset_code().is_some() {
            Some(Event::Reset(frame.stream))
        } else {
            frame
                .window_increment()
                .map(|inc| Event::Window(frame.stream, inc))
        };
        if let Some(event) = event {
            let _ = events.send(event);
        }
    }
    let _ = events.send(Event::Closed);
}

/// The flow-control windows the server has granted, and what else its frames said.
struct Flow {
    /// Each stream still open, and the body bytes it may still be sent.
    windows: HashMap<u32, i64>,
    /// The body bytes the connection may still be sent.
    connection: i64,
    /// Streams the server reset.
    refused: usize,
    /// False once the server sent GOAWAY or closed the connection.
    open: bool,
}

impl Flow {
    fn apply(&mut self, event: Event) {
        match event {
            Event::Reset(stream) => {
                self.windows.remove(&stream);
                self.refused += 1;
            }
            Event::Window(0, inc) => self.connection += i64::from(inc),
            Event::Window(stream, inc) => {
                if let Some(w) = self.windows.get_mut(&stream) {
                    *w += i64::from(inc);
                }
            }
            Event::Closed => self.open = false,
        }
    }

    fn drain(&mut self, events: &mut mpsc::UnboundedReceiver<Event>) {
        while let Ok(event) = events.try_recv() {
            self.apply(event);
        }
    }
}

/// What the abusive connection managed to do.
#[derive(Debug, Default)]
struct Abuse {
    advertised_streams: Option<u32>,
    opened: u32,
    refused: usize,
    bodies: usize,
    data_sent: usize,
    closed_by_server: bool,
}

/// Warms the process up the ordinary way: a health check, and one raw connection whose one
/// stream is opened and closed, so lazily built state does not count as growth.
async fn warm_up(addr: SocketAddr) {
    testkit::health_status(addr, "").await;
    let mut raw = Raw::connect(addr).await;
    raw.settings().await;
    raw.open(1, LOGIN).await;
    // An empty `LoginRequest`, ending the stream: the server answers with an error status.
    raw.send(DATA, END_STREAM, 1, &[0, 0, 0, 0, 0]).await;
    while let Some(frame) = raw.next().await {
        if frame.stream == 1 && (frame.flags & END_STREAM != 0 || frame.reset_code().is_some()) {
            break;
        }
    }
}

/// Opens [`STREAMS`] streams on one connection, then fills the accepted ones with body, and
/// keeps the connection (and everything the server holds for it) open for `hold`, calling
/// `sample` meanwhile.
async fn abuse(addr: SocketAddr, budget: usize, hold: Duration, mut sample: impl FnMut()) -> Abuse {
    let mut raw = Raw::connect(addr).await;
    let settings = raw.settings().await;
    let mut report = Abuse {
        advertised_streams: setting(&settings, SETTINGS_MAX_CONCURRENT_STREAMS),
        ..Abuse::default()
    };
    let initial_window =
        i64::from(setting(&settings, SETTINGS_INITIAL_WINDOW_SIZE).unwrap_or(DEFAULT_WINDOW));
    let (reader, mut writer) = raw.into_split();
    let (tx, mut events) = mpsc::unbounded_channel();
    let reader = tokio::spawn(read_all(reader, tx));

    // (a) Request heads whose bodies never end.
    let head = grpc_request_head(LOGIN);
    for i in 0..STREAMS {
        if writer
            .try_send(HEADERS, END_HEADERS, 2 * i + 1, &head)
            .await
            .is_err()
        {
            break;
        }
        report.opened += 1;
    }
    // Let the refusals of the last heads arrive.
    tokio::time::sleep(Duration::from_millis(500)).await;

    // (b) Body on every stream still open, within the windows the server grants.
    let mut flow = Flow {
        windows: (0..report.opened)
            .map(|i| (2 * i + 1, initial_window))
            .collect(),
        connection: i64::from(DEFAULT_WINDOW),
        refused: 0,
        open: true,
    };
    flow.drain(&mut events);
    let mut streams: Vec<u32> = flow.windows.keys().copied().collect();
    streams.sort_unstable();
    let mut started = HashSet::new();
    let zeros = vec![0_u8; DEFAULT_MAX_FRAME_SIZE];
    'fill: while flow.open && report.data_sent < budget {
        let mut progressed = false;
        for &stream in &streams {
            let Some(&window) = flow.windows.get(&stream) else {
                continue;
            };
            let n = window
                .min(flow.connection)
                .min((budget - report.data_sent) as i64)
                .min(zeros.len() as i64);
            if n < 5 {
                continue;
            }
            let n = n as usize;
            let mut payload = zeros[..n].to_vec();
            if started.insert(stream) {
                // The gRPC prefix: uncompressed, then the declared length.
                payload[1..5].copy_from_slice(&DECLARED.to_be_bytes());
            }
            if writer.try_send(DATA, 0, stream, &payload).await.is_err() {
                flow.open = false;
                break 'fill;
            }
            report.data_sent += n;
            flow.connection -= n as i64;
            if let Some(w) = flow.windows.get_mut(&stream) {
                *w -= n as i64;
            }
            progressed = true;
            flow.drain(&mut events);
            if !flow.open || report.data_sent >= budget {
                break 'fill;
            }
        }
        if !progressed {
            // Wait for the server to grant more window; stop if it does not.
            match tokio::time::timeout(Duration::from_secs(1), events.recv()).await {
                Ok(Some(event)) => flow.apply(event),
                _ => break,
            }
        }
    }
    flow.drain(&mut events);
    report.bodies = started.len();

    // Hold the connection open while the server holds what it was sent.
    let until = tokio::time::Instant::now() + hold;
    while tokio::time::Instant::now() < until {
        sample();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    sample();
    report.refused = flow.refused;
    report.closed_by_server = !flow.open || reader.is_finished();
    drop(writer);
    reader.abort();
    report
}

/// Runs the abuse against a stack: its resident MiB before and at the peak, and what the
/// connection did.
fn measure(stack: &Stack, budget: usize) -> (f64, f64, Abuse) {
    let addr: SocketAddr = stack.auth.parse().unwrap();
    let pid = stack.pid();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        warm_up(addr).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let baseline = rss_mib(pid);
        let mut peak = baseline;
        let abuse = abuse(addr, budget, Duration::from_secs(1), || {
            peak = peak.max(rss_mib(pid))
        })
        .await;
        (baseline, peak, abuse)
    })
}

/// Starts a stack, abuses it with `budget` bytes of body, prints the figures and asserts the
/// bound.
fn assert_bounded(budget: usize) {
    let stack = Stack::start();
    let (baseline, peak, abuse) = measure(&stack, budget);
    let growth = peak - baseline;
    eprintln!(
        "one abusive connection: baseline {baseline:.1} MiB, peak {peak:.1} MiB, \
         growth {growth:.1} MiB"
    );
    eprintln!(
        "  server advertised {:?} streams; opened {}, reset {}; {} bodies, {} body bytes; \
         closed by the server: {}",
        abuse.advertised_streams,
        abuse.opened,
        abuse.refused,
        abuse.bodies,
        abuse.data_sent,
        abuse.closed_by_server
    );
    assert!(
        growth <= BOUND_MIB,
        "one connection grew the server by {growth:.1} MiB ({abuse:?})\n{}",
        stack.log()
    );
}

#[test]
fn thirty_thousand_request_heads_on_one_connection_grow_the_server_by_at_most_a_few_mib() {
    assert_bounded(0);
}

#[test]
fn request_bodies_on_one_connection_grow_the_server_by_at_most_a_few_mib() {
    assert_bounded(DATA_BUDGET);
}
