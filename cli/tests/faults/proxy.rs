//! A TCP proxy a test can cut: while cut, its port refuses connections and every connection
//! it carried is closed, as when a server goes down or a network link drops; restored, it
//! listens on the same port again.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A proxy from its own port to `upstream`.
pub struct Proxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    upstream: SocketAddr,
    /// Bumped on every cut: connections of an older generation close.
    generation: Arc<watch::Sender<u64>>,
    accepting: Option<JoinHandle<()>>,
}

impl Proxy {
    /// Starts forwarding a free local port to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (generation, _) = watch::channel(0);
        let mut proxy = Self {
            addr,
            upstream,
            generation: Arc::new(generation),
            accepting: None,
        };
        proxy.accepting = Some(proxy.accept(listener));
        proxy
    }

    fn accept(&self, listener: TcpListener) -> JoinHandle<()> {
        let upstream = self.upstream;
        let generation = Arc::clone(&self.generation);
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let mut cut = generation.subscribe();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let (mut client, mut server) = (client, server);
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        })
    }

    /// Closes every connection and stops listening: new connections are refused.
    pub fn cut(&mut self) {
        if let Some(accepting) = self.accepting.take() {
            accepting.abort();
        }
        self.generation.send_modify(|g| *g += 1);
    }

    /// Listens on the same port again.
    pub async fn restore(&mut self) {
        assert!(self.accepting.is_none(), "the proxy is not cut");
        // The aborted task drops its listener when it is polled again; retry until the port is
        // free.
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(listener) => break listener,
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            }
        };
        self.accepting = Some(self.accept(listener));
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
    }
}
