//! A TLS stack against a plain loopback backend: what a function's environment becomes, and a
//! real client trusting the bundle it names.

use std::sync::Arc;

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};
use tokio_rustls::{
    TlsConnector,
    rustls::{
        ClientConfig, RootCertStore,
        crypto::aws_lc_rs,
        pki_types::{CertificateDer, ServerName, pem::PemObject},
    },
};

use super::*;

/// A backend answering one request per connection with `200 ok` and closing it, as moto does.
async fn plain_backend() -> String {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0; 1024];
                if stream.read(&mut request).await.is_ok() {
                    let _ = stream
                        .write_all(
                            b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok",
                        )
                        .await;
                }
            });
        }
    });
    format!("http://{address}")
}

/// A client trusting only `bundle`, connected to `endpoint` (`https://host:port`).
async fn connect(
    endpoint: &str,
    bundle: &std::path::Path,
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let mut roots = RootCertStore::empty();
    for certificate in CertificateDer::pem_file_iter(bundle).unwrap() {
        roots.add(certificate.unwrap()).unwrap();
    }
    let config = ClientConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let address = endpoint.strip_prefix("https://").unwrap();
    let host = address.rsplit_once(':').unwrap().0.to_string();
    let tcp = TcpStream::connect(address).await?;
    TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from(host).unwrap(), tcp)
        .await
}

/// One request on `tls`, and the answer's start.
async fn ask(tls: &mut tokio_rustls::client::TlsStream<TcpStream>) -> std::io::Result<String> {
    tls.write_all(b"GET / HTTP/1.1\r\nhost: local\r\n\r\n")
        .await?;
    let mut answer = vec![0; 1024];
    let read = tls.read(&mut answer).await?;
    if read == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    Ok(String::from_utf8_lossy(&answer[..read]).into_owned())
}

/// A request to `endpoint` on a connection of its own.
async fn get(endpoint: &str, bundle: &std::path::Path) -> std::io::Result<String> {
    ask(&mut connect(endpoint, bundle).await?).await
}

#[tokio::test]
async fn a_function_reaches_its_backend_over_https_trusting_its_bundle_and_its_ca() {
    let backend = plain_backend().await;
    let mut tls = Tls::new().unwrap();
    // The bundle the function trusted before: one other CA (a company proxy's, say).
    let company = Tls::new().unwrap();
    let base = company.directory.join("company-ca.pem");
    std::fs::write(&base, company.ca_pem()).unwrap();
    let mut environment = vec![
        ("AWS_ENDPOINT_URL_DYNAMODB".to_string(), backend.clone()),
        ("SSL_CERT_FILE".to_string(), base.display().to_string()),
        ("DYNAMODB_TABLE".to_string(), "items".to_string()),
    ];
    tls.secure(&mut environment).await.unwrap();

    let endpoint = environment[0].1.clone();
    assert!(endpoint.starts_with("https://127.0.0.1:"), "{endpoint}");
    assert_eq!(environment[1].0, "DYNAMODB_TABLE", "{environment:?}");
    let bundle = PathBuf::from(ca_bundle(&environment).unwrap());
    let pem = std::fs::read_to_string(&bundle).unwrap();
    assert!(
        pem.starts_with(company.ca_pem()) && pem.ends_with(tls.ca_pem()),
        "the old bundle, then the stack's CA"
    );
    assert_eq!(tls.functions_bundle().unwrap(), bundle);

    assert_eq!(tls.handshakes(&backend), 0);
    let answer = get(&endpoint, &bundle).await.unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200 OK") && answer.ends_with("ok"),
        "{answer}"
    );
    assert_eq!(tls.handshakes(&backend), 1);
    let localhost = endpoint.replace("127.0.0.1", "localhost");
    assert!(
        get(&localhost, &bundle).await.is_ok(),
        "valid for localhost too"
    );

    let refused = get(&endpoint, &base).await.unwrap_err().to_string();
    assert!(refused.contains("certificate"), "{refused}");
    assert_eq!(
        tls.handshakes(&backend),
        2,
        "the refused handshake is not counted"
    );
}

#[tokio::test]
async fn a_client_keeps_its_connection_though_the_backend_closes_each_and_a_reset_passes_on() {
    let backend = plain_backend().await;
    let mut tls = Tls::new().unwrap();
    let endpoint = tls.proxy(&backend).await.unwrap().endpoint().to_string();
    let bundle = tls.functions_bundle().unwrap();
    let mut connection = connect(&endpoint, &bundle).await.unwrap();
    for _ in 0..3 {
        let answer = ask(&mut connection).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
        assert!(
            !answer.to_ascii_lowercase().contains("connection: close"),
            "{answer}"
        );
    }
    assert_eq!(tls.handshakes(&backend), 1, "one handshake for three calls");

    // A backend that resets every connection (a fault proxy's `reset`).
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let resetting = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_zero_linger();
        }
    });
    let endpoint = tls.proxy(&resetting).await.unwrap().endpoint().to_string();
    let failed = get(&endpoint, &bundle).await.unwrap_err();
    assert!(
        matches!(
            failed.kind(),
            std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::UnexpectedEof
        ),
        "{failed:?}"
    );
}
