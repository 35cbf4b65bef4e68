//! Cache-first: a complete, fresh cached read is shown and not fetched; a partial or stale
//! one is fetched (while the cached data stays shown).

mod common;

use std::time::Duration;

use common::client::{at, cached, client, next, serve, todos, todos_json, todos_read};
#[cfg(feature = "graphql")]
use optimist::Value;
use optimist::{FetchStatus, Instant, QueryOptions, QueryStatus};
#[cfg(feature = "graphql")]
use serde_json::json;

#[test]
fn a_complete_cached_rest_read_is_shown_and_not_fetched() {
    let mut client = client();
    cached(&mut client, "Buy milk");
    let t0 = Instant::now();
    let seen = client.observe(todos(), QueryOptions::new(), t0, |_| {});
    assert!(!seen.fetch_due);
    assert_eq!(seen.state.status, QueryStatus::Success);
    assert_eq!(seen.state.fetch_status, FetchStatus::Idle);
    assert_eq!(
        seen.state.data.as_deref(),
        Some(&todos_read(&[(1, "Buy milk")]))
    );
    assert_eq!(seen.state.updated_at, None, "from the cache, not an answer");
    assert!(client.next_fetch(t0).is_none());
    assert_eq!(client.next_due(), None);
}

#[cfg(feature = "graphql")]
#[test]
fn a_complete_cached_document_read_is_not_fetched() {
    let mut client = client();
    cached(&mut client, "Buy milk");
    let t0 = Instant::now();
    let key = optimist::QueryKey::graphql("{ todos { id title } }", json!({})).unwrap();
    let seen = client.observe(key, QueryOptions::new(), t0, |_| {});
    assert!(!seen.fetch_due);
    assert_eq!(seen.state.status, QueryStatus::Success);
    assert_eq!(
        seen.state.data.as_deref(),
        Some(&json!({"todos": [{"__typename": "Todo", "id": 1, "title": "Buy milk"}]}))
    );
    assert!(client.next_fetch(t0).is_none());
}

#[cfg(feature = "graphql")]
#[test]
fn a_partial_cached_document_read_is_fetched() {
    let mut client = client();
    cached(&mut client, "Buy milk");
    let t0 = Instant::now();
    // `done` is not in the store: the read is partial.
    let key = optimist::QueryKey::graphql("{ todos { id title done } }", json!({})).unwrap();
    let seen = client.observe(key.clone(), QueryOptions::new(), t0, |_| {});
    assert!(seen.fetch_due);
    assert!(seen.state.is_loading(), "a partial read shows no data");
    assert_eq!(seen.state.status, QueryStatus::Pending);
    let fetch = next(&mut client, t0);
    assert_eq!(fetch.key, key);
    client
        .resolve(
            fetch.id,
            &json!({"todos": [{"__typename": "Todo", "id": 1, "title": "Buy milk", "done": true}]}),
            t0,
        )
        .unwrap();
    let state = client.state(seen.observer).unwrap();
    assert_eq!(state.status, QueryStatus::Success);
    assert_eq!(
        state.data.as_deref(),
        Some(
            &json!({"todos": [{"__typename": "Todo", "id": 1, "title": "Buy milk", "done": true}]})
        )
    );
    assert_eq!(
        client.store().get_field("Todo:1", "done"),
        Some(&Value::from(true))
    );
}

#[test]
fn an_empty_cache_is_fetched() {
    let mut client = client();
    let t0 = Instant::now();
    let seen = client.observe(todos(), QueryOptions::new(), t0, |_| {});
    assert!(seen.fetch_due && seen.state.is_loading());
    assert_eq!(client.next_due(), Some(t0));
    assert_eq!(next(&mut client, t0).attempt, 1);
}

#[test]
fn data_stale_by_its_stale_time_is_shown_and_fetched() {
    let mut client = client();
    let t0 = Instant::now();
    let options = QueryOptions::new().stale_time(Duration::from_secs(10));
    let first = client.observe(todos(), options.clone(), t0, |_| {});
    serve(&mut client, t0, &todos_json(&[(1, "Buy milk")]));
    client.unobserve(first.observer, t0);
    // Within its stale time: a new observer takes the cache.
    let fresh = client.observe(todos(), options.clone(), at(t0, 9), |_| {});
    assert!(!fresh.fetch_due);
    assert!(!fresh.state.is_stale);
    client.unobserve(fresh.observer, at(t0, 9));
    assert!(client.next_fetch(at(t0, 9)).is_none());
    // Past it: shown and fetched.
    let stale = client.observe(todos(), options, at(t0, 10), |_| {});
    assert!(stale.fetch_due);
    assert!(stale.state.is_stale);
    assert_eq!(stale.state.status, QueryStatus::Success);
    assert_eq!(stale.state.fetch_status, FetchStatus::Fetching);
    assert_eq!(
        stale.state.data.as_deref(),
        Some(&todos_read(&[(1, "Buy milk")])),
        "the cached data stays shown while it refetches"
    );
    let fetch = next(&mut client, at(t0, 10));
    client
        .resolve(
            fetch.id,
            todos_json(&[(1, "Buy oat milk")]).as_str(),
            at(t0, 11),
        )
        .unwrap();
    let state = client.state(stale.observer).unwrap();
    assert_eq!(
        state.data.as_deref(),
        Some(&todos_read(&[(1, "Buy oat milk")]))
    );
    assert_eq!(state.updated_at, Some(at(t0, 11)));
    assert!(!state.is_stale);
}

#[test]
fn cached_data_no_answer_of_ours_has_updated_is_stale_for_a_stale_time() {
    let mut client = client();
    cached(&mut client, "Buy milk");
    let t0 = Instant::now();
    let options = QueryOptions::new().stale_time(Duration::from_secs(60));
    let seen = client.observe(todos(), options, t0, |_| {});
    assert!(
        seen.fetch_due,
        "the cache's age is unknown: as old as can be"
    );
    assert!(seen.state.is_stale);
    assert_eq!(
        seen.state.data.as_deref(),
        Some(&todos_read(&[(1, "Buy milk")]))
    );
}
