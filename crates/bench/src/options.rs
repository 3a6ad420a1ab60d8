//! Command-line flags.

use clap::Parser;

/// The benchmark suite: cold start of items-api and of a hello-world floor, warm latency per
/// route through the local API Gateway, CPU and peak memory of the function process,
/// stream-processor throughput, artefact sizes. Prints a Markdown table; JSON in
/// target/bench/results.json.
#[derive(Parser)]
#[command(
    name = "bench",
    after_help = "scripts/bench also takes --arm64: it builds the arm64 bootstraps first."
)]
struct Flags {
    /// 5 cold starts, 500 warm requests, 1000 stream changes (a smoke run, not the figures);
    /// --cold, --requests and --stream still set their own figure
    #[arg(long)]
    quick: bool,
    /// Also measure CMD, any process speaking the Lambda Runtime API (run from the
    /// repository root with the items function's environment), side by side
    #[arg(long, value_name = "CMD")]
    vs: Option<String>,
    /// Fresh processes per cold-start figure [default: 20]
    #[arg(long, value_name = "N")]
    cold: Option<usize>,
    /// Warm requests per function [default: 2000]
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
            (5, 500, 1000)
        } else {
            (20, 2000, 5000)
        };
        Self {
            cold_runs: flags.cold.unwrap_or(cold).max(1),
            warm_requests: flags.requests.unwrap_or(requests).max(5),
            stream_changes: flags.stream.unwrap_or(stream).max(1),
            vs: flags.vs,
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
            (2, 500, 1000)
        );
        let full = parse(&["--vs", "bench/python/bootstrap"]).unwrap();
        assert_eq!(
            (full.cold_runs, full.vs.as_deref()),
            (20, Some("bench/python/bootstrap"))
        );
        assert!(parse(&["--qiuck"]).is_err());
        assert!(parse(&["--cold", "many"]).is_err());
    }
}
