//! The route table is the one list of the API's operations: template.yaml (what API
//! Gateway routes to the function, and the CORS method lists it answers with) and
//! openapi.yaml (what clients are told) must say the same, so a route missing from any of
//! the three fails here, not in a deploy.

use std::collections::BTreeSet;

use serde_yaml_ng::Value;

use items_api::{DynamoStore, routes};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn yaml(name: &str) -> Value {
    let text = std::fs::read_to_string(format!("{ROOT}/{name}")).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

/// (METHOD, resource, operation) of every row of the table.
fn table() -> BTreeSet<(String, String, String)> {
    routes::table::<DynamoStore>()
        .iter()
        .map(|route| {
            let (resource, operation) = (route.resource.to_owned(), route.operation.to_owned());
            (route.method.to_string(), resource, operation)
        })
        .collect()
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

#[test]
fn template_events_are_the_table_less_the_preflights_api_gateway_answers() {
    let template = yaml("template.yaml");
    let mut events = BTreeSet::new();
    for (_, resource) in template["Resources"].as_mapping().unwrap() {
        for (name, event) in resource["Properties"]["Events"]
            .as_mapping()
            .into_iter()
            .flatten()
        {
            if event["Type"].as_str() == Some("Api") {
                let properties = &event["Properties"];
                // An event's name is its operation's, capitalised: ListItems ↔ listItems.
                let name = text(name);
                let operation = name[..1].to_lowercase() + &name[1..];
                events.insert((
                    text(&properties["Method"]).to_uppercase(),
                    text(&properties["Path"]),
                    operation,
                ));
            }
        }
    }
    let table = table();
    let routed: BTreeSet<_> = table
        .iter()
        .filter(|(m, ..)| m != "OPTIONS")
        .cloned()
        .collect();
    assert_eq!(events, routed);

    // The methods API Gateway names in CORS answers (its preflights and its own errors).
    let methods: BTreeSet<String> = table.iter().map(|(m, ..)| m.clone()).collect();
    let api = &template["Resources"]["ItemsApi"]["Properties"];
    let mut lists = vec![&api["Cors"]["AllowMethods"]];
    for (_, response) in api["GatewayResponses"].as_mapping().unwrap() {
        lists.push(&response["ResponseParameters"]["Headers"]["Access-Control-Allow-Methods"]);
    }
    for list in lists {
        let named: BTreeSet<String> = text(list)
            .trim_matches('\'')
            .split(',')
            .map(str::to_owned)
            .collect();
        assert_eq!(named, methods, "{list:?}");
    }
}

#[test]
fn openapi_operations_are_the_table() {
    let spec = yaml("openapi.yaml");
    let mut operations = BTreeSet::new();
    for (path, item) in spec["paths"].as_mapping().unwrap() {
        for (method, operation) in item.as_mapping().unwrap() {
            let method = text(method);
            if [
                "get", "put", "post", "delete", "options", "head", "patch", "trace",
            ]
            .contains(&method.as_str())
            {
                operations.insert((
                    method.to_uppercase(),
                    text(path),
                    text(&operation["operationId"]),
                ));
            }
        }
    }
    assert_eq!(operations, table());
}
