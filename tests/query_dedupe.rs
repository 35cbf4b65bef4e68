//! Dedupe: observers of one key share one query record and one fetch in flight.

mod common;

use common::client::{Told, client, next, todos, todos_json, todos_read};
use optimist::{FetchStatus, Instant, QueryOptions, QueryStatus};

#[test]
fn two_observers_of_one_key_share_one_query_and_one_fetch() {
    let mut client = client();
    let t0 = Instant::now();
    let a = client.observe(todos(), QueryOptions::new(), t0, |_| {});
    let b = client.observe(todos(), QueryOptions::new(), t0, |_| {});
    assert_eq!(a.query, b.query);
    assert_ne!(a.observer, b.observer);
    assert!(a.fetch_due && b.fetch_due);
    assert_eq!(client.query_count(), 1);
    assert_eq!(client.observer_count(a.query), 2);
    let fetch = next(&mut client, t0);
    assert_eq!(fetch.query, a.query);
    assert!(client.next_fetch(t0).is_none(), "one fetch for both");
    assert_eq!(client.in_flight().count(), 1);
    client.check_invariants().unwrap();
}

#[test]
fn an_observer_arriving_while_the_fetch_is_in_flight_joins_it() {
    let mut client = client();
    let t0 = Instant::now();
    let a = client.observe(todos(), QueryOptions::new(), t0, |_| {});
    let fetch = next(&mut client, t0);
    let layers = client.store().layers().count();
    let c = client.observe(todos(), QueryOptions::new(), t0, |_| {});
    assert_eq!(c.query, a.query);
    assert!(c.fetch_due, "joined the fetch in flight");
    assert!(c.state.is_loading());
    assert!(client.next_fetch(t0).is_none(), "nothing more to send");
    assert_eq!(
        client.store().layers().count(),
        layers,
        "no second slot reserved"
    );
    assert_eq!(
        client.in_flight().collect::<Vec<_>>(),
        [(a.query, fetch.id)]
    );
    client
        .resolve(fetch.id, todos_json(&[(1, "Buy milk")]).as_str(), t0)
        .unwrap();
    for observer in [a.observer, c.observer] {
        let state = client.state(observer).unwrap();
        assert_eq!(
            (state.status, state.fetch_status),
            (QueryStatus::Success, FetchStatus::Idle)
        );
        assert_eq!(state.data.as_deref(), Some(&todos_read(&[(1, "Buy milk")])));
    }
    client.check_invariants().unwrap();
}

#[test]
fn a_joining_observer_with_other_options_does_not_double_the_fetch() {
    let mut client = client();
    let t0 = Instant::now();
    client.observe(todos(), QueryOptions::new(), t0, |_| {});
    next(&mut client, t0);
    let both = optimist::FetchPolicy::CacheAndNetwork;
    let c = client.observe(todos(), QueryOptions::new().fetch_policy(both), t0, |_| {});
    assert!(c.fetch_due);
    assert!(
        client.next_fetch(t0).is_none(),
        "cache-and-network joins the fetch in flight too"
    );
    assert_eq!(client.in_flight().count(), 1);
}

#[test]
fn every_observer_is_told_the_answer_once() {
    let mut client = client();
    let t0 = Instant::now();
    let (told_a, told_b) = (Told::default(), Told::default());
    let a = client.observe(todos(), QueryOptions::new(), t0, told_a.listener());
    let fetch = next(&mut client, t0);
    let b = client.observe(todos(), QueryOptions::new(), t0, told_b.listener());
    assert_eq!(a.query, b.query);
    let answer = todos_read(&[(1, "Buy milk")]);
    assert_eq!(told_a.told_data(&answer) + told_b.told_data(&answer), 0);
    let (before_a, before_b) = (told_a.count(), told_b.count());
    client
        .resolve(fetch.id, todos_json(&[(1, "Buy milk")]).as_str(), t0)
        .unwrap();
    assert_eq!(told_a.count(), before_a + 1, "one call for the answer");
    assert_eq!(told_b.count(), before_b + 1, "one call for the answer");
    assert_eq!(told_a.told_data(&answer), 1);
    assert_eq!(told_b.told_data(&answer), 1);
    let last = told_b.all().pop().unwrap();
    assert_eq!(last.status, QueryStatus::Success);
    assert_eq!(last.fetch_status, FetchStatus::Idle);
    // Nothing changed since: a call that changes nothing tells nobody.
    client.focus(t0);
    assert_eq!(told_a.count(), before_a + 1);
    assert_eq!(told_b.count(), before_b + 1);
}
