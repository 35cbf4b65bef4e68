//! Infinite queries: pages fetched one by one, read back as `{"pages", "pageParams"}`; a
//! refetch fetches every loaded page again in order, each parameter following the page just
//! fetched; optimistic layers on a page's entities show and revert.

mod common;

use common::client::next;
use optimist::{
    Client, FetchStatus, Instant, Pages, Patch, Policies, QueryError, QueryKey, QueryOptions,
    QueryStatus, Store,
};
use serde_json::{Value as Json, json};

/// A feed paged by cursor: `GET /feed?cursor=..` answers `{"todos": [...], "next": cursor}`,
/// `next` null on the last page.
fn feed_client() -> Client {
    Client::new(Store::with_policies(
        Policies::new().type_at("feed.todos", "Todo"),
    ))
}

fn feed() -> QueryKey {
    QueryKey::rest("GET /feed", "feed")
}

fn cursors() -> Pages {
    Pages::new(json!(null), |last, _params| {
        last.get("next").filter(|next| !next.is_null()).cloned()
    })
}

/// A page's answer: todos `ids` titled `t<id>`, then `next`. The todos carry their
/// `__typename`: `type_at("feed.todos")` does not reach a page's field (see
/// `a_pages_answer_is_typed_by_the_paths_of_its_field`).
fn page(ids: &[u32], next: Json) -> String {
    let todos: Vec<Json> = ids
        .iter()
        .map(|id| json!({"__typename": "Todo", "id": id, "title": format!("t{id}")}))
        .collect();
    json!({"todos": todos, "next": next}).to_string()
}

/// A page as read back.
fn read(ids: &[u32], next: Json) -> Json {
    let todos: Vec<Json> = ids
        .iter()
        .map(|id| json!({"__typename": "Todo", "id": id, "title": format!("t{id}")}))
        .collect();
    json!({"todos": todos, "next": next})
}

fn data(client: &Client, seen: &optimist::Observed) -> Json {
    client
        .state(seen.observer)
        .unwrap()
        .data
        .as_deref()
        .cloned()
        .expect("data")
}

/// Two pages loaded: `[1, 2]` then `[3]`, the end.
fn two_pages() -> (Client, optimist::Observed, Instant) {
    let mut client = feed_client();
    let t0 = Instant::now();
    let seen = client.observe_pages(feed(), QueryOptions::new(), cursors(), t0, |_| {});
    let first = next(&mut client, t0);
    assert_eq!(first.page, Some(json!(null)));
    client
        .resolve(first.id, page(&[1, 2], json!("c2")).as_str(), t0)
        .unwrap();
    assert!(client.has_next_page(seen.query).unwrap());
    assert!(client.fetch_next_page(seen.query, t0).unwrap());
    let second = next(&mut client, t0);
    assert_eq!(second.page, Some(json!("c2")));
    client
        .resolve(second.id, page(&[3], json!(null)).as_str(), t0)
        .unwrap();
    (client, seen, t0)
}

