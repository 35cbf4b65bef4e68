//! REST without `__typename`: plain JSON typed by path, by field and by a function; keys from
//! `id` (numbers as `Todo:17`); precedence of a payload's own `__typename`; `identify`.

#[cfg(feature = "graphql")]
use optimist::{Document, normalize_query};
use optimist::{
    Key, KeyFields, NormalizeError, Patch, Policies, Store, Value, normalize, normalize_at,
    normalize_entity,
};
use serde_json::json;

fn rest_policies() -> Policies {
    Policies::new()
        .type_at("todos", "Todo")
        .field_type("Todo", "owner", "User")
        .field_type("User", "team", "Team")
        .key_fields("Stats", KeyFields::Embedded)
        .field_type("Todo", "stats", "Stats")
        .field_type("Stats", "reviewer", "User")
}

fn key(text: &str) -> Key {
    Key::new(text).expect("a valid key")
}

#[test]
fn a_rest_list_becomes_entities_with_number_ids() {
    let mut store = Store::with_policies(rest_policies());
    let answer = json!([
        {"id": 1, "title": "a", "done": false, "version": 3},
        {"id": 2, "title": "b", "done": true, "version": 1},
    ]);
    store
        .write(normalize_at(store.policies(), &Key::root_query(), "todos", &answer).unwrap())
        .unwrap();
    let list = store
        .get_field("ROOT_QUERY", "todos")
        .and_then(Value::as_list)
        .unwrap();
    let keys: Vec<_> = list
        .iter()
        .filter_map(|v| v.as_ref_key().map(|k| k.as_str().to_owned()))
        .collect();
    assert_eq!(keys, ["Todo:1", "Todo:2"]);
    assert_eq!(store.get_field("Todo:2", "title"), Some(&Value::from("b")));
    assert_eq!(
        store.get_field("Todo:1", "__typename"),
        Some(&Value::from("Todo"))
    );
    // The same through `normalize` with the list under its root field.
    let same = normalize(
        store.policies(),
        &Key::root_query(),
        &json!({"todos": answer}),
    )
    .unwrap();
    assert_eq!(
        same,
        normalize_at(store.policies(), &Key::root_query(), "todos", &answer).unwrap()
    );
}

#[test]
fn nested_objects_are_typed_by_field_through_entities_and_embedded_objects() {
    let mut store = Store::with_policies(rest_policies());
    let payload = json!({"todos": [{
        "id": 1,
        "owner": {"id": "u1", "team": {"id": 9, "name": "core"}},
        "stats": {"views": 3, "reviewer": {"id": "u2"}},
        "meta": {"tags": ["x"]},
    }]});
    store
        .write(normalize(store.policies(), &Key::root_query(), &payload).unwrap())
        .unwrap();
    assert_eq!(
        store.get_field("Todo:1", "owner"),
        Some(&Value::Ref(key("User:u1")))
    );
    assert_eq!(
        store.get_field("User:u1", "team"),
        Some(&Value::Ref(key("Team:9")))
    );
    // `Stats` is embedded, yet typed: its `reviewer` is a `User`, and it gets no `__typename`.
    let stats = store.get_field("Todo:1", "stats").unwrap().to_json();
    assert_eq!(stats, json!({"views": 3, "reviewer": {"__ref": "User:u2"}}));
    // An object no policy types stays embedded exactly as it came.
    assert_eq!(
        store.get_field("Todo:1", "meta").unwrap().to_json(),
        json!({"tags": ["x"]})
    );
}

