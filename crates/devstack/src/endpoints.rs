//! `.dev/endpoints.json`: how a running `devstack up` is reached, written by `up` and read
//! back by `invoke` and `peek`.

use std::{
    io,
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};

use crate::{LocalNames, Tls};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Endpoints {
    /// The local API Gateway's base URL.
    pub gateway: String,
    pub dynamodb: String,
    /// S3, SNS and SQS.
    pub moto: String,
    pub api_key: String,
    /// What the template's `!Ref`s resolve to locally.
    pub names: LocalNames,
    pub dead_letter_queue_url: String,
    pub inbox_queue_url: String,
    /// How the functions reach the backends under `up --tls`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsEndpoints>,
}

/// HTTPS endpoints of the backends (TLS proxies in front of them, not the fault proxies) and
/// the CA bundle that trusts them, for a function `devstack invoke` starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TlsEndpoints {
    pub dynamodb: String,
    /// S3, SNS and SQS.
    pub moto: String,
    pub ca_bundle: PathBuf,
}

impl TlsEndpoints {
    /// `tls`'s proxies in front of these backends, and the bundle its functions trust.
    pub(crate) async fn of(tls: &mut Tls, dynamodb: &str, moto: &str) -> io::Result<Self> {
        Ok(Self {
            dynamodb: tls.proxy(dynamodb).await?.endpoint().to_string(),
            moto: tls.proxy(moto).await?.endpoint().to_string(),
            ca_bundle: tls.functions_bundle()?,
        })
    }
}

impl Endpoints {
    /// The file under a stack's root.
    pub fn path(root: &Path) -> PathBuf {
        root.join(".dev/endpoints.json")
    }

    pub fn write(&self, root: &Path) -> io::Result<()> {
        let path = Self::path(root);
        if let Some(directory) = path.parent() {
            std::fs::create_dir_all(directory)?;
        }
        let text = serde_json::to_string_pretty(self).map_err(io::Error::other)?;
        std::fs::write(path, text)
    }

    /// The endpoints of the stack running from `root`.
    pub fn read(root: &Path) -> io::Result<Self> {
        let path = Self::path(root);
        let text = std::fs::read_to_string(&path).map_err(|_| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "{} not found: start the local stack first (scripts/dev)",
                    path.display()
                ),
            )
        })?;
        serde_json::from_str(&text).map_err(|error| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: {error}", path.display()),
            )
        })
    }

    /// Removes the file of the stack that ran from `root` (it has stopped).
    pub fn remove(root: &Path) -> io::Result<()> {
        std::fs::remove_file(Self::path(root))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_reads_back_and_a_bad_one_is_refused_with_its_path() {
        let root = std::env::temp_dir().join(format!("endpoints-test-{}", std::process::id()));
        let endpoints = Endpoints {
            gateway: "http://127.0.0.1:3000".into(),
            dynamodb: "http://127.0.0.1:8000".into(),
            moto: "http://127.0.0.1:5000".into(),
            api_key: "key".into(),
            names: LocalNames::from([("ItemsTable".to_string(), "items".to_string())]),
            dead_letter_queue_url: "http://127.0.0.1:5000/q/dlq".into(),
            inbox_queue_url: "http://127.0.0.1:5000/q/inbox".into(),
            tls: None,
        };
        let missing = Endpoints::read(&root).unwrap_err();
        assert!(missing.to_string().contains("start the local stack first"));
        endpoints.write(&root).unwrap();
        assert_eq!(Endpoints::read(&root).unwrap(), endpoints);
        let text = std::fs::read_to_string(Endpoints::path(&root)).unwrap();
        assert!(!text.contains("tls"), "no TLS, no tls entry: {text}");
        let tls = Endpoints {
            tls: Some(TlsEndpoints {
                dynamodb: "https://127.0.0.1:8443".into(),
                moto: "https://127.0.0.1:5443".into(),
                ca_bundle: root.join("ca-bundle.pem"),
            }),
            ..endpoints.clone()
        };
        tls.write(&root).unwrap();
        assert_eq!(Endpoints::read(&root).unwrap(), tls);

        std::fs::write(Endpoints::path(&root), r#"{"gateway": "http://x"}"#).unwrap();
        let bad = Endpoints::read(&root).unwrap_err().to_string();
        assert!(
            bad.contains("endpoints.json") && bad.contains("missing field"),
            "{bad}"
        );
        Endpoints::remove(&root).unwrap();
        assert!(!Endpoints::path(&root).exists());
        let _ = std::fs::remove_dir_all(&root);
    }
}