#[test]
fn the_first_page_comes_first() {
    let mut client = feed_client();
    let t0 = Instant::now();
    let seen = client.observe_pages(feed(), QueryOptions::new(), cursors(), t0, |_| {});
    assert!(seen.fetch_due && seen.state.is_loading());
    assert!(!client.fetch_next_page(seen.query, t0).unwrap(), "none yet");
    assert!(!client.has_next_page(seen.query).unwrap());
    let first = next(&mut client, t0);
    assert_eq!((first.page, first.attempt), (Some(json!(null)), 1));
    assert!(client.next_fetch(t0).is_none());
    client
        .resolve(first.id, page(&[1, 2], json!("c2")).as_str(), t0)
        .unwrap();
    let state = client.state(seen.observer).unwrap();
    assert_eq!(state.status, QueryStatus::Success);
    assert_eq!(
        state.data.as_deref(),
        Some(&json!({"pages": [read(&[1, 2], json!("c2"))], "pageParams": [null]}))
    );
    assert!(
        client
            .store()
            .get_field("ROOT_QUERY", r#"feed({"page":null})"#)
            .is_some(),
        "each page in a field of its own"
    );
}

#[test]
fn pages_follow_one_another_to_the_end() {
    let (mut client, seen, t0) = two_pages();
    assert_eq!(
        data(&client, &seen),
        json!({
            "pages": [read(&[1, 2], json!("c2")), read(&[3], json!(null))],
            "pageParams": [null, "c2"],
        })
    );
    assert!(!client.has_next_page(seen.query).unwrap());
    assert!(!client.fetch_next_page(seen.query, t0).unwrap(), "the end");
    assert!(client.next_fetch(t0).is_none());
    assert_eq!(
        client.state(seen.observer).unwrap().fetch_status,
        FetchStatus::Idle
    );
}

#[test]
fn a_refetch_fetches_every_loaded_page_again_in_order() {
    let (mut client, seen, t0) = two_pages();
    client.refetch(seen.query, t0).unwrap();
    let first = next(&mut client, t0);
    assert_eq!(first.page, Some(json!(null)));
    assert!(client.next_fetch(t0).is_none(), "one page at a time");
    // The first page now points elsewhere: the second follows it, not the old cursor.
    client
        .resolve(first.id, page(&[1, 2], json!("c2b")).as_str(), t0)
        .unwrap();
    let second = next(&mut client, t0);
    assert_eq!(second.page, Some(json!("c2b")));
    client
        .resolve(second.id, page(&[4], json!(null)).as_str(), t0)
        .unwrap();
    assert!(
        client.next_fetch(t0).is_none(),
        "two pages were loaded: two fetched"
    );
    assert_eq!(
        data(&client, &seen),
        json!({
            "pages": [read(&[1, 2], json!("c2b")), read(&[4], json!(null))],
            "pageParams": [null, "c2b"],
        })
    );
}

#[test]
fn a_refetch_that_finds_fewer_pages_stops_at_the_last() {
    let (mut client, seen, t0) = two_pages();
    client.refetch(seen.query, t0).unwrap();
    let first = next(&mut client, t0);
    client
        .resolve(first.id, page(&[1, 2, 3], json!(null)).as_str(), t0)
        .unwrap();
    assert!(client.next_fetch(t0).is_none());
    assert_eq!(
        data(&client, &seen),
        json!({"pages": [read(&[1, 2, 3], json!(null))], "pageParams": [null]})
    );
}

#[test]
fn an_optimistic_edit_on_page_two_shows_and_its_failure_reverts_it() {
    let (mut client, seen, _) = two_pages();
    let before = data(&client, &seen);
    let (edit, _) = client
        .store_mut()
        .push("rename", Patch::new().set("Todo:3", "title", "renamed"))
        .unwrap();
    let shown = data(&client, &seen);
    assert_eq!(shown["pages"][1]["todos"][0]["title"], json!("renamed"));
    assert_eq!(shown["pages"][0], before["pages"][0], "page one untouched");
    client.store_mut().fail(edit).unwrap();
    assert_eq!(data(&client, &seen), before);
}

#[test]
fn next_page_of_a_plain_query_is_refused() {
    let mut client = feed_client();
    let t0 = Instant::now();
    let seen = client.observe(feed(), QueryOptions::new(), t0, |_| {});
    assert_eq!(
        client.fetch_next_page(seen.query, t0).unwrap_err(),
        QueryError::NotPaged(seen.query)
    );
    assert_eq!(
        client.has_next_page(seen.query).unwrap_err(),
        QueryError::NotPaged(seen.query)
    );
}

#[test]
fn a_failed_next_page_is_retried_with_its_parameter() {
    let mut client = feed_client();
    let t0 = Instant::now();
    let seen = client.observe_pages(feed(), QueryOptions::new(), cursors(), t0, |_| {});
    let first = next(&mut client, t0);
    client
        .resolve(first.id, page(&[1], json!("c2")).as_str(), t0)
        .unwrap();
    client.fetch_next_page(seen.query, t0).unwrap();
    let second = next(&mut client, t0);
    client
        .reject(second.id, optimist::FetchError::transient("502"), t0)
        .unwrap();
    let due = client.next_due().unwrap();
    let retry = next(&mut client, due);
    assert_eq!((retry.page, retry.attempt), (Some(json!("c2")), 2));
}

#[test]

fn a_pages_answer_is_typed_by_the_paths_of_its_field() {
    let mut client = feed_client();
    let t0 = Instant::now();
    let seen = client.observe_pages(feed(), QueryOptions::new(), cursors(), t0, |_| {});
    let first = next(&mut client, t0);
    // As a REST server sends it: no `__typename`.
    client
        .resolve(
            first.id,
            r#"{"todos": [{"id": 1, "title": "t1"}], "next": null}"#,
            t0,
        )
        .unwrap();
    assert!(client.store().contains("Todo:1"), "normalized as a Todo");
    assert_eq!(
        data(&client, &seen),
        json!({"pages": [read(&[1], json!(null))], "pageParams": [null]})
    );
}
