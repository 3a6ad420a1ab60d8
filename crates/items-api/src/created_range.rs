//! `created_from` / `created_to` of `GET /items`: an inclusive range of `created_at`, the
//! sort key of `CreatedAtIndex`, so the range is a KeyCondition rather than a filter.
//!
//! Each bound is an RFC 3339 date-time with any offset or a full date (`2024-03-25`: that
//! day's first millisecond as `created_from`, its last as `created_to`). Bounds are
//! normalised to the stored form (UTC, milliseconds, `Z`), whose string order is the time
//! order, and rounded inwards: a `created_from` between two milliseconds starts at the
//! next one, a `created_to` ends at the previous one, so no stored instant outside the
//! range is ever included.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use domain::{FieldError, Timestamp};

/// Both bounds inclusive; either may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CreatedRange {
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

#[derive(Clone, Copy)]
enum Bound {
    From,
    To,
}

impl CreatedRange {
    /// The range of the two query values; every problem is one [`FieldError`].
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut bound = |name: &'static str, text: Option<&str>, side: Bound| {
            text.and_then(|text| {
                parse_bound(text, side)
                    .map_err(|reason| errors.push(FieldError::new(name, reason)))
                    .ok()
            })
        };
        let range = Self {
            from: bound("created_from", from, Bound::From),
            to: bound("created_to", to, Bound::To),
        };
        if let (Some(from), Some(to)) = (range.from, range.to)
            && from > to
        {
            errors.push(FieldError::new(
                "created_from",
                format!("must not be after created_to ({from} > {to})"),
            ));
        }
        if errors.is_empty() {
            Ok(range)
        } else {
            Err(errors)
        }
    }

    pub fn is_open(&self) -> bool {
        self.from.is_none() && self.to.is_none()
    }

    /// The range as it appears in a cursor's scope: empty when open, so cursors of
    /// listings without a range keep the scope they had before ranges existed.
    pub fn scope(&self) -> String {
        let mut scope = String::new();
        if let Some(from) = self.from {
            scope.push_str(&format!("&created_from={from}"));
        }
        if let Some(to) = self.to {
            scope.push_str(&format!("&created_to={to}"));
        }
        scope
    }
}

fn parse_bound(text: &str, side: Bound) -> Result<Timestamp, String> {
    const REASON: &str = "must be an RFC 3339 date-time (2024-03-25T14:00:00+09:00) or a date (2024-03-25) with a four-digit year";
    let at = if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        let at = at.with_timezone(&Utc);
        match side {
            Bound::From => ceil_to_millis(at),
            Bound::To => at,
        }
    } else if is_full_date_shape(text)
        && let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d")
    {
        let start = day.and_time(NaiveTime::MIN).and_utc();
        match side {
            Bound::From => start,
            Bound::To => start + TimeDelta::days(1) - TimeDelta::milliseconds(1),
        }
    } else {
        return Err(REASON.into());
    };
    // The stored form has a four-digit year; an offset can push an instant outside it.
    if !(0..=9999).contains(&chrono::Datelike::year(&at)) {
        return Err(REASON.into());
    }
    Ok(Timestamp::from_datetime(at))
}

/// `dddd-dd-dd`: chrono's `%Y` alone would also take a sign or a short year.
fn is_full_date_shape(text: &str) -> bool {
    text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        })
}

/// The first whole millisecond at or after `at` (truncation, done by
/// [`Timestamp::from_datetime`], gives the last at or before it).
fn ceil_to_millis(at: DateTime<Utc>) -> DateTime<Utc> {
    let truncated = Timestamp::from_datetime(at).as_datetime();
    if truncated == at {
        at
    } else {
        truncated + TimeDelta::milliseconds(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(from: Option<&str>, to: Option<&str>) -> (Option<String>, Option<String>) {
        let range = CreatedRange::parse(from, to).unwrap();
        (
            range.from.map(|t| t.to_string()),
            range.to.map(|t| t.to_string()),
        )
    }

    fn refused(from: Option<&str>, to: Option<&str>) -> Vec<String> {
        CreatedRange::parse(from, to)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn dates_cover_the_whole_day() {
        assert_eq!(
            range(Some("2024-03-25"), Some("2024-03-25")),
            (
                Some("2024-03-25T00:00:00.000Z".into()),
                Some("2024-03-25T23:59:59.999Z".into())
            )
        );
    }

    #[test]
    fn offsets_are_normalised_to_utc() {
        assert_eq!(
            range(Some("2024-03-25T14:00:00+09:00"), None),
            (Some("2024-03-25T05:00:00.000Z".into()), None)
        );
        assert_eq!(
            range(None, Some("2024-03-24T23:30:00.5-05:30")),
            (None, Some("2024-03-25T05:00:00.500Z".into()))
        );
    }

    #[test]
    fn sub_millisecond_bounds_round_inwards() {
        assert_eq!(
            range(
                Some("2024-03-25T05:00:00.0001Z"),
                Some("2024-03-25T05:00:00.9999Z")
            ),
            (
                Some("2024-03-25T05:00:00.001Z".into()),
                Some("2024-03-25T05:00:00.999Z".into())
            )
        );
    }

    #[test]
    fn equal_bounds_are_one_instant_and_reversed_bounds_are_refused() {
        let at = "2024-03-25T05:00:00.123Z";
        assert_eq!(
            range(Some(at), Some(at)),
            (Some(at.into()), Some(at.into()))
        );
        assert_eq!(
            refused(Some("2024-03-26"), Some("2024-03-25")),
            ["created_from"]
        );
        // Rounding inwards can empty a range within one millisecond: refused too.
        assert_eq!(
            refused(
                Some("2024-03-25T05:00:00.0001Z"),
                Some("2024-03-25T05:00:00.0009Z")
            ),
            ["created_from"]
        );
    }

    #[test]
    fn refuses_what_is_not_a_date_or_date_time() {
        for bad in [
            "",
            "yesterday",
            "2024-3-25",
            "2024-02-30",
            "24-03-25",
            "+2024-03-25",
            "+123-03-25",
            "2024-03-25T25:00:00Z",
            "2024-03-25T05:00:00",
            "0000-01-01T00:00:00+01:00",
            "9999-12-31T23:00:00-02:00",
        ] {
            assert_eq!(
                refused(Some(bad), Some(bad)),
                ["created_from", "created_to"],
                "{bad}"
            );
        }
    }

    #[test]
    fn scope_is_empty_when_open() {
        assert_eq!(CreatedRange::default().scope(), "");
        let range = CreatedRange::parse(Some("2024-03-25"), None).unwrap();
        assert_eq!(range.scope(), "&created_from=2024-03-25T00:00:00.000Z");
    }
}
