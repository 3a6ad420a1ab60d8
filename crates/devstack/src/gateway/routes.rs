//! The API's routes (`METHOD /path/{param}`) and the matching of a request's path to them.

use std::collections::BTreeMap;

struct Route {
    method: String,
    resource: String,
    segments: Vec<String>,
}

pub(super) struct Routes(Vec<Route>);

/// The resource a path matched, its path parameters, and the methods it has.
pub(super) struct Matched<'r> {
    pub resource: &'r str,
    pub parameters: BTreeMap<String, String>,
    pub methods: Vec<&'r str>,
}

impl Routes {
    pub fn new(routes: &[(String, String)]) -> Self {
        Self(
            routes
                .iter()
                .map(|(method, path)| Route {
                    method: method.clone(),
                    resource: path.clone(),
                    segments: path
                        .trim_matches('/')
                        .split('/')
                        .map(str::to_string)
                        .collect(),
                })
                .collect(),
        )
    }

    /// The route for a path (without the stage), if any. As API Gateway does, a resource
    /// with more literal segments wins (`/items/batch` over `/items/{id}`), and only its
    /// methods count.
    pub fn find(&self, path: &str) -> Option<Matched<'_>> {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let mut found: Option<(&str, BTreeMap<String, String>)> = None;
        let mut methods = Vec::new();
        let mut routes: Vec<&Route> = self.0.iter().collect();
        // Most literal segments first; the first resource that matches is the one.
        routes.sort_by_key(|route| {
            std::cmp::Reverse(
                route
                    .segments
                    .iter()
                    .filter(|s| !s.starts_with('{'))
                    .count(),
            )
        });
        for route in routes {
            if found
                .as_ref()
                .is_some_and(|(resource, _)| *resource != route.resource)
            {
                continue;
            }
            if route.segments.len() != segments.len() {
                continue;
            }
            let mut parameters = BTreeMap::new();
            let matched = route
                .segments
                .iter()
                .zip(&segments)
                .all(|(pattern, segment)| {
                    match pattern.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                        Some(name) if !segment.is_empty() => {
                            parameters.insert(name.to_string(), percent_decode(segment));
                            true
                        }
                        Some(_) => false,
                        None => pattern == segment,
                    }
                });
            if matched {
                methods.push(route.method.as_str());
                found = Some((route.resource.as_str(), parameters));
            }
        }
        found.map(|(resource, parameters)| Matched {
            resource,
            parameters,
            methods,
        })
    }
}

pub(super) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%' && i + 2 < bytes.len())
            .then(|| std::str::from_utf8(&bytes[i + 1..i + 3]).ok())
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_finds_its_resource_parameters_and_methods() {
        let routes = Routes::new(&[
            ("GET".into(), "/items".into()),
            ("GET".into(), "/items/{id}".into()),
            ("PUT".into(), "/items/{id}".into()),
        ]);
        let matched = routes.find("/items/a%20b").unwrap();
        assert_eq!(matched.resource, "/items/{id}");
        assert_eq!(matched.parameters["id"], "a b");
        assert_eq!(matched.methods, ["GET", "PUT"]);
        assert!(routes.find("/items/a/b").is_none());
        assert!(routes.find("/users").is_none());
    }

    #[test]
    fn a_literal_segment_beats_a_parameter_whatever_the_order() {
        let routes = Routes::new(&[
            ("GET".into(), "/items/{id}".into()),
            ("POST".into(), "/items/batch".into()),
            ("DELETE".into(), "/items/{id}".into()),
        ]);
        let matched = routes.find("/items/batch").unwrap();
        assert_eq!(matched.resource, "/items/batch");
        assert!(matched.parameters.is_empty());
        assert_eq!(matched.methods, ["POST"]);
        assert_eq!(routes.find("/items/x").unwrap().methods, ["GET", "DELETE"]);
    }
}
