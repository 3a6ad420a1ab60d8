//! The deployed template's security and reliability properties, read from template.yaml
//! itself (a property someone removes fails here, not in production).

use serde_yaml_ng::{Mapping, Value};

mod access;

fn template() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml");
    serde_yaml_ng::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn resources(template: &Value) -> &Mapping {
    template["Resources"].as_mapping().unwrap()
}

fn of_type<'a>(template: &'a Value, kind: &str) -> Vec<(&'a str, &'a Value)> {
    resources(template)
        .iter()
        .filter(|(_, resource)| resource["Type"].as_str() == Some(kind))
        .map(|(name, resource)| (name.as_str().unwrap(), resource))
        .collect()
}

/// The target of `!Ref X` / `!GetAtt X.Arn`, if `value` is one.
fn referenced(value: &Value) -> Option<String> {
    match value {
        Value::Tagged(tagged) => match tagged.tag.to_string().as_str() {
            "!Ref" | "!GetAtt" => tagged
                .value
                .as_str()
                .map(|s| s.split('.').next().unwrap().to_string()),
            _ => None,
        },
        _ => None,
    }
}

fn as_list(value: &Value) -> Vec<&Value> {
    match value {
        Value::Sequence(values) => values.iter().collect(),
        Value::Null => Vec::new(),
        single => vec![single],
    }
}

#[test]
fn the_archive_bucket_is_private_encrypted_and_tls_only() {
    let template = template();
    let buckets = of_type(&template, "AWS::S3::Bucket");
    assert_eq!(buckets.len(), 1);
    let (bucket_name, bucket) = buckets[0];
    let block = &bucket["Properties"]["PublicAccessBlockConfiguration"];
    for setting in [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ] {
        assert_eq!(block[setting], Value::Bool(true), "{setting}");
    }
    let sse = &bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0];
    assert!(
        sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"]
            .as_str()
            .is_some()
    );
    assert_eq!(
        bucket["Properties"]["VersioningConfiguration"]["Status"],
        "Enabled"
    );
    assert!(!as_list(&bucket["Properties"]["LifecycleConfiguration"]["Rules"]).is_empty());

    let policies = of_type(&template, "AWS::S3::BucketPolicy");
    let policy = policies
        .iter()
        .find(|(_, p)| referenced(&p["Properties"]["Bucket"]).as_deref() == Some(bucket_name));
    let statements = as_list(
        &policy.expect("the bucket has a policy").1["Properties"]["PolicyDocument"]["Statement"],
    );
    let deny_plain_http = statements.iter().any(|s| {
        s["Effect"] == "Deny"
            && s["Condition"]["Bool"]["aws:SecureTransport"] == "false"
            && as_list(&s["Resource"]).len() == 2
    });
    assert!(
        deny_plain_http,
        "requests without TLS are denied on the bucket and its objects"
    );
}

#[test]
fn the_tables_keep_their_data() {
    let template = template();
    for table in ["ItemsTable", "HistoryTable"] {
        let properties = &resources(&template)[table]["Properties"];
        assert_eq!(
            properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
            Value::Bool(true),
            "{table}"
        );
        assert_eq!(
            properties["SSESpecification"]["SSEEnabled"],
            Value::Bool(true),
            "{table}"
        );
        assert_eq!(properties["BillingMode"], "PAY_PER_REQUEST", "{table}");
        assert!(
            matches!(properties["DeletionProtectionEnabled"], Value::Tagged(_)),
            "{table}: deletion protection follows IsProd"
        );
    }
    let properties = &resources(&template)["ItemsTable"]["Properties"];
    assert_eq!(
        properties["StreamSpecification"]["StreamViewType"],
        "NEW_AND_OLD_IMAGES"
    );
    // History is paged newest first by a Query on id + a numeric sort key: no Scan, no index.
    let history = &resources(&template)["HistoryTable"]["Properties"];
    let keys: Vec<(&str, &str)> = as_list(&history["KeySchema"])
        .iter()
        .map(|k| {
            let name = k["AttributeName"].as_str().unwrap();
            (name, k["KeyType"].as_str().unwrap())
        })
        .collect();
    assert_eq!(keys, [("id", "HASH"), ("seq", "RANGE")]);
    assert!(history["GlobalSecondaryIndexes"].is_null());
    assert!(history["StreamSpecification"].is_null());
}

