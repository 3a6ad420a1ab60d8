//! Which failed writes the SDK may retry. A retry is only safe when DynamoDB certainly did
//! not apply the first attempt: throttling (a 400 that rejects the request) qualifies. A
//! timeout, a dropped connection or a 5xx does not: the write may have landed with its answer
//! lost, and retrying it turns a success into a wrong answer (the conditional create finds
//! "its" id taken, an `If-Match` update finds the version it just wrote and answers 412, a
//! delete finds nothing and answers 404; an unconditional update is applied twice). Such a
//! write ends as a 502 instead; the README tells clients how to find out (GET, or repeat a
//! create with the same `Idempotency-Key`). Reads keep the standard retries.

use aws_sdk_dynamodb::config::{
    Builder,
    interceptors::InterceptorContext,
    retry::{ClassifyRetry, RetryAction},
};

#[derive(Debug)]
struct NoRetryWhenTheWriteMayHaveLanded;

impl ClassifyRetry for NoRetryWhenTheWriteMayHaveLanded {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let Some(Err(error)) = ctx.output_or_error() else {
            return RetryAction::NoActionIndicated;
        };
        let server_error = ctx
            .response()
            .is_some_and(|response| response.status().is_server_error());
        if server_error
            || error.is_timeout_error()
            || error.is_response_error()
            || error.as_connector_error().is_some()
        {
            // Overrides the standard classifiers, which would call these transient.
            RetryAction::RetryForbidden
        } else {
            RetryAction::NoActionIndicated
        }
    }

    fn name(&self) -> &'static str {
        "NoRetryWhenTheWriteMayHaveLanded"
    }
}

/// The per-operation configuration of every write (`PutItem`, `UpdateItem`, `DeleteItem`).
pub fn write_config() -> Builder {
    Builder::default().retry_classifier(NoRetryWhenTheWriteMayHaveLanded)
}
