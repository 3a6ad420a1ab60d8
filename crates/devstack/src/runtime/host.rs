//! The task that owns a function host's state: the invocations waiting, the one the function
//! is running, the process's `next` request waiting for an event. The Runtime API and the
//! [`super::FunctionHost`] handle send it [`Message`]s; it supervises the process (restarts
//! it when it exits, kills it when an invocation overruns its timeout).

use std::{
    collections::VecDeque,
    process::ExitStatus,
    sync::Arc,
    time::{Duration, Instant, SystemTime},
};

use serde_json::Value;
use tokio::{
    process::Child,
    sync::{mpsc, oneshot, watch},
};

use super::{HostObserver, InvokeError, process::Launcher, until};
use crate::cpu_cap::{CpuCap, ProcessCgroup, Throttling};

/// What the host task is told.
pub(super) enum Message {
    Invoke(Invocation),
    /// The process asks for its next event (`GET …/invocation/next`, received `at`).
    Next {
        at: Instant,
        reply: oneshot::Sender<Handout>,
    },
    /// The process posts the result of `request_id` (received `at`); the reply says whether
    /// that invocation was waiting for one.
    Finish {
        request_id: String,
        result: Result<Value, InvokeError>,
        at: Instant,
        reply: oneshot::Sender<bool>,
    },
    /// What the current process's CPU cap counted.
    Throttling(oneshot::Sender<Option<Throttling>>),
}

pub(super) struct Invocation {
    pub payload: Value,
    pub reply: oneshot::Sender<Result<Value, InvokeError>>,
}

/// An event given to the process.
pub(super) struct Handout {
    pub request_id: String,
    pub deadline: SystemTime,
    pub payload: Value,
}

/// The invocation the function is running.
struct InFlight {
    request_id: String,
    handed_out: Instant,
    deadline: tokio::time::Instant,
    reply: oneshot::Sender<Result<Value, InvokeError>>,
}

/// How a process's life ended.
enum End {
    Exited(std::io::Result<ExitStatus>),
    TimedOut,
    Stopped,
}

struct Host {
    launcher: Launcher,
    observer: Option<Arc<dyn HostObserver>>,
    queue: VecDeque<Invocation>,
    in_flight: Option<InFlight>,
    /// The process's `next` request, when it waits for an event.
    waiting: Option<oneshot::Sender<Handout>>,
    /// Whether the current process has asked for an event (its init is over).
    ready: bool,
    /// The current process's cgroup, when its CPU is capped.
    cgroup: Option<ProcessCgroup>,
    /// Invocations handed out so far (it numbers their request ids).
    handed_out: u64,
}

