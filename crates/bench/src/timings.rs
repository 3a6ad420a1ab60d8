//! What the bench times of the function hosts, told by them as a [`HostObserver`]: what a
//! Lambda user measures about a process (init, first response) and the time each
//! invocation spent inside the function.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use devstack::HostObserver;

/// The current process of a function, counted from its spawn: init ends at its first `next`
/// request, the first response is its first posted result.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessTimings {
    pub pid: Option<u32>,
    pub init: Option<Duration>,
    /// The CPU the process used in its init (all its threads, spawn → first `next`).
    pub init_cpu: Option<Duration>,
    pub first_response: Option<Duration>,
}

#[derive(Default)]
struct Function {
    spawned: Option<Instant>,
    process: ProcessTimings,
    /// Event handed out → result posted, per invocation since the last take.
    in_function: Vec<Duration>,
}

/// The timings of every function it observes, by name.
#[derive(Default)]
pub struct Timings(Mutex<HashMap<String, Function>>);

impl Timings {
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    fn with<T>(&self, function: &str, read: impl FnOnce(&mut Function) -> T) -> T {
        read(
            self.0
                .lock()
                .unwrap()
                .entry(function.to_string())
                .or_default(),
        )
    }

    /// The current process of `function`.
    pub fn process(&self, function: &str) -> ProcessTimings {
        self.with(function, |f| f.process)
    }

    /// The in-function time of each invocation of `function` since the last call.
    pub fn take_in_function(&self, function: &str) -> Vec<Duration> {
        self.with(function, |f| std::mem::take(&mut f.in_function))
    }
}

impl HostObserver for Timings {
    fn process_started(&self, function: &str, pid: Option<u32>, at: Instant) {
        self.with(function, |f| {
            f.spawned = Some(at);
            f.process = ProcessTimings {
                pid,
                ..ProcessTimings::default()
            };
        });
    }

    fn asked_for_event(&self, function: &str, at: Instant) {
        self.with(function, |f| {
            if let (Some(spawned), None) = (f.spawned, f.process.init) {
                f.process.init = Some(at - spawned);
                // Read while the process waits for its first event: its init CPU is final.
                f.process.init_cpu = f.process.pid.and_then(crate::process::cpu_time_precise);
            }
        });
    }

    fn invocation_finished(&self, function: &str, handed_out: Instant, finished: Instant) {
        self.with(function, |f| {
            f.in_function.push(finished - handed_out);
            if let (Some(spawned), None) = (f.spawned, f.process.first_response) {
                f.process.first_response = Some(finished - spawned);
            }
        });
    }
}
