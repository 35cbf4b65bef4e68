//! The three mutations: an idempotent create that answers an edge, a versioned update that
//! refuses a stale version, and a delete that can be refused; each refusal is a GraphQL error
//! with a path and an `extensions.code`, and changes nothing.

mod common;

use common::{data, error, server};
use serde_json::json;

const CREATE: &str = "mutation CreateTask($project: ID!, $title: String!, $key: String!) {
  createTask(input: {projectId: $project, title: $title, idempotencyKey: $key}) {
    edge { cursor node { id title status version assignee { email } project { id } } }
  }
}";

const UPDATE: &str =
    "mutation UpdateTask($id: ID!, $title: String, $status: TaskStatus, $version: Int!) {
  updateTask(input: {id: $id, title: $title, status: $status, expectedVersion: $version}) {
    id title status version
  }
}";

const DELETE: &str = "mutation DeleteTask($id: ID!) { deleteTask(id: $id) { deletedId } }";

const LAST: &str =
    "query { project(id: \"p1\") { tasks(last: 1) { totalCount edges { cursor node { id } } } } }";

#[tokio::test]
async fn create_task_answers_an_edge_at_the_end_of_the_connection() {
    let server = server(Some((1, 2))).await;
    let vars = json!({"project": "p1", "title": "Write docs", "key": "k1"});
    let edge = data(&server, CREATE, vars).await["createTask"]["edge"].clone();
    assert_eq!(
        edge["node"],
        json!({"id": "t3", "title": "Write docs", "status": "TODO", "version": 1,
               "assignee": null, "project": {"id": "p1"}})
    );
    let last = data(&server, LAST, json!({})).await["project"]["tasks"].clone();
    assert_eq!(last["totalCount"], 3);
    assert_eq!(
        last["edges"][0],
        json!({"cursor": edge["cursor"], "node": {"id": "t3"}})
    );
    server.stop().await;
}

