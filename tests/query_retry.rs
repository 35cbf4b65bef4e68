//! Retries: a failed refetch is retried by the query's policy while the data stays shown;
//! after the last attempt, or a permanent error, the query is an error that still shows it.

mod common;

use std::time::Duration;

use common::client::{at, client, next, serve, todos, todos_json, todos_read};
use optimist::{
    FetchError, FetchStatus, Instant, QueryError, QueryOptions, QueryStatus, RetryPolicy,
};

const NS: Duration = Duration::from_nanos(1);

fn policy(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts: Some(max_attempts),
        initial_delay: Duration::from_secs(2),
        factor: 2,
        max_delay: Duration::from_secs(60),
    }
}

/// An observer of `todos` with `retry`, answered once with `Buy milk`, then refetched: the
/// refetch is handed out.
fn refetching(
    retry: RetryPolicy,
) -> (
    optimist::Client,
    optimist::Observed,
    optimist::Fetch,
    Instant,
) {
    let mut client = client();
    let t0 = Instant::now();
    let seen = client.observe(todos(), QueryOptions::new().retry(retry), t0, |_| {});
    serve(&mut client, t0, &todos_json(&[(1, "Buy milk")]));
    client.refetch(seen.query, t0).unwrap();
    let fetch = next(&mut client, t0);
    assert_eq!(fetch.attempt, 1);
    (client, seen, fetch, t0)
}

#[test]
fn a_transient_failure_keeps_the_data_and_schedules_a_retry() {
    let (mut client, seen, fetch, t0) = refetching(policy(3));
    client
        .reject(fetch.id, FetchError::transient("502"), t0)
        .unwrap();
    let state = client.state(seen.observer).unwrap();
    assert_eq!(state.status, QueryStatus::Success, "the status stays");
    assert_eq!(
        state.fetch_status,
        FetchStatus::Fetching,
        "a retry is coming"
    );
    assert_eq!(state.data.as_deref(), Some(&todos_read(&[(1, "Buy milk")])));
    assert_eq!(state.failure_count, 1);
    assert_eq!(state.failure_reason, Some(FetchError::transient("502")));
    assert_eq!(state.error, None, "not an error while retrying");
    assert_eq!(client.store().layers().count(), 0, "its slot is cancelled");
    // The policy's first delay, jittered into [1/2, 1] of it.
    let due = client.next_due().unwrap();
    assert!(due >= t0 + Duration::from_secs(1) && due <= t0 + Duration::from_secs(2));
    assert!(
        client.next_fetch(due - NS).is_none(),
        "not before its delay"
    );
    let retry = next(&mut client, due);
    assert_eq!(retry.attempt, 2);
    client
        .resolve(retry.id, todos_json(&[(1, "Buy oat milk")]).as_str(), due)
        .unwrap();
    let state = client.state(seen.observer).unwrap();
    assert_eq!(
        (state.status, state.failure_count),
        (QueryStatus::Success, 0)
    );
    assert_eq!(state.failure_reason, None);
    assert_eq!(
        state.data.as_deref(),
        Some(&todos_read(&[(1, "Buy oat milk")]))
    );
}

#[test]
fn after_max_attempts_the_error_is_kept_and_the_data_still_shown() {
    let (mut client, seen, mut fetch, t0) = refetching(policy(3));
    let mut now = t0;
    let mut delays = Vec::new();
    for attempt in 1..=3 {
        assert_eq!(fetch.attempt, attempt);
        client
            .reject(
                fetch.id,
                FetchError::transient(format!("502 #{attempt}")),
                now,
            )
            .unwrap();
        if attempt < 3 {
            let due = client.next_due().unwrap();
            delays.push(due - now);
            now = due;
            fetch = next(&mut client, now);
        }
    }
    // Delays grow by the factor (2 s then 4 s, each jittered into [1/2, 1]).
    assert!(delays[0] >= Duration::from_secs(1) && delays[0] <= Duration::from_secs(2));
    assert!(delays[1] >= Duration::from_secs(2) && delays[1] <= Duration::from_secs(4));
    let state = client.state(seen.observer).unwrap();
    assert_eq!(state.status, QueryStatus::Error);
    assert_eq!(state.fetch_status, FetchStatus::Idle);
    assert_eq!(state.error, Some(FetchError::transient("502 #3")));
    assert_eq!(state.failure_count, 3);
    assert_eq!(
        state.data.as_deref(),
        Some(&todos_read(&[(1, "Buy milk")])),
        "the data is still shown"
    );
    assert!(client.next_fetch(at(t0, 3600)).is_none(), "given up");
    assert_eq!(client.next_due(), None);
}

