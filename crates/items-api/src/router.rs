//! Method + path → route. The path is the one the client asked for, without the stage
//! prefix (API Gateway's `path`), so the same code serves `/prod/items` on AWS and
//! `/items` locally.

use domain::{ItemId, ServiceError};
use lambda_http::http::Method;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    ListItems,
    CreateItem,
    GetItem(ItemId),
    UpdateItem(ItemId),
    DeleteItem(ItemId),
    /// CORS preflight; API Gateway answers it itself, but a direct invoke may not.
    Preflight,
}

/// The resource template of a path, for logs (never the id itself).
pub fn resource_of(path: &str) -> &'static str {
    match segments(path).as_slice() {
        ["items"] => "/items",
        ["items", _] => "/items/{id}",
        _ => "unmatched",
    }
}

fn segments(path: &str) -> Vec<&str> {
    path.trim_matches('/').split('/').collect()
}

pub fn route(method: &Method, path: &str) -> Result<Route, ServiceError> {
    match segments(path).as_slice() {
        ["items"] => match *method {
            Method::GET => Ok(Route::ListItems),
            Method::POST => Ok(Route::CreateItem),
            Method::OPTIONS => Ok(Route::Preflight),
            _ => Err(ServiceError::MethodNotAllowed {
                allow: "GET, POST, OPTIONS",
            }),
        },
        ["items", id] => {
            let by_id: fn(ItemId) -> Route = match *method {
                Method::GET => Route::GetItem,
                Method::PUT => Route::UpdateItem,
                Method::DELETE => Route::DeleteItem,
                Method::OPTIONS => return Ok(Route::Preflight),
                _ => {
                    return Err(ServiceError::MethodNotAllowed {
                        allow: "GET, PUT, DELETE, OPTIONS",
                    });
                }
            };
            ItemId::parse(id)
                .map(by_id)
                .map_err(|_| ServiceError::InvalidId)
        }
        _ => Err(ServiceError::RouteNotFound),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";

    #[test]
    fn routes_collection_and_item_paths() {
        let id = ItemId::parse(ID).unwrap();
        assert_eq!(route(&Method::GET, "/items").unwrap(), Route::ListItems);
        assert_eq!(route(&Method::POST, "/items/").unwrap(), Route::CreateItem);
        assert_eq!(
            route(&Method::GET, &format!("/items/{ID}")).unwrap(),
            Route::GetItem(id)
        );
        assert_eq!(
            route(&Method::PUT, &format!("/items/{ID}")).unwrap(),
            Route::UpdateItem(id)
        );
        assert_eq!(
            route(&Method::DELETE, &format!("/items/{ID}")).unwrap(),
            Route::DeleteItem(id)
        );
        assert_eq!(route(&Method::OPTIONS, "/items").unwrap(), Route::Preflight);
    }

    #[test]
    fn unknown_paths_methods_and_ids() {
        assert!(matches!(
            route(&Method::GET, "/"),
            Err(ServiceError::RouteNotFound)
        ));
        assert!(matches!(
            route(&Method::GET, "/users"),
            Err(ServiceError::RouteNotFound)
        ));
        assert!(matches!(
            route(&Method::GET, &format!("/items/{ID}/x")),
            Err(ServiceError::RouteNotFound)
        ));
        assert!(matches!(
            route(&Method::DELETE, "/items"),
            Err(ServiceError::MethodNotAllowed {
                allow: "GET, POST, OPTIONS"
            })
        ));
        assert!(matches!(
            route(&Method::PATCH, "/items/not-a-uuid"),
            Err(ServiceError::MethodNotAllowed { .. })
        ));
        assert!(matches!(
            route(&Method::GET, "/items/item1"),
            Err(ServiceError::InvalidId)
        ));
    }

    #[test]
    fn resources_for_logs_hide_ids() {
        assert_eq!(resource_of(&format!("/items/{ID}")), "/items/{id}");
        assert_eq!(resource_of("/items"), "/items");
        assert_eq!(resource_of("/secret/path"), "unmatched");
    }
}
