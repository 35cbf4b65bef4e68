//! Versions decide where they exist: a server write older than what the store holds is left
//! out for that entity, so arrival order stops mattering for versioned types.

mod common;

use common::{confirmed, row, title, versioned_store};
use optimist::{Patch, PatchError, Policies, Store, Value};

#[test]
fn a_version_older_server_push_is_ignored_and_a_newer_one_lands() {
    let mut store = versioned_store();
    store.write(row(1, "Buy milk", false, 5)).unwrap();

    // A push delayed on the way (version 4) arrives after the refetch that saw version 5.
    let changes = store.write(row(1, "Buy bread", true, 4)).unwrap();
    assert!(changes.is_empty());
    assert_eq!(changes.ignored().len(), 1);
    assert_eq!(changes.ignored()[0].as_str(), "Todo:1");
    assert_eq!(title(&store, "Todo:1"), Some("Buy milk"));

    let changes = store.write(row(1, "Buy bread", true, 6)).unwrap();
    assert!(changes.contains("Todo:1") && changes.ignored().is_empty());
    assert_eq!(title(&store, "Todo:1"), Some("Buy bread"));

    // The same version again is not older: it lands (an idempotent redelivery).
    let changes = store.write(row(1, "Buy bread", true, 6)).unwrap();
    assert!(changes.ignored().is_empty());
}

#[test]
fn only_the_older_entity_is_left_out_of_a_write() {
    let mut store = versioned_store();
    store.write(row(1, "a", false, 5)).unwrap();
    let changes = store
        .write(row(1, "old", false, 4).extend(row(2, "new", false, 1)))
        .unwrap();
    assert_eq!(title(&store, "Todo:1"), Some("a"));
    assert_eq!(title(&store, "Todo:2"), Some("new"));
    assert!(changes.contains("Todo:2") && !changes.contains("Todo:1"));
}

#[test]
fn rfc3339_timestamps_compare_as_instants() {
    let mut store = Store::with_policies(Policies::new().version_field("Todo", "updatedAt"));
    let at = |text: &str, when: &str| {
        Patch::new()
            .set("Todo:1", "title", text)
            .set("Todo:1", "updatedAt", when)
    };
    store
        .write(at("noon in Paris", "2026-12-02T12:00:00+01:00"))
        .unwrap();
    // 11:30Z is after 12:00+01:00 (11:00Z), although it sorts before it as text.
    store.write(at("later", "2026-12-02T11:30:00Z")).unwrap();
    assert_eq!(title(&store, "Todo:1"), Some("later"));
    let changes = store
        .write(at("earlier", "2026-12-02T11:29:59.999Z"))
        .unwrap();
    assert_eq!(changes.ignored().len(), 1);
    assert_eq!(title(&store, "Todo:1"), Some("later"));
}

#[test]
fn a_confirm_older_than_what_lies_below_is_left_out() {
    let mut store = versioned_store();
    store.write(row(1, "Buy milk", false, 2)).unwrap();
    let (save, _) = store
        .push(
            "rename",
            Patch::new().set("Todo:1", "title", "Buy oat milk"),
        )
        .unwrap();
    // A push from another client (version 4) lands in base while the save is in flight...
    store.write(row(1, "Buy soy milk", false, 4)).unwrap();
    assert_eq!(
        title(&store, "Todo:1"),
        Some("Buy oat milk"),
        "the guess shows"
    );
    // ... and the save's answer, committed before it, carries version 3.
    let changes = store
        .confirm(save, row(1, "Buy oat milk", false, 3))
        .unwrap();
    assert_eq!(changes.ignored().len(), 1);
    assert_eq!(title(&store, "Todo:1"), Some("Buy soy milk"));
    assert_eq!(
        confirmed(&store, "Todo:1", "version"),
        Some(&Value::from(4))
    );
}

#[test]
fn a_confirmed_layer_is_checked_again_when_what_lies_below_it_settles() {
    let mut store = versioned_store();
    store.write(row(1, "a", false, 1)).unwrap();
    let (first, _) = store
        .push("edit", Patch::new().set("Todo:2", "x", 1))
        .unwrap();
    let refetch = store.reserve("refetch");
    let (save, _) = store
        .push("rename", Patch::new().set("Todo:1", "title", "b"))
        .unwrap();
    store.confirm(save, row(1, "b", false, 3)).unwrap();
    assert_eq!(title(&store, "Todo:1"), Some("b"));
    // The refetch (below the save) saw a newer row: version 5.
    store.confirm(refetch, row(1, "c", true, 5)).unwrap();
    assert_eq!(
        title(&store, "Todo:1"),
        Some("c"),
        "the save's older answer is left out"
    );
    store.promote(first).unwrap();
    assert_eq!(
        confirmed(&store, "Todo:1", "title"),
        Some(&Value::from("c"))
    );
    store.check_invariants().unwrap();
}

