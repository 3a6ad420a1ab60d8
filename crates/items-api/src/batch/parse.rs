//! The body of `POST /items/batch` taken apart: `{"operations": [...]}`, each operation
//! checked exactly as its single-item route checks its input, every problem reported at
//! once under the operation's path (`operations[1].item.email`).

use domain::{DomainError, FieldError, ItemId, ItemPatch, NewItem};
use serde::Serialize;
use serde_json::{Map, Value};

/// DynamoDB's limit on the actions of one transaction.
const MAX_OPERATIONS: usize = 100;

/// One operation as the client asked for it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum Requested {
    Create {
        item: NewItem,
    },
    Update {
        id: ItemId,
        if_match: Option<u64>,
        changes: ItemPatch,
    },
    Delete {
        id: ItemId,
        if_match: Option<u64>,
    },
}

pub fn parse(body: &[u8]) -> Result<Vec<Requested>, DomainError> {
    let mut top = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => map,
        Ok(_) => {
            return Err(DomainError::Validation(vec![FieldError::new(
                "body",
                "must be a JSON object",
            )]));
        }
        Err(_) => return Err(DomainError::InvalidJson),
    };
    let operations = top.remove("operations");
    let mut errors: Vec<FieldError> = top
        .keys()
        .map(|field| FieldError::new(field.as_str(), "unknown field"))
        .collect();
    let operations = match operations {
        Some(Value::Array(operations)) if (1..=MAX_OPERATIONS).contains(&operations.len()) => {
            operations
        }
        Some(_) => {
            errors.push(FieldError::new(
                "operations",
                format!("must be an array of 1 to {MAX_OPERATIONS} operations"),
            ));
            Vec::new()
        }
        None => {
            errors.push(FieldError::new("operations", "is required"));
            Vec::new()
        }
    };
    let mut parsed = Vec::with_capacity(operations.len());
    for (index, operation) in operations.into_iter().enumerate() {
        let mut fields = OperationFields {
            path: format!("operations[{index}]"),
            errors: &mut errors,
        };
        if let Some(requested) = fields.operation(operation) {
            parsed.push(requested);
        }
    }
    if errors.is_empty() {
        Ok(parsed)
    } else {
        Err(DomainError::Validation(errors))
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Create,
    Update,
    Delete,
}

impl Kind {
    /// The fields an operation of this kind may have besides `op`.
    fn fields(self) -> &'static [&'static str] {
        match self {
            Kind::Create => &["item"],
            Kind::Update => &["id", "if_match", "changes"],
            Kind::Delete => &["id", "if_match"],
        }
    }
}

/// One operation's object, its errors named under `path`.
struct OperationFields<'e> {
    path: String,
    errors: &'e mut Vec<FieldError>,
}

