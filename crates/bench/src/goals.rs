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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{cold::ColdStarts, stats::Summary, warm::Warm};

    fn p50(ms: f64) -> Summary {
        Summary {
            count: 1,
            p50: ms,
            p90: ms,
            p99: ms,
            max: ms,
        }
    }

    fn cold(init: f64, first_response: f64) -> ColdStarts {
        ColdStarts {
            init: p50(init),
            init_cpu: p50(init / 2.0),
            first_response: p50(first_response),
            first_request: p50(first_response - init),
            statuses: vec![200],
            capped_runs: 1,
            throttled_periods: 0,
        }
    }

    fn warm(get_in_function: f64, cpu_ms_per_1000: f64) -> Warm {
        let mut per_route = vec![p50(10.0); crate::warm::ROUTES.len()];
        per_route[GET_ROUTE] = p50(get_in_function);
        Warm {
            per_route: Vec::new(),
            all: p50(10.0),
            in_function: p50(10.0),
            in_function_per_route: per_route,
            billed_ms: 10.0,
            cpu_ms_per_1000,
            peak_rss_mib: 10.0,
            statuses: Default::default(),
            throttling: None,
        }
    }

    #[test]
    fn each_goal_is_a_ratio_of_this_runs_figures() {
        let mut run = SizeRun::new(128);
        run.cold.push((ITEMS_API.into(), cold(10.0, 14.0)));
        run.cold.push((FLOOR.into(), cold(5.0, 6.0)));
        run.cold.push((VS.into(), cold(500.0, 700.0)));
        run.warm.push((ITEMS_API.into(), warm(2.0, 1000.0)));
        run.warm.push((VS.into(), warm(20.0, 9000.0)));
        let goals = assess(&run);
        let ratios: Vec<(f64, bool)> = goals.iter().map(|g| (g.ratio, g.met)).collect();
        assert_eq!(
            ratios,
            [
                (2.0, false), // first request 4 ms / warm GET 2 ms
                (2.0, false), // 14 ms / (5 + 2) ms
                (50.0, true), // 700 / 14
                (9.0, false), // 9000 / 1000
            ]
        );
        run.cold.retain(|(name, _)| name == ITEMS_API);
        run.warm.retain(|(name, _)| name == ITEMS_API);
        assert_eq!(assess(&run).len(), 1, "no floor, no seed: one goal left");
        assert!(assess(&SizeRun::new(128)).is_empty());
    }
}
