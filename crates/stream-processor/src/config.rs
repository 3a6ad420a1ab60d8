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
            warm_up: lambda_support::warm::enabled(&lookup),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_variables_are_required() {
        let only_bucket = Config::from_lookup(|name| (name == "S3_BUCKET").then(|| "b".into()));
        assert_eq!(
            only_bucket.unwrap_err().to_string(),
            "missing required environment variable SNS_TOPIC_ARN"
        );
        let both = Config::from_lookup(|name| Some(format!("{name}-value"))).unwrap();
        assert_eq!(
            (both.bucket.as_str(), both.topic_arn.as_str()),
            ("S3_BUCKET-value", "SNS_TOPIC_ARN-value")
        );
    }
}
