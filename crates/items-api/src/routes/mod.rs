//! The route table: every operation of the API as one row (method, resource template,
//! operation name, handler). Routing, the log line's `route`, 404, 405 and its `Allow`
//! header, the CORS method list and the tests' events all derive from it; a test holds it
//! equal to template.yaml's `Api` events and openapi.yaml's operations.
//!
//! Adding a route: a module with its handler, a row here, the event in template.yaml and
//! the operation in openapi.yaml.

mod batch_items;
mod create_item;
mod delete_item;
mod get_item;
mod get_version;
mod list_items;
mod list_versions;
mod preflight;
mod restore_item;
mod update_item;

use std::{future::Future, pin::Pin};

use domain::ItemId;
use lambda_http::{Body, Request, Response, http::Method};

use crate::{ApiError, archive_links::ArchiveLinks, cursor::CursorSigner, store::ItemStore};

/// What a handler is given: the routed request, the values of its path's `{parameters}`,
/// and the app's parts.
pub struct Call<'a, S> {
    pub store: &'a S,
    pub cursors: &'a CursorSigner,
    pub archive: &'a ArchiveLinks,
    pub request: &'a Request,
    /// Scope of idempotency keys: the caller's API key, so two clients never share one.
    pub caller: &'a str,
    params: PathParams<'a>,
}

impl<S> Call<'_, S> {
    pub fn new<'a>(
        store: &'a S,
        cursors: &'a CursorSigner,
        archive: &'a ArchiveLinks,
        request: &'a Request,
        caller: &'a str,
        params: PathParams<'a>,
    ) -> Call<'a, S> {
        Call {
            store,
            cursors,
            archive,
            request,
            caller,
            params,
        }
    }

    /// The `{id}` of the path, which must be an item id. API Gateway (REST) passes the path
    /// percent-encoded, so `a%2Fb` is one segment that decodes to the invalid id `a/b`.
    fn item_id(&self) -> Result<ItemId, ApiError> {
        let id = self.param("id")?;
        let id = percent_encoding::percent_decode_str(id)
            .decode_utf8()
            .map_err(|_| ApiError::InvalidId)?;
        ItemId::parse(&id).map_err(|_| ApiError::InvalidId)
    }

    /// A `{parameter}` of the route's resource, as the path has it.
    fn param(&self, name: &str) -> Result<&str, ApiError> {
        self.params
            .get(name)
            .ok_or_else(|| ApiError::Internal(format!("route without {{{name}}} asked for it")))
    }

    fn body(&self) -> &[u8] {
        self.request.body().as_ref()
    }
}

pub type Reply<'a> = Pin<Box<dyn Future<Output = Result<Response<Body>, ApiError>> + Send + 'a>>;
pub type Handler<S> = for<'a> fn(Call<'a, S>) -> Reply<'a>;

pub struct Route<S> {
    pub method: Method,
    /// API Gateway's resource template, e.g. `/items/{id}`.
    pub resource: &'static str,
    /// openapi.yaml's `operationId`.
    pub operation: &'static str,
    pub handler: Handler<S>,
}

