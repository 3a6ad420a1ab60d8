//! A [`Projection`] as DynamoDB's ProjectionExpression: every attribute through a
//! placeholder (`#name`, `#status` and others are reserved words), `id` and `version`
//! always among them.

use crate::projection::{Field, Projection};

/// The expression and its placeholder names, or `None` to read every attribute.
pub(super) fn expression(projection: &Projection) -> Option<(String, Vec<(String, &'static str)>)> {
    let Projection::Only(fields) = projection else {
        return None;
    };
    // `updated_at` falls back to `created_at` on items of the original service.
    let fallback = (fields.contains(&Field::UpdatedAt) && !fields.contains(&Field::CreatedAt))
        .then_some("created_at");
    let names: Vec<(String, &'static str)> = ["id", "version"]
        .into_iter()
        .chain(fields.iter().map(|field| field.as_str()))
        .chain(fallback)
        .map(|name| (format!("#{name}"), name))
        .collect();
    let expression = names
        .iter()
        .map(|(placeholder, _)| placeholder.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    Some((expression, names))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_and_version_first_then_the_fields_all_as_placeholders() {
        let (expression, names) =
            expression(&Projection::Only(vec![Field::Status, Field::CreatedAt])).unwrap();
        assert_eq!(expression, "#id, #version, #status, #created_at");
        assert_eq!(names[3], ("#created_at".to_string(), "created_at"));
        assert!(super::expression(&Projection::All).is_none());
    }
}
