//! The items REST API: API Gateway (REST, v1) proxy events in, JSON responses out,
//! items kept in DynamoDB.
//!
//! - [`router`] turns method + path into a [`router::Route`];
//! - [`handlers`] implement each route over an [`ItemStore`];
//! - [`store`] is the storage trait and its DynamoDB implementation;
//! - [`response`] is the one place where errors become HTTP statuses.

mod app;
mod config;
mod handlers;
mod headers;
mod query;
pub mod response;
pub mod router;
pub mod store;

pub use app::App;
pub use config::{Config, ConfigError};
pub use store::{DynamoStore, ItemStore};
