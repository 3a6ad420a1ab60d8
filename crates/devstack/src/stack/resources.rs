//! The second phase of a stack: the resources template.yaml declares, taken by type and
//! created on the backends if missing (a persisted table survives restarts), with the local
//! names of what `!Ref`/`!GetAtt` yields for them. Types with no local part (roles, log
//! groups, alarms) are left out; the API and the functions are later phases.
//!
//! Tables are named by their logical id ([`local_table_name`]); of every other type
//! template.yaml declares one, with the fixed name below.

use std::collections::{BTreeMap, BTreeSet};

use crate::{
    LocalClients, LocalNames, Template, TemplateError,
    aws::queue_arn,
    stack::{BoxError, Progress},
};

/// The local name of each type's resource: template.yaml declares one of each but tables
/// (a second of another type is refused, as it would need a name of its own).
pub const TABLE_NAME: &str = "items";
/// `HistoryTable`'s local name (see [`local_table_name`]).
pub const HISTORY_TABLE_NAME: &str = "items-history";
pub const BUCKET_NAME: &str = "items-archive";
pub const TOPIC_NAME: &str = "items-notifications";
pub const DEAD_LETTER_QUEUE: &str = "items-stream-dlq";
/// An SQS queue subscribed to the topic, so the notifications can be read locally.
pub const INBOX_QUEUE: &str = "items-notifications-inbox";

pub(super) struct Resources {
    /// Logical id → the table's or bucket's name, the topic's ARN, the queue's URL.
    pub names: LocalNames,
    /// Logical id of each table with a stream → the stream's ARN.
    pub streams: BTreeMap<String, String>,
    pub inbox_queue_url: String,
}

impl Resources {
    pub async fn create(
        template: &Template,
        clients: &LocalClients,
        progress: &Progress,
    ) -> Result<Self, BoxError> {
        let mut resources = Self {
            names: LocalNames::new(),
            streams: BTreeMap::new(),
            inbox_queue_url: create_queue(clients, INBOX_QUEUE).await?,
        };
        let mut created = Vec::new();
        let mut types = BTreeSet::new();
        for (logical_id, kind) in template.resource_types() {
            let (local_name, description) = match kind {
                "AWS::DynamoDB::Table" => {
                    let name = local_table_name(logical_id);
                    let stream = create_table(template, logical_id, &name, clients).await?;
                    let description = match stream {
                        Some(_) => format!("table {name} (+ stream)"),
                        None => format!("table {name}"),
                    };
                    if let Some(arn) = stream {
                        resources.streams.insert(logical_id.to_string(), arn);
                    }
                    resources.names.insert(logical_id.to_string(), name.clone());
                    created.push(description);
                    continue;
                }
                "AWS::S3::Bucket" => {
                    // An error here is a bucket that exists already.
                    let _ = clients.s3.create_bucket().bucket(BUCKET_NAME).send().await;
                    let properties = template.properties(logical_id, kind)?;
                    let versioned =
                        properties["VersioningConfiguration"]["Status"].as_str() == Some("Enabled");
                    // A backend of the user's own (AWS_ENDPOINT_URL_S3) may not do versioning:
                    // said, not fatal.
                    let description = match versioned.then(|| enable_versioning(clients)) {
                        None => format!("bucket {BUCKET_NAME}"),
                        Some(enabling) => match enabling.await {
                            Ok(()) => format!("bucket {BUCKET_NAME} (versioned)"),
                            Err(error) => {
                                format!("bucket {BUCKET_NAME} (not versioned: {error})")
                            }
                        },
                    };
                    (BUCKET_NAME.to_string(), description)
                }
                "AWS::SNS::Topic" => {
                    let arn = create_topic(clients).await?;
                    let description = format!("topic {TOPIC_NAME} → queue {INBOX_QUEUE}");
                    (arn, description)
                }
                "AWS::SQS::Queue" => {
                    let url = create_queue(clients, DEAD_LETTER_QUEUE).await?;
                    (url, format!("queue {DEAD_LETTER_QUEUE}"))
                }
                _ => continue,
            };
            if !types.insert(kind) {
                return Err(TemplateError(format!(
                    "{logical_id}: a second {kind}; the local stack has one of each type"
                ))
                .into());
            }
            resources.names.insert(logical_id.to_string(), local_name);
            created.push(description);
        }
        progress.say(format!(
            "resources from template.yaml: {}",
            created.join(", ")
        ));
        Ok(resources)
    }
}

