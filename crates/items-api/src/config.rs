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
        Ok(Self {
            table_name,
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
    fn cursor_secret_defaults_from_the_table() {
        let config = Config::from_lookup(|name| (name == "DYNAMODB_TABLE").then(|| "t".into()));
        assert_eq!(config.unwrap().cursor_secret, "items-cursor:t");
    }
}