#[tokio::test]
async fn a_retried_create_with_its_key_answers_the_same_task_and_makes_no_other() {
    let server = server(Some((1, 2))).await;
    let vars = json!({"project": "p1", "title": "Once", "key": "k-retry"});
    let first = data(&server, CREATE, vars.clone()).await;
    let again = data(&server, CREATE, vars).await;
    assert_eq!(again, first);
    let tasks = server.tasks().unwrap();
    assert_eq!(tasks.len(), 3);
    assert_eq!(tasks.iter().filter(|t| t.title == "Once").count(), 1);
    // Another key makes another task, even with the same title.
    let other = json!({"project": "p1", "title": "Once", "key": "k-other"});
    let second = data(&server, CREATE, other).await;
    assert_eq!(second["createTask"]["edge"]["node"]["id"], "t4");
    // The key with other arguments is refused, and writes nothing.
    let reused = json!({"project": "p1", "title": "Something else", "key": "k-retry"});
    let refused = error(&server, CREATE, reused).await;
    assert_eq!(refused["extensions"]["code"], "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(refused["path"], json!(["createTask"]));
    assert_eq!(server.tasks().unwrap().len(), 4);
    server.stop().await;
}

#[tokio::test]
async fn a_create_with_bad_input_is_refused_with_its_code() {
    let server = server(Some((1, 1))).await;
    for (vars, code) in [
        (
            json!({"project": "p1", "title": "  ", "key": "a"}),
            "BAD_USER_INPUT",
        ),
        (
            json!({"project": "p1", "title": "x", "key": ""}),
            "BAD_USER_INPUT",
        ),
        (
            json!({"project": "t1", "title": "x", "key": "b"}),
            "BAD_USER_INPUT",
        ),
        (
            json!({"project": "p99", "title": "x", "key": "c"}),
            "NOT_FOUND",
        ),
    ] {
        let (status, body) = common::post(&server, CREATE, vars.clone()).await;
        assert_eq!(status, 200);
        assert_eq!(body["data"], json!(null), "{vars}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], code,
            "{vars}: {body}"
        );
    }
    assert_eq!(server.tasks().unwrap().len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn an_update_at_a_stale_version_is_a_version_conflict_and_changes_nothing() {
    let server = server(Some((1, 2))).await;
    let vars = json!({"id": "t2", "status": "DONE", "version": 1});
    let updated = data(&server, UPDATE, vars).await["updateTask"].clone();
    assert_eq!(
        updated,
        json!({"id": "t2", "title": "Task 1.2", "status": "DONE", "version": 2})
    );
    let stale = json!({"id": "t2", "title": "Mine", "version": 1});
    let (status, body) = common::post(&server, UPDATE, stale).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"], json!(null), "{body}");
    let conflict = &body["errors"][0];
    assert_eq!(conflict["extensions"]["code"], "VERSION_CONFLICT", "{body}");
    assert_eq!(conflict["extensions"]["currentVersion"], 2, "{body}");
    assert_eq!(conflict["path"], json!(["updateTask"]));
    assert!(conflict["message"].as_str().unwrap().contains("version 2"));
    let row = &server.tasks().unwrap()[1];
    assert_eq!((row.title.as_str(), row.version), ("Task 1.2", 2));
    // At the version it has, the update goes through.
    let current = json!({"id": "t2", "title": "Mine", "version": 2});
    let mine = data(&server, UPDATE, current).await;
    assert_eq!(mine["updateTask"]["version"], 3);
    let missing = error(&server, UPDATE, json!({"id": "t99", "version": 1})).await;
    assert_eq!(missing["extensions"]["code"], "NOT_FOUND");
    let blank = error(
        &server,
        UPDATE,
        json!({"id": "t2", "title": "", "version": 3}),
    )
    .await;
    assert_eq!(blank["extensions"]["code"], "BAD_USER_INPUT");
    server.stop().await;
}

#[tokio::test]
async fn a_locked_task_refuses_its_delete_and_stays() {
    // Each seeded project's first task is `locked: ...`.
    let server = server(Some((1, 2))).await;
    let refused = error(&server, DELETE, json!({"id": "t1"})).await;
    assert_eq!(refused["extensions"]["code"], "FORBIDDEN");
    assert_eq!(refused["path"], json!(["deleteTask"]));
    let still = data(&server, "query { task(id: \"t1\") { title } }", json!({})).await;
    assert_eq!(still["task"]["title"], "locked: Project 1 charter");
    // A created one whose title starts with "Locked" is refused too.
    let vars = json!({"project": "p1", "title": "Locked in", "key": "k"});
    data(&server, CREATE, vars).await;
    let refused = error(&server, DELETE, json!({"id": "t3"})).await;
    assert_eq!(refused["extensions"]["code"], "FORBIDDEN");
    assert_eq!(server.tasks().unwrap().len(), 3);
    server.stop().await;
}

#[tokio::test]
async fn a_delete_answers_the_id_and_the_task_is_gone() {
    let server = server(Some((1, 2))).await;
    let deleted = data(&server, DELETE, json!({"id": "t2"})).await;
    assert_eq!(deleted, json!({"deleteTask": {"deletedId": "t2"}}));
    let gone = data(
        &server,
        "query { task(id: \"t2\") { id } node(id: \"t2\") { id } }",
        json!({}),
    )
    .await;
    assert_eq!(gone, json!({"task": null, "node": null}));
    let again = error(&server, DELETE, json!({"id": "t2"})).await;
    assert_eq!(again["extensions"]["code"], "NOT_FOUND");
    let not_a_task = error(&server, DELETE, json!({"id": "p1"})).await;
    assert_eq!(not_a_task["extensions"]["code"], "BAD_USER_INPUT");
    // A deleted id is never handed out again.
    let vars = json!({"project": "p1", "title": "New", "key": "k"});
    let created = data(&server, CREATE, vars).await;
    assert_eq!(created["createTask"]["edge"]["node"]["id"], "t3");
    server.stop().await;
}
