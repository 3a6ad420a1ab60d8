//! A function under test: a binary speaking the Lambda Runtime API and its environment.

use std::{path::PathBuf, sync::Arc, time::Duration};

use devstack::{CpuCap, FunctionConfig, FunctionHost, HostObserver, Output};

use crate::timings::Timings;

#[derive(Debug, Clone)]
pub struct Subject {
    pub name: String,
    pub binary: PathBuf,
    pub environment: Vec<(String, String)>,
}

/// How Lambda is emulated for a measurement: the memory, and so the CPU share, and when the
/// share is enforced.
#[derive(Debug, Clone, Copy)]
pub struct Emulation {
    pub memory_mb: u64,
    pub cpu_cap: CpuCap,
}

impl Subject {
    /// A `bootstrap` script running `command` from the repository root, as a custom runtime's
    /// bootstrap does: `exec` keeps one process, so its pid is the function's.
    pub fn command(name: &str, command: &str, mut environment: Vec<(String, String)>) -> Self {
        // Lambda sets both; boto3 and the AWS CLI read only this one.
        environment.push(("AWS_DEFAULT_REGION".into(), devstack::REGION.into()));
        let directory = devstack::workspace_binaries("bench");
        std::fs::create_dir_all(&directory).expect("target/bench is writable");
        // boto3 trusts its own bundle (certifi's, ~150 certificates, read at its first
        // client), or the one AWS_CA_BUNDLE names. Under TLS, that is this machine's bundle
        // with the local CA (what the Rust functions get in SSL_CERT_FILE) appended, so it
        // reads as much as on Lambda.
        if let Some((_, local_ca)) = environment.iter().find(|(n, _)| n == "SSL_CERT_FILE") {
            let machine = devstack::machine_ca_bundle()
                .and_then(|path| std::fs::read_to_string(path).ok())
                .unwrap_or_default();
            let local_ca = std::fs::read_to_string(local_ca).expect("the local CA is readable");
            let bundle = directory.join(format!("{name}-ca-bundle.pem"));
            std::fs::write(&bundle, machine + "\n" + &local_ca).expect("target/bench is writable");
            environment.push(("AWS_CA_BUNDLE".into(), bundle.display().to_string()));
        }
        let binary = directory.join(format!("{name}-bootstrap"));
        let root = std::env::current_dir().expect("a working directory");
        let script = format!(
            "#!/bin/sh\ncd '{}' || exit 1\nexec {command}\n",
            root.display()
        );
        std::fs::write(&binary, script).expect("target/bench is writable");
        let mut permissions = std::fs::metadata(&binary).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
        std::fs::set_permissions(&binary, permissions).expect("target/bench is writable");
        Self {
            name: name.into(),
            binary,
            environment,
        }
    }

    /// The same binary under another name with one more variable (e.g. a switch turned off).
    pub fn with(&self, name: &str, variable: &str, value: &str) -> Self {
        let mut environment = self.environment.clone();
        environment.push((variable.into(), value.into()));
        Self {
            name: name.into(),
            binary: self.binary.clone(),
            environment,
        }
    }

    /// The subject under a local Runtime API, its timings told to `timings`.
    pub async fn start(
        &self,
        timings: &Arc<Timings>,
        emulation: Emulation,
    ) -> Result<FunctionHost, String> {
        let config = FunctionConfig {
            name: self.name.clone(),
            binary: self.binary.clone(),
            environment: self.environment.clone(),
            timeout: Duration::from_secs(30),
            memory_mb: emulation.memory_mb,
            cpu_cap: emulation.cpu_cap,
            output: Output::Discarded,
        };
        let observer: Arc<dyn HostObserver> = timings.clone();
        FunctionHost::start_observed(config, Some(observer))
            .await
            .map_err(|e| format!("{}: {e}", self.name))
    }
}
