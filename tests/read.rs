//! Reads: documents followed exactly over the merged view and over base, typed reads equal to
//! JSON reads, dangling references, errors with their paths, trees over cycles, and Apollo's
//! recorded `readQuery` results.

use std::collections::HashMap;

use optimist::{
    Document, DocumentError, Entity, Patch, Policies, ReadError, Reader, Store, normalize_fragment,
    normalize_query,
};
use optimist::{Key, Value};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
use serde::Deserialize;
use serde_json::{Value as Json, json};

fn key(text: &str) -> Key {
    Key::new(text).unwrap()
}

fn doc(text: &str) -> Document {
    Document::parse(text).unwrap()
}

fn todo(id: &str, title: &str, done: bool) -> Entity {
    Entity::new()
        .with("__typename", "Todo")
        .with("id", id)
        .with("title", title)
        .with("done", done)
}

fn user(id: &str, name: &str) -> Entity {
    Entity::new()
        .with("__typename", "User")
        .with("id", id)
        .with("name", name)
}

/// `ROOT_QUERY.todos = [Todo:1, Todo:2, Todo:3]`, owners `User:u1` / `User:u2`, written by hand.
fn todo_store() -> Store {
    let mut store = Store::new();
    store
        .write(
            Patch::new()
                .write(
                    "Todo:1",
                    todo("1", "Buy milk", false).with("owner", key("User:u1")),
                )
                .write(
                    "Todo:2",
                    todo("2", "Walk", true).with("owner", key("User:u2")),
                )
                .write(
                    "Todo:3",
                    todo("3", "Read", false).with("owner", Value::Null),
                )
                .write("User:u1", user("u1", "Ada"))
                .write("User:u2", user("u2", "Grace"))
                .write(
                    "ROOT_QUERY",
                    Entity::new()
                        .with("__typename", "Query")
                        .with("todos", vec![key("Todo:1"), key("Todo:2"), key("Todo:3")]),
                ),
        )
        .unwrap();
    store
}

// ----- the document, followed exactly -----

#[test]
fn a_query_follows_refs_and_adds_stored_typenames_but_not_the_roots() {
    let store = todo_store();
    let read = store
        .read_query(&doc("{ todos { id title owner { name } } }"), &Json::Null)
        .unwrap();
    assert_eq!(
        read,
        json!({"todos": [
            {"__typename": "Todo", "id": "1", "title": "Buy milk", "owner": {"__typename": "User", "name": "Ada"}},
            {"__typename": "Todo", "id": "2", "title": "Walk", "owner": {"__typename": "User", "name": "Grace"}},
            {"__typename": "Todo", "id": "3", "title": "Read", "owner": null},
        ]})
    );
    // Selected explicitly, the root's typename is read.
    let read = store
        .read_query(&doc("{ __typename kind: __typename }"), &Json::Null)
        .unwrap();
    assert_eq!(read, json!({"__typename": "Query", "kind": "Query"}));
}

#[test]
fn the_root_typename_is_known_even_when_not_stored() {
    let mut store = Store::new();
    store.write(Patch::new().set("ROOT_QUERY", "a", 1)).unwrap();
    let read = store
        .read_query(&doc("{ __typename a }"), &Json::Null)
        .unwrap();
    assert_eq!(read, json!({"__typename": "Query", "a": 1}));
    // ...and fragments on `Query` apply to it.
    let read = store
        .read_query(
            &doc("{ ... on Query { a } ... on Mutation { b } }"),
            &Json::Null,
        )
        .unwrap();
    assert_eq!(read, json!({"__typename": "Query", "a": 1}));
}

#[test]
fn aliases_arguments_and_variables_pick_the_stored_field() {
    let mut store = Store::new();
    store
        .write(
            Patch::new()
                .set("ROOT_QUERY", r#"todos({"first":1})"#, vec![key("Todo:1")])
                .set(
                    "ROOT_QUERY",
                    r#"todos({"filter":{"done":false,"tags":["b","a"]},"first":2,"order":"ASC"})"#,
                    vec![key("Todo:1"), key("Todo:2")],
                )
                .write("Todo:1", todo("1", "One", false))
                .write("Todo:2", todo("2", "Two", true)),
        )
        .unwrap();
    let query = doc(
        "query($n: Int!, $f: Filter, $order: Order = ASC, $after: String) {
            one: todos(first: 1) { t: title }
            two: todos(first: $n, filter: $f, order: $order, after: $after) { title }
        }",
    );
    let read = store
        .read_query(
            &query,
            &json!({"n": 2, "f": {"tags": ["b", "a"], "done": false}}),
        )
        .unwrap();
    assert_eq!(
        read,
        json!({
            "one": [{"__typename": "Todo", "t": "One"}],
            "two": [{"__typename": "Todo", "title": "One"}, {"__typename": "Todo", "title": "Two"}],
        })
    );
}

#[test]
fn skip_and_include_follow_variables() {
    let store = todo_store();
    let query = doc(
        "query($full: Boolean!) { todos { id title @include(if: $full) done @skip(if: $full) } }",
    );
    let full = store.read_query(&query, &json!({"full": true})).unwrap();
    assert_eq!(
        full["todos"][0],
        json!({"__typename": "Todo", "id": "1", "title": "Buy milk"})
    );
    let short = store.read_query(&query, &json!({"full": false})).unwrap();
    assert_eq!(
        short["todos"][0],
        json!({"__typename": "Todo", "id": "1", "done": false})
    );
    // A skipped field is not read at all, so its absence is not an error.
    let absent = doc("query($x: Boolean!) { todos { id nope @include(if: $x) } }");
    assert!(store.read_query(&absent, &json!({"x": false})).is_ok());
}

