//! The gateway: every route with and without the key, CORS, unknown routes, throttling.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_through_the_gateway_with_and_without_the_key() {
    let stack = stack().await;
    for (method, path) in [
        ("GET", "/items"),
        ("POST", "/items"),
        ("GET", "/items/x"),
        ("PUT", "/items/x"),
        ("DELETE", "/items/x"),
        ("POST", "/items/batch"),
        ("GET", "/items/x/versions"),
        ("GET", "/items/x/versions/1"),
        ("POST", "/items/x/restore"),
    ] {
        let response = call(&stack, method, path, None, None).await;
        assert_eq!(response.status, 403, "{method} {path} without a key");
        assert_eq!(response.json(), json!({"message": "Forbidden"}));
        assert_eq!(
            response.header("access-control-allow-origin"),
            Some("*"),
            "gateway responses carry CORS"
        );
        let wrong = call(&stack, method, path, Some("wrong-key"), None).await;
        assert_eq!(wrong.status, 403);
    }

    let created = call(
        &stack,
        "POST",
        "/items",
        Some(KEY),
        Some(json!({"name": "Widget", "email": "e2e@example.com"})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let item = created.json();
    let id = item["id"].as_str().unwrap().to_string();
    // As on AWS, Location carries the stage (lambda_http adds it from requestContext.stage);
    // the local gateway serves paths with and without the stage prefix.
    let location = created.header("location").unwrap().to_string();
    assert_eq!(location, format!("/prod/items/{id}"));
    assert_eq!(created.header("etag"), Some("\"1\""));
    assert!(created.header("x-amzn-requestid").is_some());

    let fetched = call(&stack, "GET", &location, Some(KEY), None).await;
    assert_eq!((fetched.status, fetched.json()), (200, item.clone()));
    assert_eq!(
        call(&stack, "GET", &format!("/items/{id}"), Some(KEY), None)
            .await
            .status,
        200
    );

    let listed = call(
        &stack,
        "GET",
        "/items?limit=5&status=active",
        Some(KEY),
        None,
    )
    .await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json()["items"][0]["id"], id.as_str());
    let by_email = call(
        &stack,
        "GET",
        "/items?email=e2e%40example.com",
        Some(KEY),
        None,
    )
    .await;
    assert_eq!(by_email.json()["count"], 1);

    let updated = call(
        &stack,
        "PUT",
        &format!("/items/{id}"),
        Some(KEY),
        Some(json!({"status": "inactive"})),
    )
    .await;
    assert_eq!(
        (updated.status, updated.json()["version"].clone()),
        (200, json!(2))
    );
    let invalid = call(
        &stack,
        "POST",
        "/items",
        Some(KEY),
        Some(json!({"name": ""})),
    )
    .await;
    assert_eq!(
        (invalid.status, invalid.json()["code"].clone()),
        (400, json!("VALIDATION_FAILED"))
    );

    // The batch resource is its own, not an id of /items/{id}.
    let batch = call(
        &stack,
        "POST",
        "/items/batch",
        Some(KEY),
        Some(json!({"operations": [{"op": "update", "id": id, "if_match": 2, "changes": {"name": "Gadget"}}]})),
    )
    .await;
    assert_eq!(batch.status, 200, "{}", batch.text());
    assert_eq!(batch.json()["results"][0]["item"]["version"], 3);
    assert_eq!(
        call(&stack, "GET", "/items/batch", Some(KEY), None)
            .await
            .json(),
        json!({"message": "Missing Authentication Token"}),
        "POST is the batch resource's only method"
    );

    let deleted = call(&stack, "DELETE", &format!("/items/{id}"), Some(KEY), None).await;
    assert_eq!(deleted.status, 204);
    assert_eq!(
        call(&stack, "GET", &format!("/items/{id}"), Some(KEY), None)
            .await
            .status,
        404
    );

    // What API Gateway answers itself.
    let unknown = call(&stack, "GET", "/users", Some(KEY), None).await;
    assert_eq!(
        (unknown.status, unknown.json()),
        (403, json!({"message": "Missing Authentication Token"}))
    );
    assert_eq!(
        call(&stack, "PATCH", "/items", Some(KEY), None)
            .await
            .status,
        403
    );
    // Over the function's 256 KB limit but within API Gateway's 10 MB: the function's own
    // 413; over 10 MB, API Gateway's, which the function never sees.
    let url = format!("{}/items", stack.gateway_url);
    let post = |size: usize| {
        let body = format!(r#"{{"name":"{}"}}"#, "x".repeat(size));
        let url = url.clone();
        async move {
            http::request("POST", &url, &[("x-api-key", KEY)], body.as_bytes())
                .await
                .unwrap()
        }
    };
    let within = post(3 << 20).await;
    assert_eq!(within.status, 413);
    assert_eq!(within.json()["code"], "PAYLOAD_TOO_LARGE");
    let over = post(10 << 20).await;
    assert_eq!(
        (over.status, over.json()),
        (413, json!({"message": "Request Too Long"}))
    );
    assert_eq!(over.header("access-control-allow-origin"), Some("*"));
    let preflight = call(&stack, "OPTIONS", "/items", None, None).await;
    assert_eq!(preflight.status, 200, "the CORS preflight needs no key");
    assert_eq!(
        preflight.header("access-control-allow-methods"),
        Some("GET,POST,PUT,DELETE,OPTIONS")
    );
    assert!(
        preflight
            .header("access-control-allow-headers")
            .unwrap()
            .contains("X-Api-Key")
    );
}

/// The template's usage plan (burst 200, then 100 requests/s). Waves of 320 requests at once
/// until one is refused: the first wave is normally enough, but on a loaded machine 320
/// requests can take longer to arrive than the bucket takes to refill, so the bound is the
/// bucket's (burst + rate × elapsed), not a count that holds only at full speed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_over_the_usage_plan_is_429() {
    let plan = devstack::Template::workspace()
        .unwrap()
        .api(&Default::default())
        .unwrap();
    let stack = Arc::new(stack().await);
    let started = std::time::Instant::now();
    let mut responses = Vec::new();
    for _wave in 0..10 {
        let mut clients = JoinSet::new();
        for _ in 0..320 {
            let stack = stack.clone();
            clients.spawn(async move {
                call(
                    &stack,
                    "GET",
                    "/items/0f8fad5b-d9cb-469f-a165-70867728950e",
                    Some(KEY),
                    None,
                )
                .await
            });
        }
        responses.extend(clients.join_all().await);
        if responses.iter().any(|r| r.status == 429) {
            break;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let throttled: Vec<_> = responses.iter().filter(|r| r.status == 429).collect();
    let served = responses.iter().filter(|r| r.status == 404).count();
    assert!(!throttled.is_empty(), "no request was throttled");
    assert!(
        served as u64 >= plan.throttle_burst,
        "the burst is served: {served}"
    );
    assert!(
        served as f64 <= plan.throttle_burst as f64 + plan.throttle_rate * elapsed + 1.0,
        "{served} served in {elapsed:.2} s: more than the bucket holds"
    );
    assert_eq!(
        throttled.len() + served,
        responses.len(),
        "only 404s (served) and 429s (throttled)"
    );
    assert_eq!(throttled[0].json(), json!({"message": "Too Many Requests"}));
}
