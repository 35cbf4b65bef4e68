//! Fault injection: queued for an operation or asked for by header; a failure runs nothing,
//! a lost answer runs the request (a retried create with its key then makes no second task),
//! latency delays it.

mod common;

use std::time::{Duration, Instant};

use board_server::Fault;
use common::server;
use serde_json::{Value as Json, json};

const BOARD: &str = "query Board { projects { id } }";

const CREATE: &str = "mutation CreateTask($title: String!, $key: String!) {
  createTask(input: {projectId: \"p1\", title: $title, idempotencyKey: $key}) { edge { node { id } } }
}";

async fn send(
    server: &board_server::Running,
    body: Json,
    fault: Option<&str>,
) -> reqwest::Result<(u16, Json)> {
    let mut request = reqwest::Client::new()
        .post(server.graphql_url())
        .json(&body);
    if let Some(fault) = fault {
        request = request.header("X-Fault", fault);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    Ok((status, response.json().await?))
}

#[tokio::test]
async fn a_queued_failure_goes_to_its_operation_once() {
    let server = server(Some((1, 1))).await;
    server.faults().next("Board", Fault::Fail);
    // Another operation goes through untouched.
    let (status, _) = send(
        &server,
        json!({"query": "query Other { projects { name } }"}),
        None,
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    let (status, body) = send(&server, json!({"query": BOARD}), None).await.unwrap();
    assert_eq!(status, 500);
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "INJECTED_FAULT",
        "{body}"
    );
    assert!(body.get("data").is_none(), "{body}");
    let (status, body) = send(&server, json!({"query": BOARD}), None).await.unwrap();
    assert_eq!(
        (status, &body["data"]),
        (200, &json!({"projects": [{"id": "p1"}]}))
    );
    assert_eq!(server.faults().log(), ["Board: Fail"]);
    server.stop().await;
}

#[tokio::test]
async fn a_fault_finds_its_operation_by_operation_name_in_a_many_operation_document() {
    let server = server(Some((1, 1))).await;
    server.faults().next("Second", Fault::Errors);
    let document = "query First { projects { id } } query Second { projects { name } }";
    let first = json!({"query": document, "operationName": "First"});
    let (status, body) = send(&server, first, None).await.unwrap();
    assert_eq!((status, body.get("errors")), (200, None));
    let second = json!({"query": document, "operationName": "Second"});
    let (status, body) = send(&server, second, None).await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(body["data"], Json::Null, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "INJECTED_FAULT");
    server.stop().await;
}

#[tokio::test]
async fn a_failed_create_writes_nothing() {
    let server = server(Some((1, 1))).await;
    let vars = json!({"title": "never", "key": "k"});
    for fault in ["fail", "errors"] {
        let body = json!({"query": CREATE, "variables": vars});
        let (_, answer) = send(&server, body, Some(fault)).await.unwrap();
        assert_eq!(answer["errors"][0]["extensions"]["code"], "INJECTED_FAULT");
    }
    server.faults().next("*", Fault::Fail);
    let (status, _) = send(&server, json!({"query": CREATE, "variables": vars}), None)
        .await
        .unwrap();
    assert_eq!(status, 500);
    assert_eq!(server.tasks().unwrap().len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn a_lost_answer_retried_with_its_key_makes_one_task() {
    let server = server(Some((1, 1))).await;
    server.faults().next("CreateTask", Fault::Lose);
    let body = json!({"query": CREATE, "variables": {"title": "once", "key": "k-lost"}});
    let lost = send(&server, body.clone(), None).await;
    assert!(lost.is_err(), "the answer is lost: {lost:?}");
    assert_eq!(server.tasks().unwrap().len(), 2, "but the create committed");
    let (status, retried) = send(&server, body, None).await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(retried["data"]["createTask"]["edge"]["node"]["id"], "t2");
    assert_eq!(server.tasks().unwrap().len(), 2);
    server.stop().await;
}

#[tokio::test]
async fn latency_delays_the_answer() {
    let server = server(None).await;
    let started = Instant::now();
    let (status, body) = send(&server, json!({"query": BOARD}), Some("latency=150ms"))
        .await
        .unwrap();
    assert_eq!((status, &body["data"]), (200, &json!({"projects": []})));
    assert!(started.elapsed() >= Duration::from_millis(150));
    server
        .faults()
        .next("*", Fault::Latency(Duration::from_millis(150)));
    let started = Instant::now();
    send(&server, json!({"query": "{ projects { id } }"}), None)
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(server.faults().log()[1], "(anonymous): Latency(150ms)");
    server.stop().await;
}