#[test]
fn fragments_apply_by_type_and_merge_their_fields() {
    let policies = Policies::new().possible_types("Node", ["Todo", "User"]);
    let mut store = Store::with_policies(policies);
    store
        .write(
            Patch::new()
                .write(
                    "Todo:1",
                    todo("1", "Buy milk", false).with("owner", key("User:u1")),
                )
                .write(
                    "User:u1",
                    user("u1", "Ada").with("email", "ada@example.com"),
                )
                .set("ROOT_QUERY", "search", vec![key("Todo:1"), key("User:u1")]),
        )
        .unwrap();
    let query = doc("{ search {
             ...NodeId
             ... on Todo { title owner { name } }
             ... on Todo { owner { id } }
             ... on User { ...UserName }
             ... on Project { budget }
         } }
         fragment NodeId on Node { id }
         fragment UserName on User { name email }");
    let read = store.read_query(&query, &Json::Null).unwrap();
    assert_eq!(
        read,
        json!({"search": [
            {"__typename": "Todo", "id": "1", "title": "Buy milk", "owner": {"__typename": "User", "name": "Ada", "id": "u1"}},
            {"__typename": "User", "id": "u1", "name": "Ada", "email": "ada@example.com"},
        ]})
    );
}

// Issue 24: an entity without a `__typename` read through a fragment with a type condition
// read as if the fragment did not apply (`Ok`, its fields silently gone). Now the typename the
// condition needs is a missing field, as in Apollo (whose documents select it everywhere):
// the read is incomplete, and a partial read says what is missing.
#[test]
fn without_a_stored_typename_a_type_condition_leaves_the_read_incomplete() {
    let mut store = Store::new();
    store
        .write(
            Patch::new()
                .write("Thing:1", Entity::new().with("a", 1).with("b", 2))
                .set("ROOT_QUERY", "thing", key("Thing:1")),
        )
        .unwrap();
    let conditioned = doc("{ thing { ... { a } ... on Thing { b } } }");
    assert_eq!(
        store.read_query(&conditioned, &Json::Null),
        Err(ReadError::MissingField {
            path: "thing.__typename".into()
        })
    );
    let partial = store.read_query_partial(&conditioned, &Json::Null).unwrap();
    assert_eq!(partial.missing, ["thing.__typename"]);
    assert_eq!(partial.data, json!({"thing": {"a": 1}}));
    // A fragment without a condition needs no typename.
    let unconditioned = doc("{ thing { ... { a } } }");
    assert_eq!(
        store.read_query(&unconditioned, &Json::Null).unwrap(),
        json!({"thing": {"a": 1}})
    );
    // With the typename stored, the condition is matched.
    store
        .write(Patch::new().set("Thing:1", "__typename", "Thing"))
        .unwrap();
    assert_eq!(
        store.read_query(&conditioned, &Json::Null).unwrap(),
        json!({"thing": {"__typename": "Thing", "a": 1, "b": 2}})
    );
}

#[test]
fn embedded_objects_nested_lists_and_unselected_values() {
    let mut store = Store::new();
    let grid = Value::from_json(json!([
        [{"__typename": "Cell", "label": "a", "extra": 1}, null],
        [],
        [{"__ref": "Todo:1"}, {"__ref": "Todo:gone"}],
    ]));
    let prefs =
        Value::from_json(json!({"__typename": "Prefs", "dark": true, "font": {"size": 12}}));
    store
        .write(
            Patch::new().write("Todo:1", todo("1", "One", false)).write(
                "ROOT_QUERY",
                Entity::new()
                    .with("grid", grid)
                    .with("prefs", prefs)
                    .with("tags", vec![Value::from("x"), Value::Null])
                    .with("raw", key("Todo:1"))
                    .with(
                        "json",
                        Value::from_json(json!({"any": [1, {"deep": true}]})),
                    ),
            ),
        )
        .unwrap();
    let read = store
        .read_query(
            &doc("{ grid { ... on Cell { label } ... on Todo { title } } prefs { dark font { size } } tags raw json }"),
            &Json::Null,
        )
        .unwrap();
    assert_eq!(
        read,
        json!({
            "grid": [
                [{"__typename": "Cell", "label": "a"}, null],
                [],
                [{"__typename": "Todo", "title": "One"}],
            ],
            "prefs": {"__typename": "Prefs", "dark": true, "font": {"size": 12}},
            "tags": ["x", null],
            // Without a selection, a reference is read as stored and objects as they are.
            "raw": {"__ref": "Todo:1"},
            "json": {"any": [1, {"deep": true}]},
        })
    );
}

#[test]
fn numbers_keep_their_kind() {
    let mut store = Store::new();
    store
        .write(
            Patch::new()
                .set("ROOT_QUERY", "big", u64::MAX)
                .set("ROOT_QUERY", "neg", -5)
                .set("ROOT_QUERY", "float", 1.5),
        )
        .unwrap();
    let read = store
        .read_query(&doc("{ big neg float }"), &Json::Null)
        .unwrap();
    assert_eq!(read, json!({"big": u64::MAX, "neg": -5, "float": 1.5}));
}

// ----- optimistic vs confirmed -----

