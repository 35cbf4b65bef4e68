//! The abstract types: `node(id:)` answers the `Node` interface, `search` the `SearchResult`
//! union, each result with its concrete `__typename`; users are keyed by e-mail.

mod common;

use common::{data, server};
use serde_json::json;

#[tokio::test]
async fn node_answers_projects_and_tasks_by_global_id() {
    let server = server(Some((2, 3))).await;
    let query = "query Nodes($a: ID!, $b: ID!, $c: ID!, $d: ID!) {
      a: node(id: $a) { __typename id ...on Project { name owner { email } } }
      b: node(id: $b) { __typename id ...on Task { title project { id } } }
      c: node(id: $c) { __typename }
      d: node(id: $d) { __typename }
    }";
    let vars = json!({"a": "p2", "b": "t4", "c": "t99", "d": "ada@example.com"});
    let nodes = data(&server, query, vars).await;
    assert_eq!(
        nodes,
        json!({
            "a": {"__typename": "Project", "id": "p2", "name": "Project 2",
                  "owner": {"email": "alan@example.com"}},
            "b": {"__typename": "Task", "id": "t4", "title": "locked: Project 2 charter",
                  "project": {"id": "p2"}},
            "c": null,
            "d": null,
        })
    );
    server.stop().await;
}

#[tokio::test]
async fn search_answers_each_kind_with_its_typename() {
    let server = server(Some((2, 3))).await;
    let query = "query Search($text: String!) {
      search(text: $text) {
        __typename
        ...on Project { id name }
        ...on Task { id title }
        ...on User { email name }
      }
    }";
    let found = data(&server, query, json!({"text": "project 1"})).await;
    assert_eq!(
        found["search"],
        json!([
            {"__typename": "Project", "id": "p1", "name": "Project 1"},
            {"__typename": "Task", "id": "t1", "title": "locked: Project 1 charter"},
        ])
    );
    let found = data(&server, query, json!({"text": "LOVELACE"})).await;
    assert_eq!(
        found["search"],
        json!([{"__typename": "User", "email": "ada@example.com", "name": "Ada Lovelace"}])
    );
    let found = data(&server, query, json!({"text": "2.3"})).await;
    assert_eq!(
        found["search"],
        json!([{"__typename": "Task", "id": "t6", "title": "Task 2.3"}])
    );
    let nothing = data(&server, query, json!({"text": "  "})).await;
    assert_eq!(nothing["search"], json!([]));
    server.stop().await;
}

#[tokio::test]
async fn users_are_keyed_by_email_and_linked_from_projects_and_tasks() {
    let server = server(Some((1, 4))).await;
    let query = "{
      user(email: \"grace@example.com\") { __typename email name }
      nobody: user(email: \"nobody@example.com\") { email }
      projects { id owner { email } }
      task(id: \"t4\") { assignee { email } }
      assigned: task(id: \"t2\") { assignee { email } }
    }";
    let answer = data(&server, query, json!({})).await;
    assert_eq!(
        answer,
        json!({
            "user": {"__typename": "User", "email": "grace@example.com", "name": "Grace Hopper"},
            "nobody": null,
            "projects": [{"id": "p1", "owner": {"email": "ada@example.com"}}],
            // Every fourth seeded task has no assignee; the others rotate through the users.
            "task": {"assignee": null},
            "assigned": {"assignee": {"email": "grace@example.com"}},
        })
    );
    server.stop().await;
}
