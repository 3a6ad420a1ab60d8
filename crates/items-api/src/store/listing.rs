//! Which index a listing queries and its KeyCondition on the sort key.

use domain::Timestamp;

use super::ListFilter;
use crate::created_range::CreatedRange;

const CREATED_AT_INDEX: &str = "CreatedAtIndex";
const EMAIL_INDEX: &str = "EmailIndex";

/// The index a filter queries, and the key attributes of that index's LastEvaluatedKey.
pub(super) fn index_of(filter: &ListFilter) -> (&'static str, &'static [&'static str]) {
    match filter {
        ListFilter::Status { .. } => (CREATED_AT_INDEX, &["id", "status", "created_at"]),
        ListFilter::Email { .. } => (EMAIL_INDEX, &["id", "email"]),
    }
}

/// The KeyCondition's part on `created_at` (CreatedAtIndex's sort key) and its values.
pub(super) fn created_at_condition(
    created: &CreatedRange,
) -> (&'static str, Vec<(&'static str, String)>) {
    let from = created.from.map(lower_bound);
    let to = created.to.map(upper_bound);
    match (from, to) {
        (None, None) => ("", vec![]),
        (Some(from), None) => (" AND #created_at >= :from", vec![(":from", from)]),
        (None, Some(to)) => (" AND #created_at <= :to", vec![(":to", to)]),
        (Some(from), Some(to)) => (
            " AND #created_at BETWEEN :from AND :to",
            vec![(":from", from), (":to", to)],
        ),
    }
}

/// A `created_from` as the KeyCondition compares it: `created_at` is compared as text, and
/// the original service's forms of a whole second (`…10:00:00`, `…10:00:00Z`) sort on either
/// side of ours (`…10:00:00.000Z`). A bound on a whole second is written as that second
/// alone, which every form of it sorts after, so such a bound (a full date's start) is exact
/// for them all.
fn lower_bound(from: Timestamp) -> String {
    let text = from.to_string();
    match text.strip_suffix(".000Z") {
        Some(second) => second.to_owned(),
        None => text,
    }
}

/// A `created_to` on a second's last millisecond (a full date's end) written as that second
/// with `Z`, which every form of it sorts before (`.` and the end of the text sort before `Z`).
fn upper_bound(to: Timestamp) -> String {
    let text = to.to_string();
    match text.strip_suffix(".999Z") {
        Some(second) => format!("{second}Z"),
        None => text,
    }
}

/// Attribute names in the order a [`CursorKey`](crate::CursorKey)'s keys come in.
pub(super) fn sorted(names: &[&'static str]) -> Vec<&'static str> {
    let mut names = names.to_vec();
    names.sort_unstable();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_second_bounds_take_in_every_stored_form_of_their_second() {
        let range = CreatedRange::parse(Some("2024-03-25"), Some("2024-03-25")).unwrap();
        let (_, bounds) = created_at_condition(&range);
        let (from, to) = (bounds[0].1.as_str(), bounds[1].1.as_str());
        for inside in [
            "2024-03-25T00:00:00",
            "2024-03-25T00:00:00Z",
            "2024-03-25T00:00:00.000Z",
            "2024-03-25T23:59:59",
            "2024-03-25T23:59:59Z",
            "2024-03-25T23:59:59.999Z",
            "2024-03-25T23:59:59.999999",
        ] {
            assert!(
                from <= inside && inside <= to,
                "{inside} outside {from}..{to}"
            );
        }
        for outside in ["2024-03-24T23:59:59.999999", "2024-03-26T00:00:00"] {
            assert!(
                outside < from || to < outside,
                "{outside} inside {from}..{to}"
            );
        }
    }

    #[test]
    fn other_bounds_are_the_stored_form() {
        let range =
            CreatedRange::parse(Some("2024-03-25T10:00:00.5Z"), Some("2024-03-25T11:00:00Z"))
                .unwrap();
        let (_, bounds) = created_at_condition(&range);
        assert_eq!(bounds[0].1, "2024-03-25T10:00:00.500Z");
        assert_eq!(bounds[1].1, "2024-03-25T11:00:00.000Z");
    }
}
