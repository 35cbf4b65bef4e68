//! Hostile payloads and documents for normalization: repeated `__typename`, exponential and
//! quadratic documents (issue 8, item 4 and the normalization cost cases).

mod common;

use optimist::{Document, Store, Value, normalize_query};
use serde_json::json;

#[test]
fn a_typename_with_an_alias_and_arguments_is_one_field() {
    let mut store = Store::new();
    let doc = Document::parse("{ o { t: __typename(a: 1) } e { id t: __typename } }").unwrap();
    let data = json!({
        "o": {"__typename": "X", "t": "Y"},
        "e": {"__typename": "X", "id": 1, "t": "Y"},
    });
    let patch = normalize_query(store.policies(), &doc, &json!({}), &data).unwrap();
    store.write(patch).unwrap();
    let Some(Value::Object(o)) = store.get_field("ROOT_QUERY", "o") else {
        panic!("an embedded object");
    };
    let names: Vec<&str> = o.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["__typename"]);
    let extract = store.extract(false);
    assert_eq!(extract["ROOT_QUERY"]["o"]["__typename"], json!("X"));
    assert_eq!(
        store.get_field("X:1", "__typename"),
        Some(&Value::from("X"))
    );
    assert_eq!(extract["X:1"]["__typename"], json!("X"));
    assert_eq!(store.get("X:1").unwrap().len(), 2);
}

/// `fragment Fi on T { a { ...Fi+1 } a { ...Fi+1 } }`, `k` levels, and data to match.
fn doubled(k: usize) -> (Document, serde_json::Value) {
    let mut text = String::from("query { a { ...F0 } }\n");
    for i in 0..k {
        text.push_str(&format!(
            "fragment F{i} on T {{ a {{ ...F{n} }} a {{ ...F{n} }} }}\n",
            n = i + 1
        ));
    }
    text.push_str(&format!("fragment F{k} on T {{ x }}\n"));
    let mut data = json!({"__typename": "T", "x": 1});
    for _ in 0..k {
        data = json!({"__typename": "T", "a": data});
    }
    (Document::parse(&text).unwrap(), json!({"a": data}))
}

#[test]
fn a_field_selected_twice_at_every_level_is_walked_once() {
    // 2^60 walks before; one now.
    let (doc, data) = doubled(60);
    let mut store = Store::new();
    let patch = normalize_query(store.policies(), &doc, &json!({}), &data).unwrap();
    store.write(patch).unwrap();
    let read = store.read_query(&doc, &json!({})).unwrap();
    assert_eq!(read, data);
}

#[test]
fn many_inline_fragments_over_many_items_collect_once() {
    let mut text = String::from("{ items { ");
    for i in 0..4000 {
        text.push_str(&format!("... on T {{ x{} }} ", i % 8));
    }
    text.push_str("} }");
    let doc = Document::parse(&text).unwrap();
    let item = json!({"__typename": "T", "x0": 0, "x1": 1, "x2": 2, "x3": 3, "x4": 4, "x5": 5, "x6": 6, "x7": 7});
    let data = json!({"items": vec![item; 1000]});
    let store = Store::new();
    let patch = normalize_query(store.policies(), &doc, &json!({}), &data).unwrap();
    assert_eq!(patch.len(), 1);
}

#[test]
fn fields_merge_across_fragments_and_repeats() {
    let doc = Document::parse(
        "{ u { ... on User { id a { x } } a { y } ... on Other { b } ...F } } fragment F on User { a { z } c }",
    )
    .unwrap();
    let data = json!({"u": {"__typename": "User", "id": 1, "a": {"x": 1, "y": 2, "z": 3}, "c": 4}});
    let mut store = Store::new();
    let patch = normalize_query(store.policies(), &doc, &json!({}), &data).unwrap();
    store.write(patch).unwrap();
    assert_eq!(
        store.extract(false)["User:1"],
        json!({"__typename": "User", "id": 1, "a": {"x": 1, "y": 2, "z": 3}, "c": 4})
    );
}
