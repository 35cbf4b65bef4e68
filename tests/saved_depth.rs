//! Whatever saves, loads (issue 27, item 2): one depth limit, `DEFAULT_MAX_DEPTH`, for
//! `save_json` and `load_json`, wherever a value sits in the saved store (base, a layer's ops,
//! a mutation's request), around serde_json's own limit of 128 and at ours.

mod common;

use common::hostile::{deep_value, on_small_stack};
use optimist::{DEFAULT_MAX_DEPTH, ListPosition, LoadError, Mutation, Patch, Store, Value};

/// A store with the updater the stores here use.
fn new_store() -> Store {
    let mut store = Store::new();
    store
        .register_updater("keep", |entity, _| entity.cloned())
        .unwrap();
    store
}

/// A store holding `value` in every place a saved store keeps values: a base field (under the
/// entity's own level), a pushed write (the same) and list insert, an updater's arguments and
/// a mutation's request.
fn holding(value: &Value) -> Store {
    let mut store = new_store();
    store
        .write(Patch::new().set("A:1", "deep", value.clone()))
        .unwrap();
    store
        .push(
            "layer",
            Patch::new()
                .set("A:2", "deep", value.clone())
                .insert("A:3", "list", value.clone(), ListPosition::End)
                .update("A:4", "keep", value.clone()),
        )
        .unwrap();
    store
        .mutate(Mutation::new("mutation", Patch::new().set("A:5", "x", 1)).request(value.clone()))
        .unwrap();
    store
}

/// Saves `store`, loads the text into a new store and checks it comes back equal.
fn round_trip(store: &Store, what: &str) {
    let text = store.save_json().unwrap_or_else(|e| panic!("{what}: {e}"));
    let mut loaded = new_store();
    loaded
        .load_json(&text)
        .unwrap_or_else(|e| panic!("{what}: saved, but not loaded: {e}"));
    assert_eq!(&loaded, store, "{what}");
    loaded.check_invariants().unwrap();
}

#[test]
fn values_nested_around_serde_jsons_limit_save_and_load() {
    on_small_stack(|| {
        for depth in (0..8).chain(120..=132) {
            // serde_json's own limit (128) counts the format's levels around the value too.
            round_trip(&holding(&deep_value(depth)), &format!("depth {depth}"));
        }
    });
}

#[test]
fn values_at_the_limit_save_and_load_and_one_deeper_is_refused_at_save() {
    on_small_stack(|| {
        // Inside an entity (a base field, a write's field): the entity is the first level.
        let mut store = new_store();
        let field = deep_value(DEFAULT_MAX_DEPTH - 1);
        store
            .write(Patch::new().set("A:1", "deep", field.clone()))
            .unwrap();
        store
            .push("layer", Patch::new().set("A:2", "deep", field))
            .unwrap();
        round_trip(&store, "fields at the limit");
        // A value on its own (a list insert's item, an updater's arguments, a request).
        let mut store = holding(&deep_value(DEFAULT_MAX_DEPTH - 1));
        let item = deep_value(DEFAULT_MAX_DEPTH);
        store
            .push(
                "insert",
                Patch::new().insert("A:6", "list", item.clone(), ListPosition::End),
            )
            .unwrap();
        store
            .mutate(Mutation::new("request", Patch::new().set("A:7", "x", 1)).request(item))
            .unwrap();
        round_trip(&store, "values at the limit");

        // One level deeper anywhere: refused at save, with a typed error, the store unchanged.
        for store in [
            holding(&deep_value(DEFAULT_MAX_DEPTH)),
            holding(&deep_value(DEFAULT_MAX_DEPTH + 1)),
        ] {
            let before = store.clone();
            let error = store.save_json().unwrap_err();
            assert!(
                error.message().contains("deeper than 256"),
                "{}",
                error.message()
            );
            assert_eq!(store, before);
        }
    });
}

#[test]
fn a_saved_store_nested_past_the_limit_is_refused_at_load_without_a_crash() {
    on_small_stack(|| {
        // Hand-written, far deeper than anything a save writes.
        let deep = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        let mut store = Store::new();
        store.write(Patch::new().set("A:1", "x", 1)).unwrap();
        let before = store.clone();
        let text = format!(
            r#"{{"format":1,"base":{{"A:1":{{"deep":{}}}}},"layers":[],"mutations":[]}}"#,
            deep(100_000)
        );
        let error = store.load_json(&text).unwrap_err();
        assert!(
            matches!(&error, LoadError::Json(m) if m.contains("deeper than 256")),
            "{error}"
        );
        assert_eq!(store, before, "a refused load changes nothing");
        // A field the format does not know is skipped, however deep, without recursion.
        let text = format!(
            r#"{{"format":1,"base":{{}},"layers":[],"mutations":[],"later":{}}}"#,
            deep(100_000)
        );
        store.load_json(&text).unwrap();
        assert!(store.is_empty());
    });
}
