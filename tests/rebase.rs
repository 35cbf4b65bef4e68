//! Layers hold ops, not copies: they rebase on whatever lies below them.

use optimist::{Patch, Store, Value};

fn likes(store: &Store) -> Option<i64> {
    store.get_field("Post:1", "likes").and_then(Value::as_i64)
}

#[test]
fn relay_rebase_dropping_a_lower_layer_reapplies_the_ones_above() {
    let mut store = Store::new();
    store
        .register_updater("double", |entity, _| {
            let entity = entity?.clone();
            let n = entity.get("likes").and_then(Value::as_i64)?;
            Some(entity.with("likes", n * 2))
        })
        .unwrap();
    store
        .write(Patch::new().set("Post:1", "likes", 9000))
        .unwrap();

    let (plus, _) = store
        .push("+1000", Patch::new().increment("Post:1", "likes", 1000))
        .unwrap();
    store
        .push("x2", Patch::new().update("Post:1", "double", Value::Null))
        .unwrap();
    assert_eq!(likes(&store), Some(20000));

    store.fail(plus).unwrap();
    assert_eq!(
        likes(&store),
        Some(18000),
        "x2 re-applied on 9000, not kept at 20000"
    );
    store.check_invariants().unwrap();
}

#[test]
fn a_server_write_under_a_relative_op_shows_through_it() {
    let mut store = Store::new();
    store
        .write(Patch::new().set("Post:1", "likes", 10))
        .unwrap();
    store
        .push("like", Patch::new().increment("Post:1", "likes", 1))
        .unwrap();
    store
        .write(Patch::new().set("Post:1", "likes", 50))
        .unwrap();
    assert_eq!(likes(&store), Some(51));
    assert_eq!(
        store
            .get_confirmed("Post:1")
            .and_then(|e| e.get("likes"))
            .and_then(Value::as_i64),
        Some(50)
    );
}

#[test]
fn apollos_stale_shadow_cannot_happen() {
    let mut store = Store::new();
    store
        .write(
            Patch::new()
                .set("Todo:1", "title", "Old")
                .set("Todo:1", "done", false),
        )
        .unwrap();
    store
        .push("tick", Patch::new().set("Todo:1", "done", true))
        .unwrap();

    // The server renames the todo while the tick is pending.
    let changes = store
        .write(Patch::new().set("Todo:1", "title", "New"))
        .unwrap();
    assert!(changes.contains("Todo:1"));

    let todo = store.get("Todo:1").unwrap();
    assert_eq!(
        todo.get("done"),
        Some(&Value::from(true)),
        "the pending tick"
    );
    assert_eq!(
        todo.get("title"),
        Some(&Value::from("New")),
        "the server's rename, not hidden"
    );
    store.check_invariants().unwrap();
}
