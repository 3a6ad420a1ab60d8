//! HTTPS for the functions' AWS endpoints, as on AWS, where every endpoint is HTTPS and a
//! function's first call pays a TLS handshake: a CA made at start, a TLS proxy in front of
//! each backend the functions reach (dynoxide, moto, or a fault proxy), and a CA bundle
//! file the functions trust through `SSL_CERT_FILE`: the bundle their template gives them
//! (none for this project's: on Lambda they read no file) with this CA appended, so loading
//! the roots costs what it costs on Lambda plus one certificate. The stack itself, its stream poller and
//! the tests' clients keep reaching the backends directly.

mod authority;
mod proxy;

use std::{
    io,
    path::PathBuf,
    sync::atomic::{AtomicU64, Ordering},
};

use authority::Authority;
pub use proxy::TlsProxy;

use crate::environment::{ca_bundle, set_ca_bundle};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The SDK's endpoint variables (`AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>`).
const ENDPOINT_VARIABLES: &str = "AWS_ENDPOINT_URL";

pub struct Tls {
    authority: Authority,
    /// This stack's own directory (the CA bundles), removed when dropped.
    directory: PathBuf,
    /// The bundles made so far, by the bundle each extends.
    bundles: Vec<(Option<String>, PathBuf)>,
    proxies: Vec<TlsProxy>,
}

impl Tls {
    /// A new CA; no proxy yet.
    pub fn new() -> Result<Self, BoxError> {
        static MADE: AtomicU64 = AtomicU64::new(0);
        let directory = std::env::temp_dir().join(format!(
            "devstack-tls-{}-{}",
            std::process::id(),
            MADE.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&directory)?;
        Ok(Self {
            authority: Authority::new()?,
            directory,
            bundles: Vec::new(),
            proxies: Vec::new(),
        })
    }

    /// The CA's certificate (PEM).
    pub fn ca_pem(&self) -> &str {
        &self.authority.ca_pem
    }

    /// The proxy in front of `backend` (`http://host:port`), started on first use.
    pub async fn proxy(&mut self, backend: &str) -> io::Result<&TlsProxy> {
        let index = match self.proxies.iter().position(|p| p.backend() == backend) {
            Some(index) => index,
            None => {
                let proxy = TlsProxy::start(backend, self.authority.acceptor.clone()).await?;
                self.proxies.push(proxy);
                self.proxies.len() - 1
            }
        };
        Ok(&self.proxies[index])
    }

    /// Makes a function reach its backends over HTTPS: each endpoint variable names the
    /// proxy in front of its backend, and `SSL_CERT_FILE` a bundle that also trusts this CA.
    pub async fn secure(&mut self, environment: &mut Vec<(String, String)>) -> io::Result<()> {
        for (name, value) in environment.iter_mut() {
            if name.starts_with(ENDPOINT_VARIABLES) {
                *value = self.proxy(value).await?.endpoint().to_string();
            }
        }
        let bundle = self.ca_bundle(ca_bundle(environment))?;
        set_ca_bundle(environment, &bundle);
        Ok(())
    }

    /// A file with the certificates of `base` (a PEM bundle, none when `None`) and this CA.
    pub fn ca_bundle(&mut self, base: Option<&str>) -> io::Result<PathBuf> {
        let base = base.map(str::to_string);
        if let Some((_, path)) = self.bundles.iter().find(|(b, _)| *b == base) {
            return Ok(path.clone());
        }
        let mut pem = match &base {
            Some(base) => std::fs::read_to_string(base)
                .map_err(|error| io::Error::new(error.kind(), format!("{base}: {error}")))?,
            None => String::new(),
        };
        if !pem.is_empty() && !pem.ends_with('\n') {
            pem.push('\n');
        }
        pem.push_str(self.ca_pem());
        let path = self
            .directory
            .join(format!("ca-bundle-{}.pem", self.bundles.len()));
        std::fs::write(&path, pem)?;
        self.bundles.push((base, path.clone()));
        Ok(path)
    }

    /// The bundle the functions were given (one for all: template.yaml names one CA bundle
    /// in its Globals); this CA alone before any function was secured.
    pub fn functions_bundle(&mut self) -> io::Result<PathBuf> {
        match self.bundles.first() {
            Some((_, path)) => Ok(path.clone()),
            None => self.ca_bundle(None),
        }
    }

    /// Handshakes completed by the proxy in front of `backend` (0 when there is none).
    pub fn handshakes(&self, backend: &str) -> u64 {
        self.proxies
            .iter()
            .filter(|p| p.backend() == backend)
            .map(TlsProxy::handshakes)
            .sum()
    }
}

impl Drop for Tls {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.directory);
    }
}

#[cfg(test)]
mod tests;
