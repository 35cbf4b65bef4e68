//! `stale_time` at its boundary: fresh until `updated_at + stale_time`, stale from that
//! instant on, and `next_due` names that instant.

mod common;

use std::time::Duration;

use common::client::{client, next, todos, todos_json};
use optimist::{FetchStatus, Instant, QueryOptions};

const STALE: Duration = Duration::from_secs(30);
const NS: Duration = Duration::from_nanos(1);

/// An observer with `STALE`, answered at `t0 + 1 s`.
fn answered() -> (optimist::Client, optimist::Observed, Instant) {
    let mut client = client();
    let t0 = Instant::now();
    let seen = client.observe(todos(), QueryOptions::new().stale_time(STALE), t0, |_| {});
    let fetch = next(&mut client, t0);
    let updated = t0 + Duration::from_secs(1);
    client
        .resolve(fetch.id, todos_json(&[(1, "Buy milk")]).as_str(), updated)
        .unwrap();
    assert_eq!(
        client.state(seen.observer).unwrap().updated_at,
        Some(updated)
    );
    (client, seen, updated)
}

#[test]
fn one_nanosecond_before_the_boundary_it_is_fresh() {
    let (mut client, seen, updated) = answered();
    let just_before = updated + STALE - NS;
    client.tick(just_before);
    assert!(!client.state(seen.observer).unwrap().is_stale);
    client.focus(just_before);
    assert!(
        client.next_fetch(just_before).is_none(),
        "fresh: no refetch"
    );
    assert_eq!(
        client.state(seen.observer).unwrap().fetch_status,
        FetchStatus::Idle
    );
}

#[test]
fn at_the_boundary_it_is_stale_and_focus_refetches() {
    let (mut client, seen, updated) = answered();
    let boundary = updated + STALE;
    client.tick(boundary);
    let state = client.state(seen.observer).unwrap();
    assert!(state.is_stale);
    assert_eq!(
        state.fetch_status,
        FetchStatus::Idle,
        "stale is not a fetch"
    );
    assert!(client.next_fetch(boundary).is_none(), "not until a trigger");
    client.focus(boundary);
    let fetch = next(&mut client, boundary);
    assert_eq!(fetch.query, seen.query);
    assert_eq!(fetch.attempt, 1);
}

#[test]
fn next_due_names_the_boundary() {
    let (mut client, seen, updated) = answered();
    assert_eq!(client.next_due(), Some(updated + STALE));
    // Still so just before it.
    client.tick(updated + STALE - NS);
    assert_eq!(client.next_due(), Some(updated + STALE));
    // Past it: the flip is behind, and nothing else is due.
    client.tick(updated + STALE);
    assert_eq!(client.next_due(), None);
    assert!(client.state(seen.observer).unwrap().is_stale);
}

#[test]
fn the_listener_is_told_when_tick_finds_the_data_turned_stale() {
    let mut client = client();
    let t0 = Instant::now();
    let told = common::client::Told::default();
    let seen = client.observe(
        todos(),
        QueryOptions::new().stale_time(STALE),
        t0,
        told.listener(),
    );
    let fetch = next(&mut client, t0);
    client
        .resolve(fetch.id, todos_json(&[]).as_str(), t0)
        .unwrap();
    let before = told.count();
    client.tick(t0 + STALE - NS);
    assert_eq!(told.count(), before, "nothing changed");
    client.tick(t0 + STALE);
    assert_eq!(told.count(), before + 1);
    assert!(told.all().last().unwrap().is_stale);
    assert!(client.state(seen.observer).unwrap().is_stale);
}

#[test]
fn the_smallest_stale_time_of_the_observers_decides() {
    let mut client = client();
    let t0 = Instant::now();
    let long = client.observe(
        todos(),
        QueryOptions::new().stale_time(Duration::from_secs(60)),
        t0,
        |_| {},
    );
    let short = client.observe(todos(), QueryOptions::new().stale_time(STALE), t0, |_| {});
    let fetch = next(&mut client, t0);
    client
        .resolve(fetch.id, todos_json(&[]).as_str(), t0)
        .unwrap();
    assert_eq!(client.next_due(), Some(t0 + STALE));
    client.tick(t0 + STALE);
    assert!(client.state(short.observer).unwrap().is_stale);
    assert!(
        !client.state(long.observer).unwrap().is_stale,
        "each observer judges by its own stale time"
    );
    client.focus(t0 + STALE);
    assert!(client.next_fetch(t0 + STALE).is_some());
}

#[test]

fn next_due_names_each_observers_boundary_in_turn() {
    let mut client = client();
    let t0 = Instant::now();
    let long = client.observe(
        todos(),
        QueryOptions::new().stale_time(Duration::from_secs(60)),
        t0,
        |_| {},
    );
    client.observe(todos(), QueryOptions::new().stale_time(STALE), t0, |_| {});
    let fetch = next(&mut client, t0);
    client
        .resolve(fetch.id, todos_json(&[]).as_str(), t0)
        .unwrap();
    assert_eq!(client.next_due(), Some(t0 + STALE));
    client.tick(t0 + STALE);
    // The observer with 60 s turns stale at t0 + 60 s: a loop sleeping until `next_due`
    // must wake then to tell it.
    assert_eq!(client.next_due(), Some(t0 + Duration::from_secs(60)));
    client.tick(t0 + Duration::from_secs(60));
    assert!(client.state(long.observer).unwrap().is_stale);
}
