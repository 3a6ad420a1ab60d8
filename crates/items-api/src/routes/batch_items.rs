//! `POST /items/batch`: creates, updates and deletes all or nothing (see [`crate::batch`]).
//! 200 with each operation's result in request order; 400 naming the operation's field;
//! 409 `TRANSACTION_CANCELED` with each failed operation's reason; nothing written but on 200.

use domain::{Item, Timestamp};
use lambda_http::{Body, Response, http::StatusCode};
use serde::Serialize;

use super::Call;
use crate::{
    ApiError,
    batch::{self, BatchMark, BatchOutcome, Operation},
    headers,
    response::{self, check_body_size},
    store::ItemStore,
};

#[derive(Serialize)]
struct BatchBody {
    results: Vec<OperationResult>,
}

#[derive(Serialize)]
struct OperationResult {
    op: &'static str,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    item: Option<Item>,
}

pub async fn handle<S: ItemStore>(call: Call<'_, S>) -> Result<Response<Body>, ApiError> {
    check_body_size(call.body())?;
    let key = headers::idempotency_key(call.request.headers())?;
    let requested = batch::parse(call.body())?;
    let mark = key.map(|key| BatchMark::new(call.caller, key, &requested));
    let now = Timestamp::now();
    let operations = batch::resolve(requested, call.caller, key, now)?;
    let (items, replayed) = match call.store.transact(&operations, mark.as_ref(), now).await? {
        BatchOutcome::Applied(items) => (items, false),
        BatchOutcome::Replayed(items) => (items, true),
    };
    let results = operations
        .iter()
        .zip(items)
        .map(|(operation, item)| OperationResult {
            op: operation.name(),
            status: match (operation, &item) {
                (Operation::Create(_), Some(_)) => 201,
                (Operation::Update { .. }, Some(_)) => 200,
                (Operation::Delete { .. }, _) => 204,
                // Written, then deleted by another request before it could be read back.
                (_, None) => 404,
            },
            item,
        })
        .collect();
    let response = response::json(StatusCode::OK, &BatchBody { results });
    Ok(response::replayed_if(response, replayed))
}
