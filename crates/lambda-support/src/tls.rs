//! Where rustls finds the CA certificates the SDK trusts. Left alone, rustls-native-certs
//! loads the system bundle *and* every file of the certificate directory (on provided.al2023
//! the same bundle again, on Debian some 150 files), which was the largest share of the
//! functions' init beyond a hello world. Pointed at the one bundle it finds the same roots
//! for a fraction of the cost.

use std::path::Path;

/// The system bundles: provided.al2023 (and other Amazon Linux / RHEL), then Debian/Ubuntu.
const BUNDLES: [&str; 2] = [
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/certs/ca-certificates.crt",
];

/// Sets `SSL_CERT_FILE` to the system bundle unless `SSL_CERT_FILE` or `SSL_CERT_DIR` is set.
///
/// # Safety
/// It changes the process environment: call it before any other thread exists (first thing
/// in `main`, before the Tokio runtime starts).
pub unsafe fn use_single_ca_bundle() {
    if std::env::var_os("SSL_CERT_FILE").is_some() || std::env::var_os("SSL_CERT_DIR").is_some() {
        return;
    }
    if let Some(bundle) = BUNDLES.into_iter().find(|path| Path::new(path).is_file()) {
        // SAFETY: the caller guarantees this process has one thread.
        unsafe { std::env::set_var("SSL_CERT_FILE", bundle) };
    }
}

/// Runs a function's async `main` on a multi-thread Tokio runtime, after pointing rustls at
/// the one CA bundle (which has to happen while the process still has one thread).
///
/// # Safety
/// As [`use_single_ca_bundle`]: call it first thing in `main`, before any thread exists.
pub unsafe fn start<T, E: From<std::io::Error>>(
    main: impl Future<Output = Result<T, E>>,
) -> Result<T, E> {
    // SAFETY: the caller guarantees this process has one thread.
    unsafe { use_single_ca_bundle() };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(main)
}
