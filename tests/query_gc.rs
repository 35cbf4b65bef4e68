//! `gc_time` then `gc`: an unobserved query keeps its record and data until its `gc_time`
//! runs out; then `gc` drops both, unless another live query reads the same root field.

mod common;

use std::time::Duration;

use common::client::{at, client, serve, todos, todos_json, todos_read};
use optimist::{Instant, QueryKey, QueryOptions};

const GC: Duration = Duration::from_secs(60);
const NS: Duration = Duration::from_nanos(1);

fn options() -> QueryOptions {
    QueryOptions::new().gc_time(GC)
}

/// `todos` answered with `Todo:1` and `Todo:2` at `t0`, then left at `t0 + 1 s`.
fn left() -> (optimist::Client, optimist::Observed, Instant) {
    let mut client = client();
    let t0 = Instant::now();
    let seen = client.observe(todos(), options(), t0, |_| {});
    serve(
        &mut client,
        t0,
        &todos_json(&[(1, "Buy milk"), (2, "Walk")]),
    );
    client.unobserve(seen.observer, at(t0, 1));
    (client, seen, at(t0, 1))
}

#[test]
fn an_unobserved_query_is_kept_until_its_gc_time() {
    let (mut client, seen, left_at) = left();
    assert_eq!(client.next_due(), Some(left_at + GC), "when to collect");
    let removed = client.gc(left_at + GC - NS);
    assert!(removed.is_empty());
    assert_eq!(client.query_count(), 1);
    assert!(client.query_state(seen.query).is_some());
    assert!(client.store().contains("Todo:1") && client.store().contains("Todo:2"));
    assert!(client.store().get_field("ROOT_QUERY", "todos").is_some());
}

#[test]
fn at_its_gc_time_gc_drops_the_record_and_its_entities() {
    let (mut client, seen, left_at) = left();
    let removed = client.gc(left_at + GC);
    assert!(removed.contains("Todo:1") && removed.contains("Todo:2"));
    assert_eq!(client.query_count(), 0);
    assert_eq!(client.query_state(seen.query), None);
    assert_eq!(client.query_of(&todos()), None);
    assert_eq!(client.query_key(seen.query), None);
    assert!(!client.store().contains("Todo:1"));
    assert!(!client.store().contains("Todo:2"));
    assert_eq!(client.store().get_field("ROOT_QUERY", "todos"), None);
    assert_eq!(client.next_due(), None);
    client.check_invariants().unwrap();
}

#[test]
fn a_collected_query_observed_again_starts_afresh() {
    let (mut client, seen, left_at) = left();
    client.gc(left_at + GC);
    let again = client.observe(todos(), options(), left_at + GC, |_| {});
    assert_ne!(again.query, seen.query, "a new record");
    assert!(again.fetch_due && again.state.is_loading());
    assert_eq!(
        client.refetch(seen.query, left_at + GC).unwrap_err(),
        optimist::QueryError::UnknownQuery(seen.query)
    );
}

#[test]
fn a_query_observed_again_before_its_gc_time_keeps_its_data() {
    let (mut client, seen, left_at) = left();
    let again = client.observe(todos(), options(), left_at + GC - NS, |_| {});
    assert_eq!(again.query, seen.query);
    assert!(!again.fetch_due, "cached and fresh");
    assert_eq!(
        again.state.data.as_deref(),
        Some(&todos_read(&[(1, "Buy milk"), (2, "Walk")]))
    );
    let removed = client.gc(left_at + GC * 10);
    assert!(removed.is_empty());
    assert_eq!(client.query_count(), 1);
    assert!(client.store().contains("Todo:1"));
    // Left again: the clock starts over.
    client.unobserve(again.observer, left_at + GC * 10);
    assert_eq!(client.next_due(), Some(left_at + GC * 11));
    assert!(client.gc(left_at + GC * 11 - NS).is_empty());
    assert!(client.gc(left_at + GC * 11).contains("Todo:1"));
}

#[test]
fn tick_releases_the_record_too() {
    let (mut client, seen, left_at) = left();
    client.tick(left_at + GC);
    assert_eq!(client.query_state(seen.query), None);
    assert!(
        client.store().get_field("ROOT_QUERY", "todos").is_none(),
        "its root field is evicted"
    );
}

#[test]
fn a_root_field_read_by_another_live_query_is_not_evicted() {
    let mut client = client();
    let t0 = Instant::now();
    // Two app keys that write and read the same field.
    let other = QueryKey::rest("GET /todos?fresh=1", "todos");
    let gone = client.observe(todos(), options(), t0, |_| {});
    serve(&mut client, t0, &todos_json(&[(1, "Buy milk")]));
    let live = client.observe(other, options(), t0, |_| {});
    assert_ne!(live.query, gone.query);
    client.unobserve(gone.observer, t0);
    client.gc(t0 + GC);
    assert_eq!(client.query_state(gone.query), None, "the record goes");
    assert!(client.store().get_field("ROOT_QUERY", "todos").is_some());
    assert!(client.store().contains("Todo:1"), "still reachable");
    assert_eq!(
        client.state(live.observer).unwrap().data.as_deref(),
        Some(&todos_read(&[(1, "Buy milk")]))
    );
}

#[test]
fn the_longest_gc_time_of_its_observers_keeps_it() {
    let mut client = client();
    let t0 = Instant::now();
    let short = client.observe(todos(), options(), t0, |_| {});
    let long = client.observe(todos(), options().gc_time(GC * 2), t0, |_| {});
    serve(&mut client, t0, &todos_json(&[(1, "Buy milk")]));
    client.unobserve(short.observer, t0);
    client.unobserve(long.observer, t0);
    client.gc(t0 + GC);
    assert_eq!(client.query_count(), 1);
    client.gc(t0 + GC * 2);
    assert_eq!(client.query_count(), 0);
}

#[test]
fn a_prefetched_query_is_kept_for_its_gc_time() {
    let mut client = client();
    let t0 = Instant::now();
    let query = client.prefetch(todos(), options(), t0);
    let fetch = common::client::next(&mut client, t0);
    assert_eq!(fetch.query, query);
    client
        .resolve(fetch.id, todos_json(&[(1, "Buy milk")]).as_str(), at(t0, 1))
        .unwrap();
    client.gc(t0 + GC - NS);
    assert!(client.store().contains("Todo:1"));
    let seen = client.observe(todos(), options(), t0 + GC - NS, |_| {});
    assert_eq!(seen.query, query);
    assert!(!seen.fetch_due);
    assert_eq!(
        seen.state.data.as_deref(),
        Some(&todos_read(&[(1, "Buy milk")]))
    );
}

#[cfg(feature = "graphql")]
#[test]
fn a_root_field_read_by_a_live_document_query_is_not_evicted() {
    let mut client = client();
    let t0 = Instant::now();
    let gone = client.observe(todos(), options(), t0, |_| {});
    serve(&mut client, t0, &todos_json(&[(1, "Buy milk")]));
    let doc = QueryKey::graphql("{ todos { id title } }", serde_json::json!({})).unwrap();
    let live = client.observe(doc, options(), t0, |_| {});
    assert!(!live.fetch_due, "complete from the REST answer");
    client.unobserve(gone.observer, t0);
    client.gc(t0 + GC);
    assert_eq!(client.query_count(), 1);
    assert!(client.store().contains("Todo:1"));
    assert_eq!(
        client.state(live.observer).unwrap().data.as_deref(),
        Some(&serde_json::json!({"todos": [{"__typename": "Todo", "id": 1, "title": "Buy milk"}]}))
    );
}
