//! The time a request may take: the invocation's deadline, less a margin for the answer.
//!
//! The SDK's own bounds (2 s an attempt, 6 s a call, 3 attempts) fit one DynamoDB call in
//! the function's timeout, not a route's several: an update reads, then writes; a restore
//! reads the item and the history, then writes. If Lambda stopped the function at its
//! timeout, API Gateway would answer a bare 502 `{"message": "Internal server error"}`,
//! without our code, request id or advice, for a write that may have landed. Answering
//! before the deadline keeps every answer ours.

use std::time::{Duration, SystemTime};

use lambda_http::{Request, RequestExt};

/// Left for turning the error into a response and posting it to the Runtime API, even under
/// a small CPU share (a throttled scheduling period is 100 ms).
const MARGIN: Duration = Duration::from_millis(500);

/// How long the route's handler may run: until the invocation's deadline less [`MARGIN`]
/// (zero if that has passed). `None` without a deadline: a request made in a test, or an
/// invoke whose context carries none (0).
pub fn time_left(request: &Request, now: SystemTime) -> Option<Duration> {
    let context = request.lambda_context_ref()?;
    if context.deadline == 0 {
        return None;
    }
    let left = context.deadline().duration_since(now).unwrap_or_default();
    Some(left.saturating_sub(MARGIN))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::Context;

    fn request_with_deadline(deadline_ms: u64) -> Request {
        let mut context = Context::default();
        context.deadline = deadline_ms;
        Request::default().with_lambda_context(context)
    }

    #[test]
    fn the_deadline_less_the_margin() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let in_ten_seconds = 1_010_000;
        assert_eq!(
            time_left(&request_with_deadline(in_ten_seconds), now),
            Some(Duration::from_millis(9_500))
        );
        assert_eq!(
            time_left(&request_with_deadline(1_000_200), now),
            Some(Duration::ZERO),
            "less than the margin left: no time for the handler"
        );
        assert_eq!(
            time_left(&request_with_deadline(999_000), now),
            Some(Duration::ZERO),
            "a deadline already passed"
        );
    }

    #[test]
    fn none_without_a_deadline() {
        assert_eq!(time_left(&Request::default(), SystemTime::now()), None);
        assert_eq!(
            time_left(&request_with_deadline(0), SystemTime::now()),
            None
        );
    }
}