#[test]
fn reads_see_the_view_and_confirmed_reads_see_base() {
    let mut store = todo_store();
    let (layer, _) = store
        .push(
            "rename and add",
            Patch::new()
                .set("Todo:1", "title", "Buy oat milk")
                .write(
                    "Todo:tmp",
                    todo("tmp", "New", false).with("owner", Value::Null),
                )
                .insert(
                    "ROOT_QUERY",
                    "todos",
                    key("Todo:tmp"),
                    optimist::ListPosition::End,
                ),
        )
        .unwrap();
    let query = doc("{ todos { title } }");
    let titles = |read: Json| -> Vec<String> {
        read["todos"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["title"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        titles(store.read_query(&query, &Json::Null).unwrap()),
        ["Buy oat milk", "Walk", "Read", "New"]
    );
    assert_eq!(
        titles(store.confirmed().read_query(&query, &Json::Null).unwrap()),
        ["Buy milk", "Walk", "Read"]
    );
    // Snapshots read both ways too, with the store's policies.
    let snapshot = store.snapshot();
    let policies = store.policies().clone();
    assert_eq!(
        titles(
            Reader::snapshot(&snapshot, &policies)
                .read_query(&query, &Json::Null)
                .unwrap()
        ),
        ["Buy oat milk", "Walk", "Read", "New"]
    );
    assert_eq!(
        titles(
            Reader::snapshot_confirmed(&snapshot, &policies)
                .read_query(&query, &Json::Null)
                .unwrap()
        ),
        ["Buy milk", "Walk", "Read"]
    );
    // An entity only the layer has: a fragment read finds it in the view only.
    let fragment = doc("fragment T on Todo { title }");
    assert!(
        store
            .read_fragment(&fragment, None, "Todo:tmp", &Json::Null)
            .is_ok()
    );
    assert_eq!(
        store
            .confirmed()
            .read_fragment(&fragment, None, "Todo:tmp", &Json::Null),
        Err(ReadError::MissingRoot {
            key: "Todo:tmp".into()
        })
    );
    assert!(store.read_tree("Todo:tmp").unwrap().is_some());
    assert!(store.confirmed().read_tree("Todo:tmp").unwrap().is_none());

    store.fail(layer).unwrap();
    assert_eq!(
        store.read_query(&query, &Json::Null).unwrap(),
        store.confirmed().read_query(&query, &Json::Null).unwrap()
    );
}

// ----- dangling references -----

#[test]
fn a_deleted_entity_is_dropped_from_lists_and_null_alone() {
    let mut store = todo_store();
    let query = doc("{ todos { id owner { name } } }");
    let (layer, _) = store
        .push("delete", Patch::new().delete("Todo:2").delete("User:u1"))
        .unwrap();
    let read = store.read_query(&query, &Json::Null).unwrap();
    assert_eq!(
        read,
        json!({"todos": [
            {"__typename": "Todo", "id": "1", "owner": null},
            {"__typename": "Todo", "id": "3", "owner": null},
        ]})
    );
    #[derive(Deserialize, Debug, PartialEq)]
    struct Data {
        todos: Vec<Item>,
    }
    #[derive(Deserialize, Debug, PartialEq)]
    struct Item {
        id: String,
        owner: Option<Owner>,
    }
    #[derive(Deserialize, Debug, PartialEq)]
    struct Owner {
        name: String,
    }
    let typed: Data = store.read_query_as(&query, &Json::Null).unwrap();
    assert_eq!(typed.todos.len(), 2);
    assert_eq!(typed.todos[0].owner, None);
    // Base still has them; failing the layer brings them back in the view.
    assert_eq!(
        store.confirmed().read_query(&query, &Json::Null).unwrap()["todos"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    store.fail(layer).unwrap();
    let typed: Data = store.read_query_as(&query, &Json::Null).unwrap();
    assert_eq!(
        typed.todos[1].owner,
        Some(Owner {
            name: "Grace".into()
        })
    );
}

#[test]
fn dangling_refs_are_dropped_from_nested_lists_and_indices_count_what_is_kept() {
    let mut store = Store::new();
    store
        .write(
            Patch::new()
                .write("Todo:1", todo("1", "One", false))
                .write("Todo:3", Entity::new().with("__typename", "Todo"))
                .set(
                    "ROOT_QUERY",
                    "pages",
                    Value::from_json(
                        json!([[{"__ref": "Todo:gone"}, {"__ref": "Todo:1"}, {"__ref": "Todo:3"}]]),
                    ),
                ),
        )
        .unwrap();
    let err = store
        .read_query(&doc("{ pages { title } }"), &Json::Null)
        .unwrap_err();
    assert_eq!(
        err,
        ReadError::MissingField {
            path: "pages.0.1.title".into()
        }
    );
}

// ----- errors -----

#[test]
fn every_error_names_its_path() {
    let store = todo_store();
    let read = |text: &str, vars: Json| store.read_query(&doc(text), &vars).unwrap_err();

    assert_eq!(
        read("{ todos { owner { name email } } }", Json::Null),
        ReadError::MissingField {
            path: "todos.0.owner.email".into()
        }
    );
    assert_eq!(
        read("{ list: todos { who: owner { name } nope } }", Json::Null),
        ReadError::MissingField {
            path: "list.0.nope".into()
        }
    );
    assert_eq!(
        read("{ todos { title { length } } }", Json::Null),
        ReadError::WrongShape {
            path: "todos.0.title".into(),
            found: "string"
        }
    );
    assert_eq!(
        read("query($id: ID!) { todo(id: $id) { id } }", json!({})),
        ReadError::Document(DocumentError::MissingVariable { name: "id".into() })
    );
    assert_eq!(
        store
            .read_query(&doc("fragment F on Todo { id }"), &Json::Null)
            .unwrap_err(),
        ReadError::Document(DocumentError::NoOperation)
    );
    let two = doc("fragment A on Todo { id } fragment B on Todo { title }");
    assert_eq!(
        store
            .read_fragment(&two, None, "Todo:1", &Json::Null)
            .unwrap_err(),
        ReadError::Document(DocumentError::AmbiguousFragment)
    );
    assert_eq!(
        store
            .read_fragment(&two, Some("C"), "Todo:1", &Json::Null)
            .unwrap_err(),
        ReadError::Document(DocumentError::UnknownFragment { name: "C".into() })
    );
    assert_eq!(
        store
            .read_fragment(&two, Some("A"), "Todo:9", &Json::Null)
            .unwrap_err(),
        ReadError::MissingRoot {
            key: "Todo:9".into()
        }
    );
    assert_eq!(
        Store::new()
            .read_query(&doc("{ a }"), &Json::Null)
            .unwrap_err(),
        ReadError::MissingRoot {
            key: "ROOT_QUERY".into()
        }
    );
    assert_eq!(
        Store::new()
            .read_query(&doc("mutation { a }"), &Json::Null)
            .unwrap_err()
            .to_string(),
        "entity `ROOT_MUTATION` is not in the store"
    );

    // Messages: lower case, no final period, the path in backticks.
    assert_eq!(
        read("{ todos { owner { name email } } }", Json::Null).to_string(),
        "field `todos.0.owner.email` is missing from the store"
    );
    assert_eq!(
        read("{ todos { title { length } } }", Json::Null).to_string(),
        "field `todos.0.title` holds a string where the document selects fields"
    );
    let document_error = read("query($id: ID!) { todo(id: $id) { id } }", json!({}));
    assert_eq!(
        document_error.to_string(),
        "cannot read with this document: variable `$id` is required but was not given"
    );
    assert!(std::error::Error::source(&document_error).is_some());
}

#[test]
fn reads_deeper_than_the_limit_are_errors() {
    let mut store = Store::with_policies(Policies::new().max_depth(3));
    store
        .write(
            Patch::new()
                .set("ROOT_QUERY", "a", key("A:1"))
                .set("A:1", "next", key("A:2"))
                .set("A:2", "next", key("A:3"))
                .set("A:3", "next", key("A:4"))
                .set("A:4", "n", 4),
        )
        .unwrap();
    assert_eq!(
        store
            .read_query(&doc("{ a { next { next } } }"), &Json::Null)
            .unwrap(),
        json!({"a": {"next": {"next": {"__ref": "A:3"}}}})
    );
    let err = store
        .read_query(&doc("{ a { next { next { next { n } } } } }"), &Json::Null)
        .unwrap_err();
    assert_eq!(
        err,
        ReadError::TooDeep {
            path: "a.next.next.next".into(),
            limit: 3
        }
    );
    assert_eq!(
        err.to_string(),
        "the read nests deeper than 3 levels at `a.next.next.next`"
    );
    // Lists count as levels too.
    store
        .write(Patch::new().set("ROOT_QUERY", "nested", Value::from_json(json!([[[[1]]]]))))
        .unwrap();
    assert!(matches!(
        store.read_query(&doc("{ nested }"), &Json::Null),
        Err(ReadError::TooDeep { .. })
    ));
}

#[test]
fn deep_data_is_an_error_not_a_stack_overflow() {
    // 2,000 nested lists under one field, and a 2,000-entity chain.
    let mut nested = Value::Null;
    for _ in 0..2_000 {
        nested = Value::List(std::iter::once(nested).collect());
    }
    let mut patch = Patch::new().set("ROOT_QUERY", "nested", nested);
    for i in 0..2_000 {
        patch = patch.set(format!("N:{i}"), "next", key(&format!("N:{}", i + 1)));
    }
    let mut store = Store::new();
    store
        .write(patch.set("ROOT_QUERY", "chain", key("N:0")))
        .unwrap();
    let snapshot = store.snapshot();
    let outcome = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            let policies = Policies::new();
            let reader = Reader::snapshot(&snapshot, &policies);
            let nested = reader.read_query(&doc("{ nested }"), &Json::Null);
            let typed = reader.read_query_as::<Json>(&doc("{ nested }"), &Json::Null);
            let tree = reader.read_tree("N:0").unwrap().is_some();
            (nested.err(), typed.err(), tree)
        })
        .unwrap()
        .join()
        .expect("no stack overflow");
    assert!(matches!(
        outcome.0,
        Some(ReadError::TooDeep { limit: 256, .. })
    ));
    assert!(matches!(
        outcome.1,
        Some(ReadError::TooDeep { limit: 256, .. })
    ));
    assert!(outcome.2);
}

#[test]
fn typed_errors_name_the_path_and_the_type_message() {
    let store = todo_store();
    #[derive(Deserialize, Debug)]
    #[allow(dead_code, reason = "only the error matters")]
    struct Data {
        todos: Vec<Item>,
    }
    #[derive(Deserialize, Debug)]
    #[allow(dead_code, reason = "only the error matters")]
    struct Item {
        title: u32,
    }
    let err = store
        .read_query_as::<Data>(&doc("{ todos { title } }"), &Json::Null)
        .unwrap_err();
    let ReadError::Deserialize { path, message } = &err else {
        panic!("a deserialize error, got {err:?}");
    };
    assert_eq!(path, "todos.0.title");
    assert!(
        message.contains("invalid type: string \"Buy milk\""),
        "{message}"
    );
    assert!(
        err.to_string()
            .starts_with("cannot deserialize `todos.0.title`: ")
    );

    #[derive(Deserialize, Debug)]
    #[allow(dead_code, reason = "only the error matters")]
    struct Owner {
        name: String,
        email: String,
    }
    #[derive(Deserialize, Debug)]
    #[allow(dead_code, reason = "only the error matters")]
    struct WithOwner {
        owner: Option<Owner>,
    }
    #[derive(Deserialize, Debug)]
    #[allow(dead_code, reason = "only the error matters")]
    struct Owners {
        todos: Vec<WithOwner>,
    }
    let err = store
        .read_query_as::<Owners>(&doc("{ todos { owner { name } } }"), &Json::Null)
        .unwrap_err();
    assert_eq!(
        err,
        ReadError::Deserialize {
            path: "todos.0.owner".into(),
            message: "missing field `email`".into()
        }
    );
    let err = store
        .read_query_as::<Vec<u8>>(&doc("{ todos { id } }"), &Json::Null)
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot deserialize the result: invalid type: map"),
        "{err}"
    );
}

// ----- partial reads -----

#[test]
fn partial_reads_record_what_is_missing() {
    let store = todo_store();
    let query = doc("{ todos { id owner { name email } } viewer { id } }");
    let partial = store.read_query_partial(&query, &Json::Null).unwrap();
    assert_eq!(
        partial.missing,
        ["todos.0.owner.email", "todos.1.owner.email", "viewer"]
    );
    assert_eq!(
        partial.data["todos"][0],
        json!({"__typename": "Todo", "id": "1", "owner": {"__typename": "User", "name": "Ada"}})
    );
    assert!(partial.data.get("viewer").is_none());

    let complete = store
        .read_query_partial(&doc("{ todos { id } }"), &Json::Null)
        .unwrap();
    assert!(complete.is_complete());
    assert_eq!(
        complete.data,
        store
            .read_query(&doc("{ todos { id } }"), &Json::Null)
            .unwrap()
    );
    // Shape errors stay errors.
    assert!(matches!(
        store.read_query_partial(&doc("{ todos { title { x } } }"), &Json::Null),
        Err(ReadError::WrongShape { .. })
    ));
    // An empty store lacks every top-level field.
    let empty = Store::new()
        .read_query_partial(&query, &Json::Null)
        .unwrap();
    assert_eq!(empty.data, json!({}));
    assert_eq!(empty.missing, ["todos", "viewer"]);
}

// ----- fragments -----

#[test]
fn fragment_reads_check_the_type_condition_like_apollo() {
    let store = todo_store();
    let fragments = doc(
        "fragment TodoFields on Todo { id title owner { ...Owner } } fragment Owner on User { name }",
    );
    assert_eq!(
        store
            .read_fragment(&fragments, Some("TodoFields"), "Todo:1", &Json::Null)
            .unwrap(),
        json!({"__typename": "Todo", "id": "1", "title": "Buy milk", "owner": {"__typename": "User", "name": "Ada"}})
    );
    // A fragment on another type does not apply: the typename alone is read.
    assert_eq!(
        store
            .read_fragment(&fragments, Some("Owner"), "Todo:1", &Json::Null)
            .unwrap(),
        json!({"__typename": "Todo"})
    );
    #[derive(Deserialize, PartialEq, Debug)]
    struct TodoFields {
        id: String,
        title: String,
        owner: Option<Owner>,
    }
    #[derive(Deserialize, PartialEq, Debug)]
    struct Owner {
        name: String,
    }
    let typed: TodoFields = store
        .read_fragment_as(&fragments, Some("TodoFields"), "Todo:1", &Json::Null)
        .unwrap();
    assert_eq!(typed.owner, Some(Owner { name: "Ada".into() }));
}

// ----- typed reads -----

#[derive(Deserialize, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
struct TodosData {
    all_todos: Vec<TodoData>,
    first: Option<TodoData>,
    missing_one: Option<TodoData>,
}

#[derive(Deserialize, Debug, PartialEq)]
struct TodoData {
    #[serde(rename = "__typename")]
    typename: String,
    id: String,
    label: String,
    done: bool,
    status: Status,
    owner: Option<Box<OwnerData>>,
    tags: Vec<Option<String>>,
    estimate: Option<f64>,
    #[serde(default)]
    ignored: (),
}

#[derive(Deserialize, Debug, PartialEq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum Status {
    Open,
    InProgress,
}

