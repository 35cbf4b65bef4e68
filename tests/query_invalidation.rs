//! Invalidation refetches only observed queries (unobserved ones when next observed), and
//! supersedes a fetch in flight: its answer is refused and its slot cancelled.

mod common;

use common::client::{client, next, serve, todo, todos, todos_json};
use optimist::{FetchStatus, Instant, QueryError, QueryOptions, Value};
use serde_json::json;

/// Two queries that both read `Todo:1.title`, answered: `todos` observed, `todo` observed
/// then left (kept for its `gc_time`).
fn two_queries() -> (
    optimist::Client,
    optimist::Observed,
    optimist::Observed,
    Instant,
) {
    let mut client = client();
    let t0 = Instant::now();
    let list = client.observe(todos(), QueryOptions::new(), t0, |_| {});
    serve(&mut client, t0, &todos_json(&[(1, "Buy milk")]));
    let one = client.observe(todo(), QueryOptions::new(), t0, |_| {});
    serve(&mut client, t0, r#"{"id": 1, "title": "Buy milk"}"#);
    client.unobserve(one.observer, t0);
    assert!(client.next_fetch(t0).is_none());
    assert_eq!(client.query_count(), 2);
    (client, list, one, t0)
}

#[test]
fn a_field_invalidated_refetches_only_the_observed_query() {
    let (mut client, list, one, t0) = two_queries();
    assert_eq!(
        client
            .store_mut()
            .invalidate_field("Todo:1", "title")
            .unwrap(),
        1
    );
    let fetch = next(&mut client, t0);
    assert_eq!(fetch.query, list.query);
    assert!(client.next_fetch(t0).is_none(), "the unobserved one waits");
    assert!(client.state(list.observer).unwrap().is_stale);
    assert_eq!(
        client.query_state(one.query).map(|s| s.fetch_status),
        Some(FetchStatus::Idle)
    );
    assert_eq!(
        client.query_state(one.query).map(|s| s.is_stale),
        Some(true)
    );
    // Observed again: its read is marked stale, so it is fetched.
    let again = client.observe(todo(), QueryOptions::new(), t0, |_| {});
    assert_eq!(again.query, one.query, "kept within its gc_time");
    assert!(again.fetch_due);
    assert_eq!(
        again.state.data.as_deref(),
        Some(&json!({"__typename": "Todo", "id": 1, "title": "Buy milk"})),
        "shown while refetched"
    );
    assert_eq!(next(&mut client, t0).query, one.query);
}

#[test]
fn client_invalidate_refetches_an_observed_query_now() {
    let (mut client, list, _, t0) = two_queries();
    client.invalidate(list.query, t0).unwrap();
    assert!(client.state(list.observer).unwrap().is_stale);
    assert_eq!(next(&mut client, t0).query, list.query);
    assert!(client.next_fetch(t0).is_none());
}

#[test]
fn client_invalidate_of_an_unobserved_query_waits_for_its_next_observer() {
    let (mut client, _, one, t0) = two_queries();
    client.invalidate(one.query, t0).unwrap();
    assert!(client.next_fetch(t0).is_none());
    assert_eq!(
        client.query_state(one.query).map(|s| s.is_stale),
        Some(true)
    );
    let again = client.observe(todo(), QueryOptions::new(), t0, |_| {});
    assert!(again.fetch_due);
    assert!(again.state.is_stale);
    let fetch = next(&mut client, t0);
    assert_eq!(fetch.query, one.query);
    client
        .resolve(fetch.id, r#"{"id": 1, "title": "Buy milk"}"#, t0)
        .unwrap();
    assert!(!client.state(again.observer).unwrap().is_stale, "answered");
}

#[test]
fn invalidate_where_marks_every_match_and_refetches_the_observed_ones() {
    let (mut client, list, one, t0) = two_queries();
    let matched = client.invalidate_where(
        |key| key.app_key().is_some_and(|k| k.starts_with("GET /todos")),
        t0,
    );
    assert_eq!(matched, 2);
    assert_eq!(next(&mut client, t0).query, list.query);
    assert!(client.next_fetch(t0).is_none());
    assert_eq!(
        client.query_state(one.query).map(|s| s.is_stale),
        Some(true)
    );
    assert_eq!(
        client.invalidate_where(|key| key.app_key() == Some("GET /nothing"), t0),
        0
    );
}

#[test]
fn an_unknown_query_is_refused() {
    let (mut client, _, one, t0) = two_queries();
    client.gc(t0 + std::time::Duration::from_secs(3600));
    assert_eq!(
        client.invalidate(one.query, t0).unwrap_err(),
        QueryError::UnknownQuery(one.query)
    );
}

#[test]
fn an_invalidation_while_a_fetch_is_in_flight_supersedes_it() {
    let (mut client, list, _, t0) = two_queries();
    let layers = client.store().layers().count();
    client.refetch(list.query, t0).unwrap();
    let old = next(&mut client, t0);
    let old_slot = old.slot.unwrap();
    assert_eq!(client.store().layers().count(), layers + 1);
    client
        .store_mut()
        .invalidate_field("Todo:1", "title")
        .unwrap();
    let new = next(&mut client, t0);
    assert_eq!(new.query, list.query);
    assert_ne!(new.id, old.id);
    assert!(
        client.store().layer(old_slot).is_none(),
        "the old slot is cancelled"
    );
    assert_eq!(
        client.store().layers().count(),
        layers + 1,
        "the new slot only"
    );
    assert_eq!(
        client.in_flight().collect::<Vec<_>>(),
        [(list.query, new.id)]
    );
    // The old answer (read before the change) is refused, and changes nothing.
    let before = client.store().clone();
    assert_eq!(
        client
            .resolve(old.id, todos_json(&[(1, "Old read")]).as_str(), t0)
            .unwrap_err(),
        QueryError::UnknownFetch(old.id)
    );
    assert!(*client.store() == before);
    client
        .resolve(new.id, todos_json(&[(1, "New read")]).as_str(), t0)
        .unwrap();
    assert_eq!(client.store().layers().count(), layers);
    assert_eq!(
        client.store().get_field("Todo:1", "title"),
        Some(&Value::from("New read"))
    );
    assert!(!client.state(list.observer).unwrap().is_stale);
    client.check_invariants().unwrap();
}

#[test]
fn client_invalidate_while_a_fetch_is_in_flight_supersedes_it() {
    let (mut client, list, _, t0) = two_queries();
    client.refetch(list.query, t0).unwrap();
    let old = next(&mut client, t0);
    client.invalidate(list.query, t0).unwrap();
    let new = next(&mut client, t0);
    assert!(client.store().layer(old.slot.unwrap()).is_none());
    assert_eq!(
        client.reject(old.id, optimist::FetchError::transient("late"), t0),
        Err(QueryError::UnknownFetch(old.id))
    );
    assert_eq!(client.state(list.observer).unwrap().failure_count, 0);
    client
        .resolve(new.id, todos_json(&[(1, "Buy milk")]).as_str(), t0)
        .unwrap();
    assert_eq!(client.store().layers().count(), 0);
}

#[test]
fn an_answer_arriving_before_the_superseding_fetch_is_sent_is_taken_and_the_refetch_stays_due() {
    let (mut client, list, _, t0) = two_queries();
    client.refetch(list.query, t0).unwrap();
    let old = next(&mut client, t0);
    client
        .store_mut()
        .invalidate_field("Todo:1", "title")
        .unwrap();
    // Not handed out yet: the old fetch is still the one awaited (superseded when the new one
    // is sent, as `Client::refetch` documents).
    client
        .resolve(old.id, todos_json(&[(1, "Old read")]).as_str(), t0)
        .unwrap();
    assert_eq!(client.store().layers().count(), 0);
    let new = next(&mut client, t0);
    assert_eq!(new.query, list.query, "the answer may predate the change");
    client
        .resolve(new.id, todos_json(&[(1, "New read")]).as_str(), t0)
        .unwrap();
    assert_eq!(
        client.store().get_field("Todo:1", "title"),
        Some(&Value::from("New read"))
    );
}

#[test]

fn an_answer_after_an_invalidation_is_fresh_while_an_older_fetch_is_in_flight() {
    let mut client = client();
    let t0 = Instant::now();
    let list = client.observe(todos(), QueryOptions::new(), t0, |_| {});
    serve(&mut client, t0, &todos_json(&[(1, "Buy milk")]));
    // Another query's fetch goes out first: its slot sits below the next one.
    let other = client.observe(
        optimist::QueryKey::rest("GET /me", "me"),
        QueryOptions::new(),
        t0,
        |_| {},
    );
    let older = next(&mut client, t0);
    assert_eq!(older.query, other.query);
    client
        .store_mut()
        .invalidate_field("ROOT_QUERY", "todos")
        .unwrap();
    let refetch = next(&mut client, t0);
    assert_eq!(refetch.query, list.query);
    client
        .resolve(refetch.id, todos_json(&[(1, "Buy milk")]).as_str(), t0)
        .unwrap();
    // Answered after the invalidation: fresh, though its slot waits above the older one.
    assert!(!client.state(list.observer).unwrap().is_stale);
    client.focus(t0);
    assert!(client.next_fetch(t0).is_none(), "no second refetch");
}

#[test]

fn invalidating_one_field_leaves_another_querys_refetch_alone() {
    let mut client = client();
    let t0 = Instant::now();
    let a = client.observe(
        optimist::QueryKey::rest("GET /a", "a"),
        QueryOptions::new(),
        t0,
        |_| {},
    );
    serve(&mut client, t0, "1");
    let b = client.observe(
        optimist::QueryKey::rest("GET /b", "b"),
        QueryOptions::new(),
        t0,
        |_| {},
    );
    serve(&mut client, t0, "2");
    client
        .store_mut()
        .invalidate_field("ROOT_QUERY", "a")
        .unwrap();
    let refetch_a = next(&mut client, t0);
    assert_eq!(refetch_a.query, a.query);
    // `a` is being refetched since its mark; `b` is invalidated now.
    client
        .store_mut()
        .invalidate_field("ROOT_QUERY", "b")
        .unwrap();
    let refetch_b = next(&mut client, t0);
    assert_eq!(refetch_b.query, b.query, "only b is due");
    assert!(client.next_fetch(t0).is_none());
    client
        .resolve(refetch_a.id, "10", t0)
        .expect("a's refetch, sent after a's mark, is still awaited");
}

#[test]

fn an_invalidation_during_a_fetch_that_then_fails_still_refetches() {
    let (mut client, list, _, t0) = two_queries();
    client.refetch(list.query, t0).unwrap();
    let old = next(&mut client, t0);
    client
        .store_mut()
        .invalidate_field("Todo:1", "title")
        .unwrap();
    // The old fetch fails before the new one is handed out.
    client
        .reject(old.id, optimist::FetchError::permanent("500"), t0)
        .unwrap();
    assert!(client.state(list.observer).unwrap().is_stale);
    let new = client.next_fetch(t0);
    assert_eq!(
        new.map(|fetch| fetch.query),
        Some(list.query),
        "the invalidation still asks for a refetch"
    );
}

#[test]

fn a_mark_set_after_an_answer_outlives_the_answers_fold_into_base() {
    let mut client = client();
    let t0 = Instant::now();
    let a = client.observe(
        optimist::QueryKey::rest("GET /a", "a"),
        QueryOptions::new(),
        t0,
        |_| {},
    );
    let fetch_a = next(&mut client, t0);
    let b_key = optimist::QueryKey::rest("GET /b", "b");
    let b = client.observe(b_key.clone(), QueryOptions::new(), t0, |_| {});
    let fetch_b = next(&mut client, t0);
    // b's answer waits above a's pending slot; b is left, then invalidated.
    client.resolve(fetch_b.id, "2", t0).unwrap();
    client.unobserve(b.observer, t0);
    client
        .store_mut()
        .invalidate_field("ROOT_QUERY", "b")
        .unwrap();
    assert_eq!(client.query_state(b.query).map(|s| s.is_stale), Some(true));
    // a's answer lets b's slot fold into base: b's data is the same answer as before the mark.
    client.resolve(fetch_a.id, "1", t0).unwrap();
    assert!(client.store().is_field_stale("ROOT_QUERY", "b"));
    let again = client.observe(b_key, QueryOptions::new(), t0, |_| {});
    assert!(again.fetch_due, "invalidated after its answer: refetched");
    let _ = a;
}

#[test]
fn an_observer_arriving_after_an_invalidation_supersedes_the_fetch_sent_before_it() {
    let (mut client, list, one, t0) = two_queries();
    // A refetch while nobody observes `todo`: its fetch is in flight when the field is
    // invalidated, and nobody observes the query to supersede it then (only the list,
    // observed, is refetched).
    client.refetch(one.query, t0).unwrap();
    let old = next(&mut client, t0);
    client
        .store_mut()
        .invalidate_field("Todo:1", "title")
        .unwrap();
    assert_eq!(next(&mut client, t0).query, list.query);
    assert!(
        client.next_fetch(t0).is_none(),
        "`todo` unobserved: not refetched"
    );
    let again = client.observe(todo(), QueryOptions::new(), t0, |_| {});
    assert!(again.fetch_due);
    let new = next(&mut client, t0);
    assert_eq!(
        new.query, one.query,
        "not joined: the old answer may predate the change"
    );
    assert!(
        client.store().layer(old.slot.unwrap()).is_none(),
        "its slot cancelled"
    );
    client
        .resolve(new.id, r#"{"id": 1, "title": "New read"}"#, t0)
        .unwrap();
    let state = client.state(again.observer).unwrap();
    assert!(!state.is_stale);
    assert_eq!(state.fetch_status, FetchStatus::Idle);
}
