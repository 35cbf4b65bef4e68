//! `refetch_interval`: while observed, a fetch is due every interval after each answer,
//! whatever the freshness; none once the last observer has left; `next_due` says when.

mod common;

use std::time::Duration;

use common::client::{at, cached, client, next, serve, todos, todos_json};
use optimist::{FetchError, FetchStatus, Instant, QueryOptions, RetryPolicy};

const EVERY: Duration = Duration::from_secs(10);
const NS: Duration = Duration::from_nanos(1);

fn options() -> QueryOptions {
    QueryOptions::new().refetch_interval(EVERY)
}

#[test]
fn a_fetch_is_due_every_interval_after_each_answer() {
    let mut client = client();
    let t0 = Instant::now();
    let seen = client.observe(todos(), options(), t0, |_| {});
    serve(&mut client, t0, &todos_json(&[(1, "Buy milk")]));
    assert_eq!(client.next_due(), Some(t0 + EVERY));
    assert!(
        !client.state(seen.observer).unwrap().is_stale,
        "fresh, and refetched anyway"
    );
    assert!(client.next_fetch(t0 + EVERY - NS).is_none());
    let second = next(&mut client, t0 + EVERY);
    assert_eq!((second.query, second.attempt), (seen.query, 1));
    assert_eq!(client.next_due(), None, "nothing due while in flight");
    // Answered late: the next is an interval after this answer, not after the last due time.
    let answered = at(t0, 13);
    client
        .resolve(second.id, todos_json(&[(1, "Buy milk")]).as_str(), answered)
        .unwrap();
    assert_eq!(client.next_due(), Some(answered + EVERY));
    assert!(client.next_fetch(answered + EVERY - NS).is_none());
    assert!(client.next_fetch(answered + EVERY).is_some());
}

#[test]
fn cached_data_is_refetched_an_interval_after_it_is_observed() {
    let mut client = client();
    cached(&mut client, "Buy milk");
    let t0 = Instant::now();
    let seen = client.observe(todos(), options(), t0, |_| {});
    assert!(!seen.fetch_due, "complete and fresh");
    assert_eq!(client.next_due(), Some(t0 + EVERY));
    assert!(client.next_fetch(t0 + EVERY - NS).is_none());
    assert_eq!(next(&mut client, t0 + EVERY).query, seen.query);
}

#[test]
fn no_fetch_is_due_after_the_last_observer_leaves() {
    let mut client = client();
    let t0 = Instant::now();
    let seen = client.observe(todos(), options(), t0, |_| {});
    serve(&mut client, t0, &todos_json(&[(1, "Buy milk")]));
    client.unobserve(seen.observer, at(t0, 1));
    assert!(client.next_fetch(t0 + EVERY).is_none());
    assert!(client.next_fetch(t0 + EVERY * 10).is_none());
    // What is left to wake for is its collection.
    assert_eq!(
        client.next_due(),
        Some(at(t0, 1) + QueryOptions::new().gc_time)
    );
}

#[test]
fn the_shortest_interval_of_its_observers_decides() {
    let mut client = client();
    let t0 = Instant::now();
    client.observe(todos(), options(), t0, |_| {});
    let fast = client.observe(todos(), options().refetch_interval(EVERY / 2), t0, |_| {});
    serve(&mut client, t0, "[]");
    assert_eq!(client.next_due(), Some(t0 + EVERY / 2));
    // The fast one leaves: the slower interval, from the last answer, decides at once.
    client.unobserve(fast.observer, t0);
    assert_eq!(client.next_due(), Some(t0 + EVERY));
    assert!(client.next_fetch(t0 + EVERY / 2).is_none());
    let fetch = next(&mut client, t0 + EVERY);
    client.resolve(fetch.id, "[]", t0 + EVERY).unwrap();
    assert_eq!(client.next_due(), Some(t0 + EVERY + EVERY));
}

#[test]
fn an_interval_goes_on_after_a_fetch_given_up() {
    let mut client = client();
    let t0 = Instant::now();
    let retry = RetryPolicy {
        max_attempts: Some(1),
        ..RetryPolicy::default()
    };
    let seen = client.observe(todos(), options().retry(retry), t0, |_| {});
    let fetch = next(&mut client, t0);
    client
        .reject(fetch.id, FetchError::permanent("500"), at(t0, 1))
        .unwrap();
    assert_eq!(client.next_due(), Some(at(t0, 1) + EVERY));
    assert_eq!(next(&mut client, at(t0, 1) + EVERY).query, seen.query);
}

#[test]
fn no_interval_fetch_while_offline() {
    let mut client = client();
    let t0 = Instant::now();
    let seen = client.observe(todos(), options(), t0, |_| {});
    serve(&mut client, t0, "[]");
    client.offline(at(t0, 1));
    assert!(client.next_fetch(t0 + EVERY).is_none());
    assert_eq!(client.next_due(), None);
    client.tick(t0 + EVERY);
    assert_eq!(
        client.state(seen.observer).unwrap().fetch_status,
        FetchStatus::Paused
    );
    client.online(t0 + EVERY * 2);
    assert!(client.next_fetch(t0 + EVERY * 2).is_some());
}

#[test]

fn between_interval_fetches_the_query_is_idle() {
    let mut client = client();
    let t0 = Instant::now();
    let seen = client.observe(todos(), options(), t0, |_| {});
    serve(&mut client, t0, "[]");
    let state = client.state(seen.observer).unwrap();
    assert_eq!(
        state.fetch_status,
        FetchStatus::Idle,
        "nothing due for 10 s"
    );
    assert!(!state.is_fetching());
    client.offline(at(t0, 1));
    assert_eq!(
        client.state(seen.observer).unwrap().fetch_status,
        FetchStatus::Idle,
        "nothing is paused: nothing was due"
    );
}

#[test]

fn the_interval_goes_with_the_observer_that_asked_for_it() {
    let mut client = client();
    let t0 = Instant::now();
    let ticking = client.observe(todos(), options(), t0, |_| {});
    let plain = client.observe(todos(), QueryOptions::new(), t0, |_| {});
    serve(&mut client, t0, "[]");
    assert_eq!(client.next_due(), Some(t0 + EVERY));
    client.unobserve(ticking.observer, at(t0, 1));
    assert_eq!(client.observer_count(plain.query), 1);
    assert!(
        client.next_fetch(t0 + EVERY).is_none(),
        "no observer left asks for an interval"
    );
    assert_eq!(client.next_due(), None);
}
