//! Lambda's CPU allotment for a function process: a share of one core in proportion to its
//! memory (one vCPU at 1,769 MB, so 128 MB gets about 7 % of a core), enforced by a cgroup's
//! CPU quota (the cgroup v1 `cpu` controller, or `cpu.max` on cgroup v2). Without it the
//! local stack runs the functions at full speed and hides what a small function pays on
//! Lambda once its init is over.
//!
//! On-demand Lambda gives the init phase a burst of CPU, so by default a process's quota is
//! set at the end of its init (its first `next`); [`CpuCap::Always`] caps from the spawn.
//! Each process is born in a cgroup of its own ([`cgroup`]), removed when the process has
//! gone. A machine with no writable cgroup runs the functions uncapped and says so once.

mod cgroup;

pub(crate) use cgroup::ProcessCgroup;

use std::{
    io,
    path::{Path, PathBuf},
    sync::{
        OnceLock,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

/// When a function process runs under Lambda's CPU share for its memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpuCap {
    /// Full speed throughout.
    Off,
    /// From the end of init (the first `next`), as on-demand Lambda after its init burst.
    AfterInit,
    /// From the spawn, init included.
    Always,
}

/// The memory that buys one full vCPU on Lambda.
pub const MB_PER_VCPU: u64 = 1769;
/// The scheduling period a quota is a share of (the kernel's default).
pub const PERIOD_US: u64 = 100_000;
/// The smallest quota the kernel accepts.
const MIN_QUOTA_US: u64 = 1_000;
/// The prefix of every cgroup devstack makes (its pid follows, so stale ones are found).
const PREFIX: &str = "devstack-";

/// The CPU time per [`PERIOD_US`] Lambda grants a function of `memory_mb`, in microseconds.
pub fn quota_us(memory_mb: u64) -> u64 {
    ((PERIOD_US * memory_mb + MB_PER_VCPU / 2) / MB_PER_VCPU).max(MIN_QUOTA_US)
}

/// Where the caps are made on this machine (`cgroup v1 at /sys/fs/cgroup/cpu`); `None`
/// when they cannot be made (said once on stderr).
pub fn cgroups() -> Option<String> {
    Hierarchy::this_machine().map(|hierarchy| match hierarchy {
        Hierarchy::V1(root) => format!("cgroup v1 at {}", root.display()),
        Hierarchy::V2(root) => format!("cgroup v2 at {}", root.display()),
    })
}

/// What a capped process's cgroup counted (its `cpu.stat`): the periods it ran in and those
/// in which it used its whole quota and had to wait, the proof that the cap is in force.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Throttling {
    pub quota_us: u64,
    pub period_us: u64,
    pub periods: u64,
    pub throttled_periods: u64,
    pub throttled: Duration,
}

/// A cgroup hierarchy with the CPU controller, where the functions' cgroups are made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Hierarchy {
    /// The mount point of the cgroup v1 `cpu` controller.
    V1(PathBuf),
    /// A cgroup2 mount whose root has `cpu` among its controllers.
    V2(PathBuf),
}

impl Hierarchy {
    /// This machine's, looked for once; `None` (said once on stderr) when there is none this
    /// process may write to.
    pub fn this_machine() -> Option<&'static Self> {
        static FOUND: OnceLock<Option<Hierarchy>> = OnceLock::new();
        FOUND
            .get_or_init(|| {
                let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
                let read = |path: &Path| std::fs::read_to_string(path).ok();
                let found = Self::find(&mounts, read)
                    .ok_or_else(|| "no cgroup with the cpu controller is mounted".to_string())
                    .and_then(|hierarchy| match hierarchy.prepare() {
                        Ok(()) => Ok(hierarchy),
                        Err(error) => Err(format!("{}: {error}", hierarchy.root().display())),
                    });
                match found {
                    Ok(hierarchy) => {
                        hierarchy.remove_stale();
                        Some(hierarchy)
                    }
                    Err(reason) => {
                        say_once(&reason);
                        None
                    }
                }
            })
            .as_ref()
    }

    /// The hierarchy in `mounts` (`/proc/self/mounts`): a v1 `cpu` controller first, else a
    /// cgroup2 mount whose `cgroup.controllers` lists `cpu`.
    fn find(mounts: &str, read: impl Fn(&Path) -> Option<String>) -> Option<Self> {
        let entries: Vec<(&str, &str, &str)> = mounts
            .lines()
            .filter_map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                Some((*fields.get(1)?, *fields.get(2)?, *fields.get(3)?))
            })
            .collect();
        let v1 = entries.iter().find(|(_, kind, options)| {
            *kind == "cgroup" && options.split(',').any(|option| option == "cpu")
        });
        if let Some((point, _, _)) = v1 {
            return Some(Self::V1(PathBuf::from(point)));
        }
        entries
            .iter()
            .filter(|(_, kind, _)| *kind == "cgroup2")
            .map(|(point, _, _)| PathBuf::from(point))
            .find(|point| {
                read(&point.join("cgroup.controllers"))
                    .is_some_and(|controllers| controllers.split_whitespace().any(|c| c == "cpu"))
            })
            .map(Self::V2)
    }

    pub fn root(&self) -> &Path {
        match self {
            Self::V1(root) | Self::V2(root) => root,
        }
    }

    /// Lets the root's children use the cpu controller (v2 enables it per subtree).
    fn prepare(&self) -> io::Result<()> {
        match self {
            Self::V1(_) => Ok(()),
            Self::V2(root) => {
                let control = root.join("cgroup.subtree_control");
                let enabled = std::fs::read_to_string(&control)?;
                if enabled.split_whitespace().any(|c| c == "cpu") {
                    return Ok(());
                }
                std::fs::write(control, "+cpu")
            }
        }
    }

    /// Removes the cgroups a devstack that is gone left behind (killed outright).
    fn remove_stale(&self) {
        let Ok(entries) = std::fs::read_dir(self.root()) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let owner = name
                .strip_prefix(PREFIX)
                .and_then(|rest| rest.split('-').next())
                .and_then(|pid| pid.parse::<u32>().ok());
            if owner.is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists()) {
                let _ = std::fs::remove_dir(entry.path());
            }
        }
    }
}

/// Tells the user, once per devstack process, that the functions run uncapped.
pub(crate) fn say_once(reason: &str) {
    static SAID: AtomicBool = AtomicBool::new(false);
    if !SAID.swap(true, Ordering::Relaxed) {
        eprintln!(
            "devstack: cannot cap the functions' CPU as Lambda does ({reason}); they run at full speed"
        );
    }
}

#[cfg(test)]
mod tests;
