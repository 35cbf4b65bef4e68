//! Normalization: payloads (schemaless or through a GraphQL document) become patches; bad input
//! is a typed error that names its path and writes nothing.

use optimist::{
    Document, DocumentError, Key, KeyError, KeyFields, NormalizeError, Patch, Policies, Store,
    Value, normalize, normalize_fragment, normalize_query,
};
use serde_json::{Value as Json, json};

fn doc(text: &str) -> Document {
    Document::parse(text).expect("a valid document")
}

/// What a `Store::write_query` would do: normalize, then write into base.
fn write_query(
    store: &mut Store,
    text: &str,
    vars: Json,
    data: Json,
) -> Result<(), NormalizeError> {
    let patch = normalize_query(store.policies(), &doc(text), &vars, &data)?;
    store.write(patch).expect("a normalized patch is valid");
    Ok(())
}

fn write(store: &mut Store, payload: Json) -> Result<(), NormalizeError> {
    let patch = normalize(store.policies(), &Key::root_query(), &payload)?;
    store.write(patch).expect("a normalized patch is valid");
    Ok(())
}

fn entity(store: &Store, key: &str) -> Json {
    store.get(key).map_or(Json::Null, |entity| entity.to_json())
}

/// Runs a write that must fail, and checks that the store did not change.
fn refused(
    store: &mut Store,
    attempt: impl FnOnce(&mut Store) -> Result<(), NormalizeError>,
) -> NormalizeError {
    let before = store.clone();
    let error = attempt(store).expect_err("the write must be refused");
    assert!(
        *store == before,
        "a failed write changed the store: {error}"
    );
    store.check_invariants().unwrap();
    error
}

fn seeded() -> Store {
    let mut store = Store::new();
    write(
        &mut store,
        json!({"todos": [{"__typename": "Todo", "id": 1, "title": "kept"}]}),
    )
    .unwrap();
    store
        .push("pending", Patch::new().set("Todo:1", "done", true))
        .unwrap();
    store
}

// ----- Apollo's fixtures (the full replay is tests/apollo_fixtures.rs) -----

