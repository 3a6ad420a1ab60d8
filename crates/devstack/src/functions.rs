//! The serverless half of template.yaml, as the local stack needs it: each function (its
//! binary, timeout, environment), the REST API (stage, routes, API key, CORS, usage-plan
//! throttle and quota) and the stream trigger's settings. Values are resolved against the
//! parameters' defaults and the local names of resources; anything else is left out.

use std::{collections::BTreeMap, time::Duration};

use serde_yaml_ng::Value;

use crate::{Template, TemplateError};

/// Local stand-ins for what `!Ref`/`!GetAtt` of a resource yields on AWS.
pub type LocalNames = BTreeMap<String, String>;

#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDefinition {
    pub logical_id: String,
    /// The cargo binary (`Metadata.BuildProperties.Binary`).
    pub binary: String,
    pub timeout: Duration,
    pub memory_mb: u64,
    /// Environment variables whose values resolve locally (Globals, then the function's own).
    pub environment: BTreeMap<String, String>,
    /// `LoggingConfig.ApplicationLogLevel`, which Lambda passes as `AWS_LAMBDA_LOG_LEVEL`.
    pub log_level: Option<String>,
    /// `(METHOD, /path/{param})` of its `Api` events.
    pub routes: Vec<(String, String)>,
    pub stream_trigger: Option<StreamTrigger>,
}

