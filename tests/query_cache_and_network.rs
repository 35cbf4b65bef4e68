//! Cache-and-network: the cached data is shown at once, and fetched anyway.

mod common;

use common::client::{Told, client, next, serve, todos, todos_json, todos_read};
use optimist::{FetchPolicy, FetchStatus, Instant, QueryOptions, QueryStatus};

fn options() -> QueryOptions {
    QueryOptions::new().fetch_policy(FetchPolicy::CacheAndNetwork)
}

#[test]
fn cached_data_is_shown_at_once_and_fetched() {
    let mut client = client();
    let t0 = Instant::now();
    let first = client.observe(todos(), QueryOptions::new(), t0, |_| {});
    serve(&mut client, t0, &todos_json(&[(1, "Buy milk")]));
    client.unobserve(first.observer, t0);
    let seen = client.observe(todos(), options(), t0, |_| {});
    assert!(seen.fetch_due, "fetched although complete and fresh");
    assert!(!seen.state.is_stale, "fresh, and fetched all the same");
    assert_eq!(seen.state.status, QueryStatus::Success);
    assert_eq!(seen.state.fetch_status, FetchStatus::Fetching);
    assert!(seen.state.is_fetching() && !seen.state.is_loading());
    assert_eq!(
        seen.state.data.as_deref(),
        Some(&todos_read(&[(1, "Buy milk")]))
    );
    assert_eq!(next(&mut client, t0).query, seen.query);
}

#[test]
fn the_answer_replaces_the_cached_data() {
    let mut client = client();
    let t0 = Instant::now();
    let first = client.observe(todos(), QueryOptions::new(), t0, |_| {});
    serve(&mut client, t0, &todos_json(&[(1, "Buy milk")]));
    client.unobserve(first.observer, t0);
    let told = Told::default();
    let seen = client.observe(todos(), options(), t0, told.listener());
    let fetch = next(&mut client, t0);
    let before = told.count();
    client
        .resolve(
            fetch.id,
            todos_json(&[(1, "Buy milk"), (2, "Walk")]).as_str(),
            t0,
        )
        .unwrap();
    let state = client.state(seen.observer).unwrap();
    assert_eq!(
        state.data.as_deref(),
        Some(&todos_read(&[(1, "Buy milk"), (2, "Walk")]))
    );
    assert_eq!(state.fetch_status, FetchStatus::Idle);
    assert_eq!(told.count(), before + 1);
    assert!(client.next_fetch(t0).is_none());
}

#[test]
fn an_empty_cache_loads_as_any_first_fetch() {
    let mut client = client();
    let t0 = Instant::now();
    let seen = client.observe(todos(), options(), t0, |_| {});
    assert!(seen.fetch_due && seen.state.is_loading());
    assert_eq!(seen.state.status, QueryStatus::Pending);
    serve(&mut client, t0, &todos_json(&[]));
    assert_eq!(
        client.state(seen.observer).unwrap().data.as_deref(),
        Some(&serde_json::json!([]))
    );
}
