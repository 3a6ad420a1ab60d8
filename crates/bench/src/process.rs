//! CPU time and peak memory of a function process, read from /proc as Lambda's REPORT line
//! would count them.

use std::time::Duration;

/// Linux reports /proc/PID/stat times in USER_HZ ticks, 100 per second on every architecture.
const TICKS_PER_SECOND: f64 = 100.0;

/// user + system CPU time the process has used so far.
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_secs_f64((utime + stime) / TICKS_PER_SECOND))
}

/// CPU time the process's threads have run so far, to the nanosecond (the scheduler's
/// `/proc/PID/task/TID/schedstat`): init is a few milliseconds, below /proc/PID/stat's
/// 10 ms ticks.
pub fn cpu_time_precise(pid: u32) -> Option<Duration> {
    let mut nanoseconds: u64 = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let schedstat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        nanoseconds += schedstat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(Duration::from_nanos(nanoseconds))
}

/// Peak resident set size (VmHWM) in MiB.
pub fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
