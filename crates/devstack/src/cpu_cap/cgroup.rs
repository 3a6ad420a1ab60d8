//! The cgroup of one function process. The process is born in it and never moved: moving a
//! process between cgroups waits for an RCU grace period (7–12 ms measured on this kernel's
//! cgroup v1 after an idle moment), which would be charged to the function's init or first
//! request. Its quota starts unlimited (init at full speed) and becomes Lambda's share when
//! the cap starts, a write of one small file.

use std::{ffi::CString, io, os::unix::ffi::OsStrExt, path::PathBuf, sync::atomic::AtomicU64};

use tokio::process::Command;

use super::{Hierarchy, PERIOD_US, PREFIX, Throttling, quota_us};

pub(crate) struct ProcessCgroup {
    hierarchy: Hierarchy,
    path: PathBuf,
    quota_us: u64,
    capped: bool,
}

impl ProcessCgroup {
    /// A new cgroup under `hierarchy` for a process of `function` with `memory_mb`, its
    /// quota unlimited until [`ProcessCgroup::cap`].
    pub fn create(hierarchy: &Hierarchy, function: &str, memory_mb: u64) -> io::Result<Self> {
        static MADE: AtomicU64 = AtomicU64::new(0);
        let number = MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("{PREFIX}{}-{function}-{number}", std::process::id());
        let path = hierarchy.root().join(name);
        std::fs::create_dir(&path)?;
        let cgroup = Self {
            hierarchy: hierarchy.clone(),
            path,
            quota_us: quota_us(memory_mb),
            capped: false,
        };
        match hierarchy {
            Hierarchy::V1(_) => {
                cgroup.write("cpu.cfs_period_us", &PERIOD_US.to_string())?;
                cgroup.write("cpu.cfs_quota_us", "-1")?;
            }
            Hierarchy::V2(_) => cgroup.write("cpu.max", &format!("max {PERIOD_US}"))?,
        }
        Ok(cgroup)
    }

    fn write(&self, file: &str, value: &str) -> io::Result<()> {
        std::fs::write(self.path.join(file), value)
            .map_err(|error| io::Error::new(error.kind(), format!("{file}: {error}")))
    }

    /// Makes the process `command` spawns next be born in this cgroup. On v1 the calling
    /// thread steps into the cgroup until the returned guard is dropped (a child is born in
    /// the cgroup of the thread that forks it; the step costs the migration, before the
    /// spawn is timed); v2 keeps a process's threads together, so there the child moves
    /// itself in before its `exec`.
    pub fn host_birth(&self, command: &mut Command) -> io::Result<Option<ThreadVisit>> {
        match &self.hierarchy {
            Hierarchy::V1(root) => {
                // SAFETY: gettid has no preconditions.
                let thread = unsafe { libc::gettid() }.to_string();
                let home = thread_cgroup(root)?;
                self.write("tasks", &thread)?;
                Ok(Some(ThreadVisit { thread, home }))
            }
            Hierarchy::V2(_) => {
                let procs = CString::new(self.path.join("cgroup.procs").as_os_str().as_bytes())
                    .map_err(io::Error::other)?;
                // SAFETY: open, write and close are async-signal-safe, and nothing is
                // allocated between fork and exec.
                unsafe {
                    command.pre_exec(move || {
                        let fd = libc::open(procs.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
                        if fd < 0 {
                            return Err(io::Error::last_os_error());
                        }
                        // "0": the writing process itself.
                        let written = libc::write(fd, b"0".as_ptr().cast(), 1);
                        libc::close(fd);
                        match written {
                            1 => Ok(()),
                            _ => Err(io::Error::last_os_error()),
                        }
                    });
                }
                Ok(None)
            }
        }
    }

    /// Lambda's share from now on.
    pub fn cap(&mut self) -> io::Result<()> {
        match self.hierarchy {
            Hierarchy::V1(_) => self.write("cpu.cfs_quota_us", &self.quota_us.to_string())?,
            Hierarchy::V2(_) => self.write("cpu.max", &format!("{} {PERIOD_US}", self.quota_us))?,
        }
        self.capped = true;
        Ok(())
    }

    /// What the cgroup counted so far; `None` before the cap started.
    pub fn throttling(&self) -> Option<Throttling> {
        if !self.capped {
            return None;
        }
        let stat = std::fs::read_to_string(self.path.join("cpu.stat")).ok()?;
        let value = |name: &str| {
            stat.lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
                .and_then(|value| value.trim().parse::<u64>().ok())
        };
        let throttled = match (value("throttled_time"), value("throttled_usec")) {
            (Some(ns), _) => std::time::Duration::from_nanos(ns),
            (None, Some(us)) => std::time::Duration::from_micros(us),
            (None, None) => std::time::Duration::ZERO,
        };
        Some(Throttling {
            quota_us: self.quota_us,
            period_us: PERIOD_US,
            periods: value("nr_periods")?,
            throttled_periods: value("nr_throttled")?,
            throttled,
        })
    }

    #[cfg(test)]
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

impl Drop for ProcessCgroup {
    fn drop(&mut self) {
        // A cgroup with a process still in it (a child the function left running) cannot
        // go: its processes move to the parent first.
        if std::fs::remove_dir(&self.path).is_ok() {
            return;
        }
        let (Some(parent), Ok(left)) = (
            self.path.parent(),
            std::fs::read_to_string(self.path.join("cgroup.procs")),
        ) else {
            return;
        };
        for pid in left.split_whitespace() {
            let _ = std::fs::write(parent.join("cgroup.procs"), pid);
        }
        let _ = std::fs::remove_dir(&self.path);
    }
}

/// A thread of this process in a function's cgroup (v1), for one spawn: back home when
/// dropped.
pub(crate) struct ThreadVisit {
    thread: String,
    home: PathBuf,
}

impl Drop for ThreadVisit {
    fn drop(&mut self) {
        if let Err(error) = std::fs::write(self.home.join("tasks"), &self.thread) {
            eprintln!(
                "devstack: thread {} could not go back to {}: {error}",
                self.thread,
                self.home.display()
            );
        }
    }
}

/// The calling thread's cgroup in the v1 hierarchy mounted at `root` (from
/// /proc/thread-self/cgroup: `ID:CONTROLLERS:PATH`, the line whose controllers hold `cpu`).
fn thread_cgroup(root: &std::path::Path) -> io::Result<PathBuf> {
    let lines = std::fs::read_to_string("/proc/thread-self/cgroup")?;
    lines
        .lines()
        .filter_map(|line| {
            let mut fields = line.splitn(3, ':');
            let (_, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
            controllers
                .split(',')
                .any(|c| c == "cpu")
                .then(|| root.join(path.trim_start_matches('/')))
        })
        .next()
        .ok_or_else(|| io::Error::other("this thread is in no cpu cgroup"))
}
