//! The items REST API: API Gateway (REST, v1) proxy events in, JSON responses out,
//! items kept in DynamoDB.
//!
//! - [`routes`] is the route table and one module per route's handler;
//! - [`store`] is the storage trait and its DynamoDB implementation;
//! - [`ApiError`] is every way a request fails, with its code and HTTP status;
//! - `response` builds bodies and headers, `headers`/`query` parse what requests carry,
//!   `deadline` bounds a request by its invocation's deadline,
//!   `cursor` signs the list cursor, `archive_links` presigns archive URLs.

mod app;
mod archive_links;
mod batch;
mod config;
mod created_range;
mod cursor;
mod deadline;
mod error;
mod headers;
mod projection;
mod query;
mod response;
pub mod routes;
pub mod store;

pub use app::App;
pub use archive_links::ArchiveLinks;
pub use config::{Config, ConfigError};
pub use cursor::{CursorKey, CursorSigner};
pub use error::ApiError;
pub use store::{DynamoStore, ItemStore};
