use std::fmt;

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant, always written RFC 3339 in UTC with milliseconds and `Z`
/// (`2024-03-25T14:00:00.123Z`). Fixed width, so the string order is the time order:
/// `created_at` is the range key of `CreatedAtIndex`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    pub fn now() -> Self {
        Self::from_datetime(Utc::now())
    }

    /// Truncates to milliseconds, the precision the text form keeps.
    pub fn from_datetime(at: DateTime<Utc>) -> Self {
        let millis = at.timestamp_millis();
        Self(DateTime::from_timestamp_millis(millis).expect("millisecond timestamp in range"))
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        DateTime::parse_from_rfc3339(text)
            .map(|at| Self::from_datetime(at.with_timezone(&Utc)))
            .map_err(|e| format!("not an RFC 3339 timestamp: {e}"))
    }

    /// What a stored item may hold: RFC 3339, or a time without a zone (Python's
    /// `datetime.utcnow().isoformat()`, which the original service wrote), read as UTC. Any
    /// precision; normalised to our format by `Display`.
    pub fn parse_stored(text: &str) -> Result<Self, String> {
        Self::parse(text).or_else(|error| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                .map(|at| Self::from_datetime(at.and_utc()))
                .map_err(|_| error)
        })
    }

    pub fn as_datetime(&self) -> DateTime<Utc> {
        self.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_with_millis_and_z() {
        let at = Timestamp::parse("2024-03-25T14:00:00.123456+09:00").unwrap();
        assert_eq!(at.to_string(), "2024-03-25T05:00:00.123Z");
        let whole = Timestamp::parse("2024-03-25T05:00:00Z").unwrap();
        assert_eq!(whole.to_string(), "2024-03-25T05:00:00.000Z");
    }

    #[test]
    fn text_order_is_time_order() {
        let a = Timestamp::parse("2024-03-25T05:00:00.999Z").unwrap();
        let b = Timestamp::parse("2024-03-25T05:00:01.000Z").unwrap();
        assert!(a < b);
        assert!(a.to_string() < b.to_string());
    }

    #[test]
    fn rejects_garbage() {
        assert!(Timestamp::parse("yesterday").is_err());
        assert!(Timestamp::parse_stored("yesterday").is_err());
        assert!(Timestamp::parse_stored("2024-03-25").is_err());
    }

    #[test]
    fn stored_times_without_a_zone_are_utc() {
        for (stored, ours) in [
            ("2024-03-25T10:00:00.123456", "2024-03-25T10:00:00.123Z"),
            ("2024-03-25T10:00:00", "2024-03-25T10:00:00.000Z"),
            ("2024-03-25T10:00:00Z", "2024-03-25T10:00:00.000Z"),
            ("2024-03-25T19:00:00.5+09:00", "2024-03-25T10:00:00.500Z"),
        ] {
            assert_eq!(Timestamp::parse_stored(stored).unwrap().to_string(), ours);
        }
        assert!(
            Timestamp::parse("2024-03-25T10:00:00").is_err(),
            "clients still send a zone"
        );
    }
}
