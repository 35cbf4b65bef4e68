//! A layer settles once; stale and foreign ids are refused with a typed error.

use optimist::{ConfirmError, LayerError, Patch, Store};

#[test]
fn settling_twice_reports_it_and_applies_nothing() {
    let mut store = Store::new();
    let (blocker, _) = store
        .push("blocker", Patch::new().set("A:1", "x", 0))
        .unwrap();
    let (id, _) = store
        .push("edit", Patch::new().increment("A:1", "n", 1))
        .unwrap();
    store.promote(id).unwrap();
    let before = store.clone();

    // Still in the stack (waiting for the blocker), but settled.
    assert_eq!(store.promote(id), Err(LayerError::AlreadySettled(id)));
    assert_eq!(store.fail(id), Err(LayerError::AlreadySettled(id)));
    assert_eq!(
        store.confirm(id, Patch::new().increment("A:1", "n", 1)),
        Err(ConfirmError::Layer(LayerError::AlreadySettled(id)))
    );
    assert_eq!(store, before);

    // Folded into base and gone.
    store.promote(blocker).unwrap();
    let before = store.clone();
    assert_eq!(store.promote(id), Err(LayerError::AlreadySettled(id)));
    assert_eq!(
        store.fail(blocker),
        Err(LayerError::AlreadySettled(blocker))
    );
    assert_eq!(store, before);
    assert_eq!(
        store.get_field("A:1", "n").and_then(|v| v.as_i64()),
        Some(1),
        "applied once"
    );
}

#[test]
fn a_stale_id_never_reaches_a_newer_layer_in_the_same_slot() {
    let mut store = Store::new();
    let (old, _) = store.push("old", Patch::new().set("A:1", "x", 1)).unwrap();
    store.fail(old).unwrap();
    let (new, _) = store.push("new", Patch::new().set("A:1", "x", 2)).unwrap();
    assert_eq!(store.fail(old), Err(LayerError::AlreadySettled(old)));
    assert!(store.layer(new).is_some(), "the newer layer is untouched");
    assert!(store.layer(old).is_none());
}

#[test]
fn another_stores_id_is_unknown() {
    let mut ours = Store::new();
    let mut theirs = Store::new();
    let (id, _) = theirs
        .push("theirs", Patch::new().set("A:1", "x", 1))
        .unwrap();
    ours.push("ours", Patch::new().set("A:1", "x", 2)).unwrap();
    let before = ours.clone();
    assert_eq!(ours.fail(id), Err(LayerError::UnknownLayer(id)));
    assert!(ours.layer(id).is_none());
    assert_eq!(ours, before);
    assert_eq!(
        LayerError::UnknownLayer(id).to_string(),
        format!("layer {id} was not issued by this store")
    );
}
