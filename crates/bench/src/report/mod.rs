//! The results: a Markdown table for people (and the README), JSON for tools. Every result
//! says how Lambda was emulated: the memory size, whether the CPU cap was in force, TLS.

mod tables;

use serde_json::{Value, json};

use crate::{
    cold::ColdStarts, cost, goals, options::Options, sizes::Artefact, stream::Throughput,
    warm::Warm,
};
use devstack::CpuCap;

/// The subjects, by name.
pub const ITEMS_API: &str = "items-api";
/// items-api with `WARM_UP_CONNECTIONS=off`: no connection opened during init.
pub const ITEMS_API_COLD_CONNECTIONS: &str = "items-api-no-warm-up";
pub const FLOOR: &str = "lambda-floor";
pub const VS: &str = "vs";

/// What one memory size measured.
pub struct SizeRun {
    pub memory_mb: u64,
    pub cold: Vec<(String, ColdStarts)>,
    pub warm: Vec<(String, Warm)>,
}

impl SizeRun {
    pub fn new(memory_mb: u64) -> Self {
        Self {
            memory_mb,
            cold: Vec::new(),
            warm: Vec::new(),
        }
    }

    pub fn cold(&self, name: &str) -> Option<&ColdStarts> {
        self.cold.iter().find(|(n, _)| n == name).map(|(_, c)| c)
    }

    pub fn warm(&self, name: &str) -> Option<&Warm> {
        self.warm.iter().find(|(n, _)| n == name).map(|(_, w)| w)
    }

    fn json(&self) -> Value {
        let cold: serde_json::Map<String, Value> = self
            .cold
            .iter()
            .map(|(name, cold)| (name.clone(), cold.json()))
            .collect();
        let warm: serde_json::Map<String, Value> = self
            .warm
            .iter()
            .map(|(name, warm)| {
                let mut figures = warm.json();
                figures["cost_per_million_requests_usd"] =
                    json!(cost::per_million(warm.billed_ms, self.memory_mb));
                (name.clone(), figures)
            })
            .collect();
        let goals: Vec<Value> = goals::assess(self)
            .iter()
            .map(|g| json!({"what": g.what, "ratio": g.ratio, "target": g.target, "met": g.met}))
            .collect();
        json!({
            "memory_mb": self.memory_mb,
            "cpu_share_of_a_core": self.memory_mb as f64 / devstack::MB_PER_VCPU as f64,
            "cold": cold,
            "warm": warm,
            "goals": goals,
        })
    }
}

/// How Lambda was emulated over the whole run.
pub struct Emulated {
    pub tls: bool,
    /// TLS handshakes the bench's proxies completed (0 without TLS).
    pub handshakes: u64,
    pub cpu_cap: CpuCap,
    /// Where the caps were made (`None`: nowhere, the functions ran uncapped).
    pub cgroups: Option<String>,
}

impl Emulated {
    /// Whether a cap was asked for and could be made.
    pub fn capped(&self) -> bool {
        self.cpu_cap != CpuCap::Off && self.cgroups.is_some()
    }

    fn json(&self) -> Value {
        json!({
            "tls": self.tls,
            "tls_handshakes": self.handshakes,
            "cpu_cap": self.capped(),
            "cpu_cap_from": match self.cpu_cap {
                CpuCap::Off => "off",
                CpuCap::AfterInit => "end of init",
                CpuCap::Always => "spawn",
            },
            "cgroups": self.cgroups,
        })
    }
}

pub struct Results {
    pub cold_runs: usize,
    pub warm_requests: usize,
    pub vs: Option<String>,
    pub emulated: Emulated,
    /// Smallest first.
    pub sizes: Vec<SizeRun>,
    /// The stream burst, at the template's memory size.
    pub stream: Option<(u64, Throughput)>,
    pub artefacts: Vec<Artefact>,
}

impl Results {
    pub fn new(options: &Options, emulated: Emulated) -> Self {
        Self {
            cold_runs: options.cold_runs,
            warm_requests: options.warm_requests,
            vs: options.vs.clone(),
            emulated,
            sizes: Vec::new(),
            stream: None,
            artefacts: Vec::new(),
        }
    }

    pub fn json(&self) -> Value {
        json!({
            "machine": tables::machine(),
            "emulated": self.emulated.json(),
            "price": {
                "usd_per_gb_second": cost::PRICE_PER_GB_SECOND,
                "usd_per_million_requests": cost::PRICE_PER_MILLION_REQUESTS,
                "source": cost::PRICE_SOURCE,
                "formula": cost::formula(),
            },
            "cold_runs": self.cold_runs,
            "warm_requests": self.warm_requests,
            "vs": self.vs,
            "sizes": self.sizes.iter().map(SizeRun::json).collect::<Vec<_>>(),
            "stream": self.stream.as_ref().map(|(memory_mb, stream)| {
                let mut figures = stream.json();
                figures["memory_mb"] = json!(memory_mb);
                figures
            }),
            "artefacts": self.artefacts.iter().map(Artefact::json).collect::<Vec<_>>(),
        })
    }
}
