//! Nothing leaks: a reservation or intent whose request is abandoned never blocks settlement.
//!
//! As it happened: a task that reserved a slot for a refetch was cancelled (its component
//! unmounted); every later confirmed edit waited above the orphan and never reached base, so
//! `extract(false)` kept saving the old values, and the app had to find orphans by label.

mod common;

use common::{confirmed, done, list, row, versioned_store};
use optimist::{LayerError, Patch, Store, Value};

#[test]
fn a_dropped_reservation_handle_unblocks_settlement() {
    let mut store = versioned_store();
    store.write(list(&[(1, "Buy milk", false, 1)])).unwrap();
    let refetch = store.reserve_guarded("GET /todos");
    // The component unmounts: its task, holding the guard, is dropped on another thread.
    let task = std::thread::spawn(move || drop(refetch));

    let (save, _) = store
        .push("PATCH /todos/1", Patch::new().set("Todo:1", "done", true))
        .unwrap();
    task.join().unwrap();
    store.confirm(save, row(1, "Buy milk", true, 2)).unwrap();
    assert_eq!(store.layers().count(), 0, "the orphan was cancelled");
    assert_eq!(
        confirmed(&store, "Todo:1", "done"),
        Some(&Value::from(true))
    );
    assert_eq!(
        store.extract(false)["Todo:1"]["done"],
        serde_json::json!(true),
        "a save of the store keeps the confirmed edit"
    );
}

#[test]
fn an_orphan_blocks_until_collected() {
    let mut store = versioned_store();
    let refetch = store.reserve_guarded("GET /todos");
    let (save, _) = store
        .push("save", Patch::new().set("Todo:1", "done", true))
        .unwrap();
    store.promote(save).unwrap();
    assert!(
        store.get_confirmed("Todo:1").is_none(),
        "waits above the refetch"
    );
    drop(refetch);
    let changes = store.collect_abandoned();
    assert!(
        changes.is_empty(),
        "the view does not change: the save shows already"
    );
    assert_eq!(
        confirmed(&store, "Todo:1", "done"),
        Some(&Value::from(true))
    );
}

#[test]
fn a_dropped_intent_guard_takes_the_guess_back() {
    let mut store = versioned_store();
    store.write(row(1, "Buy milk", false, 1)).unwrap();
    let before = store.clone();
    let (save, _) = store
        .push("save", Patch::new().set("Todo:1", "done", true))
        .unwrap();
    let guard = store.guard(save);
    assert_eq!(done(&store, "Todo:1"), Some(true));
    drop(guard);
    let changes = store.collect_abandoned();
    assert!(changes.contains("Todo:1"));
    assert_eq!(store, before, "exactly as if it had never been pushed");
}

#[test]
fn a_guard_dropped_after_its_layer_settled_does_nothing() {
    let mut store = Store::new();
    let refetch = store.reserve_guarded("q");
    store
        .confirm(refetch.id(), Patch::new().set("A:1", "x", 1))
        .unwrap();
    let (later, _) = store
        .push("later", Patch::new().set("A:1", "x", 2))
        .unwrap();
    drop(refetch);
    let before = store.clone();
    assert!(store.collect_abandoned().is_empty());
    assert_eq!(store, before);
    assert!(store.layer(later).is_some());
}

#[test]
fn a_disarmed_guard_cancels_nothing() {
    let mut store = Store::new();
    let id = store.reserve_guarded("q").disarm();
    store.collect_abandoned();
    assert!(store.layer(id).is_some());
}

#[test]
fn changes_of_an_abandoned_layer_come_with_the_next_call_even_after_a_refusal() {
    let mut store = Store::new();
    let (edit, _) = store.push("edit", Patch::new().set("A:1", "x", 1)).unwrap();
    drop(store.guard(edit));
    // This call is refused, but the abandoned layer is cancelled at its start.
    assert!(store.write(Patch::new().set("", "x", 1)).is_err());
    assert!(store.layer(edit).is_none());
    let changes = store.write(Patch::new().set("B:1", "x", 1)).unwrap();
    assert!(changes.contains("A:1") && changes.contains("B:1"));
}

#[test]
fn cancel_of_a_settled_or_foreign_id_is_refused_and_changes_nothing() {
    let mut store = Store::new();
    let (edit, _) = store.push("edit", Patch::new().set("A:1", "x", 1)).unwrap();
    let query = store.reserve("q");
    store.cancel(query).unwrap();
    let before = store.clone();
    assert_eq!(store.cancel(query), Err(LayerError::AlreadySettled(query)));
    let mut other = Store::new();
    let foreign = other.reserve("foreign");
    assert_eq!(
        store.cancel(foreign),
        Err(LayerError::UnknownLayer(foreign))
    );
    assert_eq!(store, before);
    store.promote(edit).unwrap();
    assert_eq!(store.cancel(edit), Err(LayerError::AlreadySettled(edit)));
}

#[test]
fn a_clone_never_issues_the_originals_ids() {
    let mut a = Store::new();
    let mut b = a.clone();
    let (from_a, _) = a.push("a", Patch::new().set("A:1", "x", 1)).unwrap();
    let (from_b, _) = b.push("b", Patch::new().set("A:1", "x", 2)).unwrap();
    assert_ne!(from_a, from_b);
    let before = b.clone();
    assert_eq!(b.fail(from_a), Err(LayerError::UnknownLayer(from_a)));
    assert_eq!(b, before, "b's own layer is untouched");
    // A guard of the original does not reach the clone.
    let guard = a.guard(from_a);
    let mut c = a.clone();
    drop(guard);
    c.collect_abandoned();
    assert!(c.layer(from_a).is_some());
    a.collect_abandoned();
    assert!(a.layer(from_a).is_none());
}
