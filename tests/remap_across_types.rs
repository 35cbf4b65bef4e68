//! A remap keeps an entity's type (issue 27, item 4): renaming a temporary key onto a key of
//! another type is refused, so nothing a type's rules let in (a `Todo`'s field named like a
//! version) reaches an entity of a type whose rules would have refused it (an `A`'s version).

use optimist::{
    ListPosition, LoadError, Patch, PatchError, Policies, RemapError, Saved, Store, Value,
};

fn key(text: &str) -> optimist::Key {
    optimist::Key::new(text).unwrap()
}

#[test]
fn a_remap_onto_a_versioned_type_cannot_bring_in_a_bad_version() {
    let mut store = Store::with_policies(Policies::new().version_field("A", "version"));
    store.write(Patch::new().set("A:1", "version", 3)).unwrap();
    let tmp = store.temporary_key("Todo").unwrap();
    // A `Todo` has no version field: any value is a plain field there.
    let (create, _) = store
        .push(
            "create",
            Patch::new().set(&tmp, "version", "2026-13-45T99:00:00Z"),
        )
        .unwrap();
    let before = store.clone();
    assert_eq!(
        store.remap(&tmp, "A:1"),
        Err(RemapError::OtherType {
            from: tmp.clone(),
            to: key("A:1")
        })
    );
    assert_eq!(store, before, "a refused remap changes nothing");
    assert!(store.is_temporary(&tmp));
    store.check_invariants().unwrap();

    // The store saves and loads, and promoting the create leaves no bad version in base.
    let mut loaded = Store::with_policies(store.policies().clone());
    loaded.load_json(&store.save_json().unwrap()).unwrap();
    assert_eq!(loaded, store);
    store.promote(create).unwrap();
    assert_eq!(
        store.get_confirmed("A:1").unwrap().get("version"),
        Some(&Value::from(3))
    );
    store
        .write(Patch::new().set("A:1", "version", 4))
        .expect("base holds nothing a write refuses");
}

#[test]
fn a_remap_across_types_is_refused_without_versions_too() {
    let mut store = Store::new();
    let tmp = store.temporary_key("Todo").unwrap();
    store
        .push("create", Patch::new().set(&tmp, "title", "a"))
        .unwrap();
    let before = store.clone();
    let error = store.remap(&tmp, "User:1").unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("cannot remap `{tmp}` onto `User:1`: a `Todo` cannot become a `User`")
    );
    assert_eq!(store, before);
    // Onto a key of its own type it goes.
    store.remap(&tmp, "Todo:1").unwrap();
    assert_eq!(store.get_field("Todo:1", "title"), Some(&Value::from("a")));
}

#[test]
fn a_saved_alias_across_types_is_refused_at_load() {
    let mut store = Store::new();
    let tmp = store.temporary_key("Todo").unwrap();
    store
        .push("create", Patch::new().set(&tmp, "title", "a"))
        .unwrap();
    store.remap(&tmp, "Todo:1").unwrap();
    let text = store.save_json().unwrap();
    // The same store, its alias pointing at another type, as a hand-edited file could.
    let mut saved: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(saved["aliases"][0][1], "Todo:1");
    saved["aliases"][0][1] = "A:1".into();
    let saved: Saved = serde_json::from_value(saved).unwrap();
    let mut loaded = Store::new();
    let error = loaded.load(saved).unwrap_err();
    assert!(matches!(error, LoadError::Invalid(_)), "{error}");
    assert!(loaded.is_empty());
}

#[test]
fn a_list_insert_into_a_version_field_is_refused_like_a_bad_write() {
    let mut store = Store::with_policies(Policies::new().version_field("A", "version"));
    store.write(Patch::new().set("A:1", "title", "a")).unwrap();
    let pending = store.reserve("refetch");
    let before = store.clone();
    // `version` is absent: the insert would make it a list, which is no version.
    let patch = Patch::new().insert("A:1", "version", 5, ListPosition::End);
    let error = store.write(patch.clone()).unwrap_err();
    assert!(
        matches!(&error, PatchError::BadVersion { key, field, .. } if key.as_str() == "A:1" && field.as_str() == "version"),
        "{error}"
    );
    assert!(store.push("insert", patch.clone()).is_err());
    assert!(store.confirm(pending, patch).is_err());
    assert_eq!(store, before);
    // Into another field, and into another type's field of that name, it goes.
    store
        .push(
            "insert",
            Patch::new()
                .insert("A:1", "tags", 5, ListPosition::End)
                .insert("B:1", "version", 5, ListPosition::End),
        )
        .unwrap();
}