impl OperationFields<'_> {
    fn error(&mut self, field: &str, reason: impl Into<String>) {
        let name = if field.is_empty() {
            self.path.clone()
        } else {
            format!("{}.{field}", self.path)
        };
        self.errors.push(FieldError::new(name, reason));
    }

    fn operation(&mut self, value: Value) -> Option<Requested> {
        let Value::Object(mut map) = value else {
            self.error("", "must be an object");
            return None;
        };
        let kind = match map.remove("op") {
            Some(Value::String(op)) if op == "create" => Kind::Create,
            Some(Value::String(op)) if op == "update" => Kind::Update,
            Some(Value::String(op)) if op == "delete" => Kind::Delete,
            Some(_) => {
                self.error("op", "must be one of create, update, delete");
                return None;
            }
            None => {
                self.error("op", "is required");
                return None;
            }
        };
        let mut unknown: Vec<String> = map
            .keys()
            .filter(|key| !kind.fields().contains(&key.as_str()))
            .cloned()
            .collect();
        unknown.sort();
        let all_known = unknown.is_empty();
        for field in unknown {
            self.error(&field, "unknown field for this op");
        }
        let requested = match kind {
            Kind::Create => self
                .object(&mut map, "item", NewItem::parse)
                .map(|item| Requested::Create { item }),
            Kind::Update => {
                let id = self.id(&mut map);
                let if_match = self.if_match(&mut map);
                let changes = self.object(&mut map, "changes", ItemPatch::parse);
                Some(Requested::Update {
                    id: id?,
                    if_match: if_match?,
                    changes: changes?,
                })
            }
            Kind::Delete => {
                let id = self.id(&mut map);
                let if_match = self.if_match(&mut map);
                Some(Requested::Delete {
                    id: id?,
                    if_match: if_match?,
                })
            }
        };
        requested.filter(|_| all_known)
    }

    fn id(&mut self, map: &mut Map<String, Value>) -> Option<ItemId> {
        match map.remove("id") {
            Some(Value::String(id)) => ItemId::parse(&id)
                .map_err(|reason| self.error("id", reason))
                .ok(),
            Some(_) => {
                self.error("id", "must be a string");
                None
            }
            None => {
                self.error("id", "is required");
                None
            }
        }
    }

    /// `Some(None)` when absent (the item must then exist), `None` when invalid.
    fn if_match(&mut self, map: &mut Map<String, Value>) -> Option<Option<u64>> {
        match map.remove("if_match") {
            None => Some(None),
            Some(value) => match value.as_u64() {
                Some(version) => Some(Some(version)),
                None => {
                    self.error("if_match", "must be the item's version, an integer like 2");
                    None
                }
            },
        }
    }

    /// A nested object parsed by its single route's parser, its errors moved under
    /// `operations[i].<field>`.
    fn object<T>(
        &mut self,
        map: &mut Map<String, Value>,
        field: &str,
        parse: impl Fn(&[u8]) -> Result<T, DomainError>,
    ) -> Option<T> {
        let Some(value) = map.remove(field) else {
            self.error(field, "is required");
            return None;
        };
        match parse(value.to_string().as_bytes()) {
            Ok(parsed) => Some(parsed),
            Err(DomainError::Validation(fields)) => {
                for error in fields {
                    let name = match error.field.as_str() {
                        "body" => field.to_string(),
                        inner => format!("{field}.{inner}"),
                    };
                    self.error(&name, error.reason);
                }
                None
            }
            Err(_) => {
                self.error(field, "must be a JSON object");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(body: Value) -> Vec<String> {
        match parse(body.to_string().as_bytes()) {
            Err(DomainError::Validation(fields)) => fields.into_iter().map(|f| f.field).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn parses_each_kind() {
        let id = "0f8fad5b-d9cb-469f-a165-70867728950e";
        let parsed = parse(
            json!({"operations": [
                {"op": "create", "item": {"name": "A", "email": "a@example.com"}},
                {"op": "update", "id": id, "if_match": 2, "changes": {"status": "inactive"}},
                {"op": "delete", "id": id},
            ]})
            .to_string()
            .as_bytes(),
        )
        .unwrap();
        assert!(matches!(&parsed[0], Requested::Create { item } if item.name.as_str() == "A"));
        assert!(matches!(
            &parsed[1],
            Requested::Update {
                if_match: Some(2),
                ..
            }
        ));
        assert!(matches!(
            &parsed[2],
            Requested::Delete { if_match: None, .. }
        ));
        assert!(matches!(&parsed[2], Requested::Delete { id: named, .. } if named.as_str() == id));
    }

    #[test]
    fn names_every_problem_under_its_operation() {
        assert_eq!(
            fields(json!({"operations": [
                {"op": "create", "item": {"name": "A", "email": "nope", "version": 2}},
                {"op": "update", "id": "a/b", "if_match": "2", "changes": {}},
                {"op": "delete"},
                {"op": "merge"},
                {"op": "create", "item": [], "id": "x"},
                7,
            ], "extra": 1})),
            [
                "extra",
                "operations[0].item.email",
                "operations[0].item.version",
                "operations[1].id",
                "operations[1].if_match",
                "operations[1].changes",
                "operations[2].id",
                "operations[3].op",
                "operations[4].id",
                "operations[4].item",
                "operations[5]",
            ]
        );
    }

    #[test]
    fn one_to_a_hundred_operations() {
        assert_eq!(fields(json!({"operations": []})), ["operations"]);
        assert_eq!(fields(json!({})), ["operations"]);
        let delete = json!({"op": "delete", "id": "0f8fad5b-d9cb-469f-a165-70867728950e"});
        let many = vec![delete; 101];
        assert_eq!(fields(json!({"operations": many})), ["operations"]);
        assert!(matches!(parse(b"{"), Err(DomainError::InvalidJson)));
    }
}
