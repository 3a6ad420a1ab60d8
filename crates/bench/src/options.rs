//! Command-line flags.

use clap::Parser;
use devstack::CpuCap;

/// The benchmark suite, as Lambda runs the functions: each memory size with Lambda's CPU share
/// for it (MB/1769 of a core, through a cgroup, from the end of init) and HTTPS to the local
/// AWS endpoints. Cold start of items-api and of a hello-world floor, warm latency through
/// the local API Gateway, CPU and peak memory of the function process, billed duration and
/// cost per million requests, stream-processor throughput, artefact sizes. Prints a Markdown
/// table; JSON in target/bench/results.json.
#[derive(Parser)]
#[command(
    name = "bench",
    after_help = "scripts/bench also takes --arm64: it builds the arm64 bootstraps first."
)]
struct Flags {
    /// 5 cold starts, 300 warm requests, 1000 stream changes (a smoke run, not the figures);
    /// --cold, --requests and --stream still set their own figure
    #[arg(long)]
    quick: bool,
    /// Also measure CMD, any process speaking the Lambda Runtime API (run from the
    /// repository root with the items function's environment), side by side
    #[arg(long, value_name = "CMD")]
    vs: Option<String>,
    /// The memory sizes measured, each with Lambda's CPU share for it
    #[arg(long, value_name = "MB,…", value_delimiter = ',', default_values_t = [128, 256, 1024],
          value_parser = clap::value_parser!(u64).range(128..=10240))]
    memory: Vec<u64>,
    /// Plain HTTP to the local AWS endpoints instead of HTTPS
    #[arg(long)]
    no_tls: bool,
    /// Caps init too (by default init runs at full speed, as on-demand Lambda's init burst)
    #[arg(long)]
    cap_init: bool,
    /// Runs the functions at full speed at every size (no CPU cap)
    #[arg(long, conflicts_with = "cap_init")]
    uncapped: bool,
    /// Fresh processes per cold-start figure [default: 20]
    #[arg(long, value_name = "N")]
    cold: Option<usize>,
    /// Warm requests per function and size [default: 1000]
    #[arg(long, value_name = "N")]
    requests: Option<usize>,
    /// Changes in the stream burst [default: 5000]
    #[arg(long, value_name = "N")]
    stream: Option<usize>,
}

pub struct Options {
    pub cold_runs: usize,
    pub warm_requests: usize,
    pub stream_changes: usize,
    pub vs: Option<String>,
    /// Smallest first.
    pub memory_sizes: Vec<u64>,
    pub tls: bool,
    pub cpu_cap: CpuCap,
}

impl Options {
    /// From the command line; exits with a message on a flag it does not know.
    pub fn from_args() -> Self {
        Self::from(Flags::parse())
    }
}

impl From<Flags> for Options {
    fn from(flags: Flags) -> Self {
        let (cold, requests, stream) = if flags.quick {
            (5, 300, 1000)
        } else {
            (20, 1000, 5000)
        };
        let mut memory_sizes = flags.memory;
        memory_sizes.sort_unstable();
        memory_sizes.dedup();
        Self {
            cold_runs: flags.cold.unwrap_or(cold).max(1),
            warm_requests: flags.requests.unwrap_or(requests).max(5),
            stream_changes: flags.stream.unwrap_or(stream).max(1),
            vs: flags.vs,
            memory_sizes,
            tls: !flags.no_tls,
            cpu_cap: match (flags.uncapped, flags.cap_init) {
                (true, _) => CpuCap::Off,
                (false, true) => CpuCap::Always,
                (false, false) => CpuCap::AfterInit,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, clap::Error> {
        Flags::try_parse_from([&["bench"], args].concat()).map(Options::from)
    }

    #[test]
    fn quick_sets_the_smoke_figures_and_a_flag_overrides_one() {
        let quick = parse(&["--quick", "--cold", "2"]).unwrap();
        assert_eq!(
            (quick.cold_runs, quick.warm_requests, quick.stream_changes),
            (2, 300, 1000)
        );
        let full = parse(&["--vs", "bench/python/bootstrap"]).unwrap();
        assert_eq!(
            (full.cold_runs, full.vs.as_deref()),
            (20, Some("bench/python/bootstrap"))
        );
        assert!(parse(&["--qiuck"]).is_err());
        assert!(parse(&["--cold", "many"]).is_err());
    }

    #[test]
    fn lambda_as_it_runs_by_default_and_each_part_can_be_turned_off() {
        let default = parse(&[]).unwrap();
        assert_eq!(default.memory_sizes, [128, 256, 1024]);
        assert!(default.tls);
        assert_eq!(default.cpu_cap, CpuCap::AfterInit);
        let chosen = parse(&["--memory", "1024,128,1024", "--no-tls", "--cap-init"]).unwrap();
        assert_eq!(chosen.memory_sizes, [128, 1024], "sorted, once each");
        assert!(!chosen.tls);
        assert_eq!(chosen.cpu_cap, CpuCap::Always);
        assert_eq!(parse(&["--uncapped"]).unwrap().cpu_cap, CpuCap::Off);
        assert!(parse(&["--uncapped", "--cap-init"]).is_err());
        assert!(
            parse(&["--memory", "64"]).is_err(),
            "Lambda's minimum is 128"
        );
    }
}
