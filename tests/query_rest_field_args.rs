//! A REST key whose field has arguments (`todos({"done":true})`) is typed by the paths of
//! its bare field, as a field without arguments is.

mod common;

use common::client::{client, next, todos_read};
use optimist::{Instant, QueryKey, QueryOptions};

#[test]
fn a_field_without_arguments_is_typed() {
    let mut client = client();
    let t0 = Instant::now();
    let seen = client.observe(
        QueryKey::rest("GET /todos", "todos"),
        QueryOptions::new(),
        t0,
        |_| {},
    );
    let fetch = next(&mut client, t0);
    client
        .resolve(fetch.id, r#"[{"id": 1, "title": "a"}]"#, t0)
        .unwrap();
    assert!(client.store().contains("Todo:1"));
    assert_eq!(
        client.state(seen.observer).unwrap().data.as_deref(),
        Some(&todos_read(&[(1, "a")]))
    );
}

#[test]

fn a_field_with_arguments_is_typed_by_its_bare_name() {
    let mut client = client();
    let t0 = Instant::now();
    // The example of `QueryKey::rest`'s docs.
    let key = QueryKey::rest("GET /todos?done=true", r#"todos({"done":true})"#);
    let seen = client.observe(key, QueryOptions::new(), t0, |_| {});
    let fetch = next(&mut client, t0);
    client
        .resolve(fetch.id, r#"[{"id": 1, "title": "a"}]"#, t0)
        .unwrap();
    assert!(client.store().contains("Todo:1"), "normalized as a Todo");
    assert_eq!(
        client.state(seen.observer).unwrap().data.as_deref(),
        Some(&todos_read(&[(1, "a")]))
    );
}
