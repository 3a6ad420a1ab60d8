//! The certificate authorities the functions trust for TLS: the Amazon Trust Services roots,
//! compiled in, plus whatever `SSL_CERT_FILE` names.
//!
//! Why not the system bundle: the functions talk to AWS endpoints only, whose certificates
//! all chain to these five roots, and reading the ~145-certificate bundle of provided.al2023
//! was two thirds of items-api's init instructions beyond a hello world (9.2 of 13.9 million,
//! measured with callgrind; issue #13). `SSL_CERT_FILE` still counts, adding to these roots
//! rather than replacing them: it is how a company's TLS-inspecting proxy CA, or a local
//! stack's CA, is trusted.

use aws_smithy_http_client::tls::{TlsContext, TrustStore};
use base64::{Engine, engine::general_purpose::STANDARD};
use rustls_pki_types::CertificateDer;

/// Amazon Root CA 1–4 and Starfield Services Root CA – G2 (amazontrust.com/repository).
const AMAZON_TRUST_SERVICES: &str = include_str!("../certs/amazon-trust-services.pem");

/// The variable OpenSSL, rustls-native-certs and most TLS stacks read a CA file from.
pub const EXTRA_CAS_VARIABLE: &str = "SSL_CERT_FILE";

/// The TLS context of every SDK client: the compiled-in roots and the certificates of
/// `SSL_CERT_FILE` (read through `lookup`). A file that cannot be read, or certificates in it
/// that cannot be parsed, are logged and left out: the SDK would abort on them.
pub fn tls_context(lookup: impl Fn(&str) -> Option<String>) -> TlsContext {
    let mut store = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(AMAZON_TRUST_SERVICES);
    if let Some(path) = lookup(EXTRA_CAS_VARIABLE).filter(|p| !p.is_empty()) {
        match std::fs::read(&path) {
            Ok(pem) => {
                let (usable, unusable) = usable_certificates(&pem);
                if unusable > 0 {
                    tracing::warn!(path, unusable, "certificates in SSL_CERT_FILE left out");
                }
                for certificate in usable {
                    store.add_pem_certificate(certificate);
                }
            }
            Err(error) => {
                tracing::warn!(path, %error, "SSL_CERT_FILE could not be read");
            }
        }
    }
    TlsContext::builder()
        .with_trust_store(store)
        .build()
        .expect("a rustls TLS context builds from a trust store")
}

/// Each certificate of a PEM file that can serve as a trust anchor, PEM-encoded on its own,
/// and how many could not. The SDK parses what it is given again, and aborts on anything
/// malformed, so it only ever gets sections rebuilt here; base64 is decoded with the `base64`
/// crate, not rustls-pki-types' constant-time decoder (meant for secrets; these are public),
/// which would double the cost of a large file.
fn usable_certificates(pem: &[u8]) -> (Vec<String>, usize) {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let text = String::from_utf8_lossy(pem);
    let (mut usable, mut unusable) = (Vec::new(), 0);
    let mut section: Option<String> = None;
    for line in text.lines().map(str::trim) {
        match section.as_mut() {
            None if line == BEGIN => section = Some(String::new()),
            None => {}
            Some(_) if line == END => {
                let body = section.take().unwrap_or_default();
                match STANDARD.decode(body) {
                    Ok(der)
                        if webpki::anchor_from_trusted_cert(&CertificateDer::from(&der[..]))
                            .is_ok() =>
                    {
                        usable.push(format!("{BEGIN}\n{}\n{END}\n", STANDARD.encode(&der)));
                    }
                    _ => unusable += 1,
                }
            }
            Some(_) if line.starts_with("-----") => {
                unusable += 1;
                section = (line == BEGIN).then(String::new);
            }
            Some(body) => body.push_str(line),
        }
    }
    (usable, unusable + usize::from(section.is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compiled_in_roots_are_the_five_amazon_trust_services_roots() {
        let (usable, unusable) = usable_certificates(AMAZON_TRUST_SERVICES.as_bytes());
        assert_eq!((usable.len(), unusable), (5, 0));
    }

    #[test]
    fn extra_certificates_are_kept_and_broken_ones_left_out() {
        let broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let not_base64 = "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n";
        let key = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        let unterminated = "-----BEGIN CERTIFICATE-----\nAAAA\n";
        let file = format!("{broken}{AMAZON_TRUST_SERVICES}{not_base64}{key}{unterminated}");
        let (usable, unusable) = usable_certificates(file.as_bytes());
        assert_eq!((usable.len(), unusable), (5, 3));
        let (again, _) = usable_certificates(usable.concat().as_bytes());
        assert_eq!(again, usable, "each is re-encoded as it was read");
    }
}
