//! What a million requests would cost on Lambda (arm64): the billed duration at the price per
//! GB-second for the function's memory, plus the price per request. The billed duration is
//! each invocation's time inside the function (event handed out → response posted) under the
//! emulated CPU share, rounded up to the millisecond as Lambda bills it.

use std::time::Duration;

/// USD per GB-second, arm64, us-east-1, first pricing tier.
pub const PRICE_PER_GB_SECOND: f64 = 0.000_013_333_4;
/// USD per million requests.
pub const PRICE_PER_MILLION_REQUESTS: f64 = 0.20;
/// Where the prices come from.
pub const PRICE_SOURCE: &str = "AWS Lambda pricing, arm64, us-east-1, first tier \
    (aws.amazon.com/lambda/pricing, as quoted in issue #13)";

/// The formula, printed with the table.
pub fn formula() -> String {
    format!(
        "cost per million requests = 10^6 × (mean billed ms / 1000 × MB / 1024 × ${PRICE_PER_GB_SECOND} per GB-s) + ${PRICE_PER_MILLION_REQUESTS:.2}; \
         billed ms = each warm invocation's time inside the function under the emulated CPU share, rounded up to 1 ms (init not counted). Prices: {PRICE_SOURCE}"
    )
}

/// The mean billed duration of these invocations, in milliseconds.
pub fn mean_billed_ms(invocations: &[Duration]) -> f64 {
    if invocations.is_empty() {
        return 0.0;
    }
    let billed: f64 = invocations
        .iter()
        .map(|d| (d.as_secs_f64() * 1000.0).ceil().max(1.0))
        .sum();
    billed / invocations.len() as f64
}

/// USD per million requests of `mean_billed_ms` at `memory_mb`.
pub fn per_million(mean_billed_ms: f64, memory_mb: u64) -> f64 {
    let gb_seconds = mean_billed_ms / 1000.0 * memory_mb as f64 / 1024.0;
    1e6 * gb_seconds * PRICE_PER_GB_SECOND + PRICE_PER_MILLION_REQUESTS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_invocation_is_billed_in_whole_milliseconds() {
        let ms = Duration::from_micros;
        // 0.2 ms → 1, 1 ms → 1, 1.001 ms → 2, 2.999 ms → 3.
        assert_eq!(
            mean_billed_ms(&[ms(200), ms(1000), ms(1001), ms(2999)]),
            1.75
        );
        assert_eq!(mean_billed_ms(&[]), 0.0);
    }

    #[test]
    fn a_million_requests_cost_their_gb_seconds_and_the_request_price() {
        // 1 ms at 1024 MB is 0.001 GB-s: a million of them, 1000 GB-s.
        let one_ms_at_1_gb = per_million(1.0, 1024);
        assert!((one_ms_at_1_gb - (1000.0 * PRICE_PER_GB_SECOND + 0.20)).abs() < 1e-9);
        // 100 ms at 128 MB: 12.5 GB-s per thousand, $0.1667 + $0.20 per million.
        assert!((per_million(100.0, 128) - 0.366_667_5).abs() < 1e-6);
        assert!(formula().contains("0.0000133334") && formula().contains("0.20"));
    }
}
