//! moto server (S3, SNS, SQS), installed by `scripts/install-moto` into the workspace's
//! `.venv`, started on a free loopback port and stopped when dropped.

use std::{collections::BTreeSet, io, path::PathBuf, process::Stdio, sync::Mutex, time::Duration};

use serde_json::Value;
use tokio::{
    net::TcpListener,
    process::{Child, Command},
};

/// How moto is started: the program that must exist (moto's own executable, the sign that
/// scripts/install-moto ran) and the command line. By default the workspace's `.venv` Python
/// runs `moto/server.py`, moto with SQS sends that do not slow down as a queue fills (see that
/// file); `MOTO_SERVER` names another moto executable, run as it is.
fn moto_server() -> (PathBuf, PathBuf, Vec<PathBuf>) {
    if let Some(program) = std::env::var_os("MOTO_SERVER") {
        return (program.clone().into(), program.into(), Vec::new());
    }
    let venv = venv_bin();
    (
        venv.join("moto_server"),
        venv.join("python"),
        vec![devstack_dir().join("moto/server.py")],
    )
}

fn devstack_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The workspace's `.venv/bin`, where scripts/install-moto puts moto and its Python.
fn venv_bin() -> PathBuf {
    devstack_dir().join("../../.venv/bin")
}

pub struct Moto {
    endpoint: String,
    port: u16,
    _child: Child,
}

/// Ports this process handed to moto servers that are still running. A free port is
/// released before moto binds it, so another start in this process (tests run side by side)
/// must not be given it again meanwhile.
static HANDED_OUT: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());

impl Drop for Moto {
    fn drop(&mut self) {
        HANDED_OUT.lock().unwrap().remove(&self.port);
    }
}

/// One message moto recorded as published to a topic.
#[derive(Debug, Clone, PartialEq)]
pub struct SentNotification {
    pub topic_arn: String,
    pub message: String,
    pub subject: Option<String>,
    /// Message attribute name → string value.
    pub attributes: std::collections::BTreeMap<String, String>,
}

impl Moto {
    /// On a free loopback port.
    pub async fn start() -> io::Result<Self> {
        Self::start_on(0).await
    }

    /// On loopback `port` (0: a free one).
    pub async fn start_on(port: u16) -> io::Result<Self> {
        let (installed, program, launcher) = moto_server();
        if !installed.exists() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "{} not found: run scripts/install-moto (scripts/test does)",
                    installed.display()
                ),
            ));
        }
        // For "any port": pick a free one, release it, and hand it to moto. Something else (a
        // local DynamoDB another test starts beside this one) may bind it in between: moto
        // then exits at once, and another free port is tried. Before, the start polled the
        // other server for 15 s and failed, and a second moto given the same port could leave
        // its test talking to the first one.
        let attempts = if port == 0 { 5 } else { 1 };
        for _ in 0..attempts {
            let port = match port {
                0 => free_port().await?,
                port => {
                    HANDED_OUT.lock().unwrap().insert(port);
                    port
                }
            };
            let started = Self::spawn(&program, &launcher, port).await;
            if let Ok(Some(moto)) = started {
                return Ok(moto);
            }
            HANDED_OUT.lock().unwrap().remove(&port);
            started?;
        }
        Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            format!("moto server exited at start {attempts} times (port taken?)"),
        ))
    }

    /// Starts moto on `port` and waits until it answers; `None` when it exited first.
    async fn spawn(
        program: &std::path::Path,
        launcher: &[PathBuf],
        port: u16,
    ) -> io::Result<Option<Self>> {
        let mut command = Command::new(program);
        crate::end_with_this_process(&mut command);
        let mut child = command
            .args(launcher)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let endpoint = format!("http://127.0.0.1:{port}");
        for _ in 0..300 {
            if child.try_wait()?.is_some() {
                return Ok(None);
            }
            if get(&endpoint, "/moto-api/").await.is_ok() {
                return Ok(Some(Self {
                    endpoint,
                    port,
                    _child: child,
                }));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "moto server did not start within 15 s",
        ))
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Every SNS message published so far, per moto's `/moto-api/data.json`.
    pub async fn sent_notifications(&self) -> io::Result<Vec<SentNotification>> {
        sent_notifications(&self.endpoint).await
    }
}

/// A loopback port free now and not handed to another moto of this process, marked handed out.
async fn free_port() -> io::Result<u16> {
    loop {
        let port = TcpListener::bind(("127.0.0.1", 0))
            .await?
            .local_addr()?
            .port();
        if HANDED_OUT.lock().unwrap().insert(port) {
            return Ok(port);
        }
    }
}

async fn get(endpoint: &str, path: &str) -> io::Result<String> {
    let response = crate::http::request("GET", &format!("{endpoint}{path}"), &[], b"").await?;
    if response.status != 200 {
        return Err(io::Error::other(format!("GET {path}: {}", response.status)));
    }
    Ok(response.text())
}

/// Every SNS message the moto server at `endpoint` recorded as published.
pub(crate) async fn sent_notifications(endpoint: &str) -> io::Result<Vec<SentNotification>> {
    let data: Value = serde_json::from_str(&get(endpoint, "/moto-api/data.json").await?)
        .map_err(io::Error::other)?;
    let mut sent = Vec::new();
    for topic in data["sns"]["Topic"].as_array().into_iter().flatten() {
        let topic_arn = topic["arn"].as_str().unwrap_or_default().to_string();
        for notification in topic["sent_notifications"].as_array().into_iter().flatten() {
            // [message id, message, subject, attributes, group id]
            let attributes = notification[3]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(name, value)| {
                    (
                        name.clone(),
                        value["Value"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            sent.push(SentNotification {
                topic_arn: topic_arn.clone(),
                message: notification[1].as_str().unwrap_or_default().to_string(),
                subject: notification[2].as_str().map(str::to_string),
                attributes,
            });
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::{devstack_dir, venv_bin};

    /// `moto/test_server.py`, with moto in-process: a send (by a client or an SNS delivery)
    /// reads no queued message's clock, and the counts GetQueueAttributes answers stay exact.
    #[test]
    fn the_launchers_patch_keeps_sends_off_the_queue_depth() {
        let python = venv_bin().join("python");
        assert!(
            python.exists(),
            "{} missing: run scripts/install-moto",
            python.display()
        );
        let output = std::process::Command::new(python)
            .arg(devstack_dir().join("moto/test_server.py"))
            .output()
            .expect("run moto/test_server.py");
        assert!(
            output.status.success(),
            "moto/test_server.py failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
