//! The last observer leaving cancels the fetch in flight: its slot goes, its late answer is
//! refused and changes nothing; while another observer stays, the fetch goes on.

mod common;

use std::time::Duration;

use common::client::{at, client, next, serve, todos, todos_json, todos_read};
use optimist::{FetchError, FetchStatus, Instant, QueryError, QueryOptions, QueryStatus};

#[test]
fn the_last_observer_leaving_cancels_the_fetch_and_its_slot() {
    let mut client = client();
    let t0 = Instant::now();
    let seen = client.observe(todos(), QueryOptions::new(), t0, |_| {});
    let fetch = next(&mut client, t0);
    let slot = fetch.slot.unwrap();
    assert_eq!(client.store().layers().count(), 1);
    assert!(client.unobserve(seen.observer, t0));
    assert_eq!(client.store().layers().count(), 0, "no pending layer left");
    assert!(client.store().layer(slot).is_none());
    assert_eq!(client.in_flight().count(), 0);
    assert_eq!(
        client.query_state(seen.query).map(|s| s.fetch_status),
        Some(FetchStatus::Idle)
    );
    assert_eq!(client.state(seen.observer), None, "the observer is gone");
    client.check_invariants().unwrap();
}

#[test]
fn the_late_answer_is_refused_and_changes_nothing() {
    let mut client = client();
    let t0 = Instant::now();
    let seen = client.observe(todos(), QueryOptions::new(), t0, |_| {});
    let fetch = next(&mut client, t0);
    client.unobserve(seen.observer, t0);
    let before = client.store().clone();
    assert_eq!(
        client
            .resolve(fetch.id, todos_json(&[(1, "Buy milk")]).as_str(), t0)
            .unwrap_err(),
        QueryError::UnknownFetch(fetch.id)
    );
    assert!(*client.store() == before);
    assert!(client.store().is_empty());
    assert!(!client.store().contains("Todo:1"));
    assert_eq!(
        client.reject(fetch.id, FetchError::transient("late"), t0),
        Err(QueryError::UnknownFetch(fetch.id))
    );
    let state = client.query_state(seen.query).unwrap();
    assert_eq!(
        (state.status, state.failure_count),
        (QueryStatus::Pending, 0)
    );
}

#[test]
fn a_retry_due_is_dropped_when_the_last_observer_leaves() {
    let mut client = client();
    let t0 = Instant::now();
    let seen = client.observe(todos(), QueryOptions::new(), t0, |_| {});
    let fetch = next(&mut client, t0);
    client
        .reject(fetch.id, FetchError::transient("502"), t0)
        .unwrap();
    assert!(client.next_due().is_some_and(|due| due > t0));
    client.unobserve(seen.observer, t0);
    assert!(client.next_fetch(at(t0, 60)).is_none());
}

#[test]
fn one_of_two_observers_leaving_does_not_cancel() {
    let mut client = client();
    let t0 = Instant::now();
    let a = client.observe(todos(), QueryOptions::new(), t0, |_| {});
    let b = client.observe(todos(), QueryOptions::new(), t0, |_| {});
    let fetch = next(&mut client, t0);
    assert!(client.unobserve(a.observer, t0));
    assert_eq!(client.observer_count(b.query), 1);
    assert_eq!(client.store().layers().count(), 1, "the slot stays");
    assert_eq!(
        client.in_flight().collect::<Vec<_>>(),
        [(b.query, fetch.id)]
    );
    assert_eq!(
        client.state(b.observer).unwrap().fetch_status,
        FetchStatus::Fetching
    );
    client
        .resolve(fetch.id, todos_json(&[(1, "Buy milk")]).as_str(), t0)
        .unwrap();
    assert_eq!(
        client.state(b.observer).unwrap().data.as_deref(),
        Some(&todos_read(&[(1, "Buy milk")]))
    );
    assert!(client.store().contains("Todo:1"));
    assert_eq!(client.store().layers().count(), 0);
}

#[test]
fn an_observer_coming_back_fetches_again() {
    let mut client = client();
    let t0 = Instant::now();
    let seen = client.observe(todos(), QueryOptions::new(), t0, |_| {});
    let old = next(&mut client, t0);
    client.unobserve(seen.observer, t0);
    let back = client.observe(todos(), QueryOptions::new(), at(t0, 1), |_| {});
    assert_eq!(back.query, seen.query);
    assert!(back.fetch_due);
    let new = next(&mut client, at(t0, 1));
    assert_ne!(new.id, old.id);
    assert_eq!(new.attempt, 1);
    assert!(client.resolve(old.id, "[]", at(t0, 1)).is_err());
    client
        .resolve(new.id, todos_json(&[(2, "Walk")]).as_str(), at(t0, 1))
        .unwrap();
    assert_eq!(
        client.state(back.observer).unwrap().data.as_deref(),
        Some(&todos_read(&[(2, "Walk")]))
    );
}

#[test]
fn unobserving_an_unknown_observer_is_refused() {
    let mut client = client();
    let t0 = Instant::now();
    let seen = client.observe(todos(), QueryOptions::new(), t0, |_| {});
    serve(&mut client, t0, "[]");
    assert!(client.unobserve(seen.observer, t0));
    assert!(!client.unobserve(seen.observer, t0 + Duration::from_secs(1)));
}
