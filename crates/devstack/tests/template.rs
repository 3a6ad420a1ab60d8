//! The deployed template's security and reliability properties, read from template.yaml
//! itself (a property someone removes fails here, not in production).

use serde_yaml_ng::{Mapping, Value};

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

/// Every IAM statement in roles and in SAM function policies.
fn iam_statements(template: &Value) -> Vec<(String, &Value)> {
    let mut statements = Vec::new();
    for (name, role) in of_type(template, "AWS::IAM::Role") {
        for policy in as_list(&role["Properties"]["Policies"]) {
            for statement in as_list(&policy["PolicyDocument"]["Statement"]) {
                statements.push((name.to_string(), statement));
            }
        }
    }
    for (name, function) in of_type(template, "AWS::Serverless::Function") {
        for policy in as_list(&function["Properties"]["Policies"]) {
            for statement in as_list(&policy["Statement"]) {
                statements.push((name.to_string(), statement));
            }
        }
    }
    statements
}

#[test]
fn every_api_method_but_the_preflight_needs_a_key() {
    let template = template();
    let apis = of_type(&template, "AWS::Serverless::Api");
    assert_eq!(apis.len(), 1);
    let auth = &apis[0].1["Properties"]["Auth"];
    assert_eq!(auth["ApiKeyRequired"], Value::Bool(true));
    assert_eq!(auth["AddApiKeyRequiredToCorsPreflight"], Value::Bool(false));
    assert_eq!(auth["UsagePlan"]["CreateUsagePlan"], "PER_API");
    let mut routes = Vec::new();
    for (name, function) in of_type(&template, "AWS::Serverless::Function") {
        for (_, event) in function["Properties"]["Events"]
            .as_mapping()
            .into_iter()
            .flatten()
        {
            if event["Type"] != "Api" {
                continue;
            }
            let properties = &event["Properties"];
            assert_eq!(
                referenced(&properties["RestApiId"]).as_deref(),
                Some(apis[0].0),
                "{name}"
            );
            assert_ne!(
                properties["Auth"]["ApiKeyRequired"],
                Value::Bool(false),
                "{name} opts out of the key"
            );
            assert_ne!(
                properties["Method"], "OPTIONS",
                "{name}: the preflight belongs to API Gateway's CORS"
            );
            routes.push(format!(
                "{} {}",
                properties["Method"].as_str().unwrap(),
                properties["Path"].as_str().unwrap()
            ));
        }
    }
    routes.sort();
    assert_eq!(
        routes,
        [
            "DELETE /items/{id}",
            "GET /items",
            "GET /items/{id}",
            "GET /items/{id}/versions",
            "GET /items/{id}/versions/{version}",
            "POST /items",
            "POST /items/batch",
            "POST /items/{id}/restore",
            "PUT /items/{id}"
        ]
    );
}

#[test]
fn no_iam_statement_allows_every_resource_but_xray() {
    // X-Ray's trace APIs have no resource-level permissions: "*" is the only form AWS accepts.
    const STAR_ONLY: [&str; 2] = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"];
    let template = template();
    let statements = iam_statements(&template);
    assert!(
        statements.len() >= 8,
        "found the statements: {}",
        statements.len()
    );
    for (owner, statement) in statements {
        let resources = as_list(&statement["Resource"]);
        assert!(!resources.is_empty(), "{owner}: statement without Resource");
        if resources.iter().any(|r| r.as_str() == Some("*")) {
            for action in as_list(&statement["Action"]) {
                assert!(
                    STAR_ONLY.contains(&action.as_str().unwrap()),
                    "{owner}: {action:?} on \"*\""
                );
            }
        }
        for action in as_list(&statement["Action"]) {
            let action = action.as_str().unwrap();
            assert!(
                !action.ends_with(":*") && action != "*",
                "{owner}: wildcard action {action}"
            );
        }
    }
    // SAM's policy templates (DynamoDBCrudPolicy, …) grant more than the functions use.
    for (name, function) in of_type(&template, "AWS::Serverless::Function") {
        assert!(
            function["Properties"]["Policies"].is_null(),
            "{name}: use its own role, not SAM policy templates"
        );
        assert!(
            referenced(&function["Properties"]["Role"]).is_some(),
            "{name} has an explicit role"
        );
    }
}

#[test]
fn the_stream_processor_may_write_exactly_where_it_writes() {
    let template = template();
    let put_object: Vec<String> = grants(&template, "StreamProcessorRole")
        .into_iter()
        .filter(|(action, _)| action == "s3:PutObject")
        .map(|(_, resource)| resource)
        .collect();
    // The archive (steps::archive) and the quarantine of poison records (quarantine.rs).
    assert_eq!(
        put_object,
        [
            "${ArchiveBucket.Arn}/backups/*",
            "${ArchiveBucket.Arn}/quarantine/*"
        ]
    );
}

/// Every (action, resource) a role's statements allow, resources as written (`!GetAtt X.Arn`
/// as `X.Arn`, `!Sub` as its text).
fn grants(template: &Value, role: &str) -> Vec<(String, String)> {
    let mut grants = Vec::new();
    for (_, statement) in iam_statements(template)
        .into_iter()
        .filter(|(owner, _)| owner == role)
    {
        for action in as_list(&statement["Action"]) {
            for resource in as_list(&statement["Resource"]) {
                let resource = match resource {
                    Value::Tagged(tagged) => tagged.value.as_str().unwrap_or_default().to_owned(),
                    other => other.as_str().unwrap_or_default().to_owned(),
                };
                grants.push((action.as_str().unwrap_or_default().to_owned(), resource));
            }
        }
    }
    grants.sort();
    grants
}

/// History is written by the stream processor only; the API reads it, and may read the
/// archive's objects (what its presigned `archive_url`s are signed for) and nothing else in S3.
#[test]
fn the_api_reads_history_and_the_archive_and_the_stream_processor_writes_history() {
    let template = template();
    let on = |grants: Vec<(String, String)>, matches: &dyn Fn(&str) -> bool| -> Vec<String> {
        grants
            .into_iter()
            .filter(|(action, resource)| matches(action) || matches(resource))
            .map(|(action, resource)| format!("{action} {resource}"))
            .collect()
    };
    let api = grants(&template, "ItemsApiRole");
    assert_eq!(
        on(api.clone(), &|text| text.contains("HistoryTable")),
        [
            "dynamodb:GetItem HistoryTable.Arn",
            "dynamodb:Query HistoryTable.Arn"
        ]
    );
    assert_eq!(
        on(api, &|text| text.starts_with("s3:")
            || text.contains("ArchiveBucket")),
        ["s3:GetObject ${ArchiveBucket.Arn}/backups/*"]
    );
    let processor = grants(&template, "StreamProcessorRole");
    assert_eq!(
        on(processor, &|text| text.contains("HistoryTable")),
        ["dynamodb:PutItem HistoryTable.Arn"]
    );
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
    assert!(properties["MaximumRecordAgeInSeconds"].as_u64().is_some());
    assert_eq!(properties["StartingPosition"], "LATEST");
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
