//! A TLS endpoint in front of one plain-HTTP backend: it ends TLS and pipes the bytes to the
//! backend over a connection of its own, one per client connection, so what the client does
//! with its connections (keep-alive, a reset from a fault proxy behind) is what the backend
//! sees, and every new connection costs the client a real handshake, as on AWS.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use tokio::{
    io::copy_bidirectional,
    net::{TcpListener, TcpStream},
    sync::watch,
};
use tokio_rustls::TlsAcceptor;

/// A running proxy; stops when dropped.
pub struct TlsProxy {
    /// `https://127.0.0.1:port`.
    endpoint: String,
    /// `http://host:port` it forwards to.
    backend: String,
    handshakes: Arc<AtomicU64>,
    _stop: watch::Sender<bool>,
}

impl TlsProxy {
    /// Serves on a free loopback port, forwarding to `backend` (`http://host:port`).
    pub(super) async fn start(backend: &str, acceptor: TlsAcceptor) -> std::io::Result<Self> {
        let address = backend
            .strip_prefix("http://")
            .map(|rest| rest.trim_end_matches('/'))
            .filter(|address| !address.contains('/'))
            .ok_or_else(|| std::io::Error::other(format!("not an http://host:port: {backend}")))?
            .to_string();
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let endpoint = format!("https://{}", listener.local_addr()?);
        let handshakes = Arc::new(AtomicU64::new(0));
        let (stop, mut stopped) = watch::channel(false);
        let counted = handshakes.clone();
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    accepted = listener.accept() => accepted,
                    _ = stopped.changed() => return,
                };
                let Ok((client, _)) = accepted else { continue };
                tokio::spawn(pipe(
                    client,
                    acceptor.clone(),
                    address.clone(),
                    counted.clone(),
                ));
            }
        });
        Ok(Self {
            endpoint,
            backend: backend.to_string(),
            handshakes,
            _stop: stop,
        })
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn backend(&self) -> &str {
        &self.backend
    }

    /// TLS handshakes completed so far (each a new client connection).
    pub fn handshakes(&self) -> u64 {
        self.handshakes.load(Ordering::Relaxed)
    }
}

/// One client connection: the handshake, then bytes both ways until either side closes. A
/// backend that resets the connection gets the client's reset too.
async fn pipe(
    client: TcpStream,
    acceptor: TlsAcceptor,
    backend: String,
    handshakes: Arc<AtomicU64>,
) {
    let _ = client.set_nodelay(true);
    let Ok(mut tls) = acceptor.accept(client).await else {
        return;
    };
    handshakes.fetch_add(1, Ordering::Relaxed);
    let Ok(mut upstream) = TcpStream::connect(&backend).await else {
        let _ = tls.get_ref().0.set_zero_linger();
        return;
    };
    let _ = upstream.set_nodelay(true);
    if copy_bidirectional(&mut tls, &mut upstream).await.is_err() {
        let _ = tls.get_ref().0.set_zero_linger();
    }
}
