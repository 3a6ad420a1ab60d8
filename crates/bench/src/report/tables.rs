//! The Markdown tables: how Lambda was emulated, cold starts and warm requests per memory
//! size, the goals, the stream burst, the artefacts.

use std::fmt::Write;

use devstack::{CpuCap, MB_PER_VCPU};

use super::{FLOOR, Results, SizeRun};
use crate::{cost, goals, stats::Summary, warm::GET_ROUTE};

const MIB: f64 = 1024.0 * 1024.0;

impl Results {
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "Machine: {}\n", machine());
        let _ = writeln!(out, "Emulated: {}\n", self.emulation());
        self.cold_table(&mut out);
        self.warm_table(&mut out);
        let _ = writeln!(out, "\n{}", cost::formula());
        if let Some(vs) = &self.vs {
            let _ = writeln!(out, "\n`vs` = `{vs}`");
        }
        for run in &self.sizes {
            let goals = goals::assess(run);
            if goals.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\nGoals at {} MB:\n", run.memory_mb);
            for goal in goals {
                let mark = if goal.met { "met" } else { "NOT met" };
                let _ = writeln!(
                    out,
                    "- {}: **{:.2}×** (goal {}: {mark})",
                    goal.what, goal.ratio, goal.target
                );
            }
        }
        if let Some((memory_mb, stream)) = &self.stream {
            let cap = match &stream.throttling {
                Some(t) => format!(
                    "cap in force: {} of {} periods throttled",
                    t.throttled_periods, t.periods
                ),
                None => "uncapped".to_string(),
            };
            let _ = writeln!(
                out,
                "\nStream processor at {memory_mb} MB (template.yaml's MemorySize; {cap}): {} changes written, {} archived + notified in {:.1} s: **{:.0} records/s** (through the local event source mapping, 1 s batching window, batches of 100); {} invocations, {:.1} s inside the processor, {:.2} s of its CPU",
                stream.changes,
                stream.notified,
                stream.elapsed.as_secs_f64(),
                stream.per_second(),
                stream.invocations,
                stream.in_function.as_secs_f64(),
                stream.cpu.as_secs_f64()
            );
        }
        self.artefact_table(&mut out);
        out
    }

    /// TLS and the CPU cap, as they were in force.
    fn emulation(&self) -> String {
        let emulated = &self.emulated;
        let tls = if emulated.tls {
            format!(
                "TLS on (the functions reach the local DynamoDB, S3, SNS and SQS over HTTPS through TLS proxies, a CA made at start; {} handshakes)",
                emulated.handshakes
            )
        } else {
            "TLS off (plain HTTP to the local endpoints)".to_string()
        };
        let cap = match (&emulated.cgroups, emulated.cpu_cap) {
            (_, CpuCap::Off) => "CPU cap off (full speed at every size)".to_string(),
            (None, _) => "CPU cap off: no cgroup could be made on this machine".to_string(),
            (Some(cgroups), cap) => format!(
                "CPU cap on: MB/{MB_PER_VCPU} of a core ({cgroups}), {}",
                if cap == CpuCap::Always {
                    "init included"
                } else {
                    "from the end of init (init at full speed, as on-demand Lambda's burst)"
                }
            ),
        };
        format!("{tls}; {cap}")
    }

    fn cold_table(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "Cold start, {} fresh processes each (ms, p50 (max); init = spawn → first `next`, init CPU = the CPU the process used in it; first response = spawn → response of `GET /items/{{id}}`; first request = first `next` → that response):\n",
            self.cold_runs
        );
        let _ = writeln!(
            out,
            "| MB | function | init | init CPU | first response | first request after init | init / floor | cap in force |"
        );
        let _ = writeln!(out, "|---:|---|---:|---:|---:|---:|---:|---|");
        for run in &self.sizes {
            let floor = run.cold(FLOOR).map(|floor| floor.init.p50);
            for (name, cold) in &run.cold {
                let ratio = floor
                    .map(|f| format!("{:.2}×", cold.init.p50 / f))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "| {} | {name} | {} | {} | {} | {} | {ratio} | {}/{} runs |",
                    run.memory_mb,
                    p50_max(&cold.init),
                    p50_max(&cold.init_cpu),
                    p50_max(&cold.first_response),
                    p50_max(&cold.first_request),
                    cold.capped_runs,
                    cold.statuses.len()
                );
            }
        }
    }

    fn warm_table(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "\nWarm, {} requests per function and size, one client through the local API Gateway over create → get → list → update → delete (ms; in function = event handed out → response posted, what Lambda bills):\n",
            self.warm_requests
        );
        let _ = writeln!(
            out,
            "| MB | function | p50 | p99 | in function p50 / p99 | GET in function p50 | CPU ms per 1000 requests | peak RSS MiB | billed ms (mean) | $ per million requests | periods throttled |"
        );
        let _ = writeln!(
            out,
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        );
        for run in &self.sizes {
            for (name, warm) in &run.warm {
                let throttled = warm
                    .throttling
                    .map(|t| format!("{} of {}", t.throttled_periods, t.periods))
                    .unwrap_or_else(|| "uncapped".into());
                let _ = writeln!(
                    out,
                    "| {} | {name} | {:.2} | {:.2} | {:.2} / {:.2} | {:.2} | {:.0} | {:.1} | {:.2} | {:.3} | {throttled} |",
                    run.memory_mb,
                    warm.all.p50,
                    warm.all.p99,
                    warm.in_function.p50,
                    warm.in_function.p99,
                    warm.in_function_per_route[GET_ROUTE].p50,
                    warm.cpu_ms_per_1000,
                    warm.peak_rss_mib,
                    warm.billed_ms,
                    cost::per_million(warm.billed_ms, run.memory_mb)
                );
            }
        }
        if let Some(run) = self.sizes.first() {
            warm_ratios(out, run);
        }
    }

    fn artefact_table(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "\nArtefacts (stripped release binary; `bootstrap` zipped):\n"
        );
        let _ = writeln!(out, "| function | arch | binary MiB | zipped MiB |");
        let _ = writeln!(out, "|---|---|---:|---:|");
        for artefact in &self.artefacts {
            let _ = writeln!(
                out,
                "| {} | {} | {:.2} | {:.2} |",
                artefact.function,
                artefact.architecture,
                artefact.binary_bytes as f64 / MIB,
                artefact.zipped_bytes as f64 / MIB
            );
        }
    }
}

