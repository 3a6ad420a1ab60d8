//! Who may do what: an API key on every method but the preflight, and each role narrowed to
//! what its function does.

use serde_yaml_ng::Value;

use crate::{as_list, of_type, referenced, template};

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
/// `role`'s statement whose `Action` is `action` alone.
fn statement<'t>(template: &'t Value, role: &str, action: &str) -> &'t Value {
    iam_statements(template)
        .into_iter()
        .find(|(owner, statement)| owner == role && statement["Action"] == action)
        .unwrap_or_else(|| panic!("{role} has a statement of {action} alone"))
        .1
}

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

/// History is written by the stream processor; the API reads it and writes only a restore's
/// claim (rows of four attributes under `claim/` keys), and may read the archive's objects (what its presigned
/// `archive_url`s are signed for) and nothing else in S3.
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
            "dynamodb:PutItem HistoryTable.Arn",
            "dynamodb:Query HistoryTable.Arn"
        ]
    );
    assert_eq!(
        on(api.clone(), &|text| text.contains("/index/")),
        ["dynamodb:Query ${ItemsTable.Arn}/index/*"],
        "only a Query applies to an index"
    );
    let claim = statement(&template, "ItemsApiRole", "dynamodb:PutItem");
    assert_eq!(
        claim["Condition"]["ForAllValues:StringEquals"]["dynamodb:Attributes"],
        serde_yaml_ng::from_str::<Value>("[id, seq, claimed_at, expires_at]").unwrap()
    );
    // Attribute names alone would let a put replace an entry: the keys are held to claims'.
    assert_eq!(
        claim["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"],
        serde_yaml_ng::from_str::<Value>(r#"["claim/*"]"#).unwrap()
    );
    assert_eq!(
        on(api, &|text| text.starts_with("s3:")
            || text.contains("ArchiveBucket")),
        ["s3:GetObject ${ArchiveBucket.Arn}/backups/*"]
    );
    let processor = grants(&template, "StreamProcessorRole");
    assert_eq!(
        on(processor, &|text| text.contains("HistoryTable")),
        [
            "dynamodb:GetItem HistoryTable.Arn",
            "dynamodb:PutItem HistoryTable.Arn"
        ]
    );
    // Its GetItem is the connection warm-up's, of one key no item has (the key
    // stream-processor's steps::Clients::open_connections reads), and nothing else.
    let warm_up = statement(&template, "StreamProcessorRole", "dynamodb:GetItem");
    assert_eq!(
        warm_up["Condition"]["ForAllValues:StringEquals"]["dynamodb:LeadingKeys"],
        serde_yaml_ng::from_str::<Value>("[connection-warm-up]").unwrap()
    );
}
