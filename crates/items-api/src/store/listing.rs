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
) -> (&'static str, Vec<(&'static str, Timestamp)>) {
    match (created.from, created.to) {
        (None, None) => ("", vec![]),
        (Some(from), None) => (" AND #created_at >= :from", vec![(":from", from)]),
        (None, Some(to)) => (" AND #created_at <= :to", vec![(":to", to)]),
        (Some(from), Some(to)) => (
            " AND #created_at BETWEEN :from AND :to",
            vec![(":from", from), (":to", to)],
        ),
    }
}

/// Attribute names in the order a [`CursorKey`](crate::CursorKey)'s keys come in.
pub(super) fn sorted(names: &[&'static str]) -> Vec<&'static str> {
    let mut names = names.to_vec();
    names.sort_unstable();
    names
}
