//! Issue #13's goals, as ratios within one run at one memory size: items-api's first request
//! after init against its warm requests, its cold start against the Python seed's and against
//! the floor's init plus one warm request, and its CPU against the Python seed's.

use crate::{
    report::{FLOOR, ITEMS_API, SizeRun, VS},
    warm::GET_ROUTE,
};

pub struct Goal {
    pub what: String,
    pub ratio: f64,
    /// `≤ 1.5×` or `≥ 15×`.
    pub target: &'static str,
    pub met: bool,
}

/// The goals `run` can be held to (those about the Python seed only with `--vs`).
pub fn assess(run: &SizeRun) -> Vec<Goal> {
    let (Some(items), Some(items_warm)) = (run.cold(ITEMS_API), run.warm(ITEMS_API)) else {
        return Vec::new();
    };
    let warm_get = items_warm.in_function_per_route[GET_ROUTE].p50;
    let mut goals = vec![Goal {
        what: format!(
            "items-api's first request after init ({:.1} ms) / its warm `GET /items/{{id}}` p50 inside the function ({:.2} ms)",
            items.first_request.p50, warm_get
        ),
        ratio: items.first_request.p50 / warm_get,
        target: "≤ 1.5×",
        met: items.first_request.p50 <= 1.5 * warm_get,
    }];
    if let Some(floor) = run.cold(FLOOR) {
        let budget = floor.init.p50 + warm_get;
        goals.push(Goal {
            what: format!(
                "items-api's cold start, spawn → first response ({:.1} ms) / (floor init {:.1} ms + its warm GET p50 {:.2} ms)",
                items.first_response.p50, floor.init.p50, warm_get
            ),
            ratio: items.first_response.p50 / budget,
            target: "≤ 1.5×",
            met: items.first_response.p50 <= 1.5 * budget,
        });
    }
    if let Some(vs) = run.cold(VS) {
        let ratio = vs.first_response.p50 / items.first_response.p50;
        goals.push(Goal {
            what: format!(
                "the Python seed's cold start ({:.1} ms) / items-api's ({:.1} ms)",
                vs.first_response.p50, items.first_response.p50
            ),
            ratio,
            target: "≥ 15×",
            met: ratio >= 15.0,
        });
    }
    if let Some(vs) = run.warm(VS) {
        let ratio = vs.cpu_ms_per_1000 / items_warm.cpu_ms_per_1000;
        goals.push(Goal {
            what: format!(
                "the Python seed's CPU per 1000 requests ({:.0} ms) / items-api's ({:.0} ms)",
                vs.cpu_ms_per_1000, items_warm.cpu_ms_per_1000
            ),
            ratio,
            target: "≥ 15×",
            met: ratio >= 15.0,
        });
    }
    goals
}
