//! Command-line flags.

pub const USAGE: &str = "usage: bench [--quick] [--vs CMD] [--cold N] [--requests N] [--stream N]
  --quick        5 cold starts, 500 warm requests, 1000 stream changes (a smoke run, not the figures)
  --vs CMD       also measure CMD, any process speaking the Lambda Runtime API (run from the
                 repository root with the items function's environment), side by side
  --cold N       fresh processes per cold-start figure (default 20)
  --requests N   warm requests per function (default 2000)
  --stream N     changes in the stream burst (default 5000)
(scripts/bench also takes --arm64: build the arm64 bootstraps first)";

pub struct Options {
    pub cold_runs: usize,
    pub warm_requests: usize,
    pub stream_changes: usize,
    pub vs: Option<String>,
}

impl Options {
    pub fn parse(mut args: impl Iterator<Item = String>) -> Result<Self, String> {
        let mut options = Self {
            cold_runs: 20,
            warm_requests: 2000,
            stream_changes: 5000,
            vs: None,
        };
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or(format!("{flag} needs a value"));
            let number = |text: String| text.parse::<usize>().map_err(|e| format!("{flag}: {e}"));
            match flag.as_str() {
                "--quick" => {
                    options.cold_runs = 5;
                    options.warm_requests = 500;
                    options.stream_changes = 1000;
                }
                "--vs" => options.vs = Some(value()?),
                "--cold" => options.cold_runs = number(value()?)?.max(1),
                "--requests" => options.warm_requests = number(value()?)?.max(5),
                "--stream" => options.stream_changes = number(value()?)?.max(1),
                other => return Err(format!("unknown flag {other}\n{USAGE}")),
            }
        }
        Ok(options)
    }
}