#[derive(Deserialize, Debug, PartialEq)]
struct OwnerData {
    name: String,
    todos: Vec<Id>,
}

#[derive(Deserialize, Debug, PartialEq)]
struct Id {
    id: String,
}

#[test]
fn typed_reads_equal_json_reads_into_the_same_type() {
    let mut store = todo_store();
    store
        .write(
            Patch::new()
                .set("Todo:1", "status", "OPEN")
                .set("Todo:2", "status", "IN_PROGRESS")
                .set("Todo:3", "status", "OPEN")
                .set("Todo:1", "tags", vec![Value::from("a"), Value::Null])
                .set("Todo:2", "tags", Vec::<Value>::new())
                .set("Todo:3", "tags", vec!["b"])
                .set("Todo:1", "estimate", 1.5)
                .set("Todo:2", "estimate", 3)
                .set("Todo:3", "estimate", Value::Null)
                .set("User:u1", "todos", vec![key("Todo:1")])
                .set("User:u2", "todos", vec![key("Todo:2"), key("Todo:gone")])
                .set("ROOT_QUERY", r#"todo({"id":"1"})"#, key("Todo:1"))
                .set("ROOT_QUERY", r#"todo({"id":"9"})"#, key("Todo:9")),
        )
        .unwrap();
    let query = doc("query($id: ID!) {
            allTodos: todos { ...Fields }
            first: todo(id: $id) { ...Fields }
            missingOne: todo(id: \"9\") { ...Fields }
         }
         fragment Fields on Todo {
            id label: title done status tags estimate
            owner { name todos { id } }
         }");
    let vars = json!({"id": "1"});
    let typed: TodosData = store.read_query_as(&query, &vars).unwrap();
    let json = store.read_query(&query, &vars).unwrap();
    let via_json: TodosData = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(typed, via_json);
    assert_eq!(typed.all_todos.len(), 3);
    assert_eq!(typed.all_todos[1].status, Status::InProgress);
    assert_eq!(typed.all_todos[1].estimate, Some(3.0));
    assert_eq!(typed.all_todos[1].owner.as_ref().unwrap().todos.len(), 1);
    assert_eq!(
        typed.first.as_ref().map(|t| t.label.as_str()),
        Some("Buy milk")
    );
    assert_eq!(typed.missing_one, None);
    // Deserializing JSON through the typed path gives the JSON read itself.
    let as_json: Json = store.read_query_as(&query, &vars).unwrap();
    assert_eq!(as_json, json);
}

#[test]
fn fields_the_type_ignores_are_still_checked() {
    let store = todo_store();
    #[derive(Deserialize)]
    #[allow(dead_code, reason = "only the outcome matters")]
    struct OnlyIds {
        todos: Vec<Id>,
    }
    // `owner.email` is missing: the JSON read fails, so the typed read fails too, even though
    // the type never looks at `owner`.
    let query = doc("{ todos { id owner { email } } }");
    assert!(store.read_query(&query, &Json::Null).is_err());
    assert_eq!(
        store.read_query_as::<OnlyIds>(&query, &Json::Null).err(),
        Some(ReadError::MissingField {
            path: "todos.0.owner.email".into()
        })
    );
    let fine = doc("{ todos { id owner { name } } }");
    let ids: OnlyIds = store.read_query_as(&fine, &Json::Null).unwrap();
    assert_eq!(ids.todos.len(), 3);
}

#[test]
fn typed_reads_take_tuples_maps_and_newtypes() {
    let store = todo_store();
    #[derive(Deserialize, Debug, PartialEq)]
    struct Title(String);
    #[derive(Deserialize, Debug, PartialEq)]
    struct Data {
        todos: Vec<HashMap<String, Json>>,
        titles: Vec<Titled>,
    }
    #[derive(Deserialize, Debug, PartialEq)]
    struct Titled {
        title: Title,
    }
    let data: Data = store
        .read_query_as(
            &doc("{ todos { id } titles: todos { title } }"),
            &Json::Null,
        )
        .unwrap();
    assert_eq!(data.todos[2]["id"], json!("3"));
    assert_eq!(data.titles[1].title, Title("Walk".into()));
}

// ----- trees -----

#[test]
fn read_tree_follows_refs_and_stops_at_cycles() {
    let mut store = Store::new();
    store
        .write(
            Patch::new()
                .write(
                    "A:1",
                    Entity::new().with("name", "a").with("peer", key("B:1")),
                )
                .write(
                    "B:1",
                    Entity::new()
                        .with("peer", key("A:1"))
                        .with("self", key("B:1"))
                        .with("list", vec![key("A:1"), key("C:gone"), key("C:1")])
                        .with(
                            "embedded",
                            Value::from_json(json!({"to": {"__ref": "C:1"}})),
                        ),
                )
                .write(
                    "C:1",
                    Entity::new().with("leaf", true).with("gone", key("C:gone")),
                ),
        )
        .unwrap();
    assert_eq!(
        store.read_tree("A:1").unwrap().unwrap(),
        json!({
            "name": "a",
            "peer": {
                "peer": {"__ref": "A:1"},
                "self": {"__ref": "B:1"},
                "list": [{"__ref": "A:1"}, {"leaf": true, "gone": null}],
                "embedded": {"to": {"leaf": true, "gone": null}},
            },
        })
    );
    // A long chain is cut at the depth limit, still as references.
    let mut chain = Store::with_policies(Policies::new().max_depth(2));
    chain
        .write(
            Patch::new()
                .set("N:1", "next", key("N:2"))
                .set("N:2", "next", key("N:3"))
                .set("N:3", "next", key("N:4"))
                .set("N:4", "end", true),
        )
        .unwrap();
    assert_eq!(
        chain.read_tree("N:1").unwrap().unwrap(),
        json!({"next": {"next": {"next": {"__ref": "N:4"}}}})
    );
}

// ----- normalize, then read back -----

#[test]
fn a_normalized_response_reads_back_as_written() {
    let policies = Policies::new().possible_types("Node", ["Todo", "User"]);
    let mut store = Store::with_policies(policies);
    let query = doc("query($first: Int!, $withOwner: Boolean = true) {
            page: todos(first: $first) {
                id
                ... on Node { __typename }
                ...Title
                owner @include(if: $withOwner) { id handle: name }
                location { lat lng }
                grid { ... on Todo { id } }
                labels
            }
            me: viewer { id name }
            nothing
         }
         fragment Title on Todo { title done }");
    let data = json!({
        "page": [
            {"__typename": "Todo", "id": "1", "title": "One", "done": false,
             "owner": {"__typename": "User", "id": "u1", "handle": "ada"},
             "location": {"lat": 1.5, "lng": -2}, "grid": [[{"__typename": "Todo", "id": "1"}], []],
             "labels": ["a", null]},
            {"__typename": "Todo", "id": "2", "title": "Two", "done": true,
             "owner": null, "location": null, "grid": [], "labels": []},
        ],
        "me": {"__typename": "User", "id": "u1", "name": "ada"},
        "nothing": null,
    });
    let vars = json!({"first": 2});
    store
        .write(normalize_query(store.policies(), &query, &vars, &data).unwrap())
        .unwrap();
    assert_eq!(store.read_query(&query, &vars).unwrap(), data);

    // A fragment written and read back.
    let fragment = doc("fragment Rename on Todo { title owner { id name } }");
    let patch = normalize_fragment(
        store.policies(),
        &fragment,
        None,
        &key("Todo:2"),
        &Json::Null,
        &json!({"__typename": "Todo", "title": "Renamed", "owner": {"__typename": "User", "id": "u2", "name": "Grace"}}),
    )
    .unwrap();
    let (layer, _) = store.push("rename", patch).unwrap();
    assert_eq!(
        store
            .read_fragment(&fragment, None, "Todo:2", &Json::Null)
            .unwrap(),
        json!({"__typename": "Todo", "title": "Renamed", "owner": {"__typename": "User", "id": "u2", "name": "Grace"}})
    );
    assert_eq!(
        store
            .confirmed()
            .read_fragment(&fragment, None, "Todo:2", &Json::Null)
            .unwrap(),
        json!({"__typename": "Todo", "title": "Two", "owner": null})
    );
    store.fail(layer).unwrap();
    assert_eq!(store.read_query(&query, &vars).unwrap(), data);
}

// ----- properties -----

fn config() -> Config {
    Config {
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/read.txt",
        ))),
        ..Config::default()
    }
}

