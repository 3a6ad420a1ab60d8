//! A TLS endpoint in front of one plain-HTTP backend: it ends TLS and sends each request on
//! to the backend (over connections it keeps open where the backend does). A client's
//! connection stays open across requests, as AWS's endpoints keep them, whatever the backend
//! does with its own (moto closes each), so a client pays a handshake per connection, not per
//! call. A backend that resets a call's connection (a fault proxy's `reset`) resets the
//! client's.

use std::{
    fmt,
    os::fd::{AsRawFd, RawFd},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use hyper::{
    Request,
    body::Incoming,
    header::{CONNECTION, HeaderName},
};
use hyper_util::rt::TokioIo;
use tokio::{
    net::{TcpListener, TcpStream},
    sync::watch,
};
use tokio_rustls::TlsAcceptor;

use crate::http;

/// Headers about one hop's connection, which a proxy does not pass on (RFC 9110 7.6.1).
const HOP_BY_HOP: [HeaderName; 1] = [CONNECTION];

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
        if !backend.starts_with("http://") {
            return Err(std::io::Error::other(format!(
                "not an http:// backend: {backend}"
            )));
        }
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let endpoint = format!("https://{}", listener.local_addr()?);
        let handshakes = Arc::new(AtomicU64::new(0));
        let (stop, stopped) = watch::channel(false);
        let connection = Connection {
            acceptor,
            backend: Arc::from(backend.trim_end_matches('/')),
            client: http::client(),
            handshakes: handshakes.clone(),
        };
        http::accept_until_stopped(listener, stopped, move |client| {
            connection.clone().serve(client)
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

/// What serving one client connection needs.
#[derive(Clone)]
struct Connection {
    acceptor: TlsAcceptor,
    backend: Arc<str>,
    /// Shared by the proxy's connections (its tasks run on the runtime that started it).
    client: http::HttpClient,
    handshakes: Arc<AtomicU64>,
}

impl Connection {
    /// The handshake, then the client's requests, one after another, until it closes.
    async fn serve(self, client: TcpStream) {
        let _ = client.set_nodelay(true);
        let fd = client.as_raw_fd();
        let Ok(tls) = self.acceptor.accept(client).await else {
            return;
        };
        self.handshakes.fetch_add(1, Ordering::Relaxed);
        let (backend, client) = (self.backend, self.client);
        let service = hyper::service::service_fn(move |request| {
            let (backend, client) = (backend.clone(), client.clone());
            async move { forward(&client, request, &backend, fd).await }
        });
        // An error here is a reset passed on, or a client that went away.
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(tls), service)
            .await;
    }
}

/// Why a call ends without an answer: its backend connection failed, and hyper drops the
/// client's connection, with `SO_LINGER` 0 a reset.
#[derive(Debug)]
struct BackendFailed(String);

impl fmt::Display for BackendFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "backend failed: {}", self.0)
    }
}

impl std::error::Error for BackendFailed {}

async fn forward(
    client: &http::HttpClient,
    request: Request<Incoming>,
    backend: &str,
    fd: RawFd,
) -> Result<http::Answer, BackendFailed> {
    match http::forward(client, request, backend).await {
        Ok(mut answer) => {
            for header in &HOP_BY_HOP {
                answer.headers_mut().remove(header);
            }
            Ok(answer)
        }
        Err(error) => {
            http::reset_on_close(fd);
            Err(BackendFailed(error.to_string()))
        }
    }
}
