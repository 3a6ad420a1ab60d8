//! The first phase of a stack: its backends, DynamoDB + Streams (dynoxide, embedded, or
//! external) and S3/SNS/SQS (moto, spawned, or external), and the fault proxies in front of
//! them.

use crate::{
    DynamoBackend, LocalDynamo, Moto, MotoBackend, StackOptions,
    stack::{BoxError, Progress, faults::Faults},
};

pub(super) struct Backends {
    pub dynamo_endpoint: String,
    pub moto_endpoint: String,
    /// Kept to keep them running (the embedded ones; none for external backends).
    pub _dynamo: Option<LocalDynamo>,
    pub _moto: Option<Moto>,
}

impl Backends {
    /// The backends, and the fault proxies in front of them.
    pub async fn start(
        options: &StackOptions,
        progress: &Progress,
    ) -> Result<(Self, Faults), BoxError> {
        let (dynamo, dynamo_endpoint) = match &options.dynamo {
            DynamoBackend::InMemory { port } => {
                let database = dynoxide::Database::memory().map_err(Box::new)?;
                let local = LocalDynamo::start(database, *port).await?;
                let endpoint = local.endpoint().to_string();
                progress.say(format!(
                    "DynamoDB + Streams (dynoxide, in memory) at {endpoint}"
                ));
                (Some(local), endpoint)
            }
            DynamoBackend::File { path, port } => {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                let database =
                    dynoxide::Database::new(&path.to_string_lossy()).map_err(Box::new)?;
                let local = LocalDynamo::start(database, *port).await?;
                let endpoint = local.endpoint().to_string();
                progress.say(format!(
                    "DynamoDB + Streams (dynoxide, {}) at {endpoint}",
                    path.display()
                ));
                (Some(local), endpoint)
            }
            DynamoBackend::External(endpoint) => {
                progress.say(format!("DynamoDB at {endpoint} (external)"));
                (None, endpoint.clone())
            }
        };
        let (moto, moto_endpoint) = match &options.moto {
            MotoBackend::Spawn { port } => {
                let moto = Moto::start_on(*port).await?;
                let endpoint = moto.endpoint().to_string();
                progress.say(format!("S3, SNS, SQS (moto) at {endpoint}"));
                (Some(moto), endpoint)
            }
            MotoBackend::External(endpoint) => {
                progress.say(format!("S3, SNS, SQS at {endpoint} (external)"));
                (None, endpoint.clone())
            }
        };
        let faults = match &options.faults {
            None => Faults::default(),
            Some(fault_options) => {
                let faults = Faults::start(fault_options, &dynamo_endpoint, &moto_endpoint).await?;
                progress.say(faults.describe(fault_options));
                faults
            }
        };
        let backends = Self {
            dynamo_endpoint,
            moto_endpoint,
            _dynamo: dynamo,
            _moto: moto,
        };
        Ok((backends, faults))
    }
}
