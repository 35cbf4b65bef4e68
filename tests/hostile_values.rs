//! Values through extract and restore, and values built in code deeper than any limit
//! (issue 8, items 6 and 7).

mod common;

use common::hostile::{deep_json_list, deep_value, dismantle, on_small_stack};
use optimist::{Entity, FieldName, Key, Patch, RestoreError, Store, Value};
use serde_json::json;

#[test]
fn an_embedded_object_shaped_like_a_reference_survives_a_round_trip() {
    let lookalike = Value::Object(Entity::new().with("__ref", "Todo:1"));
    let escape = Value::Object(Entity::new().with("__object", Entity::new().with("x", 1)));
    let mut store = Store::new();
    store
        .write(
            Patch::new()
                .set("Todo:2", "meta", lookalike.clone())
                .set("Todo:2", "escape", escape.clone())
                .set(
                    "Todo:2",
                    "list",
                    vec![lookalike.clone(), Value::Ref(Key::new("Todo:1").unwrap())],
                )
                .set("Odd:1", "__ref", "Todo:1"),
        )
        .unwrap();
    let saved = store.extract(false);
    assert_eq!(
        saved["Todo:2"]["meta"],
        json!({"__object": {"__ref": "Todo:1"}})
    );
    let mut back = Store::new();
    back.restore(&saved).unwrap();
    assert_eq!(back.get_field("Todo:2", "meta"), Some(&lookalike));
    assert_eq!(back.get_field("Todo:2", "escape"), Some(&escape));
    assert_eq!(back.get("Todo:2"), store.get("Todo:2"));
    assert_eq!(back.get("Odd:1"), store.get("Odd:1"));
    assert_eq!(back.extract(false), saved);
    // serde agrees with extract.
    let value = store.get_field("Todo:2", "list").unwrap();
    assert_eq!(serde_json::to_value(value).unwrap(), value.to_json());
    let again: Value = serde_json::from_value(value.to_json()).unwrap();
    assert_eq!(&again, value);
}

#[cfg(feature = "graphql")]
#[test]
fn a_normalized_custom_scalar_shaped_like_a_reference_stays_a_scalar() {
    let doc = optimist::Document::parse("{ meta }").unwrap();
    let mut store = Store::new();
    let data = json!({"meta": {"__ref": "Todo:1"}});
    let patch = optimist::normalize_query(store.policies(), &doc, &json!({}), &data).unwrap();
    store.write(patch).unwrap();
    let mut back = Store::new();
    back.restore(&store.extract(false)).unwrap();
    assert_eq!(back.get("ROOT_QUERY"), store.get("ROOT_QUERY"));
    assert_eq!(back.read_query(&doc, &json!({})).unwrap(), data);
}

#[test]
fn values_built_deeper_than_any_limit_convert_drop_and_refuse_cleanly() {
    on_small_stack(|| {
        let deep = deep_value(10_000);
        let mut store = Store::new();
        store
            .write(Patch::new().set("A:1", "deep", deep.clone()))
            .unwrap();
        drop(deep);
        // extract does not recurse; restore refuses what it cannot read back within the limit.
        let saved = store.extract(false);
        let error = Store::new().restore(&saved).unwrap_err();
        assert!(matches!(error, RestoreError::TooDeep { .. }));
        dismantle(saved);
        // serde refuses, with an error, instead of recursing 10,000 times.
        let value = store.get_field("A:1", "deep").unwrap().clone();
        assert!(serde_json::to_string(&value).is_err());
        assert!(serde_json::to_string(store.get("A:1").unwrap()).is_err());
        // A save refuses too, with a typed error, rather than giving text that cannot load.
        let before = store.clone();
        assert!(store.save_json().is_err());
        assert_eq!(store, before);
        drop(before);
        // Reads stop at the depth limit.
        assert!(store.read_tree("A:1").is_err());
        drop(value);
        drop(store);
        // Dropping deep values, lists or objects, does not recurse either.
        drop(deep_value(200_000));
        let mut list = Value::from(1);
        for _ in 0..200_000 {
            list = Value::List(std::iter::once(list).collect());
        }
        drop(list);
    });
}

#[test]
fn arguments_of_any_depth_serialise() {
    on_small_stack(|| {
        // Built in place: `json!` would serialise (recursively) a value given to it.
        let mut args = json!({"x": null});
        args["x"] = deep_json_list(100_000);
        let name = FieldName::with_args("f", &args);
        assert!(name.as_str().starts_with("f({\"x\":[[["));
        assert_eq!(name.name(), "f");
        dismantle(args);
    });
}
