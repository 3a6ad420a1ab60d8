//! The results: a Markdown table for people (and the README), JSON for tools.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::{cold::ColdStarts, options::Options, sizes::Artefact, stream::Throughput, warm::Warm};

/// The floor every cold start is compared with.
const FLOOR: &str = "lambda-floor";
const MIB: f64 = 1024.0 * 1024.0;

pub struct Results {
    pub cold_runs: usize,
    pub warm_requests: usize,
    pub vs: Option<String>,
    pub cold: Vec<(String, ColdStarts)>,
    pub warm: Vec<(String, Warm)>,
    pub stream: Option<Throughput>,
    pub artefacts: Vec<Artefact>,
}

impl Results {
    pub fn new(options: &Options) -> Self {
        Self {
            cold_runs: options.cold_runs,
            warm_requests: options.warm_requests,
            vs: options.vs.clone(),
            cold: Vec::new(),
            warm: Vec::new(),
            stream: None,
            artefacts: Vec::new(),
        }
    }

    fn floor_init(&self) -> Option<f64> {
        self.cold
            .iter()
            .find(|(name, _)| name == FLOOR)
            .map(|(_, cold)| cold.init.p50)
    }

    pub fn table(&self) -> String {
        let mut out = String::new();
        let floor = self.floor_init();
        let _ = writeln!(out, "Machine: {}\n", machine());
        let _ = writeln!(
            out,
            "Cold start, {} fresh processes each (ms; init = spawn → first `next`, first response = spawn → response of `GET /items/{{id}}`):\n",
            self.cold_runs
        );
        let _ = writeln!(
            out,
            "| function | init p50 | init max | first response p50 | first response max | init / floor |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
        for (name, cold) in &self.cold {
            let ratio = floor
                .map(|f| format!("{:.2}×", cold.init.p50 / f))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| {name} | {:.1} | {:.1} | {:.1} | {:.1} | {ratio} |",
                cold.init.p50, cold.init.max, cold.first_response.p50, cold.first_response.max
            );
        }
        let _ = writeln!(
            out,
            "\nWarm latency through the local API Gateway, {} requests per function, one client (ms, p50 / p90 / p99):\n",
            self.warm_requests
        );
        let names: Vec<&str> = self.warm.iter().map(|(name, _)| name.as_str()).collect();
        let _ = writeln!(out, "| route | {} |", names.join(" | "));
        let _ = writeln!(out, "|---|{}", "---:|".repeat(names.len()));
        let routes = self
            .warm
            .first()
            .map(|(_, warm)| warm.per_route.len())
            .unwrap_or(0);
        for route in 0..routes {
            let cells: Vec<String> = self
                .warm
                .iter()
                .map(|(_, warm)| triple(&warm.per_route[route].1))
                .collect();
            let _ = writeln!(
                out,
                "| {} | {} |",
                self.warm[0].1.per_route[route].0,
                cells.join(" | ")
            );
        }
        let row = |label: &str, cell: &dyn Fn(&Warm) -> String| {
            let cells: Vec<String> = self.warm.iter().map(|(_, warm)| cell(warm)).collect();
            format!("| {label} | {} |\n", cells.join(" | "))
        };
        out.push_str(&row("all routes", &|warm| triple(&warm.all)));
        out.push_str(&row("inside the function (next → response)", &|warm| {
            triple(&warm.in_function)
        }));
        out.push_str(&row("function share of p50", &|warm| {
            format!("{:.0} %", 100.0 * warm.in_function.p50 / warm.all.p50)
        }));
        out.push_str(&row("CPU ms per 1000 requests (user+sys)", &|warm| {
            format!("{:.0}", warm.cpu_ms_per_1000)
        }));
        out.push_str(&row("peak RSS (VmHWM, MiB)", &|warm| {
            format!("{:.1}", warm.peak_rss_mib)
        }));
        out.push_str(&row("statuses", &|warm| format!("{:?}", warm.statuses)));
        if let [(ours, a), (theirs, b)] = self.warm.as_slice() {
            let _ = writeln!(
                out,
                "\n{theirs} / {ours}: warm p50 {:.1}×, CPU {:.1}×, peak RSS {:.1}×",
                b.all.p50 / a.all.p50,
                b.cpu_ms_per_1000 / a.cpu_ms_per_1000,
                b.peak_rss_mib / a.peak_rss_mib
            );
        }
        if let Some(vs) = &self.vs {
            let _ = writeln!(out, "\n`vs` = `{vs}`");
        }
        if let Some(stream) = &self.stream {
            let _ = writeln!(
                out,
                "\nStream processor: {} changes written, {} archived + notified in {:.1} s: **{:.0} records/s** (through the local event source mapping, 1 s batching window, batches of 100); {} invocations, {:.1} s inside the processor, {:.2} s of its CPU",
                stream.changes,
                stream.notified,
                stream.elapsed.as_secs_f64(),
                stream.per_second(),
                stream.invocations,
                stream.in_function.as_secs_f64(),
                stream.cpu.as_secs_f64()
            );
        }
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
        out
    }

    pub fn json(&self) -> Value {
        json!({
            "machine": machine(),
            "cold_runs": self.cold_runs,
            "warm_requests": self.warm_requests,
            "vs": self.vs,
            "cold": self.cold.iter().map(|(name, cold)| (name.clone(), cold.json())).collect::<serde_json::Map<_, _>>(),
            "warm": self.warm.iter().map(|(name, warm)| (name.clone(), warm.json())).collect::<serde_json::Map<_, _>>(),
            "stream": self.stream.as_ref().map(Throughput::json),
            "artefacts": self.artefacts.iter().map(Artefact::json).collect::<Vec<_>>(),
        })
    }
}

fn triple(summary: &crate::stats::Summary) -> String {
    format!(
        "{:.2} / {:.2} / {:.2}",
        summary.p50, summary.p90, summary.p99
    )
}

/// CPU model, cores and memory, from /proc.
fn machine() -> String {
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
