//! The side effects of a change, as an ordered list of [`Step`]s.
//!
//! Every decoded change goes through the steps in list order, and reaches a step only when
//! the earlier ones succeeded for it. The processor adds per-item order: a change is handed
//! to the first step only once every earlier change of its item went through all of them.
//!
//! Steps run at least once per change. When a batch is re-delivered from a failed record,
//! that record and every later one go through every step again, the ones they had already
//! passed included. A step must therefore be idempotent, or its repeat harmless: the archive
//! writes an object only if it is absent; a repeated notification carries the same
//! `event_id`.
//!
//! Adding a side effect: a module here with a type implementing [`Step`], and one line in
//! [`all`] (plus, when it writes somewhere new, that client in [`Clients`] and that
//! setting in [`Config`]).

pub mod archive;
pub mod history;
pub mod notify;

use std::{error::Error, future::Future};

use aws_sdk_dynamodb::types::AttributeValue;
use futures::{StreamExt, future::BoxFuture, stream};

use crate::{Config, record::ChangeRecord};

pub use archive::{Archive, ArchiveKey};
pub use history::History;
pub use notify::Notifier;

/// Calls one step keeps in flight at once.
pub(crate) const CONCURRENCY: usize = 16;

/// Awaits `calls`, [`CONCURRENCY`] at once, and answers their outputs in the order of
/// `calls`, whichever finished first. The calls are built by the caller before they come
/// here: a closure inside the stream would make the caller's future's Send-ness unprovable
/// (rust-lang/rust#64552).
pub(crate) async fn at_once<F: Future>(calls: Vec<F>) -> Vec<F::Output> {
    let numbered = calls
        .into_iter()
        .enumerate()
        .map(|(n, call)| async move { (n, call.await) });
    let mut outputs: Vec<(usize, F::Output)> = stream::iter(numbered)
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    outputs.sort_by_key(|(n, _)| *n);
    outputs.into_iter().map(|(_, output)| output).collect()
}

/// One side effect of a change.
pub trait Step: Send + Sync + 'static {
    /// Names the step in logs.
    const NAME: &'static str;
    type Error: Error + Send + Sync + 'static;

    /// Applies the step to a wave of changes: at most one per item, in stream order. Answers
    /// one result per change, in the same order; the step chooses how to batch and how many
    /// calls to make at once.
    fn run(
        &self,
        changes: &[&ChangeRecord],
    ) -> impl Future<Output = Vec<Result<(), Self::Error>>> + Send;
}

/// Why a change did not go through: the step that refused it (`decode` when the record is
/// not a change at all), and that step's own error.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct StepError {
    pub step: &'static str,
    pub error: Box<dyn Error + Send + Sync>,
}

impl StepError {
    pub fn new(step: &'static str, error: impl Error + Send + Sync + 'static) -> Self {
        Self {
            step,
            error: Box::new(error),
        }
    }
}

/// What the steps write to: built once at start, or by a test with clients that fail.
pub struct Clients {
    pub s3: aws_sdk_s3::Client,
    pub sns: aws_sdk_sns::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
}

impl Clients {
    /// Opens the S3, DynamoDB and SNS connections during init (see `lambda_support::warm`),
    /// all at once: a HEAD of an archive key no change has, a GetItem of a history key no
    /// item has, and the topic's attributes. Their answer does not matter (a 404 or a refused
    /// permission, as the role may only put, still opened the connection).
    pub async fn open_connections(&self, config: &Config) {
        let head = self
            .s3
            .head_object()
            .bucket(&config.bucket)
            .key("backups/connection-warm-up")
            .send();
        let history = self
            .dynamodb
            .get_item()
            .table_name(&config.history_table)
            .key(
                domain::history::entry::ID,
                AttributeValue::S("connection-warm-up".into()),
            )
            .key(domain::history::entry::SEQ, AttributeValue::N("0".into()))
            .send();
        let topic = self
            .sns
            .get_topic_attributes()
            .topic_arn(&config.topic_arn)
            .send();
        futures::join!(
            lambda_support::warm::open_connection("s3", head),
            lambda_support::warm::open_connection("dynamodb", history),
            lambda_support::warm::open_connection("sns", topic),
        );
    }
}

/// Every step, in the order a change goes through them.
pub fn all(config: &Config, clients: Clients) -> Steps {
    Steps::default()
        .then(Archive::new(clients.s3, &config.bucket))
        .then(History::new(clients.dynamodb, &config.history_table))
        .then(Notifier::new(clients.sns, &config.topic_arn))
}

/// An ordered list of steps of different types.
#[derive(Default)]
pub struct Steps(Vec<Box<dyn AnyStep>>);

impl Steps {
    /// The list with `step` last.
    pub fn then(mut self, step: impl Step) -> Self {
        self.0.push(Box::new(step));
        self
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &dyn AnyStep> {
        self.0.iter().map(Box::as_ref)
    }
}

type Results<'a> = BoxFuture<'a, Vec<Result<(), StepError>>>;

/// [`Step`] with its error type erased, so one list can hold every step.
pub(crate) trait AnyStep: Send + Sync {
    fn name(&self) -> &'static str;
    fn run<'a>(&'a self, changes: &'a [&'a ChangeRecord]) -> Results<'a>;
}

impl<S: Step> AnyStep for S {
    fn name(&self) -> &'static str {
        S::NAME
    }

    fn run<'a>(&'a self, changes: &'a [&'a ChangeRecord]) -> Results<'a> {
        Box::pin(async move {
            let results = Step::run(self, changes).await;
            assert_eq!(
                results.len(),
                changes.len(),
                "{}: one result per change",
                S::NAME
            );
            results
                .into_iter()
                .map(|result| result.map_err(|error| StepError::new(S::NAME, error)))
                .collect()
        })
    }
}