#[test]
fn a_permanent_error_is_not_retried() {
    let (mut client, seen, fetch, t0) = refetching(policy(3));
    client
        .reject(fetch.id, FetchError::permanent("404"), t0)
        .unwrap();
    let state = client.state(seen.observer).unwrap();
    assert_eq!(state.status, QueryStatus::Error);
    assert_eq!(state.fetch_status, FetchStatus::Idle);
    assert_eq!(state.error, Some(FetchError::permanent("404")));
    assert_eq!(state.failure_count, 1);
    assert_eq!(state.data.as_deref(), Some(&todos_read(&[(1, "Buy milk")])));
    assert!(client.next_fetch(at(t0, 3600)).is_none());
    assert_eq!(client.next_due(), None);
}

#[test]
fn a_first_fetch_given_up_is_an_error_with_no_data() {
    let mut client = client();
    let t0 = Instant::now();
    let seen = client.observe(todos(), QueryOptions::new().retry(policy(1)), t0, |_| {});
    let fetch = next(&mut client, t0);
    client
        .reject(fetch.id, FetchError::transient("timeout"), t0)
        .unwrap();
    let state = client.state(seen.observer).unwrap();
    assert_eq!(state.status, QueryStatus::Error);
    assert!(state.data.is_none());
    assert_eq!(state.failure_count, 1);
    assert!(client.next_fetch(at(t0, 60)).is_none(), "one attempt only");
}

#[test]
fn an_error_is_cleared_by_the_next_answer() {
    let (mut client, seen, fetch, t0) = refetching(policy(1));
    client
        .reject(fetch.id, FetchError::permanent("500"), t0)
        .unwrap();
    client.refetch(seen.query, at(t0, 1)).unwrap();
    let again = next(&mut client, at(t0, 1));
    assert_eq!(again.attempt, 1, "attempts start over after giving up");
    client
        .resolve(again.id, todos_json(&[(1, "Buy milk")]).as_str(), at(t0, 1))
        .unwrap();
    let state = client.state(seen.observer).unwrap();
    assert_eq!(
        (state.status, state.error.clone()),
        (QueryStatus::Success, None)
    );
    assert_eq!(state.failure_count, 0);
}

#[test]
fn a_settled_fetch_cannot_be_answered_again() {
    let (mut client, _, fetch, t0) = refetching(policy(3));
    client
        .reject(fetch.id, FetchError::transient("502"), t0)
        .unwrap();
    assert_eq!(
        client.resolve(fetch.id, "[]", t0).unwrap_err(),
        QueryError::UnknownFetch(fetch.id)
    );
    assert_eq!(
        client
            .reject(fetch.id, FetchError::transient("again"), t0)
            .unwrap_err(),
        QueryError::UnknownFetch(fetch.id)
    );
}

#[test]
fn a_malformed_answer_is_an_error_not_retried_that_writes_nothing() {
    let (mut client, seen, fetch, t0) = refetching(policy(3));
    let before = client.store().get("ROOT_QUERY").cloned();
    client.resolve(fetch.id, "not json", t0).unwrap();
    let state = client.state(seen.observer).unwrap();
    assert_eq!(state.status, QueryStatus::Error);
    assert_eq!(
        state.error.as_ref().map(|e| e.kind),
        Some(optimist::FetchErrorKind::Malformed)
    );
    assert_eq!(state.data.as_deref(), Some(&todos_read(&[(1, "Buy milk")])));
    assert_eq!(client.store().get("ROOT_QUERY").cloned(), before);
    assert_eq!(client.store().layers().count(), 0);
    assert!(client.next_fetch(at(t0, 60)).is_none());
}
