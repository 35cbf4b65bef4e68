//! Failure is an exact revert: whatever a failed layer did, the store ends as if it had never
//! been pushed.

use optimist::{Entity, Key, ListPosition, Patch, Store, Value};

fn todos(store: &Store) -> Vec<String> {
    store
        .get_field("ROOT_QUERY", "todos")
        .and_then(Value::as_list)
        .map(|list| {
            list.iter()
                .filter_map(|v| v.as_ref_key())
                .map(|k| k.to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn seeded() -> Store {
    let mut store = Store::new();
    let refs: Vec<Value> = (1..=3)
        .map(|i| Value::Ref(Key::new(&format!("Todo:{i}")).unwrap()))
        .collect();
    let mut patch = Patch::new().set("ROOT_QUERY", "todos", Value::from(refs));
    for i in 1..=3 {
        patch = patch.write(
            format!("Todo:{i}"),
            Entity::new()
                .with("title", format!("todo {i}"))
                .with("done", false),
        );
    }
    store.write(patch).unwrap();
    store
}

#[test]
fn push_then_fail_is_the_identity() {
    let mut store = seeded();
    // A layer below and a layer above the one that fails, touching the same keys.
    store
        .push("below", Patch::new().set("Todo:1", "done", true))
        .unwrap();
    let before = store.clone();

    let (id, changes) = store
        .push(
            "everything",
            Patch::new()
                .set("Todo:1", "title", "renamed")
                .remove_field("Todo:2", "done")
                .delete("Todo:3")
                .increment("Todo:1", "edits", 1)
                .insert(
                    "ROOT_QUERY",
                    "todos",
                    Key::new("Todo:9").unwrap(),
                    ListPosition::Start,
                )
                .remove_item("ROOT_QUERY", "todos", Key::new("Todo:2").unwrap())
                .set("Todo:9", "title", "new"),
        )
        .unwrap();
    assert_eq!(changes.len(), 5);
    assert_ne!(store, before);

    let changes = store.fail(id).unwrap();
    assert_eq!(changes.len(), 5, "every key it changed is reported back");
    assert_eq!(store, before);
    store.check_invariants().unwrap();
}

#[test]
fn failing_a_middle_layer_leaves_what_the_layers_above_would_have_made_alone() {
    let mut store = seeded();
    let (id, _) = store
        .push("middle", Patch::new().set("Todo:1", "title", "middle"))
        .unwrap();
    store
        .push("top", Patch::new().increment("Todo:1", "edits", 1))
        .unwrap();
    store.fail(id).unwrap();

    let mut only_top = seeded();
    only_top
        .push("top", Patch::new().increment("Todo:1", "edits", 1))
        .unwrap();
    assert_eq!(store.get("Todo:1"), only_top.get("Todo:1"));
    assert_eq!(store.get_field("Todo:1", "edits"), Some(&Value::from(1)));
    store.check_invariants().unwrap();
}

#[test]
fn a_failed_optimistic_delete_of_a_list_item_is_fully_restored() {
    let mut store = seeded();
    let before = store.clone();
    let (id, _) = store
        .push(
            "delete todo 2",
            Patch::new()
                .remove_item("ROOT_QUERY", "todos", Key::new("Todo:2").unwrap())
                .delete("Todo:2"),
        )
        .unwrap();
    assert_eq!(todos(&store), ["Todo:1", "Todo:3"]);
    assert!(store.get("Todo:2").is_none());

    // Meanwhile the server pushes an edit of the very entity being deleted.
    store
        .write(Patch::new().set("Todo:2", "title", "edited elsewhere"))
        .unwrap();
    assert!(store.get("Todo:2").is_none(), "still deleted in the view");

    store.fail(id).unwrap();
    assert_eq!(
        todos(&store),
        ["Todo:1", "Todo:2", "Todo:3"],
        "no ghost, no hole"
    );
    assert_eq!(
        store.get_field("Todo:2", "title").and_then(Value::as_str),
        Some("edited elsewhere"),
        "restored with the server's latest values, not a stale snapshot"
    );
    assert_eq!(
        store.get_field("Todo:2", "done"),
        before.get_field("Todo:2", "done")
    );
    store.check_invariants().unwrap();
}

#[test]
fn refused_calls_leave_the_store_exactly_as_it_was() {
    let mut store = seeded();
    let (id, _) = store
        .push("edit", Patch::new().set("Todo:1", "done", true))
        .unwrap();
    let before = store.clone();

    assert!(
        store
            .write(Patch::new().set("Todo:1", "a", 1).set("", "a", 1))
            .is_err()
    );
    assert!(
        store
            .push("bad", Patch::new().set("Todo:", "a", 1))
            .is_err()
    );
    assert!(
        store
            .push("bad", Patch::new().update("Todo:1", "unregistered", 1))
            .is_err()
    );
    assert!(store.confirm(id, Patch::new().set(":1", "a", 1)).is_err());
    assert_eq!(store, before);
    assert!(
        store.layer(id).is_some(),
        "a refused confirm leaves the layer pending"
    );
}
