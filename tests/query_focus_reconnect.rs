//! Focus and reconnect: focus refetches stale observed queries that ask for it; offline
//! pauses fetches (an offline failure waits without counting), and online resumes them and
//! refetches stale queries that ask for it.

mod common;

use std::time::Duration;

use common::client::{at, client, next, serve, todos, todos_json};
use optimist::{
    FetchError, FetchStatus, Instant, QueryKey, QueryOptions, QueryStatus, RetryPolicy,
};

fn key(n: u32) -> QueryKey {
    QueryKey::rest(&format!("GET /todos?list={n}"), format!("list{n}").as_str())
}

/// Observes `key` with `options` and answers its first fetch at `now`.
fn answered(
    client: &mut optimist::Client,
    key: QueryKey,
    options: QueryOptions,
    now: Instant,
) -> optimist::Observed {
    let seen = client.observe(key, options, now, |_| {});
    serve(client, now, "[]");
    seen
}

fn stale_at_once() -> QueryOptions {
    QueryOptions::new().stale_time(Duration::ZERO)
}

#[test]
fn focus_refetches_only_stale_queries_that_ask_for_it() {
    let mut client = client();
    let t0 = Instant::now();
    let wants = answered(&mut client, key(1), stale_at_once(), t0);
    let off = answered(
        &mut client,
        key(2),
        stale_at_once().refetch_on_focus(false),
        t0,
    );
    let fresh = answered(&mut client, key(3), QueryOptions::new(), t0);
    client.focus(at(t0, 1));
    let fetch = next(&mut client, at(t0, 1));
    assert_eq!(fetch.query, wants.query);
    assert!(client.next_fetch(at(t0, 1)).is_none());
    assert_eq!(
        client.state(off.observer).unwrap().fetch_status,
        FetchStatus::Idle
    );
    assert!(client.state(off.observer).unwrap().is_stale);
    assert_eq!(
        client.state(fresh.observer).unwrap().fetch_status,
        FetchStatus::Idle
    );
    assert!(!client.state(fresh.observer).unwrap().is_stale);
}

#[test]
fn focus_does_not_refetch_an_unobserved_query() {
    let mut client = client();
    let t0 = Instant::now();
    let seen = answered(&mut client, key(1), stale_at_once(), t0);
    client.unobserve(seen.observer, t0);
    client.focus(at(t0, 1));
    assert!(client.next_fetch(at(t0, 1)).is_none());
}

#[test]
fn offline_pauses_fetches_and_online_resumes_them() {
    let mut client = client();
    let t0 = Instant::now();
    client.offline(t0);
    assert!(!client.is_online());
    let seen = client.observe(todos(), QueryOptions::new(), t0, |_| {});
    assert_eq!(seen.state.fetch_status, FetchStatus::Paused);
    assert!(!seen.state.is_loading(), "paused, not loading");
    assert!(client.next_fetch(t0).is_none());
    assert!(client.next_fetch(at(t0, 60)).is_none());
    assert_eq!(client.next_due(), None, "nothing to wake for while offline");
    client.online(at(t0, 60));
    assert_eq!(
        client.state(seen.observer).unwrap().fetch_status,
        FetchStatus::Fetching
    );
    let fetch = next(&mut client, at(t0, 60));
    assert_eq!((fetch.query, fetch.attempt), (seen.query, 1));
}

#[test]
fn going_offline_pauses_a_query_whose_fetch_is_due() {
    let mut client = client();
    let t0 = Instant::now();
    let seen = client.observe(todos(), QueryOptions::new(), t0, |_| {});
    assert_eq!(seen.state.fetch_status, FetchStatus::Fetching);
    client.offline(t0);
    assert_eq!(
        client.state(seen.observer).unwrap().fetch_status,
        FetchStatus::Paused
    );
    assert!(client.next_fetch(t0).is_none());
}

#[test]
fn a_fetch_in_flight_when_going_offline_is_still_answered() {
    let mut client = client();
    let t0 = Instant::now();
    let seen = client.observe(todos(), QueryOptions::new(), t0, |_| {});
    let fetch = next(&mut client, t0);
    client.offline(t0);
    assert_eq!(
        client.state(seen.observer).unwrap().fetch_status,
        FetchStatus::Fetching
    );
    client
        .resolve(fetch.id, todos_json(&[(1, "Buy milk")]).as_str(), t0)
        .unwrap();
    let state = client.state(seen.observer).unwrap();
    assert_eq!(
        (state.status, state.fetch_status),
        (QueryStatus::Success, FetchStatus::Idle)
    );
}

