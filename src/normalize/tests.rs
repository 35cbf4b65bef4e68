//! Unit tests of normalization's pure pieces: key text, paths, field merging.

use serde_json::{Value as Json, json};

use super::fields::{freeze, merge};
use super::key::{write_js_number, write_json};
use super::path::Path;
use crate::field::FieldName;
use crate::value::Value;

#[test]
fn numbers_in_keys_print_as_javascript_does() {
    let number = |json: Json| match json {
        Json::Number(n) => {
            let mut out = String::new();
            write_js_number(&mut out, &n);
            out
        }
        _ => unreachable!(),
    };
    assert_eq!(number(json!(1)), "1");
    assert_eq!(number(json!(-7)), "-7");
    assert_eq!(number(json!(2.5)), "2.5");
    assert_eq!(number(json!(1.0)), "1");
    assert_eq!(number(json!(u64::MAX)), u64::MAX.to_string());
}

#[test]
fn key_json_is_bounded_and_keeps_javascript_numbers() {
    let mut out = String::new();
    assert!(write_json(
        &mut out,
        &json!({"b": [1.0, "x\"y"], "a": null}),
        2
    ));
    assert_eq!(out, r#"{"a":null,"b":[1,"x\"y"]}"#);
    assert!(!write_json(&mut String::new(), &json!([[[1]]]), 2));
}

#[test]
fn paths_render_as_dotted_response_keys() {
    let root = Path::ROOT;
    let items = root.field("items");
    let third = items.index(3);
    let owner = third.field("owner");
    assert_eq!(owner.render(), "items.3.owner");
    assert_eq!(Path::ROOT.render(), "");
}

#[test]
fn merging_is_deep_for_objects_and_same_length_lists() {
    let a = Value::from_json(json!({"x": 1, "o": {"p": 1}, "l": [{"a": 1}]}));
    let b = Value::from_json(json!({"y": 2, "o": {"q": 2}, "l": [{"b": 2}]}));
    assert_eq!(
        merge(a, b).to_json(),
        json!({"x": 1, "y": 2, "o": {"p": 1, "q": 2}, "l": [{"a": 1, "b": 2}]})
    );
    let short = Value::from_json(json!([1, 2]));
    let long = Value::from_json(json!([3]));
    assert_eq!(merge(short, long.clone()), long);
}

#[test]
fn freeze_sorts_and_merges_repeated_names() {
    let fields = vec![
        (FieldName::new("b"), Value::from_json(json!({"x": 1}))),
        (FieldName::new("a"), Value::from(1)),
        (FieldName::new("b"), Value::from_json(json!({"y": 2}))),
    ];
    let frozen = freeze(fields);
    assert_eq!(frozen.len(), 2);
    assert_eq!(frozen[1].1.to_json(), json!({"x": 1, "y": 2}));
}
