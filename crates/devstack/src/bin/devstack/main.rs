//! `devstack`: the local stack's command line (run through scripts/dev, scripts/invoke and
//! scripts/dev-peek), one module per command.

mod cpu;
mod invoke;
mod peek;
mod up;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The items system on this machine: DynamoDB + Streams (dynoxide), S3/SNS/SQS (moto), the
/// resources of template.yaml, both functions' binaries under a local Lambda Runtime API, a
/// local API Gateway and the stream trigger. No AWS account, no Docker.
#[derive(Parser)]
#[command(name = "devstack", flatten_help = true, after_help = up::FAULTS_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    location: Location,
}

#[derive(Subcommand)]
enum Command {
    /// Starts the whole stack and serves until Ctrl-C.
    Up(up::Up),
    /// Runs a function's binary with an event, against a running `up`.
    Invoke(invoke::Invoke),
    /// Lists the archive objects and notifications of a running `up`.
    Peek,
}

/// Where the stack's files are (every command takes these).
#[derive(clap::Args)]
struct Location {
    /// Where template.yaml and the .dev/ state are [default: the working directory]
    #[arg(long, value_name = "DIR", global = true)]
    root: Option<PathBuf>,
    /// Where the function binaries are [default: ROOT/target/release]
    #[arg(long, value_name = "DIR", global = true)]
    binaries: Option<PathBuf>,
}

impl Location {
    fn root(&self) -> PathBuf {
        self.root
            .clone()
            .unwrap_or_else(|| std::env::current_dir().expect("a working directory"))
    }

    fn binaries(&self) -> PathBuf {
        self.binaries
            .clone()
            .unwrap_or_else(|| self.root().join("target/release"))
    }
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Up(up) => up.run(&cli.location).await,
        Command::Invoke(invoke) => invoke.run(&cli.location).await,
        Command::Peek => peek::run(&cli.location).await,
    };
    if let Err(error) = result {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn mistyped_and_misplaced_flags_are_refused() {
        let parse = |args: &[&str]| Cli::try_parse_from([&["devstack"], args].concat());
        let mistyped = parse(&["up", "--prot", "3001"]).err().unwrap().to_string();
        assert!(
            mistyped.contains("--prot") && mistyped.contains("--port"),
            "{mistyped}"
        );
        assert!(parse(&["up", "--port", "port"]).is_err());
        assert!(
            parse(&["up", "--fault-seed", "2"]).is_err(),
            "needs --faults"
        );
        assert!(parse(&["up", "--faults", "1.5"]).is_err());
        assert!(
            parse(&["invoke", "ItemsApiFunction"]).is_err(),
            "needs an event"
        );
        assert!(parse(&["peek", "--root", "/tmp", "--binaries", "/tmp/bin"]).is_ok());
        assert!(parse(&["up", "--cap-init", "--uncapped"]).is_err());
        assert!(
            parse(&["up", "--memory", "64"]).is_err(),
            "Lambda's minimum is 128"
        );
        assert!(parse(&["up", "--tls", "--memory", "128", "--cap-init"]).is_ok());
        assert!(parse(&["invoke", "ItemsApiFunction", "e.json", "--memory", "1024"]).is_ok());
    }

    #[test]
    fn the_help_lists_every_flag() {
        let help = Cli::command().render_help().to_string();
        for flag in [
            "--port",
            "--api-key",
            "--in-memory",
            "--db",
            "--dynamodb-port",
            "--moto-port",
            "--faults",
            "--fault-kinds",
            "--fault-services",
            "--fault-seed",
            "--tls",
            "--memory",
            "--cap-init",
            "--uncapped",
            "--root",
            "--binaries",
        ] {
            assert!(help.contains(flag), "{flag}:\n{help}");
        }
    }
}