/// A random store: `ROOT_QUERY.items` is a list of refs (some dangling), items have random
/// subsets of their fields (some of the wrong type), owners may be refs, null, embedded or
/// dangling.
fn arb_store() -> impl Strategy<Value = Store> {
    let scalar = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i32>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        "[a-z]{0,4}".prop_map(Value::from),
    ];
    let owner = prop_oneof![
        Just(Value::Null),
        (0..4u8).prop_map(|u| Value::Ref(key(&format!("User:{u}")))),
        Just(Value::from_json(json!({"id": "e", "name": "embedded"}))),
        scalar.clone(),
    ];
    let item = (
        proptest::option::weighted(0.95, "[0-9]{1,2}"),
        proptest::option::weighted(
            0.95,
            prop_oneof![4 => "[a-z ]{0,6}".prop_map(Value::from), 1 => scalar.clone()],
        ),
        proptest::option::weighted(
            0.95,
            prop_oneof![4 => any::<u16>().prop_map(Value::from), 1 => scalar.clone()],
        ),
        proptest::option::weighted(0.95, owner),
    );
    let items = proptest::collection::vec(item, 0..6);
    let refs = proptest::collection::vec(prop_oneof![5 => 0..6usize, 1 => Just(99usize)], 0..8);
    let users = proptest::collection::vec(proptest::option::weighted(0.9, "[a-z]{1,3}"), 3);
    (items, refs, users).prop_map(|(items, refs, users)| {
        let mut patch = Patch::new();
        for (i, (id, title, count, owner)) in items.into_iter().enumerate() {
            let mut entity = Entity::new().with("__typename", "Item");
            if let Some(id) = id {
                entity = entity.with("id", id);
            }
            if let Some(title) = title {
                entity = entity.with("title", title);
            }
            if let Some(count) = count {
                entity = entity.with("count", count);
            }
            if let Some(owner) = owner {
                entity = entity.with("owner", owner);
            }
            patch = patch.write(format!("Item:{i}"), entity);
        }
        for (u, name) in users.into_iter().enumerate() {
            let mut entity = Entity::new()
                .with("__typename", "User")
                .with("id", u.to_string());
            if let Some(name) = name {
                entity = entity.with("name", name);
            }
            patch = patch.write(format!("User:{u}"), entity);
        }
        let refs: Vec<Value> = refs
            .into_iter()
            .map(|i| Value::Ref(key(&format!("Item:{i}"))))
            .collect();
        patch = patch.set("ROOT_QUERY", "items", refs);
        let mut store = Store::new();
        store.write(patch).unwrap();
        store
    })
}

