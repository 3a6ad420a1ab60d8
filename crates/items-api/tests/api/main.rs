//! Black-box tests of the items API: API Gateway REST proxy events into the real handler,
//! against a real (local, in-process) DynamoDB whose table comes from template.yaml.
//! One test binary, so the SDK is linked once; every test has its own DynamoDB.

mod batch;
mod binary;
mod conditional;
mod crud;
mod date_range;
mod errors;
mod events;
mod faults;
mod fuzz;
mod history;
mod idempotency;
mod listing;
mod original;
mod projection;
mod restore;
mod routes;
mod spec;
mod support;
mod tampered;
