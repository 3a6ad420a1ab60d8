//! The CPU flags `up` and `invoke` share: a function gets Lambda's share of a core for its
//! memory (one vCPU at 1,769 MB) once its init is over.

use devstack::CpuCap;

#[derive(clap::Args)]
pub struct CpuFlags {
    /// Every function's memory, which sets its CPU share (MB / 1769 of a core) and
    /// AWS_LAMBDA_FUNCTION_MEMORY_SIZE [default: template.yaml's MemorySize]
    #[arg(long, value_name = "MB", value_parser = clap::value_parser!(u64).range(128..=10240))]
    memory: Option<u64>,
    /// Caps init too (by default the cap starts at a process's first `next`: on-demand
    /// Lambda runs init with a burst of CPU)
    #[arg(long)]
    cap_init: bool,
    /// Runs the functions at full speed, without Lambda's CPU share
    #[arg(long, conflicts_with = "cap_init")]
    uncapped: bool,
}

impl CpuFlags {
    pub fn cap(&self) -> CpuCap {
        match (self.uncapped, self.cap_init) {
            (true, _) => CpuCap::Off,
            (false, true) => CpuCap::Always,
            (false, false) => CpuCap::AfterInit,
        }
    }

    pub fn memory(&self) -> Option<u64> {
        self.memory
    }
}
