//! A project's tasks as a Relay connection: pages forwards and backwards with the spec's
//! `pageInfo`, stable cursors, the status filter, `totalCount`, and refused arguments.

mod common;

use common::{data, error, server};
use serde_json::{Value as Json, json};

const PAGE: &str =
    "query Page($first: Int, $after: String, $last: Int, $before: String, $status: TaskStatus) {
  project(id: \"p1\") {
    tasks(first: $first, after: $after, last: $last, before: $before, status: $status) {
      totalCount
      edges { cursor node { id status } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
}";

/// One page: (task ids, hasPreviousPage, hasNextPage, the connection).
async fn page(server: &board_server::Running, args: Json) -> (Vec<String>, bool, bool, Json) {
    let connection = data(server, PAGE, args).await["project"]["tasks"].clone();
    let edges = connection["edges"].as_array().unwrap();
    let ids = edges
        .iter()
        .map(|edge| edge["node"]["id"].as_str().unwrap().to_owned())
        .collect();
    let info = &connection["pageInfo"];
    // startCursor / endCursor are the first and last edges' cursors, null on an empty page.
    assert_eq!(
        info["startCursor"],
        edges.first().map_or(Json::Null, |e| e["cursor"].clone())
    );
    assert_eq!(
        info["endCursor"],
        edges.last().map_or(Json::Null, |e| e["cursor"].clone())
    );
    let (previous, next) = (
        info["hasPreviousPage"].as_bool().unwrap(),
        info["hasNextPage"].as_bool().unwrap(),
    );
    (ids, previous, next, connection)
}

fn ids(names: &[u32]) -> Vec<String> {
    names.iter().map(|n| format!("t{n}")).collect()
}

#[tokio::test]
async fn first_and_after_walk_forwards() {
    // Project p1 holds t1..t7 (p2 holds t8..t14, which never show).
    let server = server(Some((2, 7))).await;
    let (got, previous, next, one) = page(&server, json!({"first": 3})).await;
    assert_eq!((got, previous, next), (ids(&[1, 2, 3]), false, true));
    assert_eq!(one["totalCount"], 7);
    let after = one["pageInfo"]["endCursor"].clone();
    let (got, previous, next, two) = page(&server, json!({"first": 3, "after": after})).await;
    assert_eq!((got, previous, next), (ids(&[4, 5, 6]), true, true));
    assert_eq!(two["totalCount"], 7);
    let after = two["pageInfo"]["endCursor"].clone();
    let (got, previous, next, _) = page(&server, json!({"first": 3, "after": after})).await;
    assert_eq!((got, previous, next), (ids(&[7]), true, false));
    let (got, previous, next, _) = page(&server, json!({})).await;
    assert_eq!(
        (got, previous, next),
        (ids(&[1, 2, 3, 4, 5, 6, 7]), false, false)
    );
    server.stop().await;
}

#[tokio::test]
async fn last_and_before_walk_backwards_with_the_same_cursors() {
    let server = server(Some((2, 7))).await;
    let (got, previous, next, one) = page(&server, json!({"last": 3})).await;
    assert_eq!((got, previous, next), (ids(&[5, 6, 7]), true, false));
    let before = one["pageInfo"]["startCursor"].clone();
    let (got, previous, next, two) = page(&server, json!({"last": 3, "before": before})).await;
    assert_eq!((got, previous, next), (ids(&[2, 3, 4]), true, true));
    let before = two["pageInfo"]["startCursor"].clone();
    let (got, previous, next, _) = page(&server, json!({"last": 3, "before": before})).await;
    assert_eq!((got, previous, next), (ids(&[1]), false, true));
    // A task's cursor is the same whichever way it was reached.
    let (_, _, _, forwards) = page(&server, json!({"first": 7})).await;
    assert_eq!(forwards["edges"][1]["cursor"], two["edges"][0]["cursor"]);
    // Between two cursors.
    let after = forwards["edges"][1]["cursor"].clone();
    let before = forwards["edges"][5]["cursor"].clone();
    let between = json!({"after": after, "before": before});
    let (got, previous, next, _) = page(&server, between).await;
    assert_eq!((got, previous, next), (ids(&[3, 4, 5]), true, true));
    server.stop().await;
}

#[tokio::test]
async fn the_status_filter_pages_and_counts_only_its_tasks() {
    // Statuses go TODO, IN_PROGRESS, DONE in turn: p1's TODO tasks are t1, t4, t7.
    let server = server(Some((1, 7))).await;
    let (got, previous, next, one) = page(&server, json!({"first": 2, "status": "TODO"})).await;
    assert_eq!((got, previous, next), (ids(&[1, 4]), false, true));
    assert_eq!(one["totalCount"], 3);
    let after = one["pageInfo"]["endCursor"].clone();
    let args = json!({"first": 2, "after": after, "status": "TODO"});
    let (got, previous, next, two) = page(&server, args).await;
    assert_eq!((got, previous, next), (ids(&[7]), true, false));
    assert!(
        two["edges"]
            .as_array()
            .unwrap()
            .iter()
            .all(|edge| edge["node"]["status"] == "TODO")
    );
    let (got, _, _, done) = page(&server, json!({"status": "DONE"})).await;
    assert_eq!((got, &done["totalCount"]), (ids(&[3, 6]), &json!(2)));
    server.stop().await;
}

#[tokio::test]
async fn an_empty_page_and_a_deleted_tasks_cursor() {
    let server = server(Some((1, 5))).await;
    let (got, previous, next, empty) = page(&server, json!({"first": 0})).await;
    assert_eq!((got, previous, next), (Vec::<String>::new(), false, true));
    assert_eq!(empty["pageInfo"]["startCursor"], Json::Null);
    let (_, _, _, all) = page(&server, json!({})).await;
    let cursor_of_t3 = all["edges"][2]["cursor"].clone();
    data(
        &server,
        "mutation { deleteTask(id: \"t3\") { deletedId } }",
        json!({}),
    )
    .await;
    let args = json!({"first": 2, "after": cursor_of_t3});
    let (got, previous, next, _) = page(&server, args).await;
    assert_eq!((got, previous, next), (ids(&[4, 5]), true, false));
    server.stop().await;
}

#[tokio::test]
async fn a_negative_count_or_a_foreign_cursor_is_bad_user_input_at_its_path() {
    let server = server(Some((1, 3))).await;
    for args in [
        json!({"first": -1}),
        json!({"last": -2}),
        json!({"after": "not a cursor"}),
        // The cursor of a project id, which no task has.
        json!({"before": "cDE="}),
    ] {
        let error = error(&server, PAGE, args.clone()).await;
        assert_eq!(
            error["extensions"]["code"], "BAD_USER_INPUT",
            "{args}: {error}"
        );
        assert_eq!(
            error["path"],
            json!(["project", "tasks"]),
            "{args}: {error}"
        );
    }
    server.stop().await;
}
