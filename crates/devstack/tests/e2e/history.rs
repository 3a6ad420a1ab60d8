//! Issue 16's flow through the whole local stack (gateway, the real function binaries,
//! dynoxide with the template's two tables, moto, the stream trigger): an item's history
//! follows its changes, a version and its archive object can be read, and a deleted item is
//! restored and its restore recorded.

use std::time::{Duration, Instant};

use devstack::{LocalStack, http};
use serde_json::{Value, json};

use crate::{KEY, stack};

/// The e2e [`crate::call`] with the key.
async fn call(
    stack: &LocalStack,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> http::HttpResponse {
    crate::call(stack, method, path, Some(KEY), body).await
}

/// `(version, event)` of the item's history, newest first, once it has `count` entries
/// (polled for up to 10 s: the history follows the stream).
async fn versions_once(stack: &LocalStack, id: &str, count: usize) -> Vec<(u64, String)> {
    let started = Instant::now();
    loop {
        let page = call(stack, "GET", &format!("/items/{id}/versions"), None).await;
        if page.status == 200 {
            let versions: Vec<(u64, String)> = page.json()["versions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| {
                    (
                        v["version"].as_u64().unwrap(),
                        v["event"].as_str().unwrap().into(),
                    )
                })
                .collect();
            if versions.len() >= count {
                eprintln!("history caught up in {:?}", started.elapsed());
                return versions;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "history of {id} never reached {count} entries (last answer {})",
            page.status
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn expected(entries: &[(u64, &str)]) -> Vec<(u64, String)> {
    entries.iter().map(|(v, e)| (*v, e.to_string())).collect()
}

#[tokio::test]
async fn a_deleted_item_is_listed_read_fetched_from_the_archive_and_restored() {
    let stack = stack().await;
    let created = call(
        &stack,
        "POST",
        "/items",
        Some(json!({"name": "Widget", "email": "w@example.com"})),
    )
    .await;
    assert_eq!(created.status, 201);
    let item = created.json();
    let id = item["id"].as_str().unwrap().to_string();
    let path = format!("/items/{id}");
    for patch in [json!({"name": "Gadget"}), json!({"status": "archived"})] {
        assert_eq!(call(&stack, "PUT", &path, Some(patch)).await.status, 200);
    }
    assert_eq!(call(&stack, "DELETE", &path, None).await.status, 204);

    let versions = versions_once(&stack, &id, 4).await;
    assert_eq!(
        versions,
        expected(&[
            (3, "deleted"),
            (3, "updated"),
            (2, "updated"),
            (1, "created")
        ])
    );

    let version = call(&stack, "GET", &format!("{path}/versions/2"), None).await;
    assert_eq!(version.status, 200, "{}", version.text());
    let version = version.json();
    assert_eq!(version["event"], "updated");
    assert_eq!(version["item"]["name"], "Gadget");
    assert_eq!(version["item"]["status"], "active");
    let url = version["archive_url"].as_str().unwrap();
    assert!(url.contains("X-Amz-Signature="), "{url}");
    let object = http::request("GET", url, &[], b"").await.unwrap();
    assert_eq!(object.status, 200, "{url}: {}", object.text());
    // The archive object is the item as it was, its fields at the top level.
    let archived: Value = serde_json::from_slice(&object.body).unwrap();
    assert_eq!(archived, version["item"]);

    let restored = call(
        &stack,
        "POST",
        &format!("{path}/restore"),
        Some(json!({"version": 2})),
    )
    .await;
    assert_eq!(restored.status, 201, "{}", restored.text());
    let restored = restored.json();
    assert_eq!(restored["version"], 4);
    assert_eq!(restored["name"], "Gadget");
    assert_eq!(restored["status"], "active");
    assert_eq!(restored["created_at"], item["created_at"]);
    assert_eq!(call(&stack, "GET", &path, None).await.json(), restored);

    let versions = versions_once(&stack, &id, 5).await;
    assert_eq!(versions[0], (4, "restored".to_string()));
    assert_eq!(versions.len(), 5, "{versions:?}");
}
