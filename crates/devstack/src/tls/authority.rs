//! The certificate authority a TLS stack makes at start (rcgen) and the one certificate it
//! signs, for every loopback name a function may be given (127.0.0.1, ::1, localhost): no
//! file to install, nothing trusted beyond the functions the stack starts.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use tokio_rustls::{
    TlsAcceptor,
    rustls::{
        ServerConfig,
        crypto::aws_lc_rs,
        pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer},
    },
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The names the served certificate is valid for.
const LOOPBACK_NAMES: [&str; 3] = ["127.0.0.1", "::1", "localhost"];

pub(super) struct Authority {
    /// The CA's certificate, what a client must trust.
    pub ca_pem: String,
    /// Ends TLS with the loopback certificate (HTTP/1.1, as the backends speak it).
    pub acceptor: TlsAcceptor,
}

impl Authority {
    pub fn new() -> Result<Self, BoxError> {
        let mut ca = CertificateParams::new(Vec::<String>::new())?;
        ca.distinguished_name
            .push(DnType::CommonName, "devstack local CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate()?;
        let ca_pem = ca.self_signed(&ca_key)?.pem();
        let issuer = Issuer::new(ca, ca_key);

        let mut leaf = CertificateParams::new(LOOPBACK_NAMES.map(String::from).to_vec())?;
        leaf.distinguished_name
            .push(DnType::CommonName, "devstack loopback");
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let leaf_key = KeyPair::generate()?;
        let leaf_der: CertificateDer<'static> = leaf.signed_by(&leaf_key, &issuer)?.into();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));

        // The provider the AWS SDK's rustls already uses: one crypto stack in the build.
        let mut config =
            ServerConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
                .with_safe_default_protocol_versions()?
                .with_no_client_auth()
                .with_single_cert(vec![leaf_der], key)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            ca_pem,
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }
}
