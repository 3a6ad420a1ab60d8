//! Which calls fail and how: the services, the kinds of fault, the deterministic plan that
//! picks the calls, and the counts of what was injected.

use std::{fmt, str::FromStr, time::Duration};

/// The backend services a proxy can stand in front of (each has its own error shapes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    DynamoDb,
    S3,
    Sns,
}

impl Service {
    pub const ALL: [Service; 3] = [Service::DynamoDb, Service::S3, Service::Sns];

    pub fn name(self) -> &'static str {
        match self {
            Service::DynamoDb => "dynamodb",
            Service::S3 => "s3",
            Service::Sns => "sns",
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Service {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Service::ALL
            .into_iter()
            .find(|s| s.name() == text)
            .ok_or_else(|| format!("unknown service {text:?} (dynamodb, s3, sns)"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultKind {
    Throttle,
    Error,
    Timeout,
    Reset,
}

impl FaultKind {
    pub const ALL: [FaultKind; 4] = [
        FaultKind::Throttle,
        FaultKind::Error,
        FaultKind::Timeout,
        FaultKind::Reset,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Throttle => "throttle",
            FaultKind::Error => "error",
            FaultKind::Timeout => "timeout",
            FaultKind::Reset => "reset",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FaultKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        FaultKind::ALL
            .into_iter()
            .find(|k| k.name() == text)
            .ok_or_else(|| format!("unknown fault {text:?} (throttle, error, timeout, reset)"))
    }
}

/// Which calls fail and how.
#[derive(Debug, Clone)]
pub struct FaultPlan {
    /// Fraction of calls that fail, 0.0 to 1.0.
    pub rate: f64,
    /// The kinds to choose from (uniformly); empty means all.
    pub kinds: Vec<FaultKind>,
    pub seed: u64,
    /// How long a `timeout` holds the answer: must exceed the SDK's attempt timeout (2 s).
    pub hold: Duration,
}

impl FaultPlan {
    pub const DEFAULT_HOLD: Duration = Duration::from_millis(2500);

    pub fn new(rate: f64, kinds: Vec<FaultKind>, seed: u64) -> Self {
        Self {
            rate: rate.clamp(0.0, 1.0),
            kinds,
            seed,
            hold: Self::DEFAULT_HOLD,
        }
    }

    /// The fault for call number `call`, if it gets one.
    pub fn fault_for(&self, call: u64) -> Option<FaultKind> {
        let hash = splitmix64(self.seed ^ splitmix64(call));
        // The top 53 bits as a uniform fraction in [0, 1).
        let draw = (hash >> 11) as f64 / (1u64 << 53) as f64;
        if draw >= self.rate {
            return None;
        }
        let kinds: &[FaultKind] = if self.kinds.is_empty() {
            &FaultKind::ALL
        } else {
            &self.kinds
        };
        Some(kinds[(hash % kinds.len() as u64) as usize])
    }
}

/// A well-mixed 64-bit hash (SplitMix64's finaliser): deterministic, no dependency.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// What a proxy did so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultCounts {
    pub calls: u64,
    pub throttle: u64,
    pub error: u64,
    pub timeout: u64,
    pub reset: u64,
}

impl FaultCounts {
    pub fn injected(&self) -> u64 {
        self.throttle + self.error + self.timeout + self.reset
    }

    /// Faults after which the call had reached the backend (its effect may have landed).
    pub fn forwarded(&self) -> u64 {
        self.error + self.timeout
    }

    pub(super) fn add(&mut self, kind: FaultKind) {
        match kind {
            FaultKind::Throttle => self.throttle += 1,
            FaultKind::Error => self.error += 1,
            FaultKind::Timeout => self.timeout += 1,
            FaultKind::Reset => self.reset += 1,
        }
    }
}

impl std::ops::AddAssign<&FaultCounts> for FaultCounts {
    fn add_assign(&mut self, other: &FaultCounts) {
        self.calls += other.calls;
        self.throttle += other.throttle;
        self.error += other.error;
        self.timeout += other.timeout;
        self.reset += other.reset;
    }
}

impl fmt::Display for FaultCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} calls, {} faults injected (throttle {}, error {}, timeout {}, reset {})",
            self.calls,
            self.injected(),
            self.throttle,
            self.error,
            self.timeout,
            self.reset
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fault_rate_and_kinds_follow_the_plan() {
        let plan = FaultPlan::new(0.2, Vec::new(), 7);
        let faults: Vec<FaultKind> = (0..10_000).filter_map(|n| plan.fault_for(n)).collect();
        assert!(
            (1_800..2_200).contains(&faults.len()),
            "{} of 10000",
            faults.len()
        );
        for kind in FaultKind::ALL {
            let share = faults.iter().filter(|k| **k == kind).count();
            assert!(share > 350, "{kind}: {share}");
        }
        let same = FaultPlan::new(0.2, Vec::new(), 7);
        assert!((0..1_000).all(|n| plan.fault_for(n) == same.fault_for(n)));
        let only = FaultPlan::new(1.0, vec![FaultKind::Reset], 1);
        assert!((0..100).all(|n| only.fault_for(n) == Some(FaultKind::Reset)));
        assert!((0..100).all(|n| FaultPlan::new(0.0, Vec::new(), 1).fault_for(n).is_none()));
    }

    #[test]
    fn names_parse_back() {
        for kind in FaultKind::ALL {
            assert_eq!(kind.name().parse::<FaultKind>(), Ok(kind));
        }
        for service in Service::ALL {
            assert_eq!(service.name().parse::<Service>(), Ok(service));
        }
        assert!("slow".parse::<FaultKind>().is_err());
    }
}