/// The API. Order matters only for the `Allow` and CORS method lists, which follow it.
pub fn table<S: ItemStore>() -> Vec<Route<S>> {
    fn route<S>(
        method: Method,
        resource: &'static str,
        operation: &'static str,
        handler: Handler<S>,
    ) -> Route<S> {
        Route {
            method,
            resource,
            operation,
            handler,
        }
    }
    vec![
        route(Method::GET, "/items", "listItems", |c| {
            Box::pin(list_items::handle(c))
        }),
        route(Method::POST, "/items", "createItem", |c| {
            Box::pin(create_item::handle(c))
        }),
        route(Method::POST, "/items/batch", "batchItems", |c| {
            Box::pin(batch_items::handle(c))
        }),
        route(Method::GET, "/items/{id}", "getItem", |c| {
            Box::pin(get_item::handle(c))
        }),
        route(Method::PUT, "/items/{id}", "updateItem", |c| {
            Box::pin(update_item::handle(c))
        }),
        route(Method::DELETE, "/items/{id}", "deleteItem", |c| {
            Box::pin(delete_item::handle(c))
        }),
        route(Method::GET, "/items/{id}/versions", "listVersions", |c| {
            Box::pin(list_versions::handle(c))
        }),
        route(
            Method::GET,
            "/items/{id}/versions/{version}",
            "getVersion",
            |c| Box::pin(get_version::handle(c)),
        ),
        route(Method::POST, "/items/{id}/restore", "restoreItem", |c| {
            Box::pin(restore_item::handle(c))
        }),
        // CORS preflights: API Gateway answers them itself, but a direct invoke may not.
        route(Method::OPTIONS, "/items", "itemsPreflight", |c| {
            Box::pin(preflight::handle(c))
        }),
        route(
            Method::OPTIONS,
            "/items/batch",
            "batchItemsPreflight",
            |c| Box::pin(preflight::handle(c)),
        ),
        route(Method::OPTIONS, "/items/{id}", "itemPreflight", |c| {
            Box::pin(preflight::handle(c))
        }),
        route(
            Method::OPTIONS,
            "/items/{id}/versions",
            "versionsPreflight",
            |c| Box::pin(preflight::handle(c)),
        ),
        route(
            Method::OPTIONS,
            "/items/{id}/versions/{version}",
            "versionPreflight",
            |c| Box::pin(preflight::handle(c)),
        ),
        route(
            Method::OPTIONS,
            "/items/{id}/restore",
            "restorePreflight",
            |c| Box::pin(preflight::handle(c)),
        ),
    ]
}

/// The values of a resource template's `{parameters}` in one path.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PathParams<'p>(Vec<(&'static str, &'p str)>);

impl<'p> PathParams<'p> {
    pub fn get(&self, name: &str) -> Option<&'p str> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &'p str)> + '_ {
        self.0.iter().copied()
    }
}