/// Keeps one process running until stopped; restarts it when it exits or is killed.
pub(super) async fn run(
    launcher: Launcher,
    observer: Option<Arc<dyn HostObserver>>,
    mut messages: mpsc::UnboundedReceiver<Message>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut host = Host {
        launcher,
        observer,
        queue: VecDeque::new(),
        in_flight: None,
        waiting: None,
        ready: false,
        cgroup: None,
        handed_out: 0,
    };
    let mut restarts = 0u32;
    while !*stopped.borrow() {
        let (mut child, spawned) = match host.launcher.spawn() {
            Ok(process) => {
                host.cgroup = process.cgroup;
                (process.child, process.at)
            }
            Err(error) => {
                eprintln!(
                    "{} | cannot start {}: {error}",
                    host.launcher.name(),
                    host.launcher.config.binary.display()
                );
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Some(observer) = &host.observer {
            observer.process_started(host.launcher.name(), child.id(), spawned);
        }
        host.ready = false;
        let started = tokio::time::Instant::now();
        match host.serve(&mut child, &mut messages, &mut stopped).await {
            End::Stopped => {
                let _ = child.kill().await;
                host.fail_all(InvokeError::Stopped);
                return;
            }
            End::TimedOut => {
                let _ = child.kill().await;
            }
            End::Exited(status) => {
                // A result posted just before the exit counts; an event asked for does not.
                host.waiting = None;
                while let Ok(message) = messages.try_recv() {
                    if !matches!(message, Message::Next { .. }) {
                        host.handle(message);
                    }
                }
                host.exited(status);
            }
        }
        // A `next` request the ended process left waiting gives way; its cgroup goes.
        host.waiting = None;
        host.cgroup = None;
        // Back off when a process dies right away (an init error), not after a long life.
        restarts = if started.elapsed() < Duration::from_secs(2) {
            restarts + 1
        } else {
            0
        };
        tokio::time::sleep(Duration::from_millis(100 * u64::from(restarts.min(20)))).await;
    }
}

impl Host {
    /// Serves the messages until the process ends, overruns, or the host stops.
    async fn serve(
        &mut self,
        child: &mut Child,
        messages: &mut mpsc::UnboundedReceiver<Message>,
        stopped: &mut watch::Receiver<bool>,
    ) -> End {
        loop {
            let deadline = self.in_flight.as_ref().map(|f| f.deadline);
            tokio::select! {
                status = child.wait() => return End::Exited(status),
                () = until(stopped, |stop| *stop) => return End::Stopped,
                () = sleep_until(deadline) => {
                    if let Some(overrun) = self.in_flight.take() {
                        let timeout = self.launcher.config.timeout;
                        let _ = overrun.reply.send(Err(InvokeError::Timeout(timeout)));
                    }
                    return End::TimedOut;
                }
                message = messages.recv() => match message {
                    Some(message) => self.handle(message),
                    None => return End::Stopped,
                },
            }
        }
    }

    fn handle(&mut self, message: Message) {
        match message {
            Message::Invoke(invocation) => self.queue.push_back(invocation),
            Message::Next { at, reply } => {
                if !self.ready {
                    self.init_over();
                }
                self.ready = true;
                if let Some(observer) = &self.observer {
                    observer.asked_for_event(self.launcher.name(), at);
                }
                self.waiting = Some(reply);
            }
            Message::Finish {
                request_id,
                result,
                at,
                reply,
            } => {
                let finished = self
                    .in_flight
                    .take_if(|in_flight| in_flight.request_id == request_id);
                if let Some(in_flight) = &finished
                    && let Some(observer) = &self.observer
                {
                    observer.invocation_finished(self.launcher.name(), in_flight.handed_out, at);
                }
                // An unknown id: already timed out, or never issued.
                let _ = reply.send(finished.is_some());
                if let Some(in_flight) = finished {
                    let _ = in_flight.reply.send(result);
                }
            }
            Message::Throttling(reply) => {
                let _ = reply.send(self.cgroup.as_ref().and_then(ProcessCgroup::throttling));
            }
        }
        self.hand_out();
    }

    /// The process's first `next`: with [`CpuCap::AfterInit`] its cap starts (on-demand
    /// Lambda's init burst is over): its cgroup's quota is set.
    fn init_over(&mut self) {
        if self.launcher.config.cpu_cap != CpuCap::AfterInit {
            return;
        }
        if let Some(cgroup) = &mut self.cgroup
            && let Err(error) = cgroup.cap()
        {
            crate::cpu_cap::say_once(&error.to_string());
            self.cgroup = None;
        }
    }

    /// Gives the waiting `next` request the oldest invocation, when the function is free.
    fn hand_out(&mut self) {
        if self.in_flight.is_some() || self.queue.is_empty() {
            return;
        }
        let Some(waiting) = self.waiting.take() else {
            return;
        };
        let Some(Invocation { payload, reply }) = self.queue.pop_front() else {
            return;
        };
        self.handed_out += 1;
        let request_id = format!(
            "{:08x}-0000-4000-8000-{:012x}",
            std::process::id(),
            self.handed_out
        );
        // The timeout clock starts when the function receives the event, as on Lambda.
        let timeout = self.launcher.config.timeout;
        let handout = Handout {
            request_id: request_id.clone(),
            deadline: SystemTime::now() + timeout,
            payload,
        };
        match waiting.send(handout) {
            Ok(()) => {
                self.in_flight = Some(InFlight {
                    request_id,
                    handed_out: Instant::now(),
                    deadline: tokio::time::Instant::now() + timeout,
                    reply,
                });
            }
            // The request went away (its process ended): the invocation waits for the next.
            Err(handout) => self.queue.push_front(Invocation {
                payload: handout.payload,
                reply,
            }),
        }
    }

    fn exited(&mut self, status: std::io::Result<ExitStatus>) {
        if let Some(in_flight) = self.in_flight.take() {
            let _ = in_flight.reply.send(Err(InvokeError::ProcessExited));
        }
        // A process that dies in its init fails the invocation waiting for it, as on
        // Lambda, instead of leaving it queued behind an endless restart loop.
        if !self.ready
            && let Some(waiting) = self.queue.pop_front()
        {
            let _ = waiting.reply.send(Err(InvokeError::InitFailed));
        }
        let status = status
            .map(|s| s.to_string())
            .unwrap_or_else(|e| e.to_string());
        self.launcher
            .report(&format!("process exited ({status}); restarting"));
    }

    fn fail_all(&mut self, error: InvokeError) {
        let in_flight = self.in_flight.take().map(|f| f.reply);
        for reply in in_flight
            .into_iter()
            .chain(self.queue.drain(..).map(|i| i.reply))
        {
            let _ = reply.send(Err(error.clone()));
        }
    }
}

/// Sleeps until `deadline`, or forever without one.
async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
