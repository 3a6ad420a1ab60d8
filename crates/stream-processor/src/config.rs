//! Configuration, read from the environment once at start (the seed's variable names).

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("missing required environment variable {0}")]
    Missing(&'static str),
}

#[derive(Debug, Clone)]
pub struct Config {
    /// `S3_BUCKET`: where the archive objects go.
    pub bucket: String,
    /// `SNS_TOPIC_ARN`: where the notifications go.
    pub topic_arn: String,
    /// `HISTORY_TABLE`: where every change is recorded, for the API's history and restore.
    pub history_table: String,
    /// `WARM_UP_CONNECTIONS`: open the S3 and SNS connections during init (default on).
    pub warm_up: bool,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let required = |name: &'static str| {
            lookup(name)
                .filter(|v| !v.is_empty())
                .ok_or(ConfigError::Missing(name))
        };
        Ok(Self {
            bucket: required("S3_BUCKET")?,
            topic_arn: required("SNS_TOPIC_ARN")?,
            history_table: required("HISTORY_TABLE")?,
            warm_up: lambda_support::warm::enabled(&lookup),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variable_is_required() {
        let only_bucket = Config::from_lookup(|name| (name == "S3_BUCKET").then(|| "b".into()));
        assert_eq!(
            only_bucket.unwrap_err().to_string(),
            "missing required environment variable SNS_TOPIC_ARN"
        );
        let all = Config::from_lookup(|name| Some(format!("{name}-value"))).unwrap();
        assert_eq!(
            (
                all.bucket.as_str(),
                all.topic_arn.as_str(),
                all.history_table.as_str()
            ),
            (
                "S3_BUCKET-value",
                "SNS_TOPIC_ARN-value",
                "HISTORY_TABLE-value"
            )
        );
        let no_history =
            Config::from_lookup(|name| (name != "HISTORY_TABLE").then(|| format!("{name}-value")));
        assert_eq!(
            no_history.unwrap_err().to_string(),
            "missing required environment variable HISTORY_TABLE"
        );
    }
}
