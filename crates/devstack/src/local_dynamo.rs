//! DynamoDB + DynamoDB Streams on a loopback port, served by dynoxide inside this process.

use std::io;

use aws_sdk_dynamodb::Client;
use tokio::{net::TcpListener, sync::oneshot};

use crate::{TableDefinition, aws};

/// A running in-process DynamoDB. Stops when dropped (or when its Tokio runtime ends).
pub struct LocalDynamo {
    endpoint: String,
    stop: Option<oneshot::Sender<()>>,
}

impl LocalDynamo {
    /// A fresh in-memory engine on a free loopback port. Must be called inside a Tokio runtime.
    pub async fn start_in_memory() -> io::Result<Self> {
        Self::start(dynoxide::Database::memory().map_err(io::Error::other)?, 0).await
    }

    /// Serves `database` on loopback `port` (0: a free one).
    pub async fn start(database: dynoxide::Database, port: u16) -> io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let endpoint = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(dynoxide::server::serve_with_shutdown(
            listener,
            database,
            async move {
                let _ = stopped.await;
            },
        ));
        Ok(Self {
            endpoint,
            stop: Some(stop),
        })
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// An SDK client for this endpoint with fake credentials (nothing here reaches AWS).
    pub fn client(&self) -> Client {
        aws::dynamodb_client(&self.endpoint)
    }

    /// A DynamoDB Streams client for this endpoint (same fake credentials).
    pub fn streams_client(&self) -> aws_sdk_dynamodbstreams::Client {
        aws::streams_client(&self.endpoint)
    }

    /// Creates `table_name` with `definition`; returns its stream ARN when it has a stream.
    pub async fn create_table(
        &self,
        table_name: &str,
        definition: &TableDefinition,
    ) -> Result<Option<String>, aws_sdk_dynamodb::Error> {
        let client = self.client();
        let output = definition
            .apply(client.create_table().table_name(table_name))
            .send()
            .await?;
        Ok(output
            .table_description
            .and_then(|table| table.latest_stream_arn))
    }
}

impl Drop for LocalDynamo {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