/// A `DynamoDB` event's settings (the event source mapping).
#[derive(Debug, Clone, PartialEq)]
pub struct StreamTrigger {
    /// Logical id of the table whose stream it reads.
    pub table: String,
    pub batch_size: usize,
    pub batching_window: Duration,
    pub starting_position: String,
    pub report_batch_item_failures: bool,
    pub bisect_on_error: bool,
    /// `None`: retry until the records expire (Lambda's -1).
    pub maximum_retry_attempts: Option<u32>,
    /// Logical id of the on-failure SQS queue.
    pub on_failure_queue: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiDefinition {
    pub stage: String,
    pub api_key_required: bool,
    pub cors: Option<Cors>,
    pub throttle_burst: u64,
    pub throttle_rate: f64,
    pub quota_limit: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cors {
    pub allow_origin: String,
    pub allow_headers: String,
    pub allow_methods: String,
}

/// SAM writes CORS values as quoted literals (`"'*'"`).
fn unquote(text: &str) -> String {
    text.trim_matches('\'').to_string()
}

impl Template {
    fn parameter_default(&self, name: &str) -> Option<String> {
        scalar(&self.document["Parameters"][name]["Default"])
    }

    /// A scalar, or `!Ref` of a parameter (its default) or of a resource (its local name).
    pub(crate) fn resolve(&self, value: &Value, names: &LocalNames) -> Option<String> {
        if let Some(text) = scalar(value) {
            return Some(text);
        }
        let Value::Tagged(tagged) = value else {
            return None;
        };
        let target = tagged.value.as_str()?;
        match tagged.tag.to_string().as_str() {
            "!Ref" => self
                .parameter_default(target)
                .or_else(|| names.get(target).cloned()),
            "!GetAtt" => names.get(target.split('.').next()?).cloned(),
            _ => None,
        }
    }

    fn resolve_number(&self, value: &Value, names: &LocalNames) -> Option<f64> {
        self.resolve(value, names)?.parse().ok()
    }

    pub fn functions(&self, names: &LocalNames) -> Result<Vec<FunctionDefinition>, TemplateError> {
        let globals = &self.document["Globals"]["Function"];
        let mut functions = Vec::new();
        for (id, resource) in &self.resources {
            if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
                continue;
            }
            let id = id.as_str().unwrap_or_default().to_string();
            let properties = &resource["Properties"];
            let binary = resource["Metadata"]["BuildProperties"]["Binary"]
                .as_str()
                .ok_or_else(|| TemplateError(format!("{id}: no Metadata.BuildProperties.Binary")))?
                .to_string();
            let setting = |name: &str| -> Option<f64> {
                self.resolve_number(&properties[name], names)
                    .or_else(|| self.resolve_number(&globals[name], names))
            };
            let mut environment = BTreeMap::new();
            for variables in [
                &globals["Environment"]["Variables"],
                &properties["Environment"]["Variables"],
            ] {
                for (name, value) in variables.as_mapping().into_iter().flatten() {
                    if let (Some(name), Some(value)) = (name.as_str(), self.resolve(value, names)) {
                        environment.insert(name.to_string(), value);
                    }
                }
            }
            let log_level = self
                .resolve(&properties["LoggingConfig"]["ApplicationLogLevel"], names)
                .or_else(|| self.resolve(&globals["LoggingConfig"]["ApplicationLogLevel"], names));
            let mut routes = Vec::new();
            let mut stream_trigger = None;
            for (_, event) in properties["Events"].as_mapping().into_iter().flatten() {
                let event_properties = &event["Properties"];
                match event["Type"].as_str() {
                    Some("Api") => routes.push((
                        scalar(&event_properties["Method"])
                            .unwrap_or_default()
                            .to_uppercase(),
                        scalar(&event_properties["Path"]).unwrap_or_default(),
                    )),
                    Some("DynamoDB") => {
                        stream_trigger = Some(self.stream_trigger(&id, event_properties, names)?)
                    }
                    _ => {}
                }
            }
            functions.push(FunctionDefinition {
                logical_id: id,
                binary,
                timeout: Duration::from_secs_f64(setting("Timeout").unwrap_or(3.0)),
                memory_mb: setting("MemorySize").unwrap_or(128.0) as u64,
                environment,
                log_level,
                routes,
                stream_trigger,
            });
        }
        Ok(functions)
    }

    fn stream_trigger(
        &self,
        function: &str,
        event: &Value,
        names: &LocalNames,
    ) -> Result<StreamTrigger, TemplateError> {
        let Value::Tagged(stream) = &event["Stream"] else {
            return Err(TemplateError(format!(
                "{function}: the DynamoDB event's Stream is not !GetAtt Table.StreamArn"
            )));
        };
        let table = stream
            .value
            .as_str()
            .and_then(|s| s.split('.').next())
            .unwrap_or_default()
            .to_string();
        let number = |name: &str| self.resolve_number(&event[name], names);
        let on_failure = &event["DestinationConfig"]["OnFailure"]["Destination"];
        let on_failure_queue = match on_failure {
            Value::Tagged(tagged) => tagged
                .value
                .as_str()
                .and_then(|s| s.split('.').next())
                .map(str::to_string),
            _ => None,
        };
        Ok(StreamTrigger {
            table,
            batch_size: number("BatchSize").unwrap_or(100.0) as usize,
            batching_window: Duration::from_secs_f64(
                number("MaximumBatchingWindowInSeconds").unwrap_or(0.0),
            ),
            starting_position: self
                .resolve(&event["StartingPosition"], names)
                .unwrap_or_else(|| "LATEST".into()),
            report_batch_item_failures: event["FunctionResponseTypes"].as_sequence().is_some_and(
                |types| {
                    types
                        .iter()
                        .any(|t| t.as_str() == Some("ReportBatchItemFailures"))
                },
            ),
            bisect_on_error: event["BisectBatchOnFunctionError"]
                .as_bool()
                .unwrap_or(false),
            maximum_retry_attempts: number("MaximumRetryAttempts")
                .filter(|n| *n >= 0.0)
                .map(|n| n as u32),
            on_failure_queue,
        })
    }

    /// The one `AWS::Serverless::Api` of the template.
    pub fn api(&self, names: &LocalNames) -> Result<ApiDefinition, TemplateError> {
        let (_, api) = self
            .resources
            .iter()
            .find(|(_, r)| r["Type"].as_str() == Some("AWS::Serverless::Api"))
            .ok_or_else(|| TemplateError("no AWS::Serverless::Api".into()))?;
        let properties = &api["Properties"];
        let auth = &properties["Auth"];
        let plan = &auth["UsagePlan"];
        let number = |value: &Value| self.resolve_number(value, names);
        let cors = &properties["Cors"];
        Ok(ApiDefinition {
            stage: self
                .resolve(&properties["StageName"], names)
                .unwrap_or_else(|| "prod".into()),
            api_key_required: auth["ApiKeyRequired"].as_bool().unwrap_or(false),
            cors: scalar(&cors["AllowOrigin"]).map(|origin| Cors {
                allow_origin: unquote(&origin),
                allow_headers: scalar(&cors["AllowHeaders"])
                    .map(|h| unquote(&h))
                    .unwrap_or_default(),
                allow_methods: scalar(&cors["AllowMethods"])
                    .map(|m| unquote(&m))
                    .unwrap_or_default(),
            }),
            throttle_burst: number(&plan["Throttle"]["BurstLimit"]).unwrap_or(5000.0) as u64,
            throttle_rate: number(&plan["Throttle"]["RateLimit"]).unwrap_or(10000.0),
            quota_limit: number(&plan["Quota"]["Limit"]).map(|n| n as u64),
        })
    }
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> LocalNames {
        LocalNames::from([
            ("ItemsTable".to_string(), "items".to_string()),
            ("HistoryTable".to_string(), "items-history".to_string()),
            ("ArchiveBucket".to_string(), "items-archive".to_string()),
            (
                "NotificationsTopic".to_string(),
                "arn:aws:sns:us-east-1:123456789012:items".to_string(),
            ),
            (
                "StreamDeadLetterQueue".to_string(),
                "http://localhost/queue/dlq".to_string(),
            ),
        ])
    }

    #[test]
    fn reads_both_functions_from_the_workspace_template() {
        let template = Template::workspace().unwrap();
        let functions = template.functions(&names()).unwrap();
        let api = functions.iter().find(|f| f.binary == "items-api").unwrap();
        assert_eq!(api.timeout, Duration::from_secs(10));
        assert_eq!(api.environment["DYNAMODB_TABLE"], "items");
        assert_eq!(api.environment["S3_BUCKET"], "items-archive");
        assert_eq!(api.environment["HISTORY_TABLE"], "items-history");
        assert!(
            !api.environment.contains_key("CURSOR_SECRET"),
            "the stack-id secret has no local value"
        );
        assert_eq!(api.log_level.as_deref(), Some("INFO"));
        assert_eq!(api.routes.len(), 9);
        assert!(
            api.routes
                .contains(&("PUT".to_string(), "/items/{id}".to_string()))
        );

        let stream = functions
            .iter()
            .find(|f| f.binary == "stream-processor")
            .unwrap();
        assert_eq!(stream.timeout, Duration::from_secs(60));
        let trigger = stream.stream_trigger.as_ref().unwrap();
        assert_eq!(trigger.table, "ItemsTable");
        assert_eq!(trigger.batch_size, 100);
        assert_eq!(trigger.batching_window, Duration::from_secs(1));
        assert!(trigger.report_batch_item_failures && trigger.bisect_on_error);
        assert_eq!(trigger.maximum_retry_attempts, Some(5));
        assert_eq!(
            trigger.on_failure_queue.as_deref(),
            Some("StreamDeadLetterQueue")
        );
    }

    #[test]
    fn reads_the_api_with_the_seed_numbers() {
        let api = Template::workspace().unwrap().api(&names()).unwrap();
        assert_eq!(api.stage, "prod");
        assert!(api.api_key_required);
        assert_eq!(
            (api.throttle_burst, api.throttle_rate, api.quota_limit),
            (200, 100.0, Some(10000))
        );
        let cors = api.cors.unwrap();
        assert_eq!(cors.allow_origin, "*");
        assert!(
            cors.allow_headers
                .starts_with("Content-Type,X-Amz-Date,Authorization,X-Api-Key")
        );
        assert_eq!(cors.allow_methods, "GET,POST,PUT,DELETE,OPTIONS");
    }
}