#[test]
fn a_typed_object_without_id_is_an_error_and_writes_nothing() {
    let policies = rest_policies();
    let err = normalize(
        &policies,
        &Key::root_query(),
        &json!({"todos": [{"id": 1}, {"title": "no id"}]}),
    )
    .unwrap_err();
    assert_eq!(
        err,
        NormalizeError::MissingId {
            path: "todos.1".into(),
            typename: "Todo".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "`Todo` at `todos.1` has no key: its `id` (or `_id`, or its key fields) is missing or null"
    );
    let null_id = normalize(
        &policies,
        &Key::root_query(),
        &json!({"todos": [{"id": null}]}),
    );
    assert!(matches!(null_id, Err(NormalizeError::MissingId { .. })));
    // Without a policy the same object is embedded, as before.
    let plain = normalize(
        &Policies::new(),
        &Key::root_query(),
        &json!({"todos": [{"title": "x"}]}),
    );
    assert!(plain.is_ok());
}

#[test]
fn wrong_id_types_are_typed_errors() {
    let policies = rest_policies();
    for id in [json!(true), json!([1]), json!({"a": 1})] {
        let err =
            normalize_at(&policies, &Key::root_query(), "todos", &json!([{"id": id}])).unwrap_err();
        assert!(
            matches!(err, NormalizeError::UnsupportedId { ref typename, .. } if typename == "Todo"),
            "{err}"
        );
        assert_eq!(err.path(), "todos.0");
    }
    let empty = normalize_at(&policies, &Key::root_query(), "todos", &json!([{"id": ""}]));
    assert!(matches!(empty, Err(NormalizeError::InvalidKey { .. })));
}

#[test]
fn a_payload_typename_wins_over_every_policy() {
    let policies = rest_policies().type_with(|_, _| Some("Other"));
    let payload =
        json!({"todos": [{"__typename": "Task", "id": 1, "owner": {"id": 2}}, {"id": 3}]});
    let patch = normalize(&policies, &Key::root_query(), &payload).unwrap();
    let mut store = Store::with_policies(policies);
    store.write(patch).unwrap();
    assert!(store.get("Task:1").is_some() && store.get("Todo:1").is_none());
    // `Task` has no field rule for `owner`: the function types it.
    assert_eq!(
        store.get_field("Task:1", "owner"),
        Some(&Value::Ref(key("Other:2")))
    );
    // The path rule comes before the function.
    assert!(store.get("Todo:3").is_some());
}

#[test]
fn a_path_rule_comes_before_a_field_rule() {
    let policies = rest_policies().type_at("todos.owner", "Admin");
    let patch = normalize(
        &policies,
        &Key::root_query(),
        &json!({"todos": [{"id": 1, "owner": {"id": 2}}]}),
    )
    .unwrap();
    let mut store = Store::with_policies(policies);
    store.write(patch).unwrap();
    assert_eq!(
        store.get_field("Todo:1", "owner"),
        Some(&Value::Ref(key("Admin:2")))
    );
}

#[test]
fn the_type_function_sees_the_path_and_the_object() {
    let policies =
        Policies::new().type_with(|path, object| match (path, object.get("kind")?.as_str()?) {
            (["feed"], "post") => Some("Post"),
            ([.., "author"], _) => Some("User"),
            _ => None,
        });
    let payload = json!({"feed": [{"kind": "post", "id": 1, "author": {"kind": "x", "id": 5}}, {"kind": "ad"}]});
    let mut store = Store::with_policies(policies);
    store
        .write(normalize(store.policies(), &Key::root_query(), &payload).unwrap())
        .unwrap();
    assert_eq!(
        store.get_field("Post:1", "author"),
        Some(&Value::Ref(key("User:5")))
    );
    let feed = store
        .get_field("ROOT_QUERY", "feed")
        .and_then(Value::as_list)
        .unwrap();
    assert!(matches!(feed[1], Value::Object(_)), "untyped: embedded");
}

#[test]
fn path_rules_do_not_apply_under_an_entity_root() {
    let policies = Policies::new().type_at("owner", "User");
    let patch = normalize(&policies, &key("Todo:1"), &json!({"owner": {"id": 2}})).unwrap();
    let mut store = Store::new();
    store.write(patch).unwrap();
    assert!(matches!(
        store.get_field("Todo:1", "owner"),
        Some(Value::Object(_))
    ));
}

#[test]
fn a_rest_answer_confirms_a_create_and_a_patch() {
    let mut store = Store::with_policies(rest_policies());
    let tmp = store.temporary_key("Todo").unwrap();
    let (create, _) = store
        .push("POST /todos", Patch::new().set(tmp.clone(), "title", "a"))
        .unwrap();
    let answer = json!({"id": 17, "title": "a", "owner": {"id": "u1"}});
    assert_eq!(
        store.policies().identify("Todo", &answer).unwrap().as_str(),
        "Todo:17"
    );
    let (real, patch) = normalize_entity(store.policies(), "Todo", &answer).unwrap();
    store.remap(&tmp, &real).unwrap();
    store.confirm(create, patch).unwrap();
    assert_eq!(
        store.get_field("Todo:17", "owner"),
        Some(&Value::Ref(key("User:u1")))
    );

    // PATCH /todos/17 answers with the row: a patch for Todo:17 only.
    let (same, patch) =
        normalize_entity(store.policies(), "Todo", &json!({"id": 17, "done": true})).unwrap();
    assert_eq!(same, real);
    store.write(patch).unwrap();
    assert_eq!(store.get_field("Todo:17", "done"), Some(&Value::from(true)));
    assert_eq!(store.get_field("Todo:17", "title"), Some(&Value::from("a")));
}

#[test]
fn identify_errors_are_typed() {
    let policies = Policies::new().key_fields("Money", KeyFields::Embedded);
    assert_eq!(
        policies
            .identify("Todo", &json!({"_id": "x"}))
            .unwrap()
            .as_str(),
        "Todo:x"
    );
    assert_eq!(
        policies
            .identify("Todo", &json!({"id": 2.0}))
            .unwrap()
            .as_str(),
        "Todo:2"
    );
    assert!(matches!(
        policies.identify("Todo", &json!([1])),
        Err(NormalizeError::NotAnObject { .. })
    ));
    assert!(matches!(
        policies.identify("Money", &json!({"id": 1})),
        Err(NormalizeError::NotAnEntity { .. })
    ));
    assert!(matches!(
        policies.identify("Todo", &json!({"__typename": "User", "id": 1})),
        Err(NormalizeError::TypenameConflict { .. })
    ));
    let store = Store::with_policies(policies);
    assert_eq!(
        store
            .identify(&json!({"__typename": "Todo", "id": 3}))
            .unwrap()
            .as_str(),
        "Todo:3"
    );
    assert!(matches!(
        store.identify(&json!({"id": 3})),
        Err(NormalizeError::NoTypename { .. })
    ));
}

#[cfg(feature = "graphql")]
#[test]
fn a_document_without_typenames_is_typed_by_the_policies() {
    let policies = Policies::new().field_type("Query", "todos", "Todo");
    let doc = Document::parse("query { list: todos(first: 1) { id title } }").unwrap();
    let data = json!({"list": [{"id": 4, "title": "t"}]});
    let patch = normalize_query(&policies, &doc, &json!({}), &data).unwrap();
    let mut store = Store::with_policies(policies);
    store.write(patch).unwrap();
    assert_eq!(store.get_field("Todo:4", "title"), Some(&Value::from("t")));
}
