use lambda_runtime::{Error, run, service_fn};
use stream_processor::{Config, Processor, steps::Clients};

/// One thread: Lambda hands a process one invocation at a time, and a worker pool only adds
/// wake-ups between threads (a current-thread runtime measured ~20 % less CPU per warm
/// request).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_support::logs::init();
    let config = Config::from_env().inspect_err(|error| tracing::error!(%error, "init failed"))?;
    let shared = lambda_support::aws::sdk_config().await;
    let path_style =
        lambda_support::aws::s3_endpoint_overridden(&shared, |name| std::env::var(name).ok());
    let s3 = aws_sdk_s3::config::Builder::from(&shared)
        .force_path_style(path_style)
        .build();
    let clients = Clients {
        s3: aws_sdk_s3::Client::from_conf(s3),
        sns: aws_sdk_sns::Client::new(&shared),
        dynamodb: aws_sdk_dynamodb::Client::new(&shared),
    };
    if config.warm_up {
        clients.open_connections(&config).await;
    }
    let processor = Processor::with_clients(&config, clients);
    run(service_fn(|event| processor.handle(event))).await
}
