//! The server's API on loopback: CRUD, idempotency, versions, faults, bad input, the change
//! stream and a restart on the same database.

use std::time::Duration;

use serde_json::{Value as Json, json};
use todo_server::{Config, Fault, Todo, start};

async fn server() -> todo_server::Running {
    start(Config::default()).await.expect("the server starts")
}

async fn post(
    http: &reqwest::Client,
    url: &str,
    key: Option<&str>,
    body: Json,
) -> reqwest::Result<reqwest::Response> {
    let mut request = http.post(format!("{url}/todos")).json(&body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await
}

#[tokio::test]
async fn create_read_update_delete() {
    let server = server().await;
    let (http, url) = (reqwest::Client::new(), server.url());
    let created = post(&http, &url, None, json!({"title": "a"}))
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let row: Todo = created.json().await.unwrap();
    assert_eq!((row.title.as_str(), row.done, row.version), ("a", false, 1));
    let patched: Todo = http
        .patch(format!("{url}/todos/{}", row.id))
        .header("If-Match", "1")
        .json(&json!({"done": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((patched.done, patched.version), (true, 2));
    assert_eq!(server.rows().unwrap(), [patched]);
    let deleted = http
        .delete(format!("{url}/todos/{}", row.id))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    assert!(server.rows().unwrap().is_empty());
    let missing = http
        .get(format!("{url}/todos/{}", row.id))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    server.stop().await;
}

#[tokio::test]
async fn a_repeated_idempotency_key_gets_the_stored_answer_and_writes_nothing() {
    let server = server().await;
    let (http, url) = (reqwest::Client::new(), server.url());
    let first: Json = post(&http, &url, Some("k1"), json!({"title": "a"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let again = post(&http, &url, Some("k1"), json!({"title": "a"}))
        .await
        .unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.json::<Json>().await.unwrap(), first);
    assert_eq!(server.rows().unwrap().len(), 1);
    let other = post(&http, &url, Some("k1"), json!({"title": "b"}))
        .await
        .unwrap();
    assert_eq!(other.status(), 422, "a key reused for another request");
    server.stop().await;
}

#[tokio::test]
async fn a_lost_answer_retried_with_its_key_makes_one_row() {
    let server = server().await;
    let (http, url) = (reqwest::Client::new(), server.url());
    server.faults().next("POST", "/todos", Fault::Lose);
    let lost = match post(&http, &url, Some("k2"), json!({"title": "a"})).await {
        Ok(response) => response.bytes().await.map(|_| ()),
        Err(error) => Err(error),
    };
    assert!(lost.is_err(), "the answer is lost");
    assert_eq!(server.rows().unwrap().len(), 1, "but the write committed");
    let retried: Todo = post(&http, &url, Some("k2"), json!({"title": "a"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(server.rows().unwrap(), [retried]);
    assert_eq!(server.faults().log().len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn a_stale_if_match_is_412_with_the_current_row() {
    let server = server().await;
    let (http, url) = (reqwest::Client::new(), server.url());
    let row: Todo = post(&http, &url, None, json!({"title": "a"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refused = http
        .patch(format!("{url}/todos/{}", row.id))
        .header("If-Match", "\"7\"")
        .json(&json!({"title": "b"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 412);
    let body: Json = refused.json().await.unwrap();
    assert_eq!(body["current"], serde_json::to_value(&row).unwrap());
    assert_eq!(server.rows().unwrap(), [row]);
    server.stop().await;
}

#[tokio::test]
async fn faults_by_header_and_bad_input_change_nothing() {
    let server = server().await;
    let (http, url) = (reqwest::Client::new(), server.url());
    let failed = http
        .post(format!("{url}/todos"))
        .header("X-Fault", "fail")
        .json(&json!({"title": "a"}))
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), 500);
    let locked = http
        .post(format!("{url}/todos"))
        .header("X-Fault", "locked")
        .json(&json!({"title": "a"}))
        .send()
        .await
        .unwrap();
    assert_eq!(locked.status(), 423);
    for bad in [
        json!({"title": ""}),
        json!({"title": 3}),
        json!([1]),
        json!({"done": "yes", "title": "x"}),
    ] {
        let response = post(&http, &url, None, bad.clone()).await.unwrap();
        assert!(
            response.status().is_client_error(),
            "{bad}: {}",
            response.status()
        );
    }
    let malformed = http
        .post(format!("{url}/todos"))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    assert!(server.rows().unwrap().is_empty());
    server
        .faults()
        .next("POST", "/todos", Fault::Latency(Duration::from_millis(150)));
    let started = std::time::Instant::now();
    post(&http, &url, None, json!({"title": "slower"}))
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(150));
    server.stop().await;
}

#[tokio::test]
async fn the_change_stream_carries_other_clients_changes_only() {
    use futures_util::StreamExt;
    let server = server().await;
    let (http, url) = (reqwest::Client::new(), server.url());
    let response = http
        .get(format!("{url}/events?client=a"))
        .send()
        .await
        .unwrap();
    let mut stream = response.bytes_stream();
    let mut text = String::new();
    let mut next = async || {
        let chunk = tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .expect("an event in time");
        String::from_utf8(chunk.unwrap().unwrap().to_vec()).unwrap()
    };
    text.push_str(&next().await);
    assert!(text.contains("event: ready"), "{text}");
    http.post(format!("{url}/todos"))
        .header("X-Client-Id", "a")
        .json(&json!({"title": "mine"}))
        .send()
        .await
        .unwrap();
    http.post(format!("{url}/todos"))
        .header("X-Client-Id", "b")
        .json(&json!({"title": "theirs"}))
        .send()
        .await
        .unwrap();
    let event = next().await;
    assert!(
        event.contains("event: upsert") && event.contains("theirs"),
        "{event}"
    );
    assert!(
        !event.contains("mine"),
        "own changes are not echoed: {event}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_restart_on_the_same_database_keeps_the_rows() {
    let path =
        std::env::temp_dir().join(format!("todo-server-test-{}.sqlite3", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let server = start(Config {
        db_path: Some(path.clone()),
        port: 0,
    })
    .await
    .unwrap();
    let port = server.addr().port();
    post(
        &reqwest::Client::new(),
        &server.url(),
        None,
        json!({"title": "kept"}),
    )
    .await
    .unwrap();
    server.stop().await;
    let again = start(Config {
        db_path: Some(path.clone()),
        port,
    })
    .await
    .unwrap();
    assert_eq!(again.rows().unwrap().len(), 1);
    assert_eq!(again.addr().port(), port);
    again.stop().await;
    let _ = std::fs::remove_file(&path);
}