#[derive(Deserialize, Debug, PartialEq)]
struct PropData {
    items: Vec<PropItem>,
}

#[derive(Deserialize, Debug, PartialEq)]
struct PropItem {
    #[serde(rename = "__typename")]
    typename: String,
    id: String,
    label: Option<String>,
    count: Option<u16>,
    owner: Option<PropOwner>,
}

#[derive(Deserialize, Debug, PartialEq)]
struct PropOwner {
    id: String,
    name: Option<String>,
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn typed_reads_equal_json_reads(store in arb_store()) {
        let query = doc("{ items { id label: title count owner { id name } } }");
        let json = store.read_query(&query, &Json::Null);
        // Into `serde_json::Value` the typed path is the JSON read.
        let as_json: Result<Json, ReadError> = store.read_query_as(&query, &Json::Null);
        prop_assert_eq!(&as_json, &json);
        // Into structs: the same outcome as deserializing the JSON read.
        let typed: Result<PropData, ReadError> = store.read_query_as(&query, &Json::Null);
        let via_json = json.map(serde_json::from_value::<PropData>);
        match (typed, via_json) {
            (Ok(typed), Ok(Ok(via_json))) => prop_assert_eq!(typed, via_json),
            // The type may reject a value before the walk reaches the store's first error.
            (Err(ReadError::Deserialize { .. }), Ok(Err(_)) | Err(_)) => {}
            (Err(typed), Err(json)) => prop_assert_eq!(typed, json),
            (typed, via_json) => prop_assert!(false, "typed {:?} vs json {:?}", typed, via_json),
        }
        // The partial read is the full read when nothing is missing, and fails only where the
        // full read fails for something other than missing data.
        let partial = store.read_query_partial(&query, &Json::Null);
        match store.read_query(&query, &Json::Null) {
            Ok(json) => {
                let partial = partial.unwrap();
                prop_assert!(partial.is_complete());
                prop_assert_eq!(partial.data, json);
            }
            // Past the first missing field, the partial read may still meet a shape error.
            Err(ReadError::MissingField { .. }) => match partial {
                Ok(partial) => prop_assert!(!partial.is_complete()),
                Err(error) => {
                    let missing = matches!(error, ReadError::MissingField { .. });
                    prop_assert!(!missing, "{}", error);
                }
            },
            Err(error) => prop_assert!(partial.is_err(), "{}", error),
        }
    }
}

