//! Artefact sizes: each function's stripped release binary and its deployment zip (the
//! binary as `bootstrap`, deflated, as cargo-lambda and SAM package it).

use std::path::Path;

use serde_json::{Value, json};

pub struct Artefact {
    pub function: String,
    pub architecture: &'static str,
    pub binary_bytes: u64,
    pub zipped_bytes: u64,
}

impl Artefact {
    pub fn json(&self) -> Value {
        json!({ "function": self.function, "architecture": self.architecture, "binary_bytes": self.binary_bytes, "zipped_bytes": self.zipped_bytes })
    }
}

/// The sizes of `binary`, or `None` when it was not built.
pub fn measure(function: &str, architecture: &'static str, binary: &Path) -> Option<Artefact> {
    let binary_bytes = std::fs::metadata(binary).ok()?.len();
    let directory =
        devstack::workspace_binaries("bench").join(format!("zip-{architecture}-{function}"));
    std::fs::create_dir_all(&directory).ok()?;
    std::fs::copy(binary, directory.join("bootstrap")).ok()?;
    let zip = directory.join("bootstrap.zip");
    let _ = std::fs::remove_file(&zip);
    let zipped = std::process::Command::new("zip")
        .args(["-q", "-X"])
        .arg(&zip)
        .arg("bootstrap")
        .current_dir(&directory)
        .status()
        .ok()?;
    if !zipped.success() {
        return None;
    }
    Some(Artefact {
        function: function.into(),
        architecture,
        binary_bytes,
        zipped_bytes: std::fs::metadata(&zip).ok()?.len(),
    })
}