#[test]
fn optimistic_guesses_are_not_checked() {
    let mut store = versioned_store();
    store.write(row(1, "a", false, 5)).unwrap();
    // A guess may carry the version it expects to replace; pending layers are never left out.
    let (guess, changes) = store
        .push(
            "guess",
            Patch::new()
                .set("Todo:1", "title", "b")
                .set("Todo:1", "version", 4),
        )
        .unwrap();
    assert!(changes.contains("Todo:1"));
    assert_eq!(title(&store, "Todo:1"), Some("b"));
    // Promoted, it is a server write like any other, and older than base.
    let changes = store.promote(guess).unwrap();
    assert_eq!(changes.ignored().len(), 1);
    assert_eq!(title(&store, "Todo:1"), Some("a"));
}

#[test]
fn a_version_field_of_the_wrong_type_is_refused_and_changes_nothing() {
    let mut store = versioned_store();
    store.write(row(1, "a", false, 5)).unwrap();
    let (pending, _) = store
        .push("edit", Patch::new().set("Todo:1", "done", true))
        .unwrap();
    let before = store.clone();
    for bad in [
        Value::from(true),
        Value::from("yesterday"),
        Value::from(vec![1]),
        Value::from("2026-12-02"),
    ] {
        let patch = Patch::new().set("Todo:1", "version", bad.clone());
        let err = store.write(patch.clone()).unwrap_err();
        assert!(
            matches!(&err, PatchError::BadVersion { key, field, .. } if key.as_str() == "Todo:1" && field.as_str() == "version"),
            "{err}"
        );
        assert!(
            err.to_string()
                .contains("version field `version` of `Todo:1`"),
            "{err}"
        );
        assert!(store.push("bad", patch.clone()).is_err());
        assert!(store.confirm(pending, patch).is_err());
        assert_eq!(store, before);
    }
    // Null is no version: the write lands unchecked.
    store
        .write(Patch::new().set("Todo:1", "version", Value::Null))
        .unwrap();
}

#[test]
fn a_number_and_a_timestamp_do_not_compare() {
    let mut store = versioned_store();
    store.write(row(1, "a", false, 5)).unwrap();
    let changes = store
        .write(Patch::new().set("Todo:1", "title", "b").set(
            "Todo:1",
            "version",
            "2020-01-01T00:00:00Z",
        ))
        .unwrap();
    assert!(changes.ignored().is_empty());
    assert_eq!(title(&store, "Todo:1"), Some("b"));
}

#[test]
fn unversioned_types_keep_arrival_order() {
    let mut store = versioned_store();
    store
        .write(
            Patch::new()
                .set("User:1", "name", "new")
                .set("User:1", "version", 5),
        )
        .unwrap();
    store
        .write(
            Patch::new()
                .set("User:1", "name", "old")
                .set("User:1", "version", 4),
        )
        .unwrap();
    assert_eq!(store.get_field("User:1", "name"), Some(&Value::from("old")));
}

/// An updater's result is the one value no patch check sees: on a versioned type, a result
/// whose version field holds no version changes nothing (issue 27), wherever it is applied
/// (a push, a write into base, the fold into base), and the store still saves and loads.
#[test]
fn an_updater_cannot_write_an_invalid_version() {
    let mut store = Store::with_policies(Policies::new().version_field("Todo", "version"));
    store
        .register_updater("stamp", |entity, args| {
            Some(
                entity
                    .cloned()
                    .unwrap_or_default()
                    .with("version", args.clone()),
            )
        })
        .unwrap();
    store
        .write(
            Patch::new()
                .set("Todo:1", "version", 1)
                .set("Todo:1", "title", "a"),
        )
        .unwrap();
    let before = store.get("Todo:1").cloned();
    let (bad, _) = store
        .push(
            "stamp",
            Patch::new().update("Todo:1", "stamp", "2026-13-45T99:00:00Z"),
        )
        .unwrap();
    assert_eq!(
        store.get("Todo:1").cloned(),
        before,
        "the bad stamp changed nothing"
    );
    store
        .write(Patch::new().update("Todo:1", "stamp", true))
        .unwrap();
    assert_eq!(store.get_confirmed("Todo:1").cloned(), before);
    store.promote(bad).unwrap();
    assert_eq!(
        store.get_confirmed("Todo:1").cloned(),
        before,
        "nor folded into base"
    );
    // A valid version goes through.
    store
        .push("stamp", Patch::new().update("Todo:1", "stamp", 2))
        .unwrap();
    assert_eq!(store.get_field("Todo:1", "version"), Some(&Value::from(2)));
    let mut loaded = Store::with_policies(Policies::new().version_field("Todo", "version"));
    loaded
        .register_updater("stamp", |entity, args| {
            Some(
                entity
                    .cloned()
                    .unwrap_or_default()
                    .with("version", args.clone()),
            )
        })
        .unwrap();
    loaded.load_json(&store.save_json().unwrap()).unwrap();
    assert!(loaded == store, "saves and loads");
}
