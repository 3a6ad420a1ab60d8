//! JSON logs, one object per line, as CloudWatch's JSON log format expects. The level
//! comes from `RUST_LOG`, else Lambda's `AWS_LAMBDA_LOG_LEVEL`, else `info`.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .ok()
        .or_else(|| {
            let level = std::env::var("AWS_LAMBDA_LOG_LEVEL").ok()?;
            EnvFilter::try_new(level.to_lowercase()).ok()
        })
        .unwrap_or_else(|| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_span_list(false)
        .with_target(false)
        .init();
}
