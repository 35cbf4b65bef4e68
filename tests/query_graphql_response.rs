//! A whole GraphQL response, `{data, errors, extensions}`, handed to the client (issue 24: the
//! envelope was written by hand): its data written, its errors handled by the query's error
//! policy as Apollo Client's `errorPolicy` does, and any malformed envelope a typed failure.
#![cfg(feature = "graphql")]

use optimist::{
    Client, ErrorPolicy, FetchErrorKind, Instant, ObserverId, QueryId, QueryKey, QueryOptions,
    QueryStatus, Store,
};
use serde_json::{Value as Json, json};

/// A response with partial data: the user's name failed to resolve.
const PARTIAL: &str = r#"{
    "data": {"me": {"__typename": "User", "id": "1", "name": null, "email": "ada@example.com"}},
    "errors": [{"message": "name is private", "path": ["me", "name"], "extensions": {"code": "FORBIDDEN"}}],
    "extensions": {"cost": 3}
}"#;

const CLEAN: &str = r#"{"data": {"me": {"__typename": "User", "id": "1", "name": "Ada", "email": "ada@example.com"}}}"#;

/// A client observing `{ me { ... } }` under `policy`, and the fetch handed out.
fn observed(policy: ErrorPolicy) -> (Client, ObserverId, optimist::FetchId, Instant) {
    let (client, observer, _, fetch, now) = observed_query(policy);
    (client, observer, fetch, now)
}

fn observed_query(
    policy: ErrorPolicy,
) -> (Client, ObserverId, QueryId, optimist::FetchId, Instant) {
    let mut client = Client::new(Store::new());
    let now = Instant::now();
    let key = QueryKey::graphql("{ me { id name email } }", Json::Null).unwrap();
    let options = QueryOptions::new().error_policy(policy);
    let seen = client.observe(key, options, now, |_| {});
    let fetch = client.next_fetch(now).expect("due at once");
    (client, seen.observer, seen.query, fetch.id, now)
}

#[test]
fn by_default_errors_fail_the_query_and_its_partial_data_is_not_written() {
    let (mut client, observer, fetch, now) = observed(ErrorPolicy::None);
    client.resolve_response(fetch, PARTIAL, now).unwrap();
    let state = client.state(observer).unwrap();
    assert_eq!(state.status, QueryStatus::Error);
    let error = state.error.as_ref().expect("the failure");
    assert_eq!(error.kind, FetchErrorKind::Permanent);
    assert!(error.message.contains("name is private"), "{error:?}");
    let errors = state.errors.as_ref().expect("the errors, kept");
    assert_eq!(errors[0].path, Some(vec![json!("me"), json!("name")]));
    assert_eq!(errors[0].extensions, Some(json!({"code": "FORBIDDEN"})));
    assert!(client.store().get("User:1").is_none(), "nothing written");
    assert!(
        client
            .next_fetch(now + std::time::Duration::from_secs(3600))
            .is_none(),
        "not retried"
    );
}

#[test]
fn ignore_writes_the_data_and_drops_the_errors() {
    let (mut client, observer, fetch, now) = observed(ErrorPolicy::Ignore);
    client.resolve_response(fetch, PARTIAL, now).unwrap();
    let state = client.state(observer).unwrap();
    assert_eq!(state.status, QueryStatus::Success);
    assert!(state.errors.is_none() && state.error.is_none());
    assert_eq!(
        state.data.as_deref(),
        Some(
            &json!({"me": {"__typename": "User", "id": "1", "name": null, "email": "ada@example.com"}})
        )
    );
}

#[test]
fn all_writes_the_data_and_keeps_the_errors_until_the_next_answer() {
    let (mut client, observer, query, fetch, now) = observed_query(ErrorPolicy::All);
    client.resolve_response(fetch, PARTIAL, now).unwrap();
    let state = client.state(observer).unwrap();
    assert_eq!(state.status, QueryStatus::Success);
    assert_eq!(state.errors.as_ref().unwrap()[0].message, "name is private");
    assert!(client.store().get("User:1").is_some());
    // A refetch answered without errors clears them.
    client.refetch(query, now).unwrap();
    let fetch = client.next_fetch(now).expect("the refetch");
    client.resolve_response(fetch.id, CLEAN, now).unwrap();
    let state = client.state(observer).unwrap();
    assert!(state.errors.is_none());
    assert_eq!(state.data.as_deref().unwrap()["me"]["name"], "Ada");
}

