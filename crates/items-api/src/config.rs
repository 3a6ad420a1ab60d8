//! Configuration, read from the environment once at start.

use crate::cursor::CursorSigner;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("missing required environment variable {0}")]
    Missing(&'static str),
}

#[derive(Debug, Clone)]
pub struct Config {
    /// `DYNAMODB_TABLE`: the items table (the seed's name for it).
    pub table_name: String,
    /// `HISTORY_TABLE`: every version of every item (the template sets it; defaults to
    /// `<DYNAMODB_TABLE>-history`, the local stack's name).
    pub history_table: String,
    /// `S3_BUCKET`: the archive, whose objects `archive_url` points at.
    pub bucket: String,
    /// `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`: a local S3 the URLs are signed for.
    pub s3_endpoint: Option<String>,
    /// `CURSOR_SECRET`: key that signs list cursors. The template sets a per-stack value;
    /// when unset (local runs) the table name is used, which still catches tampering by
    /// accident but not by someone who knows the name.
    pub cursor_secret: String,
    /// `WARM_UP_CONNECTIONS`: open the DynamoDB connection during init (default on).
    pub warm_up: bool,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let table_name = lookup("DYNAMODB_TABLE")
            .filter(|v| !v.is_empty())
            .ok_or(ConfigError::Missing("DYNAMODB_TABLE"))?;
        let cursor_secret = lookup("CURSOR_SECRET")
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| format!("items-cursor:{table_name}"));
        let history_table = lookup("HISTORY_TABLE")
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| crate::DynamoStore::default_history_table(&table_name));
        let bucket = lookup("S3_BUCKET")
            .filter(|v| !v.is_empty())
            .ok_or(ConfigError::Missing("S3_BUCKET"))?;
        Ok(Self {
            s3_endpoint: crate::ArchiveLinks::endpoint_from(&lookup),
            table_name,
            history_table,
            bucket,
            cursor_secret,
            warm_up: lambda_support::warm::enabled(&lookup),
        })
    }

    pub fn cursor_signer(&self) -> CursorSigner {
        CursorSigner::new(self.cursor_secret.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_required() {
        let err = Config::from_lookup(|_| None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "missing required environment variable DYNAMODB_TABLE"
        );
        assert!(Config::from_lookup(|_| Some(String::new())).is_err());
    }

    #[test]
    fn cursor_secret_and_history_table_default_from_the_table() {
        let config = Config::from_lookup(|name| match name {
            "DYNAMODB_TABLE" => Some("t".into()),
            "S3_BUCKET" => Some("b".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(config.cursor_secret, "items-cursor:t");
        assert_eq!(config.history_table, "t-history");
        assert_eq!(config.s3_endpoint, None);
    }

    #[test]
    fn the_archive_bucket_is_required() {
        let err = Config::from_lookup(|name| (name == "DYNAMODB_TABLE").then(|| "t".into()));
        assert_eq!(
            err.unwrap_err().to_string(),
            "missing required environment variable S3_BUCKET"
        );
    }
}
