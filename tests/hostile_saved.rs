//! Saved stores no call of the store writes (issue 27, item 8), each decided: what means
//! nothing is normalised on load, what contradicts the stack's rules is refused with
//! `LoadError::Invalid` and the store left as it was.
//!
//! * a retained count of 0: dropped; a key retained twice: its counts summed;
//! * a stale mark on a key neither base nor any layer has: kept (the store makes such marks:
//!   an entity only a layer held is invalidated, then the layer settles without it; the model
//!   test's round trip found this);
//! * a layer whose anchor its place contradicts (`u64::MAX - 1`, say): refused;
//! * layers listed in another order than the stack's: loaded by their places, the same store;
//! * stale marks' stamps that do not match the marks: refused; a save without stamps (made
//!   before they were kept): loaded, its confirmed layers clearing every mark they write;
//!   a stamp above `u64::MAX / 2` (no store counts that far; marking on from it could
//!   overflow): refused.

use optimist::{LoadError, Patch, Store};
use serde_json::{Value as Json, json};

/// A saved store with base data, a retained key, a stale mark, a pending intent and a
/// confirmed observation held up by a query in flight below it.
fn saved() -> Json {
    let mut store = Store::new();
    store
        .write(Patch::new().set("A:1", "x", 1).set("B:1", "y", 1))
        .unwrap();
    store.retain("A:1").unwrap();
    store.invalidate("A:1").unwrap();
    let _in_flight = store.reserve("first query"); // on top, nothing pending yet
    store.push("edit", Patch::new().set("A:1", "x", 2)).unwrap();
    let second = store.reserve("second query"); // below the edit, above the first query
    store
        .confirm(second, Patch::new().set("B:1", "y", 2))
        .unwrap();
    serde_json::from_str(&store.save_json().unwrap()).unwrap()
}

fn load(saved: &Json) -> Result<Store, LoadError> {
    let mut store = Store::new();
    store.load_json(&saved.to_string())?;
    Ok(store)
}

#[test]
fn retained_counts_of_zero_are_dropped_and_repeated_keys_summed() {
    let mut saved = saved();
    saved["retained"] = json!([["A:1", 0], ["B:1", 2], ["B:1", 3]]);
    let store = load(&saved).unwrap();
    let retained: Vec<(String, usize)> = store
        .retained()
        .map(|(key, n)| (key.to_string(), n))
        .collect();
    assert_eq!(retained, [("B:1".to_owned(), 5)]);
}

#[test]
fn a_stale_mark_on_a_missing_entity_is_kept_as_the_store_makes_them() {
    // How a store comes to hold one: invalidate what only a layer holds, then settle the layer
    // with an answer that does not have it.
    let mut store = Store::new();
    let (edit, _) = store
        .push("edit", Patch::new().set("Ghost:1", "x", 1))
        .unwrap();
    store.invalidate("Ghost:1").unwrap();
    store.confirm(edit, Patch::new()).unwrap();
    assert!(!store.contains("Ghost:1"));
    assert_eq!(store.stale_keys().count(), 1);
    let loaded = load(&serde_json::from_str(&store.save_json().unwrap()).unwrap()).unwrap();
    assert!(loaded == store, "kept through a save and load");
}

#[test]
fn an_anchor_the_place_contradicts_is_refused_and_nothing_changes() {
    let mut saved = saved();
    let observation = saved["layers"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|layer| layer["label"] == "second query")
        .expect("saved: confirmed, held up by the first query");
    observation["anchor"] = json!(u64::MAX - 1);
    let mut store = Store::new();
    store.write(Patch::new().set("Kept:1", "z", 1)).unwrap();
    let before = store.clone();
    let error = store.load_json(&saved.to_string()).unwrap_err();
    assert!(
        matches!(&error, LoadError::Invalid(why) if why.contains("anchor")),
        "{error}"
    );
    assert_eq!(store, before);
}

