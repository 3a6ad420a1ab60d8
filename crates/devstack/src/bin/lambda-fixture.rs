//! A Lambda function whose behaviour the event chooses, for the local Runtime API's
//! conformance tests: it can panic, abort its process, fail, or overrun its timeout on demand.

use std::time::Duration;

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::{Value, json};

async fn handle(event: LambdaEvent<Value>) -> Result<Value, Error> {
    match event.payload["do"].as_str() {
        Some("panic") => panic!("asked to panic"),
        Some("abort") => std::process::abort(),
        Some("fail") => Err("asked to fail".into()),
        Some("sleep") => {
            tokio::time::sleep(Duration::from_millis(
                event.payload["ms"].as_u64().unwrap_or(0),
            ))
            .await;
            Ok(json!({ "slept": true }))
        }
        _ => Ok(json!({
            "echo": event.payload,
            "request_id": event.context.request_id,
            "function_name": std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_default(),
            "pid": std::process::id(),
        })),
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(handle)).await
}