#[test]
fn an_offline_failure_waits_for_the_network_without_counting() {
    let mut client = client();
    let t0 = Instant::now();
    let seen = client.observe(todos(), QueryOptions::new(), t0, |_| {});
    let fetch = next(&mut client, t0);
    client
        .reject(fetch.id, FetchError::offline("no route"), t0)
        .unwrap();
    let state = client.state(seen.observer).unwrap();
    assert_eq!(state.failure_count, 0);
    assert_eq!(state.failure_reason, None);
    assert_eq!(state.status, QueryStatus::Pending);
    assert_eq!(state.fetch_status, FetchStatus::Paused);
    assert!(
        client.next_fetch(at(t0, 3600)).is_none(),
        "waits for online"
    );
    assert_eq!(client.store().layers().count(), 0, "its slot is cancelled");
    client.online(at(t0, 5));
    let again = next(&mut client, at(t0, 5));
    assert_eq!(again.attempt, 1, "the wait was not an attempt");
    assert_eq!(client.state(seen.observer).unwrap().failure_count, 0);
}

#[test]
fn an_offline_failure_after_a_transient_one_keeps_the_attempt_number() {
    let mut client = client();
    let t0 = Instant::now();
    let retry = RetryPolicy {
        max_attempts: Some(3),
        initial_delay: Duration::from_secs(1),
        factor: 2,
        max_delay: Duration::from_secs(10),
    };
    let seen = client.observe(todos(), QueryOptions::new().retry(retry), t0, |_| {});
    let first = next(&mut client, t0);
    client
        .reject(first.id, FetchError::transient("502"), t0)
        .unwrap();
    let second = next(&mut client, at(t0, 1));
    assert_eq!(second.attempt, 2);
    client
        .reject(second.id, FetchError::offline("no route"), at(t0, 1))
        .unwrap();
    assert_eq!(client.state(seen.observer).unwrap().failure_count, 1);
    client.online(at(t0, 2));
    let third = next(&mut client, at(t0, 2));
    assert_eq!(third.attempt, 2, "still the second attempt");
    client
        .reject(third.id, FetchError::transient("502"), at(t0, 2))
        .unwrap();
    assert_eq!(client.state(seen.observer).unwrap().failure_count, 2);
    let due = client.next_due().unwrap();
    assert_eq!(next(&mut client, due).attempt, 3);
}

#[test]
fn online_refetches_only_stale_queries_that_ask_for_it() {
    let mut client = client();
    let t0 = Instant::now();
    let wants = answered(&mut client, key(1), stale_at_once(), t0);
    let off = answered(
        &mut client,
        key(2),
        stale_at_once().refetch_on_reconnect(false),
        t0,
    );
    let fresh = answered(&mut client, key(3), QueryOptions::new(), t0);
    client.offline(at(t0, 1));
    assert!(client.next_fetch(at(t0, 1)).is_none());
    client.online(at(t0, 2));
    let fetch = next(&mut client, at(t0, 2));
    assert_eq!(fetch.query, wants.query);
    assert!(client.next_fetch(at(t0, 2)).is_none());
    for observer in [off.observer, fresh.observer] {
        assert_eq!(
            client.state(observer).unwrap().fetch_status,
            FetchStatus::Idle
        );
    }
}

#[test]
fn focus_while_offline_pauses_the_refetch_until_online() {
    let mut client = client();
    let t0 = Instant::now();
    let seen = answered(
        &mut client,
        key(1),
        stale_at_once().refetch_on_reconnect(false),
        t0,
    );
    client.offline(at(t0, 1));
    client.focus(at(t0, 2));
    assert_eq!(
        client.state(seen.observer).unwrap().fetch_status,
        FetchStatus::Paused
    );
    assert!(client.next_fetch(at(t0, 2)).is_none());
    client.online(at(t0, 3));
    assert_eq!(next(&mut client, at(t0, 3)).query, seen.query);
}
