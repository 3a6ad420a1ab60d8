//! `scripts/migrate`: copies a table of the original Python service into this stack's table,
//! each item in the strict shape items-api writes (README, "Copying the table").
//!
//! - [`normalise`]: one stored item by the tolerant reading rules, then the strict shape;
//! - [`copy`]: the parallel Scan and the conditional puts, page by page;
//! - [`checkpoint`]: where a run stands, so a rerun continues;
//! - [`tally`] and [`report`]: every scanned item accounted for;
//! - [`client`]: the SDK client and its retries; [`dry_run`]: `--dry-run`'s look-ups.

mod checkpoint;
mod client;
mod copy;
mod dry_run;
mod normalise;
mod report;
mod tally;

use std::{
    io::IsTerminal,
    path::PathBuf,
    process::ExitCode,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use clap::Parser;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::{checkpoint::Checkpoint, copy::Migration, report::Report, tally::Tally};

/// Copies a table of the original Python service into this stack's table: every item read by
/// the API's tolerant rules and written in its strict shape, ids and times kept, never over
/// an item the target already has. Region, credentials and endpoint come from the standard
/// AWS environment (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL_DYNAMODB, ...).
#[derive(Debug, Parser)]
#[command(name = "scripts/migrate", bin_name = "scripts/migrate")]
struct Args {
    /// The original service's table.
    #[arg(long)]
    from_table: String,
    /// This stack's table: the stack's `ItemsTableName` output (`items` on scripts/dev).
    #[arg(long, env = "DYNAMODB_TABLE")]
    to_table: String,
    /// Read and normalise everything and look the ids up in the target; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Parallel Scan segments.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=1000))]
    segments: u32,
    /// Writes in flight, spread over the segments.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=10000))]
    in_flight: u32,
    /// Where the run's progress is kept [default: migrate-FROM-to-TO.checkpoint.json].
    #[arg(long)]
    checkpoint: Option<PathBuf>,
    /// The closing report as one JSON object on stdout.
    #[arg(long)]
    json: bool,
}

/// Exit codes: 0 every item accounted for, 1 something failed (rerun to continue), 2 usage.
#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if args.from_table == args.to_table {
        eprintln!("error: --from-table and --to-table name the same table");
        return ExitCode::from(2);
    }
    let checkpoint_path = args.checkpoint.clone().unwrap_or_else(|| {
        format!(
            "migrate-{}-to-{}.checkpoint.json",
            args.from_table, args.to_table
        )
        .into()
    });
    let client = client::dynamodb().await;
    // Both tables must exist before anything starts.
    let (from, to) = match (
        describe(&client, &args.from_table).await,
        describe(&client, &args.to_table).await,
    ) {
        (Ok(from), Ok(to)) => (from, to),
        (Err(error), _) | (_, Err(error)) => {
            eprintln!("error: {error}");
            return ExitCode::from(1);
        }
    };
    let checkpoint = if args.dry_run {
        None
    } else {
        match Checkpoint::load_or_new(
            &checkpoint_path,
            from.table(&args.from_table),
            to.table(&args.to_table),
            args.segments,
        ) {
            Ok(checkpoint) => Some(checkpoint),
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::from(2);
            }
        }
    };
    if checkpoint.as_ref().is_some_and(Checkpoint::complete) {
        eprintln!(
            "{} says every segment is done: nothing left to copy (remove it to copy again)",
            checkpoint_path.display()
        );
    }
    let earlier_runs = checkpoint
        .as_ref()
        .map(Checkpoint::tally)
        .unwrap_or_default();
    let estimate = from.item_count;
    let progress = progress_bar(estimate, earlier_runs.scanned);
    let copy = Arc::new(Migration {
        client,
        from_table: args.from_table.clone(),
        to_table: args.to_table.clone(),
        segments: args.segments,
        in_flight: (args.in_flight / args.segments).max(1) as usize,
        checkpoint: checkpoint.map(|checkpoint| (Mutex::new(checkpoint), checkpoint_path)),
        progress: progress.clone(),
        live: Mutex::new(Tally::default()),
    });
    let started = Instant::now();
    let runs = copy.run().await;
    let seconds = started.elapsed().as_secs_f64();
    progress.finish_and_clear();
    let this_run = Tally::sum(runs.iter().map(|run| &run.tally));
    let errors = runs.into_iter().filter_map(|run| run.error).collect();
    let report = Report::new(
        (
            &args.from_table,
            &args.to_table,
            args.dry_run,
            args.segments,
        ),
        earlier_runs,
        this_run,
        errors,
        seconds,
    );
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&report).expect("a report is JSON")
        );
    } else {
        println!("{report}");
    }
    if report.succeeded() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// What DescribeTable says of a table.
struct Described {
    /// DynamoDB updates it about every six hours: a progress estimate, not a promise.
    item_count: u64,
    /// Tells a table from an earlier one of the same name (see `Checkpoint`).
    table_id: Option<String>,
}

impl Described {
    fn table<'a>(&'a self, name: &'a str) -> checkpoint::Table<'a> {
        checkpoint::Table {
            name,
            id: self.table_id.as_deref(),
        }
    }
}

async fn describe(client: &aws_sdk_dynamodb::Client, table: &str) -> Result<Described, String> {
    let output = client
        .describe_table()
        .table_name(table)
        .send()
        .await
        .map_err(|error| format!("DescribeTable {table}: {}", copy::describe(&error)))?;
    let table = output.table;
    Ok(Described {
        item_count: table
            .as_ref()
            .and_then(|table| table.item_count)
            .map_or(0, |count| count.max(0) as u64),
        table_id: table.and_then(|table| table.table_id),
    })
}

/// To stderr when it is a terminal (not into a log or a pipe); a spinner when the count
/// is unknown.
fn progress_bar(estimate: u64, already: u64) -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let (bar, template) = if estimate > 0 {
        (
            ProgressBar::with_draw_target(Some(estimate.max(already)), target),
            "{bar:30} {pos}/~{len} items, {per_sec}, {elapsed}  {msg}",
        )
    } else {
        (
            ProgressBar::with_draw_target(None, target),
            "{spinner} {pos} items, {per_sec}, {elapsed}  {msg}",
        )
    };
    bar.set_style(ProgressStyle::with_template(template).expect("a valid progress template"));
    bar.set_position(already);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