/// A random response for a fixed document: entities shared between branches (each id always
/// with the same fields), embedded objects, nested lists, nulls, aliases.
fn arb_response() -> impl Strategy<Value = Json> {
    let user = (0..4u8).prop_map(
        |u| json!({"__typename": "User", "id": format!("u{u}"), "handle": format!("user {u}")}),
    );
    let todo = (0..6u8, proptest::option::of(user.clone()), proptest::collection::vec(proptest::option::of(0..3u8), 0..3))
        .prop_map(|(t, owner, tags)| {
            // Fields derive from the id, so an entity reached twice is the same entity.
            json!({
                "__typename": "Todo",
                "id": t.to_string(),
                "title": format!("todo {t}"),
                "done": t % 2 == 0,
                "owner": owner,
                "meta": if t % 3 == 0 { Json::Null } else { json!({"rank": t, "tags": tags.iter().map(|t| t.map(|t| format!("tag{t}"))).collect::<Vec<_>>()}) },
            })
        });
    let page = proptest::collection::vec(proptest::option::weighted(0.85, todo.clone()), 0..5);
    let grid = proptest::collection::vec(
        proptest::collection::vec(proptest::option::weighted(0.9, todo), 0..3),
        0..3,
    );
    (page, grid, proptest::option::of(user))
        .prop_map(|(page, grid, viewer)| json!({"page": page, "grid": grid, "me": viewer}))
}