fn fixture(name: &str) -> Json {
    let path = format!(
        "{}/tests/fixtures/apollo/cases/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn mutations_land_in_root_mutation() {
    // Apollo's QueryManager writes a mutation's result under ROOT_MUTATION, as we always do; a
    // bare `cache.writeQuery` of a mutation document (the fixture's second step) defaults to
    // ROOT_QUERY instead, which is an accident of its API, not a rule to copy.
    let case = fixture("mutation_root");
    let mut store = Store::new();
    for step in case["steps"].as_array().unwrap() {
        let vars = step.get("variables").cloned().unwrap_or(Json::Null);
        write_query(
            &mut store,
            step["query"].as_str().unwrap(),
            vars,
            step["data"].clone(),
        )
        .unwrap();
    }
    let extract = &case["extract"];
    assert_eq!(entity(&store, "Todo:9"), extract["Todo:9"]);
    let mut root = extract["ROOT_MUTATION"].clone();
    root["toggle({\"id\":\"9\"})"] = extract["ROOT_QUERY"]["toggle({\"id\":\"9\"})"].clone();
    assert_eq!(entity(&store, "ROOT_MUTATION"), root);
    assert!(store.get("ROOT_QUERY").is_none());
}

// ----- schemaless -----

#[test]
fn schemaless_entities_become_refs_and_the_rest_stays_embedded() {
    let mut store = Store::new();
    write(
        &mut store,
        json!({
            "todos": [
                {"__typename": "Todo", "id": 1, "title": "a", "owner": {"__typename": "User", "id": "u1", "name": "Ada"}},
                null,
                {"__typename": "Todo", "id": 2, "title": "b", "owner": {"__typename": "User", "id": "u1", "email": "ada@x"}},
            ],
            "settings": {"__typename": "Settings", "theme": {"dark": true}, "tags": ["x", null]},
            "anonymous": {"id": "9", "label": "no typename, stays embedded"},
            "grid": [[{"__typename": "Cell", "id": 1}], []],
            "count": 2,
            "nothing": null,
        }),
    )
    .unwrap();
    assert_eq!(
        store.extract(false),
        json!({
            "ROOT_QUERY": {
                "__typename": "Query",
                "todos": [{"__ref": "Todo:1"}, null, {"__ref": "Todo:2"}],
                "settings": {"__typename": "Settings", "theme": {"dark": true}, "tags": ["x", null]},
                "anonymous": {"id": "9", "label": "no typename, stays embedded"},
                "grid": [[{"__ref": "Cell:1"}], []],
                "count": 2,
                "nothing": null,
            },
            "Todo:1": {"__typename": "Todo", "id": 1, "title": "a", "owner": {"__ref": "User:u1"}},
            "Todo:2": {"__typename": "Todo", "id": 2, "title": "b", "owner": {"__ref": "User:u1"}},
            "User:u1": {"__typename": "User", "id": "u1", "name": "Ada", "email": "ada@x"},
            "Cell:1": {"__typename": "Cell", "id": 1},
        })
    );
}

#[test]
fn a_second_write_merges_at_field_level_and_replaces_embedded_objects() {
    let mut store = Store::new();
    write(
        &mut store,
        json!({"t": {"__typename": "Todo", "id": 1, "title": "a", "meta": {"x": 1, "y": 2}}}),
    )
    .unwrap();
    write(
        &mut store,
        json!({"u": {"__typename": "Todo", "id": 1, "done": true, "meta": {"x": 3}}}),
    )
    .unwrap();
    assert_eq!(
        entity(&store, "Todo:1"),
        json!({"__typename": "Todo", "id": 1, "title": "a", "done": true, "meta": {"x": 3}})
    );
    assert_eq!(
        entity(&store, "ROOT_QUERY"),
        json!({"__typename": "Query", "t": {"__ref": "Todo:1"}, "u": {"__ref": "Todo:1"}})
    );
}

#[test]
fn an_entity_reached_twice_in_one_payload_is_merged_deeply() {
    let mut store = Store::new();
    write(
        &mut store,
        json!({
            "a": {"__typename": "User", "id": 1, "name": "Ada", "prefs": {"dark": true}},
            "b": {"__typename": "User", "id": 1, "email": "a@x", "prefs": {"lang": "en"}},
        }),
    )
    .unwrap();
    assert_eq!(
        entity(&store, "User:1"),
        json!({"__typename": "User", "id": 1, "name": "Ada", "email": "a@x", "prefs": {"dark": true, "lang": "en"}})
    );
}

#[test]
fn the_root_can_be_any_key() {
    let mut store = Store::new();
    let id = Key::new("Todo:1").unwrap();
    let patch = normalize(store.policies(), &id, &json!({"title": "a", "tags": ["x"]})).unwrap();
    store.write(patch).unwrap();
    assert_eq!(
        entity(&store, "Todo:1"),
        json!({"__typename": "Todo", "title": "a", "tags": ["x"]})
    );

    let custom = Key::new("CLIENT_STATE").unwrap();
    let patch = normalize(store.policies(), &custom, &json!({"open": true})).unwrap();
    store.write(patch).unwrap();
    assert_eq!(entity(&store, "CLIENT_STATE"), json!({"open": true}));

    // A root key's typename yields to the data's (a schema may name its root type `query_root`).
    let patch = normalize(
        store.policies(),
        &Key::root_query(),
        &json!({"__typename": "query_root"}),
    )
    .unwrap();
    store.write(patch).unwrap();
    assert_eq!(
        entity(&store, "ROOT_QUERY"),
        json!({"__typename": "query_root"})
    );
}

#[test]
fn key_extraction_follows_the_policies() {
    let policies = Policies::new()
        .key_fields("Car", KeyFields::fields(["year", "make", "model"]))
        .key_fields("Money", KeyFields::Embedded)
        .key_fields(
            "Post",
            KeyFields::custom(|typename, fields| {
                Some(format!("{typename}:{}", fields.get("slug")?.as_str()?))
            }),
        );
    let mut store = Store::with_policies(policies);
    write(
        &mut store,
        json!({
            "car": {"__typename": "Car", "make": "Saab", "model": "900", "year": 1987, "spec": null},
            "price": {"__typename": "Money", "id": "m1", "amount": 10},
            "post": {"__typename": "Post", "slug": "hello", "id": 5},
            "draft": {"__typename": "Post", "id": 6},
            "numbered": {"__typename": "Measure", "id": 2.5},
            "integral": {"__typename": "Measure", "id": 3.0},
            "underscore": {"__typename": "Doc", "_id": "abc"},
            "both": {"__typename": "Doc", "id": "x", "_id": "y"},
            "nullId": {"__typename": "Doc", "id": null, "_id": "z"},
            "noId": {"__typename": "Doc", "id": null},
            "colon": {"__typename": "Todo", "id": "tmp:1"},
        }),
    )
    .unwrap();
    let root = store.get("ROOT_QUERY").unwrap();
    let reference = |field: &str| {
        root.get(field)
            .and_then(Value::as_ref_key)
            .map(|key| key.to_string())
    };
    assert_eq!(
        reference("car").as_deref(),
        Some(r#"Car:{"year":1987,"make":"Saab","model":"900"}"#)
    );
    assert_eq!(reference("price"), None, "Money stays embedded");
    assert_eq!(reference("post").as_deref(), Some("Post:hello"));
    assert_eq!(
        reference("draft"),
        None,
        "the key function said no identity"
    );
    assert_eq!(reference("numbered").as_deref(), Some("Measure:2.5"));
    assert_eq!(
        reference("integral").as_deref(),
        Some("Measure:3"),
        "as JavaScript prints 3.0"
    );
    assert_eq!(reference("underscore").as_deref(), Some("Doc:abc"));
    assert_eq!(
        reference("both").as_deref(),
        Some("Doc:x"),
        "id wins over _id"
    );
    assert_eq!(
        reference("nullId").as_deref(),
        Some("Doc:z"),
        "a null id falls back to _id"
    );
    assert_eq!(reference("noId"), None);
    assert_eq!(reference("colon").as_deref(), Some("Todo:tmp:1"));
    assert_eq!(
        store.get_field("Todo:tmp:1", "id"),
        Some(&Value::from("tmp:1"))
    );
}

#[test]
fn a_composite_key_with_a_null_field_stays_embedded() {
    let mut store =
        Store::with_policies(Policies::new().key_fields("Book", KeyFields::fields(["isbn"])));
    write(
        &mut store,
        json!({"book": {"__typename": "Book", "isbn": null, "title": "?"}}),
    )
    .unwrap();
    assert_eq!(
        store.get_field("ROOT_QUERY", "book").map(Value::to_json),
        Some(json!({"__typename": "Book", "isbn": null, "title": "?"}))
    );
}

// ----- through a document -----

#[test]
fn documents_map_aliases_arguments_and_directives_to_store_names() {
    let mut store = Store::new();
    write_query(
        &mut store,
        r#"query($first: Int!, $full: Boolean!, $after: String) {
            page: todos(first: $first, after: $after, filter: {done: false}) { id title notes @include(if: $full) }
            me: viewer { handle: name big: avatar(size: 128) hidden @skip(if: true) }
        }"#,
        json!({"first": 2, "full": false}),
        json!({
            "page": [{"__typename": "Todo", "id": "1", "title": "a", "notes": "ignored"}],
            "me": {"__typename": "User", "id": "u1", "handle": "ada", "big": "b.png"},
        }),
    )
    .unwrap();
    assert_eq!(
        store.extract(false),
        json!({
            "ROOT_QUERY": {
                "__typename": "Query",
                r#"todos({"filter":{"done":false},"first":2})"#: [{"__ref": "Todo:1"}],
                "viewer": {"__ref": "User:u1"},
            },
            "Todo:1": {"__typename": "Todo", "id": "1", "title": "a"},
            "User:u1": {"__typename": "User", "id": "u1", "name": "ada", r#"avatar({"size":128})"#: "b.png"},
        }),
        "identity comes from the data, selected or not, and is stored (as in Apollo's fixture \
         `aliases`); skipped fields are neither written nor required"
    );
}

#[test]
fn fragments_apply_by_type_and_possible_types() {
    let mut store = Store::with_policies(Policies::new().possible_types("Node", ["Todo", "User"]));
    write_query(
        &mut store,
        "{ search { ...on Node { id } ...on Todo { title } ...on User { name } ...Extra } }
         fragment Extra on Project { budget }",
        json!(null),
        json!({"search": [
            {"__typename": "Todo", "id": "t1", "title": "a"},
            {"__typename": "User", "id": "u1", "name": "Ada"},
            {"__typename": "Project", "budget": 3},
        ]}),
    )
    .unwrap();
    assert_eq!(
        entity(&store, "Todo:t1"),
        json!({"__typename": "Todo", "id": "t1", "title": "a"})
    );
    assert_eq!(
        entity(&store, "User:u1"),
        json!({"__typename": "User", "id": "u1", "name": "Ada"})
    );
    assert_eq!(
        store.get_field("ROOT_QUERY", "search").map(Value::to_json),
        Some(
            json!([{"__ref": "Todo:t1"}, {"__ref": "User:u1"}, {"__typename": "Project", "budget": 3}])
        )
    );
}

#[test]
fn without_a_typename_a_typed_fragment_applies_when_the_data_has_its_fields() {
    let mut store = Store::new();
    write_query(
        &mut store,
        "{ thing { label ... on Box { width } ... on Ball { radius } } }",
        json!(null),
        json!({"thing": {"label": "l", "width": 3}}),
    )
    .unwrap();
    assert_eq!(
        store.get_field("ROOT_QUERY", "thing").map(Value::to_json),
        Some(json!({"label": "l", "width": 3}))
    );
}

#[test]
fn a_field_selected_twice_merges_its_selections() {
    let mut store = Store::new();
    write_query(
        &mut store,
        "{ todo { id meta { a } ...M } } fragment M on Todo { meta { b } points { x } points { y } }",
        json!(null),
        json!({"todo": {"__typename": "Todo", "id": 1, "meta": {"a": 1, "b": 2}, "points": [{"x": 1, "y": 2}]}}),
    )
    .unwrap();
    assert_eq!(
        entity(&store, "Todo:1"),
        json!({"__typename": "Todo", "id": 1, "meta": {"a": 1, "b": 2}, "points": [{"x": 1, "y": 2}]})
    );
}

#[test]
fn a_fragment_spread_many_times_is_applied_once_per_object() {
    // F0 spreads F1 twice, F1 spreads F2 twice, ...: 2^40 paths, applied once each per object.
    let mut text = String::from("{ thing { ...F0 } }");
    for i in 0..40 {
        let next = i + 1;
        text.push_str(&format!(
            " fragment F{i} on Thing {{ f{i} ...F{next} ...F{next} }}"
        ));
    }
    text.push_str(" fragment F40 on Thing { f40 }");
    let mut data = serde_json::Map::new();
    for i in 0..=40 {
        data.insert(format!("f{i}"), json!(i));
    }
    let mut store = Store::new();
    write_query(&mut store, &text, json!(null), json!({"thing": data})).unwrap();
    let thing = store.get_field("ROOT_QUERY", "thing").unwrap().to_json();
    assert_eq!(thing.as_object().unwrap().len(), 41);
}

#[test]
fn leaves_keep_custom_scalars_as_they_are_and_aliased_ids_identify() {
    let mut store = Store::new();
    write_query(
        &mut store,
        "{ todo { uid: id kind: __typename payload } }",
        json!(null),
        json!({"todo": {"uid": "1", "kind": "Todo", "payload": {"__typename": "User", "id": "u9", "deep": [1]}}}),
    )
    .unwrap();
    assert_eq!(
        entity(&store, "Todo:1"),
        json!({"__typename": "Todo", "id": "1", "payload": {"__typename": "User", "id": "u9", "deep": [1]}})
    );
    assert!(
        store.get("User:u9").is_none(),
        "a leaf's object is a scalar, not an entity"
    );
}

#[test]
fn roots_get_the_operations_typename() {
    let mut store = Store::new();
    write_query(
        &mut store,
        "subscription { ticked { id n } }",
        json!(null),
        json!({"ticked": {"__typename": "Tick", "id": 1, "n": 2}}),
    )
    .unwrap();
    assert_eq!(
        entity(&store, "ROOT_SUBSCRIPTION"),
        json!({"__typename": "Subscription", "ticked": {"__ref": "Tick:1"}})
    );
}

#[test]
fn fragment_writes_choose_their_fragment_and_infer_the_typename() {
    let mut store = seeded();
    let id = Key::new("Todo:1").unwrap();
    let two = doc("fragment A on Todo { title } fragment B on Todo { title owner { id } }");
    let patch = normalize_fragment(
        store.policies(),
        &two,
        Some("B"),
        &id,
        &json!(null),
        &json!({"title": "new", "owner": {"__typename": "User", "id": "u1"}}),
    )
    .unwrap();
    store.write(patch).unwrap();
    assert_eq!(
        store.get_confirmed("Todo:1").unwrap().to_json(),
        json!({"__typename": "Todo", "id": 1, "title": "new", "owner": {"__ref": "User:u1"}})
    );
    assert_eq!(
        store.get_field("Todo:1", "done"),
        Some(&Value::from(true)),
        "the layer stays on top"
    );

    let error = normalize_fragment(store.policies(), &two, None, &id, &json!(null), &json!({}))
        .unwrap_err();
    assert_eq!(
        error,
        NormalizeError::Document(DocumentError::AmbiguousFragment)
    );
    let error = normalize_fragment(
        store.policies(),
        &two,
        Some("C"),
        &id,
        &json!(null),
        &json!({}),
    )
    .unwrap_err();
    assert!(matches!(
        error,
        NormalizeError::Document(DocumentError::UnknownFragment { .. })
    ));
}

#[test]
fn the_same_payload_writes_as_a_layer_and_confirms_it() {
    let mut store = seeded();
    let text = "mutation { rename { id title } }";
    let optimistic = json!({"rename": {"__typename": "Todo", "id": 1, "title": "guess"}});
    let answer = json!({"rename": {"__typename": "Todo", "id": 1, "title": "server"}});
    let patch = normalize_query(store.policies(), &doc(text), &json!(null), &optimistic).unwrap();
    let (id, _) = store.push("rename", patch).unwrap();
    assert_eq!(
        store.get_field("Todo:1", "title"),
        Some(&Value::from("guess"))
    );
    let patch = normalize_query(store.policies(), &doc(text), &json!(null), &answer).unwrap();
    store.confirm(id, patch).unwrap();
    assert_eq!(
        store.get_field("Todo:1", "title"),
        Some(&Value::from("server"))
    );
    store.check_invariants().unwrap();
}

// ----- bad input: a typed error with its path, and nothing written -----

#[test]
fn a_payload_that_is_not_an_object_is_refused() {
    let mut store = seeded();
    let error = refused(&mut store, |store| write(store, json!([1, 2])));
    assert_eq!(error, NormalizeError::NotAnObject { found: "an array" });
    let error = refused(&mut store, |store| {
        write_query(store, "{ a }", json!(null), json!(null))
    });
    assert_eq!(
        error.to_string(),
        "the payload must be a JSON object, not null"
    );
    let error = refused(&mut store, |store| {
        let id = Key::new("Todo:1").unwrap();
        normalize_fragment(
            store.policies(),
            &doc("fragment F on Todo { a }"),
            None,
            &id,
            &json!(null),
            &json!("x"),
        )
        .map(drop)
    });
    assert_eq!(error.path(), "");
}

#[test]
fn ids_of_unsupported_types_are_refused() {
    let mut store = seeded();
    for (id, found) in [
        (json!(true), "a boolean"),
        (json!({"n": 1}), "an object"),
        (json!([1]), "an array"),
    ] {
        let payload = json!({"items": [
            {"__typename": "Item", "id": 1},
            {"__typename": "Item", "id": 2, "owner": {"__typename": "User", "id": id}},
        ]});
        let error = refused(&mut store, |store| write(store, payload));
        assert_eq!(
            error,
            NormalizeError::UnsupportedId {
                path: "items.1.owner".into(),
                typename: "User".into(),
                field: "id".into(),
                found,
            }
        );
    }
    let error = refused(&mut store, |store| {
        write(store, json!({"d": {"__typename": "Doc", "_id": false}}))
    });
    assert!(matches!(error, NormalizeError::UnsupportedId { ref field, .. } if field == "_id"));
}

#[test]
fn keys_that_cannot_be_keys_are_refused() {
    let policies = Policies::new()
        .key_fields(
            "Weird",
            KeyFields::custom(|_, fields| fields.get("key")?.as_str().map(str::to_owned)),
        )
        .key_fields("Book", KeyFields::fields(["isbn", "edition"]));
    let mut store = Store::with_policies(policies);
    let error = refused(&mut store, |store| {
        write(store, json!({"t": {"__typename": "Todo", "id": ""}}))
    });
    assert_eq!(
        error,
        NormalizeError::InvalidKey {
            path: "t".into(),
            error: KeyError::EmptyId {
                key: "Todo:".into()
            }
        }
    );
    let error = refused(&mut store, |store| {
        write(store, json!({"t": {"__typename": "A:B", "id": 1}}))
    });
    assert!(matches!(
        error,
        NormalizeError::InvalidKey {
            error: KeyError::ColonInTypename { .. },
            ..
        }
    ));
    let error = refused(&mut store, |store| {
        write(store, json!({"w": [{"__typename": "Weird", "key": ""}]}))
    });
    assert!(
        matches!(error, NormalizeError::InvalidKey { error: KeyError::Empty, ref path } if path == "w.0")
    );
    let error = refused(&mut store, |store| {
        write(
            store,
            json!({"w": {"__typename": "Weird", "key": "Todo:1"}}),
        )
    });
    assert_eq!(
        error,
        NormalizeError::TypenameConflict {
            path: "w".into(),
            typename: "Weird".into(),
            key: "Todo:1".into()
        }
    );
    let error = refused(&mut store, |store| {
        write(
            store,
            json!({"w": {"__typename": "Weird", "key": "ROOT_QUERY"}}),
        )
    });
    assert!(
        matches!(error, NormalizeError::TypenameConflict { .. }),
        "a key function cannot write a root"
    );
    let error = refused(&mut store, |store| {
        write(store, json!({"b": {"__typename": "Book", "isbn": "1"}}))
    });
    assert_eq!(
        error,
        NormalizeError::MissingKeyField {
            path: "b".into(),
            typename: "Book".into(),
            field: "edition".into()
        }
    );
}

#[test]
fn a_typename_that_is_not_a_string_is_refused() {
    let mut store = seeded();
    for typename in [json!(5), json!(null), json!({"a": 1})] {
        let payload = json!({"a": {"b": [{"__typename": typename, "id": 1}]}});
        let error = refused(&mut store, |store| write(store, payload));
        assert!(
            matches!(error, NormalizeError::TypenameNotAString { .. }),
            "{error}"
        );
        assert_eq!(error.path(), "a.b.0.__typename");
    }
    let error = refused(&mut store, |store| {
        write_query(
            store,
            "{ a { kind: __typename } }",
            json!(null),
            json!({"a": {"kind": 1}}),
        )
    });
    assert_eq!(error.path(), "a.kind");
}

#[test]
fn fragment_data_of_another_type_is_refused() {
    let mut store = seeded();
    let error = refused(&mut store, |store| {
        let patch = normalize_fragment(
            store.policies(),
            &doc("fragment F on Todo { title }"),
            None,
            &Key::new("Todo:1").unwrap(),
            &json!(null),
            &json!({"__typename": "User", "title": "x"}),
        )?;
        store.write(patch).unwrap();
        Ok(())
    });
    assert_eq!(
        error,
        NormalizeError::TypenameConflict {
            path: String::new(),
            typename: "User".into(),
            key: "Todo:1".into()
        }
    );
    assert_eq!(
        error.to_string(),
        "the object at the top level has typename `User` but key `Todo:1`"
    );
}

#[test]
fn missing_fields_are_refused_with_their_path() {
    let mut store = seeded();
    let text = "{ items { id title owner { id name } } }";
    let mut items: Vec<Json> = (0..4)
        .map(|i| json!({"__typename": "Item", "id": i, "title": "t", "owner": {"__typename": "User", "id": 1, "name": "n"}}))
        .collect();
    items[3]["owner"].as_object_mut().unwrap().remove("name");
    let error = refused(&mut store, |store| {
        write_query(store, text, json!(null), json!({"items": items}))
    });
    assert_eq!(
        error,
        NormalizeError::MissingField {
            path: "items.3.owner.name".into(),
            field: "name".into()
        }
    );
    assert!(
        store.get("Item:0").is_none(),
        "the items before the bad one are not written either"
    );
    let error = refused(&mut store, |store| {
        write_query(store, "{ __typename a }", json!(null), json!({"a": 1}))
    });
    assert_eq!(
        error.path(),
        "__typename",
        "an explicit __typename is required like any field"
    );
}

#[test]
fn data_of_the_wrong_shape_is_refused() {
    let mut store = seeded();
    let text = "{ todo { id owner { id } } }";
    for (owner, path, found) in [
        (json!("u1"), "todo.owner", "a string"),
        (json!(7), "todo.owner", "a number"),
        (json!([{"id": 1}, true]), "todo.owner.1", "a boolean"),
    ] {
        let data = json!({"todo": {"__typename": "Todo", "id": 1, "owner": owner}});
        let error = refused(&mut store, |store| {
            write_query(store, text, json!(null), data)
        });
        assert_eq!(
            error,
            NormalizeError::ExpectedObject {
                path: path.into(),
                found
            }
        );
    }
}

#[test]
fn document_errors_are_wrapped() {
    let mut store = seeded();
    let error = refused(&mut store, |store| {
        write_query(
            store,
            "query($id: ID!) { todo(id: $id) { id } }",
            json!({}),
            json!({"todo": null}),
        )
    });
    assert_eq!(
        error,
        NormalizeError::Document(DocumentError::MissingVariable { name: "id".into() })
    );
    assert_eq!(
        error.to_string(),
        "variable `$id` is required but was not given"
    );
    assert!(std::error::Error::source(&error).is_some());
    let error = refused(&mut store, |store| {
        write_query(store, "fragment F on T { a }", json!(null), json!({}))
    });
    assert_eq!(error, NormalizeError::Document(DocumentError::NoOperation));
    let error = refused(&mut store, |store| {
        write_query(store, "{ a }", json!([1]), json!({"a": 1}))
    });
    assert_eq!(
        error,
        NormalizeError::Document(DocumentError::VariablesNotAnObject)
    );
}

#[test]
fn the_depth_limit_counts_objects_and_lists() {
    let mut store = Store::with_policies(Policies::new().max_depth(3));
    write(&mut store, json!({"a": {"b": [1, 2]}})).unwrap();
    let error = refused(&mut store, |store| {
        write(store, json!({"a": {"b": {"c": {}}}}))
    });
    assert_eq!(
        error,
        NormalizeError::TooDeep {
            path: "a.b.c".into(),
            limit: 3
        }
    );
    let error = refused(&mut store, |store| write(store, json!({"a": [[[1]]]})));
    assert_eq!(error.path(), "a.0.0");
    let error = refused(&mut store, |store| {
        write_query(
            store,
            "{ a { b { c { d } } } }",
            json!(null),
            json!({"a": {"b": {"c": {"d": 1}}}}),
        )
    });
    assert_eq!(error.path(), "a.b.c");
}

// ----- 10,000 levels deep, on a 2 MiB stack -----

/// An object of these fields, moved in: `json!` would serialize a value given to it, which
/// recurses (and copies) all the way down.
fn object(fields: impl IntoIterator<Item = (&'static str, Json)>) -> Json {
    Json::Object(
        fields
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect(),
    )
}

/// `{"a": {"a": ... inner ...}}`, built without recursion.
fn nest_objects(levels: usize, mut inner: Json, field: &'static str) -> Json {
    for _ in 0..levels {
        inner = object([(field, inner)]);
    }
    inner
}

fn nest_lists(levels: usize) -> Json {
    let mut inner = json!(1);
    for _ in 0..levels {
        inner = Json::Array(vec![inner]);
    }
    inner
}

/// Drops a deep value without recursion: `serde_json::Value`'s own drop recurses, and in a
/// debug build it overflows a 2 MiB stack at a few thousand levels.
fn dismantle(value: Json) {
    let mut pending = vec![value];
    while let Some(value) = pending.pop() {
        match value {
            Json::Array(items) => pending.extend(items),
            Json::Object(map) => pending.extend(map.into_iter().map(|(_, item)| item)),
            _ => {}
        }
    }
}

fn on_small_stack<T: Send + 'static>(run: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(run)
        .unwrap()
        .join()
        .expect("no stack overflow")
}

#[test]
fn ten_thousand_levels_are_an_error_not_a_crash() {
    const LEVELS: usize = 10_000;
    let errors = on_small_stack(|| {
        let policies = Policies::new().key_fields("K", KeyFields::fields(["k"]));
        let root = Key::root_query();
        let mut errors = Vec::new();

        let payload = nest_objects(LEVELS, json!(1), "a");
        errors.push(normalize(&policies, &root, &payload).unwrap_err());
        dismantle(payload);

        let payload = object([("a", nest_lists(LEVELS))]);
        errors.push(normalize(&policies, &root, &payload).unwrap_err());
        dismantle(payload);

        let mut entities = json!(null);
        for i in 0..LEVELS {
            entities = object([
                ("__typename", json!("Node")),
                ("id", json!(i)),
                ("child", entities),
            ]);
        }
        let payload = object([("a", entities)]);
        errors.push(normalize(&policies, &root, &payload).unwrap_err());
        dismantle(payload);

        let payload = object([("blob", nest_objects(LEVELS, json!(1), "a"))]);
        let query = Document::parse("{ blob }").unwrap();
        errors.push(normalize_query(&policies, &query, &json!(null), &payload).unwrap_err());
        dismantle(payload);

        let payload = object([(
            "k",
            object([("__typename", json!("K")), ("k", nest_lists(LEVELS))]),
        )]);
        errors.push(normalize(&policies, &root, &payload).unwrap_err());
        dismantle(payload);
        errors
    });
    for error in errors {
        assert!(
            matches!(
                error,
                NormalizeError::TooDeep {
                    limit: optimist::DEFAULT_MAX_DEPTH,
                    ..
                }
            ),
            "{error}"
        );
    }
}

#[test]
fn a_document_as_deep_as_the_limit_is_walked_on_a_small_stack() {
    // Parsing caps documents at DEFAULT_MAX_DEPTH; data that follows one all the way down is fine.
    let levels = optimist::DEFAULT_MAX_DEPTH - 2;
    let store = on_small_stack(move || {
        let text = format!("{}{}", "{ a ".repeat(levels), "}".repeat(levels));
        let query = Document::parse(&text).unwrap();
        let data = nest_objects(levels - 1, json!({"a": 1}), "a");
        let mut store = Store::new();
        let patch = normalize_query(store.policies(), &query, &json!(null), &data).unwrap();
        store.write(patch).unwrap();
        store
    });
    assert!(store.get("ROOT_QUERY").is_some());
}

// ----- properties -----

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// The entities a payload may hold; every occurrence of one is rendered alike, so the
    /// fields of an entity reached from several branches agree.
    #[derive(Debug, Clone)]
    struct Pool {
        entities: Vec<PoolEntity>,
    }

    #[derive(Debug, Clone)]
    struct PoolEntity {
        fields: Vec<(String, Json)>,
        /// An entity it holds (always a later one, so rendering terminates).
        next: Option<usize>,
    }

    /// A payload shape: entities are indices into the pool.
    #[derive(Debug, Clone)]
    enum Shape {
        Scalar(Json),
        Entity(usize),
        Embedded(Option<&'static str>, Vec<(String, Shape)>),
        List(Vec<Shape>),
    }

    const POOL: usize = 6;

    fn key_of(i: usize) -> String {
        format!(
            "{}:{}",
            typename_of(i),
            id_of(i).as_str().map_or(i.to_string(), str::to_owned)
        )
    }

    fn typename_of(i: usize) -> &'static str {
        if i.is_multiple_of(2) { "Todo" } else { "User" }
    }

    fn id_of(i: usize) -> Json {
        if i.is_multiple_of(3) {
            json!(format!("s{i}"))
        } else {
            json!(i)
        }
    }

    fn scalar() -> impl Strategy<Value = Json> {
        prop_oneof![
            Just(Json::Null),
            any::<bool>().prop_map(Json::from),
            any::<i32>().prop_map(Json::from),
            "[a-z]{0,4}".prop_map(Json::from),
        ]
    }

    fn name() -> impl Strategy<Value = String> {
        prop::sample::select(vec!["a", "b", "c", "d", "e"]).prop_map(str::to_owned)
    }

    fn pool() -> impl Strategy<Value = Pool> {
        let entity = (
            prop::collection::btree_map(name(), scalar(), 0..4),
            any::<bool>(),
            0..POOL,
        );
        prop::collection::vec(entity, POOL).prop_map(|entities| Pool {
            entities: entities
                .into_iter()
                .enumerate()
                .map(|(i, (fields, has_next, next))| {
                    // Only later entities, so rendering terminates.
                    let next = (has_next && i + 1 < POOL).then(|| i + 1 + next % (POOL - i - 1));
                    PoolEntity {
                        fields: fields.into_iter().collect(),
                        next,
                    }
                })
                .collect(),
        })
    }

    fn shape() -> impl Strategy<Value = Shape> {
        let leaf = prop_oneof![
            scalar().prop_map(Shape::Scalar),
            (0..POOL).prop_map(Shape::Entity)
        ];
        leaf.prop_recursive(5, 48, 4, |inner| {
            prop_oneof![
                (
                    prop::option::of(Just("Meta")),
                    prop::collection::btree_map(name(), inner.clone(), 0..4)
                )
                    .prop_map(|(typename, fields)| Shape::Embedded(
                        typename,
                        fields.into_iter().collect()
                    )),
                prop::collection::vec(inner, 0..4).prop_map(Shape::List),
            ]
        })
    }

    fn payload() -> impl Strategy<Value = (Pool, Vec<(String, Shape)>)> {
        (pool(), prop::collection::btree_map(name(), shape(), 1..5))
            .prop_map(|(pool, root)| (pool, root.into_iter().collect()))
    }

    fn render_entity(pool: &Pool, i: usize) -> Json {
        let PoolEntity { fields, next } = &pool.entities[i];
        let mut object = json!({"__typename": typename_of(i), "id": id_of(i)});
        for (name, value) in fields {
            object[name] = value.clone();
        }
        if let Some(next) = next {
            object["next"] = render_entity(pool, *next);
        }
        object
    }

    fn render(pool: &Pool, shape: &Shape) -> Json {
        match shape {
            Shape::Scalar(value) => value.clone(),
            Shape::Entity(i) => render_entity(pool, *i),
            Shape::Embedded(typename, fields) => {
                let mut object = serde_json::Map::new();
                if let Some(typename) = typename {
                    object.insert("__typename".into(), json!(typename));
                }
                for (name, field) in fields {
                    object.insert(name.clone(), render(pool, field));
                }
                Json::Object(object)
            }
            Shape::List(items) => {
                Json::Array(items.iter().map(|item| render(pool, item)).collect())
            }
        }
    }

    /// What the store must hold for a shape: entities as references.
    fn stored(shape: &Shape) -> Json {
        match shape {
            Shape::Scalar(value) => value.clone(),
            Shape::Entity(i) => json!({"__ref": key_of(*i)}),
            Shape::Embedded(typename, fields) => {
                let mut object = serde_json::Map::new();
                if let Some(typename) = typename {
                    object.insert("__typename".into(), json!(typename));
                }
                for (name, field) in fields {
                    object.insert(name.clone(), stored(field));
                }
                Json::Object(object)
            }
            Shape::List(items) => Json::Array(items.iter().map(stored).collect()),
        }
    }

    fn reached(pool: &Pool, shape: &Shape, out: &mut Vec<usize>) {
        match shape {
            Shape::Scalar(_) => {}
            Shape::Entity(i) => {
                let mut at = Some(*i);
                while let Some(i) = at {
                    out.push(i);
                    at = pool.entities[i].next;
                }
            }
            Shape::Embedded(_, fields) => fields
                .iter()
                .for_each(|(_, field)| reached(pool, field, out)),
            Shape::List(items) => items.iter().for_each(|item| reached(pool, item, out)),
        }
    }

    fn background() -> Store {
        let mut store = Store::new();
        write(
            &mut store,
            json!({"old": {"__typename": "Todo", "id": "s0", "a": "base", "z": 1}, "a": "kept"}),
        )
        .unwrap();
        store
            .push("below", Patch::new().increment("Todo:s0", "z", 1))
            .unwrap();
        store
    }

    proptest! {
        #[test]
        fn written_into_base_entities_hold_the_payloads_fields((pool, root) in payload()) {
            let payload = Json::Object(root.iter().map(|(name, shape)| (name.clone(), render(&pool, shape))).collect());
            let mut store = Store::new();
            write(&mut store, payload).unwrap();

            let mut expected_root = json!({"__typename": "Query"});
            let mut entities = Vec::new();
            for (name, shape) in &root {
                expected_root[name] = stored(shape);
                reached(&pool, shape, &mut entities);
            }
            prop_assert_eq!(entity(&store, "ROOT_QUERY"), expected_root);
            entities.sort_unstable();
            entities.dedup();
            for &i in &entities {
                let mut expected = render_entity(&pool, i);
                if let Some(next) = pool.entities[i].next {
                    expected["next"] = json!({"__ref": key_of(next)});
                }
                prop_assert_eq!(entity(&store, &key_of(i)), expected);
            }
            prop_assert_eq!(store.len(), entities.len() + 1);
        }

        #[test]
        fn written_as_a_layer_then_failed_leaves_the_store_as_it_was((pool, root) in payload()) {
            let payload = Json::Object(root.iter().map(|(name, shape)| (name.clone(), render(&pool, shape))).collect());
            let mut store = background();
            let before = store.clone();
            let patch = normalize(store.policies(), &Key::root_query(), &payload).unwrap();
            let (layer, _) = store.push("optimistic", patch).unwrap();
            store.check_invariants().unwrap();
            store.fail(layer).unwrap();
            store.check_invariants().unwrap();
            prop_assert!(store == before);
        }
    }
}