#[test]
fn text_bytes_and_json_are_taken_apart_alike() {
    let mut states = Vec::new();
    for form in 0..3 {
        let (mut client, observer, fetch, now) = observed(ErrorPolicy::All);
        let json: Json = serde_json::from_str(PARTIAL).unwrap();
        match form {
            0 => client.resolve_response(fetch, PARTIAL, now),
            1 => client.resolve_response(fetch, PARTIAL.as_bytes(), now),
            _ => client.resolve_response(fetch, &json, now),
        }
        .unwrap();
        let state = client.state(observer).unwrap();
        states.push((state.status, state.data.clone(), state.errors.clone()));
    }
    assert_eq!(states[0], states[1]);
    assert_eq!(states[0], states[2]);
}

#[test]
fn a_malformed_envelope_is_a_typed_failure_and_writes_nothing() {
    let cases = [
        (
            "not json",
            FetchErrorKind::Malformed,
            "not a GraphQL response",
        ),
        (
            "[1, 2]",
            FetchErrorKind::Malformed,
            "not a GraphQL response",
        ),
        ("{}", FetchErrorKind::Malformed, "a response with no data"),
        (
            r#"{"data": null}"#,
            FetchErrorKind::Malformed,
            "a response with no data",
        ),
        (
            r#"{"data": {}, "errors": "boom"}"#,
            FetchErrorKind::Malformed,
            "not a GraphQL response",
        ),
        (
            r#"{"data": null, "errors": [{"message": "down"}]}"#,
            FetchErrorKind::Permanent,
            "down",
        ),
        // The data itself does not answer the document.
        (
            r#"{"data": {"me": {"id": "1"}}}"#,
            FetchErrorKind::Malformed,
            "could not be written",
        ),
    ];
    for (body, kind, says) in cases {
        // Errors without data fail even where errors are kept.
        let (mut client, observer, fetch, now) = observed(ErrorPolicy::All);
        client.resolve_response(fetch, body, now).unwrap();
        let state = client.state(observer).unwrap();
        let error = state.error.as_ref().expect(body);
        assert_eq!(
            (error.kind, state.status),
            (kind, QueryStatus::Error),
            "{body}"
        );
        assert!(error.message.contains(says), "{body}: {error:?}");
        assert!(client.store().get("User:1").is_none(), "{body}");
        // Refused like any answer once the fetch is settled.
        assert!(client.resolve_response(fetch, CLEAN, now).is_err());
    }
}

/// An answer whose objects have ids but no typenames (a server that leaves out what the request
/// text asked for) is stored embedded, as Apollo stores it, and the query's state says so.
#[test]
fn an_answer_without_typenames_is_reported_in_the_query_state() {
    let mut client = optimist::Client::new(optimist::Store::new());
    let now = optimist::Instant::now();
    let key = optimist::QueryKey::graphql("{ me { id name } }", serde_json::json!({})).unwrap();
    let seen = client.observe(key, optimist::QueryOptions::new(), now, |_| {});
    let fetch = client.next_fetch(now).unwrap();
    client
        .resolve_response(
            fetch.id,
            r#"{"data": {"me": {"id": "1", "name": "Ada"}}}"#,
            now,
        )
        .unwrap();
    let state = client.state(seen.observer).unwrap();
    assert_eq!(
        state.diagnostics.as_deref(),
        Some(&[optimist::Diagnostic::MissingTypename { path: "me".into() }][..])
    );
    assert!(
        client.store().get("User:1").is_none(),
        "embedded, not an entity"
    );
    // The next answer names its types: nothing to report.
    client.refetch(seen.query, now).unwrap();
    let fetch = client.next_fetch(now).unwrap();
    let body = r#"{"data": {"me": {"__typename": "User", "id": "1", "name": "Ada"}}}"#;
    client.resolve_response(fetch.id, body, now).unwrap();
    assert_eq!(client.state(seen.observer).unwrap().diagnostics, None);
}
