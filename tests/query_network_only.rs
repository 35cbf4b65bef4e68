//! Network-only: no data is shown until the query's own answer, which is written to the
//! store and read back from it.

mod common;

use common::client::{cached, client, next, todos, todos_json, todos_read};
use optimist::{FetchPolicy, FetchStatus, Instant, Patch, QueryOptions, QueryStatus, Value};

fn options() -> QueryOptions {
    QueryOptions::new().fetch_policy(FetchPolicy::NetworkOnly)
}

#[test]
fn cached_data_is_not_shown_before_the_answer() {
    let mut client = client();
    cached(&mut client, "Old title");
    let t0 = Instant::now();
    let seen = client.observe(todos(), options(), t0, |_| {});
    assert!(seen.fetch_due);
    assert!(seen.state.data.is_none(), "the cache is not shown");
    assert!(seen.state.is_loading());
    assert_eq!(seen.state.status, QueryStatus::Pending);
    let fetch = next(&mut client, t0);
    assert!(fetch.slot.is_some(), "its answer lands in the store");
    assert!(client.state(seen.observer).unwrap().data.is_none());
    // A write to the store meanwhile is not shown either.
    client
        .store_mut()
        .write(Patch::new().set("Todo:1", "title", "Other title"))
        .unwrap();
    assert!(client.state(seen.observer).unwrap().data.is_none());
}

#[test]
fn the_answer_is_written_to_the_store_and_shown_from_it() {
    let mut client = client();
    cached(&mut client, "Old title");
    let t0 = Instant::now();
    let seen = client.observe(todos(), options(), t0, |_| {});
    let fetch = next(&mut client, t0);
    client
        .resolve(
            fetch.id,
            todos_json(&[(1, "New title"), (2, "Walk")]).as_str(),
            t0,
        )
        .unwrap();
    let state = client.state(seen.observer).unwrap();
    assert_eq!(
        (state.status, state.fetch_status),
        (QueryStatus::Success, FetchStatus::Idle)
    );
    assert_eq!(
        state.data.as_deref(),
        Some(&todos_read(&[(1, "New title"), (2, "Walk")]))
    );
    assert_eq!(
        client.store().get_field("Todo:2", "title"),
        Some(&Value::from("Walk")),
        "written to the store"
    );
    assert_eq!(client.store().layers().count(), 0, "its slot settled");
    // From now on it reads the store: a later write is shown.
    client
        .store_mut()
        .write(Patch::new().set("Todo:2", "title", "Walk the dog"))
        .unwrap();
    assert_eq!(
        client.state(seen.observer).unwrap().data.as_deref(),
        Some(&todos_read(&[(1, "New title"), (2, "Walk the dog")]))
    );
}

#[test]
fn it_fetches_although_the_cache_is_complete_and_fresh() {
    let mut client = client();
    cached(&mut client, "Old title");
    let t0 = Instant::now();
    let seen = client.observe(todos(), options(), t0, |_| {});
    assert!(seen.fetch_due);
    assert_eq!(seen.state.fetch_status, FetchStatus::Fetching);
    assert_eq!(next(&mut client, t0).query, seen.query);
}
