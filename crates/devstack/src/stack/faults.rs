//! The fault proxies of a stack: the functions reach the faulted services through them;
//! the stack itself, its stream poller and the tests' clients go direct.

use std::time::Instant;

use crate::{FaultCounts, FaultKind, FaultOptions, FaultPlan, FaultProxy, Service};

#[derive(Default)]
pub struct Faults {
    proxies: Vec<FaultProxy>,
}

impl Faults {
    pub(super) async fn start(
        options: &FaultOptions,
        dynamo_endpoint: &str,
        moto_endpoint: &str,
    ) -> std::io::Result<Self> {
        let mut proxies = Vec::new();
        for &service in &options.services {
            let backend = match service {
                Service::DynamoDb => dynamo_endpoint,
                Service::S3 | Service::Sns => moto_endpoint,
            };
            proxies.push(FaultProxy::start(service, backend, options.plan.clone()).await?);
        }
        Ok(Self { proxies })
    }

    /// Turns every proxy's faults on or off (off: they forward everything).
    pub fn set_enabled(&self, enabled: bool) {
        for proxy in &self.proxies {
            proxy.set_enabled(enabled);
        }
    }

    /// Gives every proxy a new plan for the calls that follow.
    pub fn set_plan(&self, plan: &FaultPlan) {
        for proxy in &self.proxies {
            proxy.set_plan(plan.clone());
        }
    }

    /// What the proxy of `service` did (zero when that service is not faulted).
    pub fn counts(&self, service: Service) -> FaultCounts {
        self.proxies
            .iter()
            .filter(|p| p.service() == service)
            .map(FaultProxy::counts)
            .next()
            .unwrap_or_default()
    }

    /// Faults injected by any proxy between `from` and `to`.
    pub fn injected_between(&self, from: Instant, to: Instant) -> u64 {
        self.proxies
            .iter()
            .map(|p| p.injected_between(from, to))
            .sum()
    }

    /// Points the function's SDK endpoint variables of faulted services at their proxies.
    pub(super) fn redirect(&self, environment: &mut [(String, String)]) {
        for proxy in &self.proxies {
            let variable = format!(
                "AWS_ENDPOINT_URL_{}",
                proxy.service().name().to_ascii_uppercase()
            );
            for (name, value) in environment.iter_mut() {
                if *name == variable {
                    *value = proxy.endpoint().to_string();
                }
            }
        }
    }

    /// The progress line: what fails, how often, and through which proxies.
    pub(super) fn describe(&self, options: &FaultOptions) -> String {
        let plan = &options.plan;
        let kinds: &[FaultKind] = if plan.kinds.is_empty() {
            &FaultKind::ALL
        } else {
            &plan.kinds
        };
        let kinds: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
        let proxies: Vec<String> = self
            .proxies
            .iter()
            .map(|p| format!("{} via {}", p.service(), p.endpoint()))
            .collect();
        format!(
            "faults: {:.0}% of the functions' calls fail ({}; seed {}): {}",
            plan.rate * 100.0,
            kinds.join(", "),
            plan.seed,
            proxies.join(", ")
        )
    }
}
