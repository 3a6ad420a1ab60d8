//! `GET /items` query string: `status`, `email`, `created_from`, `created_to`, `limit`,
//! `last_key`, `fields`; `GET /items/{id}/versions`'s: `limit`, `last_key`.

use domain::{Email, FieldError, Status};
use lambda_http::aws_lambda_events::query_map::QueryMap;

use crate::{ApiError, created_range::CreatedRange, projection::Projection, store::ListFilter};

pub const DEFAULT_LIMIT: u16 = 20;
pub const MAX_LIMIT: u16 = 100;

#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    pub filter: ListFilter,
    pub limit: u16,
    pub last_key: Option<String>,
    pub projection: Projection,
}

impl ListQuery {
    pub fn parse(params: &QueryMap) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let mut single = |name| single(params, name, &mut errors);
        let status = single("status");
        let email = single("email");
        let created_from = single("created_from");
        let created_to = single("created_to");
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
        let created = CreatedRange::parse(created_from.as_deref(), created_to.as_deref())
            .unwrap_or_else(|range_errors| {
                errors.extend(range_errors);
                CreatedRange::default()
            });
        if email.is_some() && !created.is_open() {
            errors.push(FieldError::new(
                if created.from.is_some() { "created_from" } else { "created_to" },
                "not supported with email: EmailIndex has no created_at sort key; list by status to use a date range",
            ));
        }
        let limit = parse_limit(limit.as_deref()).unwrap_or_else(|error| {
            errors.push(error);
            DEFAULT_LIMIT
        });
        let projection = Projection::from_query(params).unwrap_or_else(|error| {
            errors.extend(error.fields().unwrap_or_default().iter().cloned());
            Projection::All
        });
        if !errors.is_empty() {
            return Err(ApiError::InvalidQuery(errors));
        }
        let filter = match email {
            Some(email) => ListFilter::Email { email, status },
            None => ListFilter::Status {
                status: status.unwrap_or_default(),
                created,
            },
        };
        Ok(Self {
            filter,
            limit,
            last_key,
            projection,
        })
    }
}

/// `limit`: 1 to [`MAX_LIMIT`], [`DEFAULT_LIMIT`] when absent.
fn parse_limit(limit: Option<&str>) -> Result<u16, FieldError> {
    match limit.map(str::parse::<u16>) {
        None => Ok(DEFAULT_LIMIT),
        Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(FieldError::new(
            "limit",
            format!("must be an integer from 1 to {MAX_LIMIT}"),
        )),
    }
}

/// The value of parameter `name`, if it is given; given more than once, it is an error noted
/// in `errors` (and `None`).
fn single(params: &QueryMap, name: &'static str, errors: &mut Vec<FieldError>) -> Option<String> {
    let values = params.all(name).unwrap_or_default();
    if values.len() > 1 {
        errors.push(FieldError::new(name, "must be given at most once"));
        return None;
    }
    values.first().map(|v| v.to_string())
}

/// A page of an item's history: `limit` and `last_key`, as a listing's.
#[derive(Debug, Clone, PartialEq)]
pub struct PageQuery {
    pub limit: u16,
    pub last_key: Option<String>,
}

impl PageQuery {
    pub fn parse(params: &QueryMap) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let mut single = |name| single(params, name, &mut errors);
        let limit = single("limit");
        let last_key = single("last_key");
        let limit = parse_limit(limit.as_deref()).unwrap_or_else(|error| {
            errors.push(error);
            DEFAULT_LIMIT
        });
        if !errors.is_empty() {
            return Err(ApiError::InvalidQuery(errors));
        }
        Ok(Self { limit, last_key })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn a_history_page_takes_a_limit_and_a_cursor() {
        let map = |pairs: &[(&str, &str)]| {
            let mut map: HashMap<String, Vec<String>> = HashMap::new();
            for (k, v) in pairs {
                map.entry(k.to_string()).or_default().push(v.to_string());
            }
            QueryMap::from(map)
        };
        assert_eq!(
            PageQuery::parse(&map(&[])).unwrap(),
            PageQuery {
                limit: DEFAULT_LIMIT,
                last_key: None
            }
        );
        let page = PageQuery::parse(&map(&[("limit", "100"), ("last_key", "k")])).unwrap();
        assert_eq!((page.limit, page.last_key.as_deref()), (100, Some("k")));
        for bad in [
            &[("limit", "0")][..],
            &[("limit", "101")],
            &[("last_key", "a"), ("last_key", "b")],
        ] {
            assert!(matches!(
                PageQuery::parse(&map(bad)),
                Err(ApiError::InvalidQuery(_))
            ));
        }
    }

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
        assert_eq!(
            q.filter,
            ListFilter::Status {
                status: Status::Active,
                created: CreatedRange::default()
            }
        );
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
    fn a_date_range_applies_to_status_listings_only() {
        let q = query(&[("status", "inactive"), ("created_to", "2024-03-25")]).unwrap();
        let ListFilter::Status { status, created } = q.filter else {
            panic!("status filter")
        };
        assert_eq!(status, Status::Inactive);
        assert_eq!(created.to.unwrap().to_string(), "2024-03-25T23:59:59.999Z");
        assert!(created.from.is_none());

        let Err(ApiError::InvalidQuery(fields)) =
            query(&[("email", "a@example.com"), ("created_to", "2024-03-25")])
        else {
            panic!("a range with email is refused");
        };
        assert_eq!(fields[0].field, "created_to");
        assert!(
            fields[0].reason.contains("EmailIndex"),
            "{}",
            fields[0].reason
        );
    }

    #[test]
    fn reports_every_bad_parameter() {
        let Err(ApiError::InvalidQuery(fields)) = query(&[
            ("status", "gone"),
            ("email", "nope"),
            ("limit", "0"),
            ("created_from", "2024-03-26"),
            ("created_to", "2024-03-25"),
            ("last_key", "a"),
            ("last_key", "b"),
        ]) else {
            panic!("expected invalid query");
        };
        let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            names,
            ["last_key", "status", "email", "created_from", "limit"]
        );
    }
}
