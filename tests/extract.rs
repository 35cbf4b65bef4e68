//! Apollo's snapshot format: `extract` out, `restore` back in.

use optimist::{Key, Patch, RestoreError, Store, Value};
use serde_json::json;

fn seeded() -> Store {
    let mut store = Store::new();
    store
        .write(
            Patch::new()
                .set(
                    "ROOT_QUERY",
                    "todos",
                    Value::from(vec![Key::new("Todo:1").unwrap()]),
                )
                .set("Todo:1", "title", "a")
                .set(
                    "Todo:1",
                    "tags",
                    Value::from_json(json!(["x", {"deep": [1, null]}])),
                ),
        )
        .unwrap();
    store
}

#[test]
fn extract_uses_apollos_ref_format() {
    let store = seeded();
    assert_eq!(
        store.extract(false),
        json!({
            "ROOT_QUERY": {"todos": [{"__ref": "Todo:1"}]},
            "Todo:1": {"title": "a", "tags": ["x", {"deep": [1, null]}]},
        })
    );
}

#[test]
fn restore_replaces_base_and_layers_rebase_on_it() {
    let mut store = seeded();
    let saved = store.extract(false);
    store
        .write(Patch::new().set("Todo:2", "title", "b"))
        .unwrap();
    store
        .push("edit", Patch::new().set("Todo:1", "done", true))
        .unwrap();

    let changes = store.restore(&saved).unwrap();
    assert!(changes.contains("Todo:2"), "removed from base and view");
    assert!(store.get("Todo:2").is_none());
    assert_eq!(store.extract(false), saved);
    assert_eq!(
        store.get_field("Todo:1", "done"),
        Some(&Value::from(true)),
        "the layer stays"
    );
    store.check_invariants().unwrap();
}

#[test]
fn bad_snapshots_change_nothing() {
    let mut store = seeded();
    store
        .push("edit", Patch::new().set("Todo:1", "done", true))
        .unwrap();
    let before = store.clone();

    let mut deep = json!(1);
    for _ in 0..1000 {
        deep = json!([deep]);
    }
    let cases = [
        (json!([1]), "a snapshot must be a JSON object of entities"),
        (
            json!({"Todo:": {}}),
            "snapshot key `Todo:` is invalid: entity key `Todo:` has an empty id",
        ),
        (
            json!({"Todo:1": "x"}),
            "snapshot entry `Todo:1` is not an object",
        ),
        (
            json!({"Todo:1": {"f": deep}}),
            "snapshot entry `Todo:1` nests deeper than 256 levels",
        ),
    ];
    for (snapshot, message) in cases {
        let error: RestoreError = store.restore(&snapshot).unwrap_err();
        assert_eq!(error.to_string(), message);
        assert_eq!(store, before);
    }
}

#[test]
fn apollos_meta_entry_is_ignored() {
    let mut store = Store::new();
    store
        .restore(&json!({"__META": {"extraRootIds": ["Todo:1"]}, "Todo:1": {"a": 1}}))
        .unwrap();
    assert_eq!(store.extract(false), json!({"Todo:1": {"a": 1}}));
}