#[test]
fn the_stream_trigger_reports_partial_failures_and_has_a_dead_letter_queue() {
    let template = template();
    let function = &resources(&template)["StreamProcessorFunction"];
    let event = &function["Properties"]["Events"]["TableStream"];
    assert_eq!(event["Type"], "DynamoDB");
    let properties = &event["Properties"];
    assert_eq!(
        referenced(&properties["Stream"]).as_deref(),
        Some("ItemsTable")
    );
    assert!(
        as_list(&properties["FunctionResponseTypes"])
            .iter()
            .any(|t| *t == "ReportBatchItemFailures")
    );
    assert_eq!(properties["BisectBatchOnFunctionError"], Value::Bool(true));
    assert!(
        properties["MaximumRetryAttempts"]
            .as_u64()
            .is_some_and(|n| n > 0)
    );
    // A dead letter holds stream positions only: its records must still be in the stream
    // (24 h) for a good while after it arrives.
    assert!(
        properties["MaximumRecordAgeInSeconds"]
            .as_u64()
            .is_some_and(|age| age <= 12 * 60 * 60)
    );
    // Writes made before the mapping first reads are processed too.
    assert_eq!(properties["StartingPosition"], "TRIM_HORIZON");
    let destination = &properties["DestinationConfig"]["OnFailure"];
    assert_eq!(destination["Type"], "SQS");
    let queue = referenced(&destination["Destination"]).unwrap();
    assert_eq!(
        resources(&template)[queue.as_str()]["Type"],
        "AWS::SQS::Queue"
    );
}

#[test]
fn every_function_logs_to_a_group_with_retention() {
    let template = template();
    for (name, function) in of_type(&template, "AWS::Serverless::Function") {
        let logging = &function["Properties"]["LoggingConfig"];
        assert_eq!(logging["LogFormat"], "JSON", "{name}");
        let group = referenced(&logging["LogGroup"])
            .unwrap_or_else(|| panic!("{name} names its log group"));
        let group = &resources(&template)[group.as_str()];
        assert_eq!(group["Type"], "AWS::Logs::LogGroup");
        assert!(
            !group["Properties"]["RetentionInDays"].is_null(),
            "{name}: logs expire"
        );
    }
    let access_log =
        &of_type(&template, "AWS::Serverless::Api")[0].1["Properties"]["AccessLogSetting"];
    let group = referenced(&access_log["DestinationArn"]).unwrap();
    assert!(!resources(&template)[group.as_str()]["Properties"]["RetentionInDays"].is_null());
    let format = access_log["Format"].as_str().unwrap();
    assert!(
        !format.contains("requestBody") && !format.contains("querystring"),
        "no request data in access logs"
    );
}

#[test]
fn alarms_cover_errors_throttles_stream_lag_and_dead_letters() {
    let template = template();
    let metrics: Vec<String> = of_type(&template, "AWS::CloudWatch::Alarm")
        .iter()
        .map(|(_, alarm)| {
            let properties = &alarm["Properties"];
            assert!(!as_list(&properties["AlarmActions"]).is_empty());
            let namespace = match &properties["Namespace"] {
                Value::Tagged(sub) => sub.value.as_str().unwrap(),
                namespace => namespace.as_str().unwrap(),
            };
            format!("{namespace}/{}", properties["MetricName"].as_str().unwrap())
        })
        .collect();
    for expected in [
        "AWS/ApiGateway/5XXError",
        "AWS/Lambda/Errors",
        "AWS/Lambda/Throttles",
        "AWS/Lambda/IteratorAge",
        "AWS/SQS/ApproximateNumberOfMessagesVisible",
        "${AWS::StackName}/items/RecordsQuarantined",
    ] {
        assert!(
            metrics.iter().any(|m| m == expected),
            "no alarm on {expected}: {metrics:?}"
        );
    }
}

#[test]
fn api_gateways_own_answers_are_json_with_the_cors_headers() {
    let template = template();
    let apis = of_type(&template, "AWS::Serverless::Api");
    let [(_, api)] = apis.as_slice() else {
        panic!("one API");
    };
    for kind in ["DEFAULT_4XX", "DEFAULT_5XX"] {
        let response = &api["Properties"]["GatewayResponses"][kind];
        let body = response["ResponseTemplates"]["application/json"]
            .as_str()
            .unwrap_or_default();
        assert_eq!(
            body, r#"{"message":$context.error.messageString}"#,
            "{kind}: README's 403/429 bodies"
        );
        let headers = &response["ResponseParameters"]["Headers"];
        assert_eq!(headers["Access-Control-Allow-Origin"], "'*'", "{kind}");
    }
}
