//! The usage plan of the API key: a quota of requests, and a throttle (a token bucket:
//! `burst` requests at once, `rate` per second afterwards).

use std::time::Instant;

use crate::ApiDefinition;

pub(super) enum Refusal {
    OverQuota,
    Throttled,
}

pub(super) struct UsagePlan {
    quota: Option<u64>,
    used: u64,
    bucket: TokenBucket,
}

impl UsagePlan {
    pub fn new(api: &ApiDefinition) -> Self {
        Self {
            quota: api.quota_limit,
            used: 0,
            bucket: TokenBucket::new(api.throttle_burst, api.throttle_rate),
        }
    }

    /// Counts a request against the quota, then takes a token for it.
    pub fn admit(&mut self) -> Result<(), Refusal> {
        if let Some(quota) = self.quota {
            if self.used >= quota {
                return Err(Refusal::OverQuota);
            }
            self.used += 1;
        }
        if self.bucket.take() {
            Ok(())
        } else {
            Err(Refusal::Throttled)
        }
    }
}

struct TokenBucket {
    capacity: f64,
    rate: f64,
    tokens: f64,
    updated: Instant,
}

impl TokenBucket {
    fn new(burst: u64, rate: f64) -> Self {
        Self {
            capacity: burst.max(1) as f64,
            rate,
            tokens: burst.max(1) as f64,
            updated: Instant::now(),
        }
    }

    fn take(&mut self) -> bool {
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.updated).as_secs_f64() * self.rate)
            .min(self.capacity);
        self.updated = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_the_burst_then_the_rate() {
        let mut bucket = TokenBucket::new(3, 0.0);
        assert!((0..3).all(|_| bucket.take()));
        assert!(!bucket.take());
    }

    #[test]
    fn the_quota_ends_before_the_throttle() {
        let mut plan = UsagePlan::new(&ApiDefinition {
            stage: "prod".into(),
            api_key_required: true,
            cors: None,
            throttle_burst: 10,
            throttle_rate: 0.0,
            quota_limit: Some(2),
        });
        assert!(plan.admit().is_ok() && plan.admit().is_ok());
        assert!(matches!(plan.admit(), Err(Refusal::OverQuota)));
    }
}
