//! Cache-only: the cache is shown and the network is never asked, whatever triggers.

mod common;

use std::time::Duration;

use common::client::{at, cached, client, todos, todos_read};
use optimist::{FetchPolicy, FetchStatus, Instant, Patch, QueryError, QueryOptions, QueryStatus};

fn options() -> QueryOptions {
    QueryOptions::new()
        .fetch_policy(FetchPolicy::CacheOnly)
        .stale_time(Duration::ZERO)
}

#[test]
fn an_empty_cache_shows_nothing_and_does_not_fetch() {
    let mut client = client();
    let t0 = Instant::now();
    let seen = client.observe(todos(), options(), t0, |_| {});
    assert!(!seen.fetch_due);
    assert!(seen.state.data.is_none());
    assert_eq!(
        (seen.state.status, seen.state.fetch_status),
        (QueryStatus::Pending, FetchStatus::Idle)
    );
    assert!(!seen.state.is_loading(), "not loading: nothing will come");
    assert!(client.next_fetch(t0).is_none());
    assert_eq!(client.next_due(), None);
}

#[test]
fn the_cache_is_shown_and_kept_up_to_date() {
    let mut client = client();
    cached(&mut client, "Buy milk");
    let t0 = Instant::now();
    let seen = client.observe(todos(), options(), t0, |_| {});
    assert!(!seen.fetch_due);
    assert_eq!(seen.state.status, QueryStatus::Success);
    assert_eq!(
        seen.state.data.as_deref(),
        Some(&todos_read(&[(1, "Buy milk")]))
    );
    client
        .store_mut()
        .write(Patch::new().set("Todo:1", "title", "Buy oat milk"))
        .unwrap();
    assert_eq!(
        client.state(seen.observer).unwrap().data.as_deref(),
        Some(&todos_read(&[(1, "Buy oat milk")]))
    );
    assert!(client.next_fetch(t0).is_none());
}

#[test]
fn focus_and_reconnect_do_not_fetch_stale_data() {
    let mut client = client();
    cached(&mut client, "Buy milk");
    let t0 = Instant::now();
    let seen = client.observe(todos(), options(), t0, |_| {});
    assert!(seen.state.is_stale, "stale at once (stale_time 0)");
    client.focus(at(t0, 1));
    assert!(client.next_fetch(at(t0, 1)).is_none());
    client.offline(at(t0, 2));
    client.online(at(t0, 3));
    assert!(client.next_fetch(at(t0, 3)).is_none());
    assert_eq!(
        client.state(seen.observer).unwrap().fetch_status,
        FetchStatus::Idle
    );
}

#[test]
fn invalidation_does_not_fetch() {
    let mut client = client();
    cached(&mut client, "Buy milk");
    let t0 = Instant::now();
    let seen = client.observe(todos(), options(), t0, |_| {});
    client
        .store_mut()
        .invalidate_field("ROOT_QUERY", "todos")
        .unwrap();
    assert!(client.next_fetch(t0).is_none());
    client.invalidate(seen.query, t0).unwrap();
    assert!(client.state(seen.observer).unwrap().is_stale);
    assert!(client.next_fetch(t0).is_none());
    assert_eq!(
        client.invalidate_where(|key| key.app_key() == Some("GET /todos"), t0),
        1
    );
    assert!(client.next_fetch(t0).is_none());
    assert_eq!(
        client.state(seen.observer).unwrap().fetch_status,
        FetchStatus::Idle
    );
}

#[test]

fn a_refetch_interval_does_not_fetch() {
    let mut client = client();
    cached(&mut client, "Buy milk");
    let t0 = Instant::now();
    let seen = client.observe(
        todos(),
        options().refetch_interval(Duration::from_secs(5)),
        t0,
        |_| {},
    );
    assert!(!seen.fetch_due);
    assert_eq!(client.next_due(), None, "nothing is ever due");
    for n in [5, 10, 60] {
        assert!(client.next_fetch(at(t0, n)).is_none(), "at {n} s");
    }
    assert_eq!(
        client.state(seen.observer).unwrap().fetch_status,
        FetchStatus::Idle
    );
}

#[test]

fn an_explicit_refetch_does_not_fetch() {
    let mut client = client();
    cached(&mut client, "Buy milk");
    let t0 = Instant::now();
    let seen = client.observe(todos(), options(), t0, |_| {});
    // Refused or ignored, but never a fetch (FetchPolicy: "an explicit refetch works under
    // every policy but CacheOnly").
    let _: Result<(), QueryError> = client.refetch(seen.query, t0);
    assert!(client.next_fetch(t0).is_none());
    assert_eq!(
        client.state(seen.observer).unwrap().fetch_status,
        FetchStatus::Idle
    );
}
