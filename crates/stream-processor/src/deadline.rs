//! When a batch must be answered: a second before the invocation's deadline, so the
//! function reports what it did instead of being cut off at its timeout (see
//! [`crate::processor`]).

use std::time::{Duration, Instant, SystemTime};

/// Left for the batch's log line and the response to reach the Runtime API, even under a
/// small CPU share.
const MARGIN: Duration = Duration::from_secs(1);

/// When the batch must be answered: [`MARGIN`] before the invocation's deadline.
pub fn answer_by(deadline: SystemTime, now: SystemTime, now_instant: Instant) -> Instant {
    let left = deadline.duration_since(now).unwrap_or_default();
    now_instant + left.saturating_sub(MARGIN)
}

/// `work`'s output, or `None` if `answer_by` came first (the work is dropped: its calls may
/// or may not have landed, which a replay-safe step does not mind).
pub async fn by<T>(answer_by: Option<Instant>, work: impl Future<Output = T>) -> Option<T> {
    match answer_by {
        Some(at) => tokio::time::timeout_at(at.into(), work).await.ok(),
        None => Some(work.await),
    }
}

#[derive(Debug, thiserror::Error)]
#[error("not finished by the invocation's deadline")]
pub struct NotFinished;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_is_due_a_second_before_the_deadline() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let now_instant = Instant::now();
        let due = |left: Duration| answer_by(now + left, now, now_instant) - now_instant;
        assert_eq!(due(Duration::from_secs(60)), Duration::from_secs(59));
        assert_eq!(due(Duration::from_millis(500)), Duration::ZERO);
        assert_eq!(
            answer_by(now - Duration::from_secs(1), now, now_instant),
            now_instant,
            "a deadline already passed"
        );
    }
}
