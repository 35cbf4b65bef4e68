//! Keep previous data: an observer switched to a new key shows the old key's data as a
//! placeholder until the new key has some.

mod common;

use common::client::{Told, client, next, serve, todos_json};
use optimist::{FetchStatus, Instant, QueryError, QueryKey, QueryOptions, QueryStatus};

fn page(n: u32) -> QueryKey {
    QueryKey::rest(
        &format!("GET /todos?page={n}"),
        format!("todos{n}").as_str(),
    )
}

/// A page as read back: `todos<n>` is not typed by the policies, so its rows stay embedded.
fn rows(rows: &[(u32, &str)]) -> serde_json::Value {
    serde_json::from_str(&todos_json(rows)).unwrap()
}

fn options() -> QueryOptions {
    QueryOptions::new().keep_previous_data()
}

/// An observer of page 1, answered with `Todo:1`.
fn on_page_one(told: &Told) -> (optimist::Client, optimist::Observed, Instant) {
    let mut client = client();
    let t0 = Instant::now();
    let seen = client.observe(page(1), options(), t0, told.listener());
    serve(&mut client, t0, &todos_json(&[(1, "one")]));
    (client, seen, t0)
}

#[test]
fn the_old_keys_data_is_shown_until_the_new_key_answers() {
    let told = Told::default();
    let (mut client, seen, t0) = on_page_one(&told);
    let moved = client.switch(seen.observer, page(2), t0).unwrap();
    assert_eq!(moved.observer, seen.observer, "the same observer");
    assert_ne!(moved.query, seen.query);
    assert!(moved.fetch_due);
    assert!(moved.state.is_placeholder);
    assert_eq!(moved.state.data.as_deref(), Some(&rows(&[(1, "one")])));
    assert_eq!(
        moved.state.status,
        QueryStatus::Pending,
        "page 2 has no data of its own"
    );
    assert_eq!(moved.state.fetch_status, FetchStatus::Fetching);
    assert!(
        !moved.state.is_loading(),
        "no spinner: there is something to show"
    );
    assert_eq!(client.state(seen.observer), Some(&moved.state));
    let fetch = next(&mut client, t0);
    assert_eq!(fetch.query, moved.query);
    client
        .resolve(fetch.id, todos_json(&[(2, "two")]).as_str(), t0)
        .unwrap();
    let state = client.state(seen.observer).unwrap();
    assert!(!state.is_placeholder);
    assert_eq!(state.status, QueryStatus::Success);
    assert_eq!(state.data.as_deref(), Some(&rows(&[(2, "two")])));
    let last = told.all().pop().unwrap();
    assert!(!last.is_placeholder);
    assert_eq!(last.data.as_deref(), Some(&rows(&[(2, "two")])));
}

#[test]
fn without_keep_previous_data_the_switch_shows_nothing() {
    let mut client = client();
    let t0 = Instant::now();
    let seen = client.observe(page(1), QueryOptions::new(), t0, |_| {});
    serve(&mut client, t0, &todos_json(&[(1, "one")]));
    let moved = client.switch(seen.observer, page(2), t0).unwrap();
    assert!(!moved.state.is_placeholder);
    assert!(moved.state.data.is_none());
    assert!(moved.state.is_loading());
}

#[test]
fn a_new_key_with_cached_data_shows_its_own_at_once() {
    let told = Told::default();
    let (mut client, seen, t0) = on_page_one(&told);
    let other = client.observe(page(2), QueryOptions::new(), t0, |_| {});
    serve(&mut client, t0, &todos_json(&[(2, "two")]));
    let moved = client.switch(seen.observer, page(2), t0).unwrap();
    assert_eq!(moved.query, other.query);
    assert!(!moved.state.is_placeholder);
    assert!(!moved.fetch_due);
    assert_eq!(moved.state.data.as_deref(), Some(&rows(&[(2, "two")])));
}

#[test]
fn the_placeholder_stays_while_the_new_key_fails_and_retries() {
    let told = Told::default();
    let (mut client, seen, t0) = on_page_one(&told);
    client.switch(seen.observer, page(2), t0).unwrap();
    let fetch = next(&mut client, t0);
    client
        .reject(fetch.id, optimist::FetchError::transient("502"), t0)
        .unwrap();
    let state = client.state(seen.observer).unwrap();
    assert!(state.is_placeholder);
    assert_eq!(state.data.as_deref(), Some(&rows(&[(1, "one")])));
    assert_eq!(state.failure_count, 1);
}

#[test]
fn switching_twice_keeps_the_first_keys_data_until_one_answers() {
    let told = Told::default();
    let (mut client, seen, t0) = on_page_one(&told);
    client.switch(seen.observer, page(2), t0).unwrap();
    let moved = client.switch(seen.observer, page(3), t0).unwrap();
    assert!(moved.state.is_placeholder);
    assert_eq!(moved.state.data.as_deref(), Some(&rows(&[(1, "one")])));
    let fetch = next(&mut client, t0);
    assert_eq!(
        fetch.query, moved.query,
        "page 2 was left: its fetch is not due"
    );
    assert!(client.next_fetch(t0).is_none());
}

#[test]
fn the_old_query_is_left() {
    let told = Told::default();
    let (mut client, seen, t0) = on_page_one(&told);
    client.switch(seen.observer, page(2), t0).unwrap();
    assert_eq!(client.observer_count(seen.query), 0);
    assert_eq!(
        client
            .switch(seen.observer, page(3), t0)
            .map(|o| o.observer),
        Ok(seen.observer)
    );
    assert_eq!(client.observer_count(client.query_of(&page(2)).unwrap()), 0);
    client.unobserve(seen.observer, t0);
    assert_eq!(
        client.switch(seen.observer, page(1), t0).unwrap_err(),
        QueryError::UnknownObserver(seen.observer)
    );
}
