//! Replaying fixtures recorded from Apollo Client (`tests/fixtures/apollo/`): its reads, its
//! missing-field trees and its storage names, as ours.

use optimist::{Document, FieldName, KeyArgs, Store};
use serde_json::Value as Json;

/// A fixture file under `tests/fixtures/apollo/`.
pub fn fixture(path: &str) -> Json {
    let path = format!(
        "{}/tests/fixtures/apollo/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Apollo's storage field name (`items`, `items:{"filter":"a"}`) as ours.
pub fn storage_name(apollo: &str) -> FieldName {
    match apollo.split_once(':') {
        None => FieldName::new(apollo),
        Some((name, args)) => FieldName::with_args(name, &serde_json::from_str(args).unwrap()),
    }
}

/// Apollo's `keyArgs` (`false`, or a list of names) as ours.
pub fn key_args(apollo: &Json) -> KeyArgs {
    match apollo {
        Json::Array(names) => KeyArgs::only(names.iter().map(|name| name.as_str().unwrap())),
        _ => KeyArgs::None,
    }
}

/// Apollo's tree of missing fields (`{"task": {"done": "message"}}`) as dotted paths.
pub fn missing_paths(tree: &Json, at: &str, out: &mut Vec<String>) {
    match tree {
        Json::Object(fields) => {
            for (name, inner) in fields {
                let path = if at.is_empty() {
                    name.clone()
                } else {
                    format!("{at}.{name}")
                };
                missing_paths(inner, &path, out);
            }
        }
        Json::Null => {}
        _ => out.push(at.to_owned()),
    }
}

/// `json` without its `__typename`s: Apollo adds one to every object it reads, where a
/// document does not ask for it.
pub fn without_typenames(json: &Json) -> Json {
    match json {
        Json::Object(fields) => Json::Object(
            fields
                .iter()
                .filter(|(name, _)| *name != "__typename")
                .map(|(name, value)| (name.clone(), without_typenames(value)))
                .collect(),
        ),
        Json::Array(items) => Json::Array(items.iter().map(without_typenames).collect()),
        other => other.clone(),
    }
}

/// Checks a read Apollo recorded (`{query, variables, optimistic, readQuery, diff: {complete,
/// missing}}`, `query` naming one of `queries`) against ours: complete or not (`readQuery` is
/// `null` when incomplete), the data, and the missing fields' paths.
pub fn check_read(store: &Store, queries: &Json, read: &Json, case: &str) {
    let text = queries[read["query"].as_str().unwrap()].as_str().unwrap();
    let doc = Document::parse(text).unwrap();
    let variables = &read["variables"];
    let context = format!("{case}: {} {variables}", read["query"]);
    let reader = if read["optimistic"] == Json::Bool(false) {
        store.confirmed()
    } else {
        optimist::Reader::from(store)
    };
    let ours = reader.read_query(&doc, variables);
    let theirs = &read["readQuery"];
    if theirs.is_null() {
        assert!(
            ours.is_err(),
            "{context}: Apollo's read is incomplete, ours gave {ours:?}"
        );
    } else {
        let ours = ours.unwrap_or_else(|error| panic!("{context}: {error}"));
        if text.contains("__typename") {
            assert_eq!(&ours, theirs, "{context}");
        } else {
            assert_eq!(
                without_typenames(&ours),
                without_typenames(theirs),
                "{context}"
            );
        }
    }
    let partial = reader.read_query_partial(&doc, variables).unwrap();
    assert_eq!(
        partial.is_complete(),
        read["diff"]["complete"].as_bool().unwrap(),
        "{context}: complete"
    );
    let mut expected = Vec::new();
    missing_paths(&read["diff"]["missing"], "", &mut expected);
    expected.sort();
    let mut missing = partial.missing.clone();
    missing.sort();
    assert_eq!(missing, expected, "{context}: missing fields");
}