/// The second warm subject against the first at one size.
fn warm_ratios(out: &mut String, run: &SizeRun) {
    if let [(ours, a), (theirs, b), ..] = run.warm.as_slice() {
        let _ = writeln!(
            out,
            "\nAt {} MB, {theirs} / {ours}: warm p50 {:.1}×, CPU {:.1}×, peak RSS {:.1}×, cost {:.1}×",
            run.memory_mb,
            b.all.p50 / a.all.p50,
            b.cpu_ms_per_1000 / a.cpu_ms_per_1000,
            b.peak_rss_mib / a.peak_rss_mib,
            cost::per_million(b.billed_ms, run.memory_mb)
                / cost::per_million(a.billed_ms, run.memory_mb)
        );
    }
}

fn p50_max(summary: &Summary) -> String {
    format!("{:.1} ({:.1})", summary.p50, summary.max)
}

/// CPU model, cores and memory, from /proc.
pub(super) fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| {
            line.strip_prefix("model name")
                .and_then(|rest| rest.split_once(':'))
        })
        .map(|(_, model)| model.trim().to_string())
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let memory_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .next()?
                .split_whitespace()
                .nth(1)?
                .parse::<f64>()
                .ok()
        })
        .map(|kib| kib / 1024.0 / 1024.0)
        .unwrap_or_default();
    format!(
        "{model}, {cores} cores, {memory_gib:.0} GiB, {}",
        std::env::consts::ARCH
    )
}
