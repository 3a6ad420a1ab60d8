use aws_credential_types::provider::ProvideCredentials;
use items_api::{App, ArchiveLinks, Config, DynamoStore};
use lambda_http::{Error, run, service_fn};

/// One thread: Lambda hands a process one invocation at a time, and a worker pool only adds
/// wake-ups between threads (a current-thread runtime measured ~20 % less CPU per warm
/// request).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_support::logs::init();
    let config = Config::from_env().inspect_err(|error| tracing::error!(%error, "init failed"))?;
    let shared = lambda_support::aws::sdk_config().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&shared), &config.table_name)
        .with_history_table(&config.history_table);
    // The archive URLs are signed with the function's own credentials (from the environment,
    // as Lambda sets them), read once here.
    let credentials = match shared.credentials_provider() {
        Some(provider) => provider.provide_credentials().await.map_err(Error::from),
        None => Err("no AWS credentials provider".into()),
    }
    .inspect_err(|error| tracing::error!(%error, "init failed"))?;
    let region = shared.region().map(|r| r.to_string()).unwrap_or_default();
    let archive = ArchiveLinks::new(
        &config.bucket,
        region,
        config.s3_endpoint.clone(),
        credentials,
    );
    if config.warm_up {
        store.open_connection().await;
    }
    let app = App::new(store, config.cursor_signer(), archive);
    run(service_fn(|request| app.handle(request))).await
}
