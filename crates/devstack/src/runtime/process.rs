//! Starting a function's process, the one place it happens: the command Lambda would run
//! (a clean environment with Lambda's variables), where its output goes, and the cgroup
//! that caps its CPU.

use std::{process::Stdio, time::Instant};

use tokio::{
    io::{AsyncBufReadExt, AsyncRead, BufReader},
    process::{Child, Command},
};

use super::{CapturedLines, FunctionConfig, Output};
use crate::cpu_cap::{CpuCap, Hierarchy, ProcessCgroup, say_once};

/// A process just started.
pub(super) struct Spawned {
    pub child: Child,
    /// The cgroup it was born in, when its CPU is to be capped.
    pub cgroup: Option<ProcessCgroup>,
    /// Just before the spawn (after the cgroup was made ready).
    pub at: Instant,
}

/// Starts processes of one function against one Runtime API.
pub(super) struct Launcher {
    pub config: FunctionConfig,
    /// `host:port` of the Runtime API the process is to ask for events.
    pub runtime_api: String,
    pub captured: CapturedLines,
}

impl Launcher {
    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// A new process, its output already being read.
    pub fn spawn(&self) -> std::io::Result<Spawned> {
        let config = &self.config;
        let mut command = Command::new(&config.binary);
        crate::end_with_this_process(&mut command);
        // A group of its own: a terminal's Ctrl-C (SIGINT to the whole foreground group)
        // stops the stack, which then stops its functions, instead of killing them under a
        // running host that would report them dead and restart them.
        command.process_group(0);
        command
            .env_clear()
            .envs(config.environment.iter().map(|(k, v)| (k, v)))
            .env("AWS_LAMBDA_RUNTIME_API", &self.runtime_api)
            .env("AWS_LAMBDA_FUNCTION_NAME", &config.name)
            .env(
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                config.memory_mb.to_string(),
            )
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{}", config.name),
            )
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "local")
            .env("_HANDLER", "bootstrap")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut cgroup = self.cgroup();
        let visit = match cgroup.as_ref().map(|c| c.host_birth(&mut command)) {
            Some(Ok(visit)) => visit,
            Some(Err(error)) => {
                say_once(&error.to_string());
                cgroup = None;
                None
            }
            None => None,
        };
        let at = Instant::now();
        let mut child = command.spawn()?;
        drop(visit);
        if let Some(stdout) = child.stdout.take() {
            self.read_lines(stdout);
        }
        if let Some(stderr) = child.stderr.take() {
            self.read_lines(stderr);
        }
        Ok(Spawned { child, cgroup, at })
    }

    /// A cgroup for the next process (capped already with [`CpuCap::Always`]); none when it
    /// runs uncapped, or when none can be made here (said once).
    fn cgroup(&self) -> Option<ProcessCgroup> {
        let config = &self.config;
        if config.cpu_cap == CpuCap::Off {
            return None;
        }
        let hierarchy = Hierarchy::this_machine()?;
        let made = ProcessCgroup::create(hierarchy, &config.name, config.memory_mb).and_then(
            |mut cgroup| {
                if config.cpu_cap == CpuCap::Always {
                    cgroup.cap()?;
                }
                Ok(cgroup)
            },
        );
        made.map_err(|error| say_once(&error.to_string())).ok()
    }

    /// Says something about the function on stderr, when its output is shown there.
    pub fn report(&self, message: &str) {
        if matches!(self.config.output, Output::Prefixed) {
            eprintln!("{} | {message}", self.config.name);
        }
    }

    fn read_lines(&self, stream: impl AsyncRead + Unpin + Send + 'static) {
        let name = self.config.name.clone();
        let output = self.config.output.clone();
        let captured = self.captured.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stream).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                match output {
                    Output::Prefixed => eprintln!("{name} | {line}"),
                    Output::Captured => captured.lock().unwrap().push(line),
                    Output::Discarded => {}
                }
            }
        });
    }
}
