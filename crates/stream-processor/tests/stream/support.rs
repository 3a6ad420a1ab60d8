//! [`Stack::start`]: a private dynoxide (table from template.yaml, with its stream) and a
//! private moto server (bucket with versioning, topic), plus helpers to write items through
//! the items-api store and read the stream back as a Lambda event.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use devstack::{LocalDynamo, Moto, SentNotification, Template};
use domain::{Item, ItemId, ItemPatch, NewItem, Timestamp};
use items_api::DynamoStore;
use items_api::store::{ItemStore, Precondition, RestoreOutcome, RestoreRequest};
use serde_json::{Value, json};
use stream_processor::{Config, Processor, steps::Clients};

pub const TABLE: &str = "items-stream-test";
pub const HISTORY: &str = "items-stream-test-history";
pub const BUCKET: &str = "items-archive-test";

pub struct Stack {
    pub dynamo: LocalDynamo,
    pub moto: Moto,
    pub store: DynamoStore,
    pub stream_arn: String,
    pub topic_arn: String,
}

impl Stack {
    pub async fn start() -> Self {
        let (dynamo, moto) = tokio::join!(LocalDynamo::start_in_memory(), Moto::start());
        let (dynamo, moto) = (dynamo.expect("dynoxide starts"), moto.expect("moto starts"));
        let table = Template::workspace()
            .and_then(|t| t.table("ItemsTable"))
            .unwrap();
        let stream_arn = dynamo
            .create_table(TABLE, &table)
            .await
            .unwrap()
            .expect("the table has a stream");
        let history = Template::workspace()
            .and_then(|t| t.table("HistoryTable"))
            .unwrap();
        dynamo.create_table(HISTORY, &history).await.unwrap();
        let store = DynamoStore::new(dynamo.client(), TABLE).with_history_table(HISTORY);
        let stack = Self {
            dynamo,
            moto,
            store,
            stream_arn,
            topic_arn: String::new(),
        };
        let s3 = stack.s3();
        s3.create_bucket().bucket(BUCKET).send().await.unwrap();
        // Versioning on: a duplicate write would show as a second version.
        s3.put_bucket_versioning()
            .bucket(BUCKET)
            .versioning_configuration(
                aws_sdk_s3::types::VersioningConfiguration::builder()
                    .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let topic_arn = stack
            .sns()
            .create_topic()
            .name("items-notifications")
            .send()
            .await
            .unwrap()
            .topic_arn
            .unwrap();
        Self { topic_arn, ..stack }
    }

    pub fn s3_config(&self) -> aws_sdk_s3::config::Builder {
        aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "test"))
            .endpoint_url(self.moto.endpoint())
            .force_path_style(true)
    }

    pub fn s3(&self) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::from_conf(self.s3_config().build())
    }

    pub fn sns_config(&self) -> aws_sdk_sns::config::Builder {
        aws_sdk_sns::Config::builder()
            .behavior_version(aws_sdk_sns::config::BehaviorVersion::latest())
            .region(aws_sdk_sns::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_sns::config::Credentials::new(
                "test", "test", None, None, "test",
            ))
            .endpoint_url(self.moto.endpoint())
    }

    pub fn sns(&self) -> aws_sdk_sns::Client {
        aws_sdk_sns::Client::from_conf(self.sns_config().build())
    }

    pub fn processor(&self) -> Processor {
        self.processor_with(self.s3(), self.sns())
    }

    pub fn processor_with(&self, s3: aws_sdk_s3::Client, sns: aws_sdk_sns::Client) -> Processor {
        self.processor_of(Clients {
            s3,
            sns,
            dynamodb: self.dynamo.client(),
        })
    }

    pub fn processor_of(&self, clients: Clients) -> Processor {
        let config = Config {
            bucket: BUCKET.to_string(),
            topic_arn: self.topic_arn.clone(),
            history_table: HISTORY.to_string(),
            // In-process: no init to warm up (the binary tests cover it).
            warm_up: false,
        };
        Processor::with_clients(&config, clients)
    }

    // --- the table, through the items-api store ---

    /// Stores `attributes` as another tool would, past the API and its rules.
    pub async fn put_raw<K: Into<String>>(
        &self,
        attributes: impl IntoIterator<Item = (K, AttributeValue)>,
    ) {
        let item: HashMap<String, AttributeValue> = attributes
            .into_iter()
            .map(|(name, value)| (name.into(), value))
            .collect();
        let put = self.dynamo.client().put_item().table_name(TABLE);
        put.set_item(Some(item))
            .send()
            .await
            .expect("DynamoDB holds the item");
    }

    pub async fn create(&self, name: &str) -> Item {
        let body = json!({"name": name, "email": format!("{}@example.com", name.to_lowercase())});
        let item = NewItem::parse(body.to_string().as_bytes())
            .unwrap()
            .into_item(ItemId::new_random(), Timestamp::now());
        self.store.create(&item, None).await.unwrap();
        item
    }

    pub async fn update(&self, id: ItemId, patch: Value) -> Item {
        let patch = ItemPatch::parse(patch.to_string().as_bytes()).unwrap();
        self.store
            .update(id, &patch, Precondition::None, Timestamp::now())
            .await
            .unwrap()
    }

    pub async fn delete(&self, id: ItemId) {
        self.store.delete(id, Precondition::None).await.unwrap();
    }

    /// The API's restore of a deleted item (`version`, or the last before the deletion), which
    /// must re-create it: the item it wrote.
    pub async fn restore_deleted(&self, id: ItemId, version: Option<u64>) -> Item {
        let request = RestoreRequest {
            version,
            precondition: Precondition::None,
            mark: None,
        };
        match self.store.restore(id, &request, Timestamp::now()).await {
            Ok(RestoreOutcome::Recreated(item)) => item,
            other => panic!("not re-created: {other:?}"),
        }
    }

    /// Every record in the table's stream, as the event Lambda would deliver.
    pub async fn stream_event(&self) -> Event {
        let records =
            devstack::read_stream_records(&self.dynamo.streams_client(), &self.stream_arn)
                .await
                .unwrap();
        serde_json::from_value(devstack::stream_event(&self.stream_arn, &records)).unwrap()
    }

    // --- what landed in moto ---

    /// Key → number of versions, for every object in the bucket.
    pub async fn archive_versions(&self) -> BTreeMap<String, usize> {
        let listed = self
            .s3()
            .list_object_versions()
            .bucket(BUCKET)
            .send()
            .await
            .unwrap();
        let mut versions = BTreeMap::new();
        for version in listed.versions() {
            *versions
                .entry(version.key().unwrap().to_string())
                .or_insert(0) += 1;
        }
        versions
    }

    pub async fn archive_keys(&self) -> BTreeSet<String> {
        self.archive_versions().await.into_keys().collect()
    }

    pub async fn archive_object(&self, key: &str) -> Value {
        let object = self
            .s3()
            .get_object()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .unwrap();
        assert_eq!(object.content_type(), Some("application/json"));
        serde_json::from_slice(&object.body.collect().await.unwrap().into_bytes()).unwrap()
    }

    /// Every history entry of `id`, oldest first: (version, event, event_id).
    pub async fn history(&self, id: &ItemId) -> Vec<(u64, String, String)> {
        let output = self
            .dynamo
            .client()
            .query()
            .table_name(HISTORY)
            .key_condition_expression("id = :id")
            .expression_attribute_values(
                ":id",
                aws_sdk_dynamodb::types::AttributeValue::S(id.to_string()),
            )
            .send()
            .await
            .unwrap();
        let text = |item: &HashMap<String, AttributeValue>, name: &str| match &item[name] {
            AttributeValue::S(text) | AttributeValue::N(text) => text.clone(),
            other => panic!("{name}: {other:?}"),
        };
        output
            .items()
            .iter()
            .map(|item| {
                (
                    text(item, "version").parse().unwrap(),
                    text(item, "event"),
                    text(item, "event_id"),
                )
            })
            .collect()
    }

    /// The object's user metadata (`x-amz-meta-*`, names without the prefix).
    pub async fn archive_metadata(&self, key: &str) -> std::collections::HashMap<String, String> {
        let head = self
            .s3()
            .head_object()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .unwrap();
        head.metadata().cloned().unwrap_or_default()
    }

    pub async fn notifications(&self) -> Vec<SentNotification> {
        self.moto.sent_notifications().await.unwrap()
    }

    /// event_id → how many notifications carried it.
    pub async fn notification_counts(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for notification in self.notifications().await {
            *counts
                .entry(notification.attributes["event_id"].clone())
                .or_insert(0) += 1;
        }
        counts
    }
}

/// The archive key the processor must use for a record (date of the change, UTC).
pub fn expected_key(record: &EventRecord, suffix: &str) -> String {
    format!(
        "backups/{}/{suffix}",
        record
            .change
            .approximate_creation_date_time
            .format("%Y/%m/%d")
    )
}

pub fn sequence_numbers(
    response: &aws_lambda_events::streams::DynamoDbEventResponse,
) -> Vec<String> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone().unwrap_or_default())
        .collect()
}
