//! No-cache: the query's answer is shown and never written to the store; a no-cache
//! observer has a record of its own, apart from a cached observer of the same key.

mod common;

use common::client::{client, next, serve, todos, todos_json, todos_read};
use optimist::{FetchPolicy, FetchStatus, Instant, QueryOptions, QueryStatus};
use serde_json::json;

fn options() -> QueryOptions {
    QueryOptions::new().fetch_policy(FetchPolicy::NoCache)
}

#[test]
fn the_answer_is_shown_and_the_store_is_not_touched() {
    let mut client = client();
    let t0 = Instant::now();
    let seen = client.observe(todos(), options(), t0, |_| {});
    assert!(seen.fetch_due && seen.state.is_loading());
    let fetch = next(&mut client, t0);
    assert_eq!(fetch.slot, None, "no slot: nothing lands in the store");
    assert_eq!(client.store().layers().count(), 0);
    client
        .resolve(fetch.id, todos_json(&[(1, "Buy milk")]).as_str(), t0)
        .unwrap();
    let state = client.state(seen.observer).unwrap();
    assert_eq!(
        (state.status, state.fetch_status),
        (QueryStatus::Success, FetchStatus::Idle)
    );
    assert_eq!(
        state.data.as_deref(),
        Some(&json!([{"id": 1, "title": "Buy milk"}])),
        "its own answer, as sent"
    );
    assert_eq!(state.updated_at, Some(t0));
    assert!(client.store().is_empty(), "the store is not touched");
    assert_eq!(client.store().get_field("ROOT_QUERY", "todos"), None);
    assert_eq!(client.store().layers().count(), 0);
}

#[test]
fn it_has_a_record_apart_from_a_cache_first_observer_of_the_same_key() {
    let mut client = client();
    let t0 = Instant::now();
    let cached = client.observe(todos(), QueryOptions::new(), t0, |_| {});
    let own = client.observe(todos(), options(), t0, |_| {});
    assert_ne!(own.query, cached.query);
    assert_eq!(client.query_count(), 2);
    assert_eq!(client.query_of(&todos()), Some(cached.query));
    assert_eq!(client.observer_count(cached.query), 1);
    assert_eq!(client.observer_count(own.query), 1);
    // Two fetches, one per record.
    let first = next(&mut client, t0);
    let second = next(&mut client, t0);
    assert!(client.next_fetch(t0).is_none());
    let (cached_fetch, own_fetch) = if first.query == cached.query {
        (first, second)
    } else {
        (second, first)
    };
    assert_eq!(own_fetch.query, own.query);
    client
        .resolve(
            own_fetch.id,
            todos_json(&[(1, "no-cache answer")]).as_str(),
            t0,
        )
        .unwrap();
    assert!(client.store().is_empty());
    assert!(
        client.state(cached.observer).unwrap().data.is_none(),
        "the cached observer does not see the no-cache answer"
    );
    client
        .resolve(
            cached_fetch.id,
            todos_json(&[(1, "cached answer")]).as_str(),
            t0,
        )
        .unwrap();
    assert_eq!(
        client.state(cached.observer).unwrap().data.as_deref(),
        Some(&todos_read(&[(1, "cached answer")]))
    );
    assert_eq!(
        client.state(own.observer).unwrap().data.as_deref(),
        Some(&json!([{"id": 1, "title": "no-cache answer"}])),
        "the no-cache observer keeps its own answer"
    );
}

#[test]
fn store_changes_do_not_reach_it() {
    let mut client = client();
    let t0 = Instant::now();
    let seen = client.observe(todos(), options(), t0, |_| {});
    serve(&mut client, t0, &todos_json(&[(1, "Buy milk")]));
    client
        .store_mut()
        .write(optimist::Patch::new().set("Todo:1", "title", "Written elsewhere"))
        .unwrap();
    assert_eq!(
        client.state(seen.observer).unwrap().data.as_deref(),
        Some(&json!([{"id": 1, "title": "Buy milk"}]))
    );
}

#[test]
fn it_fetches_for_each_new_observer_of_its_record() {
    let mut client = client();
    let t0 = Instant::now();
    let first = client.observe(todos(), options(), t0, |_| {});
    serve(&mut client, t0, &todos_json(&[(1, "Buy milk")]));
    let second = client.observe(todos(), options(), t0, |_| {});
    assert_eq!(second.query, first.query);
    assert!(second.fetch_due, "no-cache always asks the network");
    assert_eq!(next(&mut client, t0).query, first.query);
}

#[test]

fn its_fetch_carries_the_key_observed() {
    let mut client = client();
    let t0 = Instant::now();
    let own = client.observe(todos(), options(), t0, |_| {});
    let fetch = next(&mut client, t0);
    assert_eq!(fetch.key.app_key(), Some("GET /todos"));
    assert_eq!(fetch.key, todos(), "keys compare by app key and field");
    assert_eq!(client.query_key(own.query), Some(&todos()));
}
