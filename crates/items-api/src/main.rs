use items_api::{App, Config, DynamoStore, logging};
use lambda_http::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    logging::init();
    let config = Config::from_env().inspect_err(|error| tracing::error!(%error, "init failed"))?;
    let store = DynamoStore::from_env(&config).await;
    let app = App::new(store, config.cursor_signer());
    run(service_fn(|request| app.handle(request))).await
}