#[test]
fn an_intents_anchor_other_than_its_own_number_is_refused() {
    let mut saved = saved();
    let intent = saved["layers"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|layer| layer["label"] == "edit")
        .unwrap();
    intent["anchor"] = json!(0);
    assert!(matches!(load(&saved), Err(LoadError::Invalid(why)) if why.contains("anchor")));
}

#[test]
fn layers_in_another_order_load_by_their_places() {
    let saved = saved();
    let mut reversed = saved.clone();
    reversed["layers"].as_array_mut().unwrap().reverse();
    assert_ne!(saved["layers"], reversed["layers"]);
    let (in_order, out_of_order) = (load(&saved).unwrap(), load(&reversed).unwrap());
    assert!(in_order == out_of_order, "the same store either way");
    assert_eq!(
        in_order.layers().count(),
        1,
        "the edit; the confirmed query folded"
    );
}

/// A confirmed layer held up by a query in flight, then an invalidation of what it wrote:
/// the invalidation is newer than the layer's answer.
fn invalidated_after_the_answer() -> Store {
    let mut store = Store::new();
    store.write(Patch::new().set("A:1", "x", 1)).unwrap();
    let _in_flight = store.reserve("first query");
    let second = store.reserve("second query");
    store
        .confirm(second, Patch::new().set("A:1", "x", 2))
        .unwrap();
    store.invalidate("A:1").unwrap();
    store
}

#[test]
fn stale_stamps_that_do_not_match_the_marks_are_refused_and_nothing_changes() {
    let mut saved: Json =
        serde_json::from_str(&invalidated_after_the_answer().save_json().unwrap()).unwrap();
    assert_eq!(saved["stale_stamps"].as_array().map(Vec::len), Some(1));
    saved["stale_stamps"] = json!([[1, 2]]);
    let mut store = Store::new();
    store.write(Patch::new().set("Kept:1", "z", 1)).unwrap();
    let before = store.clone();
    let error = store.load_json(&saved.to_string()).unwrap_err();
    assert!(
        matches!(&error, LoadError::Invalid(why) if why.contains("stamps")),
        "{error}"
    );
    assert_eq!(store, before);
}

#[test]
fn a_mark_newer_than_an_answer_survives_the_fold_a_load_makes_and_old_saves_still_load() {
    let saved: Json =
        serde_json::from_str(&invalidated_after_the_answer().save_json().unwrap()).unwrap();
    // The query in flight is dropped: the confirmed answer folds, and the newer mark stays.
    let loaded = load(&saved).unwrap();
    assert_eq!(loaded.layers().count(), 0);
    assert!(loaded.is_field_stale("A:1", "x"));
    // A save from before the stamps: the answer's fold clears what it wrote, as it did then.
    let mut old = saved.clone();
    let object = old.as_object_mut().unwrap();
    object.remove("stale_stamps");
    for layer in object["layers"].as_array_mut().unwrap() {
        layer.as_object_mut().unwrap().remove("answered");
    }
    let loaded = load(&old).unwrap();
    assert_eq!(loaded.layers().count(), 0);
    assert!(!loaded.is_field_stale("A:1", "x"));
}

#[test]
fn stamps_no_store_reaches_are_refused_and_nothing_changes() {
    let saved: Json =
        serde_json::from_str(&invalidated_after_the_answer().save_json().unwrap()).unwrap();
    let mut marked = saved.clone();
    marked["stale_stamps"] = json!([[u64::MAX]]);
    let mut answered = saved;
    answered["layers"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|layer| layer["label"] == "second query")
        .expect("saved: confirmed, held up by the first query")["answered"] = json!(u64::MAX);
    for hostile in [marked, answered] {
        let mut store = Store::new();
        store.write(Patch::new().set("Kept:1", "z", 1)).unwrap();
        let before = store.clone();
        let error = store.load_json(&hostile.to_string()).unwrap_err();
        assert!(
            matches!(&error, LoadError::Invalid(why) if why.contains("stamp")),
            "{error}"
        );
        assert_eq!(store, before);
    }
}