/// The parameters of `path` if it has the shape of `resource` (`{name}` matches one
/// segment). The path is the one the client asked for, without the stage prefix (API
/// Gateway's `path`), so the same table serves `/prod/items` on AWS and `/items` locally.
pub fn match_resource<'p>(resource: &'static str, path: &'p str) -> Option<PathParams<'p>> {
    let mut template = resource.trim_matches('/').split('/');
    let mut segments = path.trim_matches('/').split('/');
    let mut params = Vec::new();
    loop {
        match (template.next(), segments.next()) {
            (None, None) => return Some(PathParams(params)),
            (Some(part), Some(segment)) => {
                if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    params.push((name, segment));
                } else if part != segment {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

/// Where a method + path lands in the table.
pub enum Lookup<'t, 'p, S> {
    Found(&'t Route<S>, PathParams<'p>),
    /// The path is a resource of the API, the method is not one of its methods.
    WrongMethod {
        resource: &'static str,
        allow: String,
    },
    NoRoute,
}

pub fn find<'t, 'p, S>(
    routes: &'t [Route<S>],
    method: &Method,
    path: &'p str,
) -> Lookup<'t, 'p, S> {
    let Some((resource, params)) = routes
        .iter()
        .find_map(|route| Some((route.resource, match_resource(route.resource, path)?)))
    else {
        return Lookup::NoRoute;
    };
    let of_resource = || {
        routes
            .iter()
            .filter(move |route| route.resource == resource)
    };
    match of_resource().find(|route| route.method == method) {
        Some(route) => Lookup::Found(route, params),
        None => Lookup::WrongMethod {
            resource,
            allow: join_methods(of_resource().map(|route| &route.method), ", "),
        },
    }
}

/// Each method once, in table order.
pub fn join_methods<'m>(methods: impl Iterator<Item = &'m Method>, separator: &str) -> String {
    let mut unique: Vec<&str> = Vec::new();
    for method in methods {
        if !unique.contains(&method.as_str()) {
            unique.push(method.as_str());
        }
    }
    unique.join(separator)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DynamoStore;

    const ID: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";

    /// Where a request lands, as text: `operation param=value…`, `405 <Allow>` or `404`.
    fn lookup(method: Method, path: &str) -> String {
        let routes = table::<DynamoStore>();
        match find(&routes, &method, path) {
            Lookup::Found(route, params) => std::iter::once(route.operation.to_owned())
                .chain(params.iter().map(|(name, value)| format!("{name}={value}")))
                .collect::<Vec<_>>()
                .join(" "),
            Lookup::WrongMethod { allow, .. } => format!("405 {allow}"),
            Lookup::NoRoute => "404".into(),
        }
    }

    #[test]
    fn routes_collection_and_item_paths() {
        assert_eq!(lookup(Method::GET, "/items"), "listItems");
        assert_eq!(lookup(Method::POST, "/items/"), "createItem");
        assert_eq!(lookup(Method::OPTIONS, "/items"), "itemsPreflight");
        assert_eq!(lookup(Method::POST, "/items/batch"), "batchItems");
        assert_eq!(lookup(Method::GET, "/items/batch"), "405 POST, OPTIONS");
        let item = format!("/items/{ID}");
        for (method, operation) in [
            (Method::GET, "getItem"),
            (Method::PUT, "updateItem"),
            (Method::DELETE, "deleteItem"),
            (Method::OPTIONS, "itemPreflight"),
        ] {
            assert_eq!(lookup(method, &item), format!("{operation} id={ID}"));
        }
    }

    #[test]
    fn routes_history_paths() {
        let item = format!("/items/{ID}");
        assert_eq!(
            lookup(Method::GET, &format!("{item}/versions")),
            format!("listVersions id={ID}")
        );
        assert_eq!(
            lookup(Method::GET, &format!("{item}/versions/3")),
            format!("getVersion id={ID} version=3")
        );
        assert_eq!(
            lookup(Method::POST, &format!("{item}/restore")),
            format!("restoreItem id={ID}")
        );
        assert_eq!(
            lookup(Method::GET, &format!("{item}/restore")),
            "405 POST, OPTIONS"
        );
        assert_eq!(
            lookup(Method::DELETE, &format!("{item}/versions/3")),
            "405 GET, OPTIONS"
        );
        assert_eq!(lookup(Method::GET, &format!("{item}/versions/3/x")), "404");
    }

    #[test]
    fn unknown_paths_and_methods() {
        assert_eq!(lookup(Method::GET, "/"), "404");
        assert_eq!(lookup(Method::GET, "/users"), "404");
        assert_eq!(lookup(Method::GET, &format!("/items/{ID}/x")), "404");
        assert_eq!(lookup(Method::DELETE, "/items"), "405 GET, POST, OPTIONS");
        assert_eq!(
            lookup(Method::PATCH, "/items/not-a-uuid"),
            "405 GET, PUT, DELETE, OPTIONS"
        );
    }

    #[test]
    fn parameters_match_one_segment_and_literals_match_exactly() {
        assert!(match_resource("/items/{id}", "/items").is_none());
        assert!(match_resource("/items", "/item").is_none());
        let params = match_resource("/items/{id}/versions/{version}", "/items/a/versions/3");
        let params = params.unwrap();
        assert_eq!(params.get("id"), Some("a"));
        assert_eq!(params.get("version"), Some("3"));
        assert_eq!(params.get("other"), None);
    }

    #[test]
    fn every_row_is_one_method_on_one_resource() {
        let routes = table::<DynamoStore>();
        for (i, a) in routes.iter().enumerate() {
            for b in &routes[i + 1..] {
                assert!(
                    (a.method != b.method || a.resource != b.resource)
                        && a.operation != b.operation,
                    "{} {} twice",
                    a.method,
                    a.resource
                );
            }
        }
    }
}
