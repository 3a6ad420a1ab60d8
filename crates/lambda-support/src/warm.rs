//! Opening the functions' connections during init. On Lambda every AWS endpoint is HTTPS
//! and, at small memory sizes, a function gets a small share of a CPU once init is over:
//! a TLS handshake left to the first request costs its user hundreds of milliseconds at
//! 128 MB, while init runs with a burst of CPU. So each function makes one cheap real
//! call per service during init, bounded in time, and never fails init because of it.

use std::{future::Future, time::Duration};

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;

/// At most this long per service: an unreachable endpoint must not hold init up.
const LIMIT: Duration = Duration::from_secs(1);

/// `WARM_UP_CONNECTIONS`: on unless `0`, `false` or `off` (the bench measures both).
pub fn enabled(lookup: impl Fn(&str) -> Option<String>) -> bool {
    !lookup("WARM_UP_CONNECTIONS")
        .is_some_and(|v| ["0", "false", "off"].contains(&v.trim().to_ascii_lowercase().as_str()))
}

/// Runs `call` (one cheap request to `service`) and logs how it went. Any answer from the
/// service, an error one included (a missing key, a refused permission), means the
/// connection is open, which is all this is for; only a transport failure or the time
/// limit is worth a warning.
pub async fn open_connection<T, E, R>(
    service: &'static str,
    call: impl Future<Output = Result<T, SdkError<E, R>>>,
) where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let started = std::time::Instant::now();
    let outcome = tokio::time::timeout(LIMIT, call).await;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    match outcome {
        Ok(Ok(_)) | Ok(Err(SdkError::ServiceError(_))) => {
            tracing::info!(service, ms, "connection opened during init");
        }
        Ok(Err(error)) => {
            let error = DisplayErrorContext(&error).to_string();
            tracing::warn!(service, ms, %error, "could not open a connection during init");
        }
        Err(_) => {
            let error = format!("no answer within {LIMIT:?}");
            tracing::warn!(service, ms, %error, "could not open a connection during init");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_unless_switched_off() {
        assert!(enabled(|_| None));
        assert!(enabled(|_| Some("1".into())));
        for off in ["0", "false", "OFF", " off "] {
            assert!(!enabled(|_| Some(off.into())), "{off}");
        }
    }
}
