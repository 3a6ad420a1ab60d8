//! Reads the SAM template: the single source of the table's shape (and, in
//! [`crate::functions`], of the functions, the API and the stream trigger). Only what a local
//! stack needs is taken; intrinsic functions (`!Ref`, `!Sub`, …) are carried as tagged YAML
//! and resolved only where a local value exists.

use std::{fmt, path::Path};

use aws_sdk_dynamodb::{
    operation::create_table::builders::CreateTableFluentBuilder,
    types::{
        AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
        Projection, ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    },
};
use serde::Deserialize;
use serde_yaml_ng::{Mapping, Value};

#[derive(Debug)]
pub struct TemplateError(pub(crate) String);

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "template.yaml: {}", self.0)
    }
}

impl std::error::Error for TemplateError {}

/// A parsed SAM/CloudFormation template.
pub struct Template {
    pub(crate) document: Value,
    pub(crate) resources: Mapping,
}

impl Template {
    /// The workspace's own `template.yaml`.
    pub fn workspace() -> Result<Self, TemplateError> {
        Self::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml"))
    }

    pub fn load(path: &Path) -> Result<Self, TemplateError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| TemplateError(format!("cannot read {}: {e}", path.display())))?;
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let document: Value = serde_yaml_ng::from_str(text)
            .map_err(|e| TemplateError(format!("invalid YAML: {e}")))?;
        let resources = document
            .get("Resources")
            .and_then(Value::as_mapping)
            .cloned()
            .ok_or_else(|| TemplateError("no Resources section".into()))?;
        Ok(Self {
            document,
            resources,
        })
    }

    /// The logical id and type of every resource, in the template's order.
    pub(crate) fn resource_types(&self) -> impl Iterator<Item = (&str, &str)> {
        self.resources.iter().filter_map(|(id, resource)| {
            Some((id.as_str()?, resource.get("Type").and_then(Value::as_str)?))
        })
    }

    /// The `Properties` of the resource named `logical_id`, checked to be of type `kind`.
    pub(crate) fn properties(&self, logical_id: &str, kind: &str) -> Result<&Value, TemplateError> {
        let resource = self
            .resources
            .get(logical_id)
            .ok_or_else(|| TemplateError(format!("no resource {logical_id}")))?;
        let found = resource
            .get("Type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if found != kind {
            return Err(TemplateError(format!(
                "{logical_id} is {found:?}, expected {kind}"
            )));
        }
        resource
            .get("Properties")
            .ok_or_else(|| TemplateError(format!("{logical_id} has no Properties")))
    }

    /// The DynamoDB table declared as `logical_id` (the service's is `ItemsTable`).
    pub fn table(&self, logical_id: &str) -> Result<TableDefinition, TemplateError> {
        let properties = self.properties(logical_id, "AWS::DynamoDB::Table")?;
        serde_yaml_ng::from_value(properties.clone())
            .map_err(|e| TemplateError(format!("{logical_id}: {e}")))
    }
}

/// The parts of an `AWS::DynamoDB::Table` a local table is created from.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableDefinition {
    pub attribute_definitions: Vec<AttributeSpec>,
    pub key_schema: Vec<KeySpec>,
    #[serde(default)]
    pub global_secondary_indexes: Vec<IndexSpec>,
    pub stream_specification: Option<StreamSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeSpec {
    pub attribute_name: String,
    pub attribute_type: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeySpec {
    pub attribute_name: String,
    pub key_type: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IndexSpec {
    pub index_name: String,
    pub key_schema: Vec<KeySpec>,
    pub projection: ProjectionSpec,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProjectionSpec {
    pub projection_type: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamSpec {
    pub stream_view_type: String,
}

fn key_schema(keys: &[KeySpec]) -> Vec<KeySchemaElement> {
    keys.iter()
        .map(|key| {
            KeySchemaElement::builder()
                .attribute_name(&key.attribute_name)
                .key_type(KeyType::from(key.key_type.as_str()))
                .build()
                .expect("name and key type are set")
        })
        .collect()
}

impl TableDefinition {
    /// Fills a CreateTable request with this definition (on-demand billing, as deployed).
    pub fn apply(&self, request: CreateTableFluentBuilder) -> CreateTableFluentBuilder {
        let mut request = request
            .billing_mode(BillingMode::PayPerRequest)
            .set_key_schema(Some(key_schema(&self.key_schema)));
        for attribute in &self.attribute_definitions {
            request = request.attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(&attribute.attribute_name)
                    .attribute_type(ScalarAttributeType::from(attribute.attribute_type.as_str()))
                    .build()
                    .expect("name and type are set"),
            );
        }
        for index in &self.global_secondary_indexes {
            request = request.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(&index.index_name)
                    .set_key_schema(Some(key_schema(&index.key_schema)))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::from(
                                index.projection.projection_type.as_str(),
                            ))
                            .build(),
                    )
                    .build()
                    .expect("index name and key schema are set"),
            );
        }
        if let Some(stream) = &self.stream_specification {
            request = request.stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::from(stream.stream_view_type.as_str()))
                    .build()
                    .expect("stream enabled is set"),
            );
        }
        request
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_items_table_from_the_workspace_template() {
        let table = Template::workspace().unwrap().table("ItemsTable").unwrap();
        assert_eq!(table.key_schema[0].attribute_name, "id");
        let indexes: Vec<&str> = table
            .global_secondary_indexes
            .iter()
            .map(|i| i.index_name.as_str())
            .collect();
        assert_eq!(indexes, ["CreatedAtIndex", "EmailIndex"]);
        assert_eq!(
            table.stream_specification.unwrap().stream_view_type,
            "NEW_AND_OLD_IMAGES"
        );
    }

    #[test]
    fn tolerates_intrinsics_and_reports_missing_parts() {
        let template = Template::parse(
            "Resources:\n  T:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: !Sub '${AWS::StackName}-t'\n      AttributeDefinitions: [{AttributeName: k, AttributeType: S}]\n      KeySchema: [{AttributeName: k, KeyType: HASH}]\n  F:\n    Type: AWS::Serverless::Function\n",
        )
        .unwrap();
        assert!(
            template
                .table("T")
                .unwrap()
                .global_secondary_indexes
                .is_empty()
        );
        assert!(template.table("F").is_err());
        assert!(template.table("Missing").is_err());
        assert!(Template::parse("Outputs: {}").is_err());
    }
}