fn normalize_consistent(mut data: Json) -> Json {
    // Tags and owner derive from the draw, not the id: make each Todo's the first drawn, as the
    // store keeps one entity per id (the last write wins field by field).
    let mut seen: HashMap<String, Json> = HashMap::new();
    fn walk(value: &mut Json, seen: &mut HashMap<String, Json>) {
        match value {
            Json::Array(items) => items.iter_mut().for_each(|item| walk(item, seen)),
            Json::Object(map) if map.get("__typename") == Some(&json!("Todo")) => {
                let id = map["id"].as_str().unwrap().to_owned();
                match seen.get(&id) {
                    Some(first) => *value = first.clone(),
                    None => {
                        seen.insert(id, value.clone());
                    }
                }
            }
            Json::Object(map) => map.values_mut().for_each(|item| walk(item, seen)),
            _ => {}
        }
    }
    walk(&mut data, &mut seen);
    data
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn normalizing_then_reading_gives_the_payload(data in arb_response()) {
        let data = normalize_consistent(data);
        let query = doc(
            "query { page: todos(first: 5) { ...Todo } grid { ...Todo } me: viewer { id handle: name } }
             fragment Todo on Todo { id title done owner { id handle: name } meta { rank tags } }",
        );
        let mut store = Store::new();
        let patch = normalize_query(store.policies(), &query, &Json::Null, &data).unwrap();
        // As a layer: read back in the view, absent from base, gone when failed.
        let (layer, _) = store.push("response", patch.clone()).unwrap();
        prop_assert_eq!(store.read_query(&query, &Json::Null).unwrap(), data.clone());
        prop_assert!(store.confirmed().read_query(&query, &Json::Null).is_err());
        store.fail(layer).unwrap();
        prop_assert!(store.is_empty());
        // Into base.
        store.write(patch).unwrap();
        prop_assert_eq!(store.confirmed().read_query(&query, &Json::Null).unwrap(), data.clone());
        let typed: Json = store.read_query_as(&query, &Json::Null).unwrap();
        prop_assert_eq!(typed, data);
    }
}
