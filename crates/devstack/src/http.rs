//! Plain-HTTP calls to loopback servers (moto's own API, the local gateway, the backends
//! behind a fault proxy or a TLS proxy), through hyper's client. Each call has a client, and
//! so a connection, of its own: nothing outlives the call, so calls from different Tokio
//! runtimes (one per test) never share a connection. Also the proxies' shared parts: the
//! accept loop, forwarding, and passing a backend's reset on.

use std::io;

use http_body_util::{BodyExt, Full};
use hyper::{
    Request, Response,
    body::{Bytes, Incoming},
};
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};

#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    /// Lower-cased names, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// `url` is `http://host:port/path?query`.
pub async fn request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<HttpResponse> {
    let mut request = Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Full::new(Bytes::copy_from_slice(body)))
        .map_err(|e| io::Error::other(format!("{method} {url}: {e}")))?;
    let response = send(request)
        .await
        .map_err(|e| io::Error::other(format!("{method} {url}: {e}")))?;
    Ok(HttpResponse {
        status: response.status().as_u16(),
        headers: response
            .headers()
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_string(), value)
            })
            .collect(),
        body: response.into_body().to_vec(),
    })
}

/// A client of plain-HTTP servers; it keeps its connections open for the calls that follow.
pub(crate) type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// A new client (and so new connections).
pub(crate) fn client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// Sends `request` (its URI absolute) on a client of its own and reads the whole answer.
pub(crate) async fn send(
    request: Request<Full<Bytes>>,
) -> Result<Response<Bytes>, Box<dyn std::error::Error + Send + Sync>> {
    send_with(&client(), request).await
}

async fn send_with(
    client: &HttpClient,
    request: Request<Full<Bytes>>,
) -> Result<Response<Bytes>, Box<dyn std::error::Error + Send + Sync>> {
    let (parts, body) = client.request(request).await?.into_parts();
    let body = body.collect().await?.to_bytes();
    Ok(Response::from_parts(parts, body))
}

/// A proxy's answer, read whole.
pub(crate) type Answer = Response<Full<Bytes>>;

/// Sends a request a proxy received on to `backend` (`http://host:port`) through `client`
/// and reads the whole answer.
pub(crate) async fn forward(
    client: &HttpClient,
    request: Request<Incoming>,
    backend: &str,
) -> Result<Answer, Box<dyn std::error::Error + Send + Sync>> {
    let (mut parts, body) = request.into_parts();
    let body = body.collect().await?.to_bytes();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    parts.uri = format!("{backend}{path}").parse()?;
    let (parts, body) = send_with(client, Request::from_parts(parts, Full::new(body)))
        .await?
        .into_parts();
    Ok(Response::from_parts(parts, Full::new(body)))
}

/// Makes the next close of `fd` send RST instead of FIN (a proxy passing a reset on).
pub(crate) fn reset_on_close(fd: std::os::fd::RawFd) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: `fd` is an open connection the caller serves; the option value is a valid
    // `linger` of the size passed.
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

/// Accepts connections on `listener` on a task of its own, handing each to `serve` on a task
/// of its own, until `stopped` changes or its sender is dropped (the proxies' handles hold
/// the sender, so dropping a proxy stops its accepting).
pub(crate) fn accept_until_stopped<F, Serving>(
    listener: tokio::net::TcpListener,
    mut stopped: tokio::sync::watch::Receiver<bool>,
    serve: F,
) where
    F: Fn(tokio::net::TcpStream) -> Serving + Send + 'static,
    Serving: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = stopped.changed() => return,
            };
            let Ok((stream, _)) = accepted else { continue };
            tokio::spawn(serve(stream));
        }
    });
}
