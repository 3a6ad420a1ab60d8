use items_api::{App, Config, DynamoStore};
use lambda_http::{Error, run, service_fn};

/// One thread: Lambda hands a process one invocation at a time, and a worker pool only adds
/// wake-ups between threads (a current-thread runtime measured ~20 % less CPU per warm
/// request).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_support::logs::init();
    let config = Config::from_env().inspect_err(|error| tracing::error!(%error, "init failed"))?;
    let shared = lambda_support::aws::sdk_config().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&shared), &config.table_name);
    if config.warm_up {
        store.open_connection().await;
    }
    let app = App::new(store, config.cursor_signer());
    run(service_fn(|request| app.handle(request))).await
}
