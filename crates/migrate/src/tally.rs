//! What became of the scanned items: every one is copied, already in the target, skipped
//! for a documented reason, or failed. Kept per segment in the checkpoint (for the pages
//! whose writes completed) and summed for the closing report.

use serde::{Deserialize, Serialize};

use crate::normalise::Skipped;

/// Counts of one page, one segment, one run or all runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub scanned: u64,
    /// Written by a conditional put (with `--dry-run`: would be).
    pub copied: u64,
    /// The target already holds this id, exactly as it would be written (copied by an
    /// earlier run whose checkpoint did not record it yet, or a retried put that had landed).
    pub already_identical: u64,
    /// The target already holds this id with other content: left as it is.
    pub already_different: Vec<String>,
    pub skipped: Vec<Skipped>,
    /// Failed for a reason that is not documented (an error after the retries): the page is
    /// not recorded in the checkpoint, so a rerun tries it again.
    pub failed: Vec<Failure>,
}

/// An item whose write failed, with the error (its code and message, never the item).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub id: Option<String>,
    pub error: String,
}

impl Tally {
    pub fn already_present(&self) -> u64 {
        self.already_identical + self.already_different.len() as u64
    }

    /// Items this tally says something about: equals `scanned` when every item is
    /// accounted for.
    pub fn accounted(&self) -> u64 {
        self.copied + self.already_present() + self.skipped.len() as u64 + self.failed.len() as u64
    }

    pub fn add(&mut self, other: &Tally) {
        self.scanned += other.scanned;
        self.copied += other.copied;
        self.already_identical += other.already_identical;
        self.already_different
            .extend(other.already_different.iter().cloned());
        self.skipped.extend(other.skipped.iter().cloned());
        self.failed.extend(other.failed.iter().cloned());
    }

    /// The lists in id order.
    pub fn sort(&mut self) {
        self.already_different.sort();
        self.skipped.sort_by(|a, b| a.id.cmp(&b.id));
        self.failed.sort_by(|a, b| a.id.cmp(&b.id));
    }

    pub fn sum<'a>(tallies: impl IntoIterator<Item = &'a Tally>) -> Tally {
        tallies.into_iter().fold(Tally::default(), |mut sum, t| {
            sum.add(t);
            sum
        })
    }

    /// One line of counts, e.g. `10000 scanned: 9985 copied, 5 already there (0 identical,
    /// 5 different), 10 skipped, 0 failed`.
    pub fn summary(&self, dry_run: bool) -> String {
        format!(
            "{} scanned: {} {}, {} already there ({} identical, {} different), {} skipped, {} failed",
            self.scanned,
            self.copied,
            if dry_run { "to copy" } else { "copied" },
            self.already_present(),
            self.already_identical,
            self.already_different.len(),
            self.skipped.len(),
            self.failed.len(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalise::SkipReason;

    fn page(copied: u64, identical: u64, different: &[&str], skipped: usize) -> Tally {
        Tally {
            scanned: copied + identical + different.len() as u64 + skipped as u64,
            copied,
            already_identical: identical,
            already_different: different.iter().map(|id| id.to_string()).collect(),
            skipped: (0..skipped)
                .map(|n| Skipped {
                    id: Some(format!("bad-{n}")),
                    attributes: vec!["name".into()],
                    reason: SkipReason::Unrepresentable,
                })
                .collect(),
            failed: Vec::new(),
        }
    }

    #[test]
    fn sums_keep_every_item_accounted_for() {
        let pages = [
            page(90, 3, &["a"], 2),
            page(100, 0, &[], 0),
            page(0, 0, &["b"], 1),
        ];
        let total = Tally::sum(&pages);
        assert_eq!(total.scanned, 198);
        assert_eq!(total.accounted(), total.scanned);
        assert_eq!(total.already_different, ["a", "b"]);
        assert_eq!(total.skipped.len(), 3);
        assert_eq!(
            total.summary(false),
            "198 scanned: 190 copied, 5 already there (3 identical, 2 different), 3 skipped, 0 failed"
        );
        assert!(total.summary(true).contains("190 to copy"));
    }

    #[test]
    fn a_failure_is_accounted_for_too() {
        let mut tally = page(1, 0, &[], 0);
        tally.scanned += 1;
        assert_ne!(tally.accounted(), tally.scanned);
        tally.failed.push(Failure {
            id: Some("x".into()),
            error: "InternalServerError".into(),
        });
        assert_eq!(tally.accounted(), tally.scanned);
    }
}
