//! Helpers for the tests: a server on loopback, and GraphQL over reqwest.
#![allow(dead_code, reason = "each test file uses its own part of the helpers")]

use board_server::{Config, Running, Seed, start};
use serde_json::{Value as Json, json};

/// A server on a fresh temporary database, seeded with `seed` (projects, tasks per project).
pub async fn server(seed: Option<(u32, u32)>) -> Running {
    let seed = seed.map(|(projects, tasks_per_project)| Seed {
        projects,
        tasks_per_project,
    });
    start(Config {
        seed,
        ..Config::default()
    })
    .await
    .expect("the server starts")
}

/// Posts an operation; the answer's HTTP status and body.
pub async fn post(server: &Running, query: &str, variables: Json) -> (u16, Json) {
    let response = reqwest::Client::new()
        .post(server.graphql_url())
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await
        .expect("the request goes through");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON answer"))
}

/// Posts an operation that must succeed; its `data`.
pub async fn data(server: &Running, query: &str, variables: Json) -> Json {
    let (status, body) = post(server, query, variables).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "errors: {body}");
    body["data"].clone()
}

/// Posts an operation that must fail with exactly one error; that error.
pub async fn error(server: &Running, query: &str, variables: Json) -> Json {
    let (status, body) = post(server, query, variables).await;
    assert_eq!(status, 200, "{body}");
    let errors = body["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{body}");
    errors[0].clone()
}
