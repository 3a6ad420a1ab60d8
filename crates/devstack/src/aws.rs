//! The one fake AWS account everything local lives in: its region and account id (moto's,
//! so the ARNs devstack makes agree with the ones moto makes), credentials that reach
//! nothing, and SDK clients for the local endpoints.

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region, SharedCredentialsProvider};

pub const REGION: &str = "us-east-1";
/// moto's fixed account id.
pub(crate) const ACCOUNT_ID: &str = "123456789012";

/// A region and fake credentials: what every function on the local stack gets (nothing here
/// reaches AWS).
pub(crate) const LOCAL_AWS_ENVIRONMENT: [(&str, &str); 3] = [
    ("AWS_REGION", REGION),
    ("AWS_ACCESS_KEY_ID", "local"),
    ("AWS_SECRET_ACCESS_KEY", "local"),
];

/// The ARN Lambda gives the function `name`.
pub(crate) fn function_arn(name: &str) -> String {
    format!("arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}")
}

/// The ARN SQS gives the queue `name`.
pub(crate) fn queue_arn(name: &str) -> String {
    format!("arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}")
}

/// The SDK configuration every local client starts from: the region and fake credentials.
pub(crate) fn sdk_config() -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "local", "local", None, None, "devstack",
        )))
        .build()
}

/// AWS SDK clients for the local endpoints.
pub struct LocalClients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub streams: aws_sdk_dynamodbstreams::Client,
    pub s3: aws_sdk_s3::Client,
    pub sns: aws_sdk_sns::Client,
    pub sqs: aws_sdk_sqs::Client,
}

impl LocalClients {
    pub fn new(dynamo_endpoint: &str, moto_endpoint: &str) -> Self {
        let shared = sdk_config();
        let s3 = aws_sdk_s3::config::Builder::from(&shared)
            .endpoint_url(moto_endpoint)
            .force_path_style(true)
            .build();
        let sns = aws_sdk_sns::config::Builder::from(&shared)
            .endpoint_url(moto_endpoint)
            .build();
        let sqs = aws_sdk_sqs::config::Builder::from(&shared)
            .endpoint_url(moto_endpoint)
            .build();
        Self {
            dynamodb: dynamodb_client(dynamo_endpoint),
            streams: streams_client(dynamo_endpoint),
            s3: aws_sdk_s3::Client::from_conf(s3),
            sns: aws_sdk_sns::Client::from_conf(sns),
            sqs: aws_sdk_sqs::Client::from_conf(sqs),
        }
    }
}

pub(crate) fn dynamodb_client(endpoint: &str) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk_config())
        .endpoint_url(endpoint)
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

pub(crate) fn streams_client(endpoint: &str) -> aws_sdk_dynamodbstreams::Client {
    let config = aws_sdk_dynamodbstreams::config::Builder::from(&sdk_config())
        .endpoint_url(endpoint)
        .build();
    aws_sdk_dynamodbstreams::Client::from_conf(config)
}
