//! Renaming a temporary key to the server's key: in place, everywhere it occurs, and nowhere
//! else; bad requests are refused and change nothing.

use optimist::{Key, KeyError, ListPosition, Patch, RemapError, Store, Value};
use serde_json::json;

fn key(text: &str) -> Key {
    Key::new(text).unwrap()
}

fn refs(store: &Store, at: &str, field: &str) -> Vec<String> {
    store
        .get_field(at, field)
        .and_then(Value::as_list)
        .map(|l| {
            l.iter()
                .filter_map(Value::as_ref_key)
                .map(|k| k.to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn refs_in_base_in_layers_and_in_lists_of_other_entities_are_renamed() {
    let mut store = Store::new();
    store
        .write(
            Patch::new()
                .set("User:1", "todos", vec![Value::Ref(key("Todo:1"))])
                .set("Board:1", "pinned", Value::Null),
        )
        .unwrap();
    let tmp = store.temporary_key("Todo").unwrap();
    let (create, _) = store
        .push(
            "create",
            Patch::new()
                .set(&tmp, "title", "new")
                .set(&tmp, "owner", key("User:1"))
                .insert_unique("User:1", "todos", tmp.clone(), ListPosition::Start),
        )
        .unwrap();
    store.promote(create).unwrap(); // the create folds into base under the temporary key
    assert!(store.get_confirmed(tmp.as_str()).is_some());
    // Later layers: one pins it in an embedded object, one moves it after Todo:1, one edits it.
    let (pin, _) = store
        .push(
            "pin",
            Patch::new().set(
                "Board:1",
                "pinned",
                optimist::Entity::new().with("todo", tmp.clone()),
            ),
        )
        .unwrap();
    let (mv, _) = store
        .push(
            "move",
            Patch::new()
                .remove_item("User:1", "todos", tmp.clone())
                .insert(
                    "User:1",
                    "todos",
                    tmp.clone(),
                    ListPosition::After(Value::Ref(key("Todo:1"))),
                ),
        )
        .unwrap();
    let (edit, _) = store
        .push("edit", Patch::new().set(&tmp, "title", "newer"))
        .unwrap();
    let ids_before: Vec<_> = store.layers().map(|l| (l.id(), l.state())).collect();

    let changes = store.remap(&tmp, "Todo:42").unwrap();
    assert!(changes.contains("Todo:42") && changes.contains(tmp.as_str()));
    assert!(changes.contains("User:1") && changes.contains("Board:1"));

    let ids_after: Vec<_> = store.layers().map(|l| (l.id(), l.state())).collect();
    assert_eq!(
        ids_before, ids_after,
        "layers keep their place, ids and states"
    );
    assert_eq!(refs(&store, "User:1", "todos"), ["Todo:1", "Todo:42"]);
    assert_eq!(
        store.get("Board:1").unwrap().to_json(),
        json!({"pinned": {"todo": {"__ref": "Todo:42"}}})
    );
    assert_eq!(
        store.get_field("Todo:42", "title"),
        Some(&Value::from("newer"))
    );
    assert_eq!(
        store.get_field("Todo:42", "owner"),
        Some(&Value::Ref(key("User:1")))
    );
    // Fail every later layer: what is left is the renamed base.
    for id in [edit, mv, pin] {
        store.fail(id).unwrap();
    }
    assert_eq!(refs(&store, "User:1", "todos"), ["Todo:42", "Todo:1"]);
    assert_eq!(
        store.get_field("Todo:42", "title"),
        Some(&Value::from("new"))
    );
    let extract = store.extract(false).to_string();
    assert!(
        !extract.contains("tmp~"),
        "no trace of the temporary key: {extract}"
    );
    store.check_invariants().unwrap();
}

#[test]
fn remapping_onto_an_existing_key_merges_as_a_write_would() {
    let mut store = Store::new();
    store
        .write(
            Patch::new()
                .set("Todo:6", "title", "from the server")
                .set("Todo:6", "version", 1),
        )
        .unwrap();
    let tmp = store.temporary_key("Todo").unwrap();
    let (a, _) = store
        .push(
            "a",
            Patch::new()
                .set("Todo:6", "seen", true)
                .set(&tmp, "title", "mine"),
        )
        .unwrap();
    store.remap(&tmp, "Todo:6").unwrap();
    let layer = store.layer(a).unwrap();
    assert_eq!(
        layer.ops("Todo:6").len(),
        2,
        "the temporary key's ops follow the layer's own"
    );
    let todo = store.get("Todo:6").unwrap();
    assert_eq!(todo.get("title"), Some(&Value::from("mine")));
    assert_eq!(todo.get("seen"), Some(&Value::from(true)));
    assert_eq!(todo.get("version"), Some(&Value::from(1)));
    store.fail(a).unwrap();
    assert_eq!(
        store.get_field("Todo:6", "title"),
        Some(&Value::from("from the server"))
    );
}

#[test]
fn patches_that_still_name_the_temporary_key_land_on_the_real_one() {
    let mut store = Store::new();
    store
        .write(Patch::new().set("ROOT_QUERY", "todos", Vec::<Value>::new()))
        .unwrap();
    let tmp = store.temporary_key("Todo").unwrap();
    store
        .push(
            "create",
            Patch::new().set(&tmp, "done", false).insert_unique(
                "ROOT_QUERY",
                "todos",
                tmp.clone(),
                ListPosition::End,
            ),
        )
        .unwrap();
    store.remap(&tmp, "Todo:6").unwrap();
    // A UI row still holds the temporary key and ticks it; a late answer names it too.
    let (tick, _) = store
        .push("tick", Patch::new().set(&tmp, "done", true))
        .unwrap();
    assert_eq!(
        store
            .layer(tick)
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect::<Vec<_>>(),
        ["Todo:6"]
    );
    store
        .push(
            "again",
            Patch::new().insert_unique("ROOT_QUERY", "todos", tmp.clone(), ListPosition::End),
        )
        .unwrap();
    assert_eq!(refs(&store, "ROOT_QUERY", "todos"), ["Todo:6"]);
    assert_eq!(store.get_field(&tmp, "done"), Some(&Value::from(true)));
    assert_eq!(store.resolve(&tmp), Some(&key("Todo:6")));
    assert!(!store.is_temporary(&tmp));
}

#[cfg(feature = "graphql")]
#[test]
fn reads_through_the_temporary_key_resolve() {
    let mut store = Store::new();
    let tmp = store.temporary_key("Todo").unwrap();
    let guess = Patch::new()
        .set(&tmp, "__typename", "Todo")
        .set(&tmp, "id", tmp.id().unwrap())
        .set(&tmp, "title", "a");
    let (create, _) = store.push("create", guess).unwrap();
    store.remap(&tmp, "Todo:6").unwrap();
    let answer = Patch::new()
        .set("Todo:6", "__typename", "Todo")
        .set("Todo:6", "id", "6")
        .set("Todo:6", "title", "a");
    store.confirm(create, answer).unwrap();
    let doc = optimist::Document::parse("fragment T on Todo { id title }").unwrap();
    let read = store
        .read_fragment(&doc, None, tmp.as_str(), &json!({}))
        .unwrap();
    assert_eq!(read, json!({"__typename": "Todo", "id": "6", "title": "a"}));
    assert_eq!(store.snapshot().get(tmp.as_str()), store.get("Todo:6"));
}

#[test]
fn bad_remaps_are_refused_and_change_nothing() {
    let mut store = Store::new();
    store
        .write(Patch::new().set("Todo:1", "title", "a"))
        .unwrap();
    let tmp = store.temporary_key("Todo").unwrap();
    let other = store.temporary_key("Todo").unwrap();
    store
        .push("create", Patch::new().set(&tmp, "title", "b"))
        .unwrap();
    let before = store.clone();
    let cases: Vec<(Result<_, _>, RemapError)> = vec![
        (
            store.remap("Todo:1", "Todo:2"),
            RemapError::NotTemporary(key("Todo:1")),
        ),
        (
            store.remap("Todo:tmp~999999999", "Todo:2"),
            RemapError::NotTemporary(key("Todo:tmp~999999999")),
        ),
        (
            store.remap(&tmp, "Todo:"),
            RemapError::InvalidKey(KeyError::EmptyId {
                key: "Todo:".into(),
            }),
        ),
        (store.remap(&tmp, &tmp), RemapError::SameKey(tmp.clone())),
        (
            store.remap(&tmp, "ROOT_QUERY"),
            RemapError::NotAnEntity(key("ROOT_QUERY")),
        ),
        (
            store.remap(&tmp, &other),
            RemapError::OntoTemporary(other.clone()),
        ),
        (
            store.remap("", "Todo:2"),
            RemapError::InvalidKey(KeyError::Empty),
        ),
    ];
    for (result, expected) in cases {
        assert_eq!(result, Err(expected));
    }
    assert_eq!(store, before);
    assert!(store.is_temporary(&tmp));
    // A key remapped once is no longer temporary.
    store.remap(&tmp, "Todo:2").unwrap();
    assert_eq!(
        store.remap(&tmp, "Todo:3"),
        Err(RemapError::NotTemporary(tmp.clone()))
    );
}

#[test]
fn remapping_touches_only_where_the_key_occurs() {
    let mut store = Store::new();
    let many = (0..1000).fold(Patch::new(), |p, i| p.set(format!("Item:{i}"), "n", i));
    store.write(many).unwrap();
    let tmp = store.temporary_key("Item").unwrap();
    store
        .push(
            "create",
            Patch::new()
                .set(&tmp, "n", -1)
                .set("Item:5", "next", tmp.clone()),
        )
        .unwrap();
    let changes = store.remap(&tmp, "Item:1000").unwrap();
    let changed: Vec<&str> = changes.keys().iter().map(|k| k.as_str()).collect();
    let mut want = vec!["Item:1000", "Item:5", tmp.as_str()];
    want.sort();
    assert_eq!(changed, want);
}

#[test]
fn remapping_onto_a_remapped_key_goes_to_the_key_it_became() {
    let mut store = Store::new();
    let first = store.temporary_key("Todo").unwrap();
    let second = store.temporary_key("Todo").unwrap();
    store.push("a", Patch::new().set(&first, "a", 1)).unwrap();
    store.push("b", Patch::new().set(&second, "b", 2)).unwrap();
    store.remap(&first, "Todo:6").unwrap();
    store.remap(&second, &first).unwrap();
    assert_eq!(store.resolve(&second), Some(&key("Todo:6")));
    let todo = store.get("Todo:6").unwrap();
    assert_eq!(
        (todo.get("a"), todo.get("b")),
        (Some(&Value::from(1)), Some(&Value::from(2)))
    );
    assert_eq!(store.get(second.as_str()), store.get("Todo:6"));
    assert!(store.iter().all(|(k, _)| k.as_str() == "Todo:6"));
}

#[test]
fn a_merge_left_out_for_its_version_is_reported() {
    let mut store = Store::with_policies(optimist::Policies::new().version_field("Todo", "v"));
    store
        .write(
            Patch::new()
                .set("Todo:6", "title", "server")
                .set("Todo:6", "v", 5),
        )
        .unwrap();
    let tmp = store.temporary_key("Todo").unwrap();
    let (create, _) = store
        .push(
            "create",
            Patch::new().set(&tmp, "title", "mine").set(&tmp, "v", 1),
        )
        .unwrap();
    store.promote(create).unwrap();
    let changes = store.remap(&tmp, "Todo:6").unwrap();
    assert_eq!(
        changes
            .ignored()
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>(),
        ["Todo:6"]
    );
    assert_eq!(
        store.get_field("Todo:6", "title"),
        Some(&Value::from("server"))
    );
}
