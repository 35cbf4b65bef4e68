//! The app's code inside `Client::resolve` (key functions while the answer is normalized,
//! updaters while it is confirmed) may panic: the panic propagates, and the client and its
//! store are as they were, the fetch still in flight, so the next answer (or a refetch) goes
//! on (issue 27: panic safety of every call that runs the app's code).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use optimist::{Client, Instant, KeyFields, Policies, QueryKey, QueryOptions, QueryStatus, Store};
use serde_json::json;

/// Todos keyed by `slug`; a todo whose slug is "boom" panics the key function.
fn client() -> Client {
    let by_slug: Arc<optimist::KeyFn> = Arc::new(|typename, fields| {
        let slug = fields.get("slug")?.as_str()?;
        assert_ne!(slug, "boom", "the key function panicked");
        Some(format!("{typename}:{slug}"))
    });
    let policies = Policies::new()
        .type_at("todos", "Todo")
        .key_fields("Todo", KeyFields::Custom(by_slug));
    Client::new(Store::with_policies(policies))
}

#[test]
fn a_key_function_panicking_on_an_answer_leaves_the_client_and_store_as_they_were() {
    let mut client = client();
    let now = Instant::now();
    let seen = client.observe(
        QueryKey::rest("GET /todos", "todos"),
        QueryOptions::new(),
        now,
        |_| {},
    );
    let fetch = client.next_fetch(now).expect("due");
    let store_before = client.store().clone();
    let caught = catch_unwind(AssertUnwindSafe(|| {
        client.resolve(fetch.id, r#"[{"slug": "a"}, {"slug": "boom"}]"#, now)
    }));
    assert!(caught.is_err(), "the panic propagates");
    assert!(*client.store() == store_before, "the store is as it was");
    client.check_invariants().unwrap();
    client.store().check_invariants().unwrap();
    assert_eq!(
        client.in_flight().collect::<Vec<_>>(),
        [(seen.query, fetch.id)],
        "the fetch is still in flight"
    );
    // The next answer for it lands.
    client
        .resolve(fetch.id, r#"[{"slug": "a", "title": "Buy milk"}]"#, now)
        .unwrap();
    let state = client.state(seen.observer).unwrap();
    assert_eq!(state.status, QueryStatus::Success);
    assert_eq!(
        state.data.as_deref(),
        Some(&json!([{"__typename": "Todo", "slug": "a", "title": "Buy milk"}]))
    );
}