/// Keeps every version of the bucket's objects, as the template's bucket does.
async fn enable_versioning(clients: &LocalClients) -> Result<(), String> {
    use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
    let enabled = VersioningConfiguration::builder()
        .status(BucketVersioningStatus::Enabled)
        .build();
    clients
        .s3
        .put_bucket_versioning()
        .bucket(BUCKET_NAME)
        .versioning_configuration(enabled)
        .send()
        .await
        .map(drop)
        .map_err(|error| aws_sdk_s3::error::DisplayErrorContext(&error).to_string())
}

/// A table's local name: `ItemsTable` is `items` (the name the persisted `.dev` database and
/// the tools know), any other `items-` and its logical id in kebab case without `Table`
/// (`HistoryTable` → `items-history`).
pub fn local_table_name(logical_id: &str) -> String {
    let stem = logical_id.strip_suffix("Table").unwrap_or(logical_id);
    if stem == "Items" {
        return TABLE_NAME.to_string();
    }
    let mut name = String::from(TABLE_NAME);
    for c in stem.chars() {
        if c.is_ascii_uppercase() {
            name.push('-');
        }
        name.push(c.to_ascii_lowercase());
    }
    name
}

/// Creates the table unless it exists; its stream's ARN, if it has one.
async fn create_table(
    template: &Template,
    logical_id: &str,
    name: &str,
    clients: &LocalClients,
) -> Result<Option<String>, BoxError> {
    let existing = clients
        .dynamodb
        .describe_table()
        .table_name(name)
        .send()
        .await
        .ok()
        .and_then(|t| t.table);
    if let Some(table) = existing {
        return Ok(table.latest_stream_arn);
    }
    let created = template
        .table(logical_id)?
        .apply(clients.dynamodb.create_table().table_name(name))
        .send()
        .await?;
    Ok(created.table_description.and_then(|t| t.latest_stream_arn))
}

/// Creates the topic (if missing) with the inbox queue subscribed; its ARN.
async fn create_topic(clients: &LocalClients) -> Result<String, BoxError> {
    let topic_arn = clients
        .sns
        .create_topic()
        .name(TOPIC_NAME)
        .send()
        .await?
        .topic_arn
        .ok_or("no topic ARN")?;
    let inbox_arn = queue_arn(INBOX_QUEUE);
    let subscriptions = clients
        .sns
        .list_subscriptions_by_topic()
        .topic_arn(&topic_arn)
        .send()
        .await?;
    if !subscriptions
        .subscriptions()
        .iter()
        .any(|s| s.endpoint() == Some(inbox_arn.as_str()))
    {
        clients
            .sns
            .subscribe()
            .topic_arn(&topic_arn)
            .protocol("sqs")
            .endpoint(&inbox_arn)
            .send()
            .await?;
    }
    Ok(topic_arn)
}

/// Creates the queue (if missing); its URL.
async fn create_queue(clients: &LocalClients, name: &str) -> Result<String, BoxError> {
    Ok(clients
        .sqs
        .create_queue()
        .queue_name(name)
        .send()
        .await?
        .queue_url
        .ok_or("no queue URL")?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_named_by_their_logical_id() {
        assert_eq!(local_table_name("ItemsTable"), TABLE_NAME);
        assert_eq!(local_table_name("HistoryTable"), HISTORY_TABLE_NAME);
        assert_eq!(local_table_name("AuditLogTable"), "items-audit-log");
    }
}
