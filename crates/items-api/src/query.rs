//! `GET /items` query string: `status`, `email`, `limit`, `last_key`.

use domain::{Email, FieldError, Status};
use lambda_http::aws_lambda_events::query_map::QueryMap;

use crate::ApiError;

use crate::store::ListFilter;

pub const DEFAULT_LIMIT: u16 = 20;
pub const MAX_LIMIT: u16 = 100;

#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    pub filter: ListFilter,
    pub limit: u16,
    pub last_key: Option<String>,
}

impl ListQuery {
    pub fn parse(params: &QueryMap) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let mut single = |name: &'static str| -> Option<String> {
            let values = params.all(name).unwrap_or_default();
            if values.len() > 1 {
                errors.push(FieldError::new(name, "must be given at most once"));
                return None;
            }
            values.first().map(|v| v.to_string())
        };
        let status = single("status");
        let email = single("email");
        let limit = single("limit");
        let last_key = single("last_key");

        let status = match status.map(|s| s.parse::<Status>()) {
            Some(Err(reason)) => {
                errors.push(FieldError::new("status", reason));
                None
            }
            other => other.and_then(Result::ok),
        };
        let email = match email.map(|e| Email::parse(&e)) {
            Some(Err(reason)) => {
                errors.push(FieldError::new("email", reason));
                None
            }
            other => other.and_then(Result::ok),
        };
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(text) => match text.parse::<u16>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    errors.push(FieldError::new(
                        "limit",
                        format!("must be an integer from 1 to {MAX_LIMIT}"),
                    ));
                    DEFAULT_LIMIT
                }
            },
        };
        if !errors.is_empty() {
            return Err(ApiError::InvalidQuery(errors));
        }
        let filter = match email {
            Some(email) => ListFilter::Email { email, status },
            None => ListFilter::Status(status.unwrap_or_default()),
        };
        Ok(Self {
            filter,
            limit,
            last_key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn query(pairs: &[(&str, &str)]) -> Result<ListQuery, ApiError> {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in pairs {
            map.entry(k.to_string()).or_default().push(v.to_string());
        }
        ListQuery::parse(&QueryMap::from(map))
    }

    #[test]
    fn defaults_to_active_twenty() {
        let q = query(&[]).unwrap();
        assert_eq!(q.filter, ListFilter::Status(Status::Active));
        assert_eq!(q.limit, 20);
        assert!(q.last_key.is_none());
    }

    #[test]
    fn limit_bounds() {
        assert_eq!(query(&[("limit", "1")]).unwrap().limit, 1);
        assert_eq!(query(&[("limit", "100")]).unwrap().limit, 100);
        for bad in ["0", "101", "-1", "ten", "", "1.5", "99999999999"] {
            assert!(
                matches!(query(&[("limit", bad)]), Err(ApiError::InvalidQuery(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn email_selects_the_email_index() {
        let q = query(&[("email", "a@example.com"), ("status", "archived")]).unwrap();
        let ListFilter::Email { email, status } = q.filter else {
            panic!("email filter")
        };
        assert_eq!(email.as_str(), "a@example.com");
        assert_eq!(status, Some(Status::Archived));
    }

    #[test]
    fn reports_every_bad_parameter() {
        let Err(ApiError::InvalidQuery(fields)) = query(&[
            ("status", "gone"),
            ("email", "nope"),
            ("limit", "0"),
            ("last_key", "a"),
            ("last_key", "b"),
        ]) else {
            panic!("expected invalid query");
        };
        let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["last_key", "status", "email", "limit"]);
    }
}
