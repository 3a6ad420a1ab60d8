//! The closing report: what this run did, what earlier runs recorded in the checkpoint, and
//! the sum of both, with the items that were not copied named by id (and attribute names,
//! never values). As text, or as one JSON object with `--json`.

use std::fmt::{self, Write};

use serde::Serialize;

use crate::tally::Tally;

/// How many ids of each list the text shows (`--json` has them all).
const LISTED: usize = 20;

#[derive(Debug, Serialize)]
pub struct Report {
    pub from_table: String,
    pub to_table: String,
    pub dry_run: bool,
    pub segments: u32,
    /// Every segment reached the end of its scan without a failure.
    pub complete: bool,
    pub seconds: f64,
    pub items_per_second: f64,
    pub this_run: Tally,
    /// Recorded in the checkpoint by earlier runs (empty on a first run and a dry run).
    pub earlier_runs: Tally,
    pub total: Tally,
    /// Why segments stopped early.
    pub errors: Vec<String>,
}

impl Report {
    pub fn new(
        run: (&str, &str, bool, u32),
        earlier_runs: Tally,
        this_run: Tally,
        errors: Vec<String>,
        seconds: f64,
    ) -> Self {
        let (from_table, to_table, dry_run, segments) = run;
        let mut total = earlier_runs.clone();
        total.add(&this_run);
        // Segments finish in any order: the lists by id.
        let (mut earlier_runs, mut this_run) = (earlier_runs, this_run);
        for tally in [&mut earlier_runs, &mut this_run, &mut total] {
            tally.sort();
        }
        Self {
            from_table: from_table.into(),
            to_table: to_table.into(),
            dry_run,
            segments,
            complete: errors.is_empty() && this_run.failed.is_empty(),
            seconds,
            items_per_second: if seconds > 0.0 {
                this_run.scanned as f64 / seconds
            } else {
                0.0
            },
            this_run,
            earlier_runs,
            total,
            errors,
        }
    }

    /// Success: complete, and every item copied, already there or skipped for a documented
    /// reason.
    pub fn succeeded(&self) -> bool {
        self.complete
            && self.total.failed.is_empty()
            && self.total.accounted() == self.total.scanned
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dry = if self.dry_run {
            " (dry run: nothing written)"
        } else {
            ""
        };
        writeln!(f, "{} -> {}{dry}", self.from_table, self.to_table)?;
        if self.earlier_runs.scanned > 0 {
            writeln!(
                f,
                "earlier runs: {}",
                self.earlier_runs.summary(self.dry_run)
            )?;
        }
        writeln!(
            f,
            "this run:     {} in {:.1} s ({:.0} items/s)",
            self.this_run.summary(self.dry_run),
            self.seconds,
            self.items_per_second
        )?;
        writeln!(f, "all runs:     {}", self.total.summary(self.dry_run))?;
        let total = &self.total;
        if !total.already_different.is_empty() {
            writeln!(f, "already there with other content (left as they are):")?;
            list(
                f,
                total.already_different.iter().map(|id| format!("{id:?}")),
            )?;
        }
        if !total.skipped.is_empty() {
            writeln!(f, "skipped:")?;
            list(
                f,
                total.skipped.iter().map(|skipped| {
                    let id = skipped.id.as_deref().unwrap_or("<no string id>");
                    format!(
                        "{id:?}: {} ({})",
                        skipped.attributes.join(", "),
                        skipped.reason.describe()
                    )
                }),
            )?;
        }
        if !total.failed.is_empty() {
            writeln!(f, "failed:")?;
            list(
                f,
                total.failed.iter().map(|failure| {
                    let id = failure.id.as_deref().unwrap_or("<no string id>");
                    format!("{id:?}: {}", failure.error)
                }),
            )?;
        }
        for error in &self.errors {
            writeln!(f, "stopped: {error}")?;
        }
        if self.succeeded() {
            write!(f, "complete: every item accounted for")
        } else {
            write!(f, "incomplete: run the same command again to continue")
        }
    }
}

fn list(f: &mut fmt::Formatter<'_>, lines: impl ExactSizeIterator<Item = String>) -> fmt::Result {
    let count = lines.len();
    let mut text = String::new();
    for line in lines.take(LISTED) {
        writeln!(text, "  {line}")?;
    }
    if count > LISTED {
        writeln!(text, "  … and {} more (--json lists all)", count - LISTED)?;
    }
    f.write_str(&text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        normalise::{SkipReason, Skipped},
        tally::Failure,
    };

    fn tally(copied: u64) -> Tally {
        Tally {
            scanned: copied + 1,
            copied,
            skipped: vec![Skipped {
                id: Some("item-bad".into()),
                attributes: vec!["name".into(), "created_at".into()],
                reason: SkipReason::Unrepresentable,
            }],
            ..Tally::default()
        }
    }

    #[test]
    fn the_text_names_skipped_items_by_id_and_attribute_names() {
        let report = Report::new(("old", "new", false, 4), tally(10), tally(20), vec![], 2.0);
        assert!(report.succeeded());
        assert_eq!(report.total.scanned, 32);
        assert_eq!(report.items_per_second, 10.5);
        let text = report.to_string();
        assert!(text.contains("earlier runs: 11 scanned"), "{text}");
        assert!(
            text.contains("all runs:     32 scanned: 30 copied"),
            "{text}"
        );
        assert!(
            text.contains("\"item-bad\": name, created_at (cannot be represented)"),
            "{text}"
        );
        assert!(
            text.ends_with("complete: every item accounted for"),
            "{text}"
        );
    }

    #[test]
    fn a_failure_or_a_stopped_segment_is_not_success() {
        let mut failed = tally(1);
        failed.scanned += 1;
        failed.failed.push(Failure {
            id: Some("x".into()),
            error: "PutItem: InternalServerError".into(),
        });
        let report = Report::new(("a", "b", false, 1), Tally::default(), failed, vec![], 1.0);
        assert!(!report.succeeded());
        assert!(
            report
                .to_string()
                .contains("\"x\": PutItem: InternalServerError")
        );
        let stopped = Report::new(
            ("a", "b", false, 1),
            Tally::default(),
            tally(1),
            vec!["segment 0: Scan of a: ResourceNotFoundException".into()],
            1.0,
        );
        assert!(!stopped.succeeded());
        assert!(stopped.to_string().contains("incomplete"));
    }

    #[test]
    fn long_lists_are_cut_in_the_text() {
        let many = Tally {
            scanned: 25,
            already_different: (0..25).rev().map(|n| format!("id-{n:02}")).collect(),
            ..Tally::default()
        };
        let text =
            Report::new(("a", "b", true, 1), Tally::default(), many, vec![], 1.0).to_string();
        assert!(text.contains("\"id-19\""), "{text}");
        assert!(!text.contains("\"id-20\""), "{text}");
        assert!(text.contains("… and 5 more"), "{text}");
        assert!(text.contains("dry run: nothing written"), "{text}");
    }
}
