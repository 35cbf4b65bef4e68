//! A panicking updater leaves the store exactly as it was before the call that ran it (issue
//! 27, item 6): its data, layers, mutation records and queued abandoned layers; the watchers
//! stay registered and are told nothing. A watcher's panic, which comes once the call is
//! applied, still leaves the call applied.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use optimist::{Patch, Store, Value};

/// A store whose updater `halve` panics on an odd `n` or a `locked` entity (and halves an
/// even one), with
/// `Counter:1.n = 4` in base.
fn store() -> Store {
    let mut store = Store::new();
    store
        .register_updater("halve", |entity, _| {
            let entity = entity?.clone();
            let n = entity.get("n").and_then(Value::as_i64)?;
            let locked = entity.get("locked").is_some();
            assert!(n % 2 == 0 && !locked, "halve: {n} is odd or locked");
            Some(entity.with("n", n / 2))
        })
        .unwrap();
    store.write(Patch::new().set("Counter:1", "n", 4)).unwrap();
    store
}

fn halve() -> Patch {
    Patch::new().update("Counter:1", "halve", Value::Null)
}

/// Runs `call` on `store`, expecting the updater's panic, and checks the store is `before`.
fn panics_and_puts_back(store: &mut Store, call: impl FnOnce(&mut Store)) {
    let before = store.clone();
    let watchers = store.watcher_count();
    let caught = catch_unwind(AssertUnwindSafe(|| call(store)));
    let message = caught.expect_err("the updater panicked");
    let message = message
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        message.contains("is odd"),
        "the updater's own panic: {message:?}"
    );
    assert_eq!(*store, before, "the store is as it was before the call");
    assert_eq!(
        store.watcher_count(),
        watchers,
        "every watcher still registered"
    );
    store.check_invariants().unwrap();
}

fn told_counter(store: &mut Store) -> Arc<AtomicUsize> {
    let told = Arc::new(AtomicUsize::new(0));
    let count = told.clone();
    store
        .watch_entity("Counter:1", move |_| {
            count.fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
    told
}

#[test]
fn a_push_whose_updater_panics_is_not_applied() {
    let mut store = store();
    let told = told_counter(&mut store);
    store.write(Patch::new().set("Counter:1", "n", 3)).unwrap();
    let told_before = told.load(Ordering::Relaxed);
    panics_and_puts_back(&mut store, |store| {
        let _ = store.push("halve", halve());
    });
    assert_eq!(store.layers().count(), 0);
    assert_eq!(
        store.mutations().count(),
        0,
        "no mutation record left behind"
    );
    assert_eq!(told.load(Ordering::Relaxed), told_before, "nobody told");
    // The store goes on: an even value halves.
    store.write(Patch::new().set("Counter:1", "n", 8)).unwrap();
    store.push("halve", halve()).unwrap();
    assert_eq!(store.get_field("Counter:1", "n"), Some(&Value::from(4)));
}

#[test]
fn a_failure_that_refolds_a_panicking_updater_is_not_applied() {
    let mut store = store();
    // Base 5, set 6, halve: 3. Failing the set refolds halve over the odd base: it panics.
    store.write(Patch::new().set("Counter:1", "n", 5)).unwrap();
    let (set, _) = store
        .push("set", Patch::new().set("Counter:1", "n", 6))
        .unwrap();
    store.push("halve", halve()).unwrap();
    assert_eq!(store.get_field("Counter:1", "n"), Some(&Value::from(3)));
    panics_and_puts_back(&mut store, |store| {
        let _ = store.fail(set);
    });
    assert!(
        store.layer(set).is_some(),
        "the failed layer is still pending"
    );
}

#[test]
fn a_write_under_a_panicking_updater_is_not_applied() {
    let mut store = store();
    store.push("halve", halve()).unwrap();
    panics_and_puts_back(&mut store, |store| {
        let _ = store.write(Patch::new().set("Counter:1", "n", 7));
    });
    assert_eq!(
        store.get_confirmed("Counter:1").and_then(|e| e.get("n")),
        Some(&Value::from(4))
    );
}

#[test]
fn a_confirm_whose_answer_the_updater_refuses_is_not_applied() {
    let mut store = store();
    let (slot, _) = store
        .push("set", Patch::new().set("Counter:1", "n", 2))
        .unwrap();
    store.push("halve", halve()).unwrap();
    panics_and_puts_back(&mut store, |store| {
        let _ = store.confirm(slot, Patch::new().set("Counter:1", "n", 9));
    });
    assert!(store.layer(slot).is_some());
}

#[test]
fn a_remap_whose_refold_panics_leaves_the_temporary_key_and_its_watchers() {
    let mut store = store();
    let tmp = store.temporary_key("Counter").unwrap();
    store
        .push("create", Patch::new().set(&tmp, "n", 2))
        .unwrap();
    store
        .push("halve", Patch::new().update(&tmp, "halve", Value::Null))
        .unwrap();
    let told = Arc::new(AtomicUsize::new(0));
    let count = told.clone();
    store
        .watch_entity(&tmp, move |_| {
            count.fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
    // Counter:9 is locked in base: the remap merges onto it and halve panics.
    store
        .write(Patch::new().set("Counter:9", "locked", true))
        .unwrap();
    panics_and_puts_back(&mut store, |store| {
        let _ = store.remap(&tmp, "Counter:9");
    });
    assert!(store.is_temporary(tmp.as_str()));
    assert_eq!(store.get_field(tmp.as_str(), "n"), Some(&Value::from(1)));
    // The watcher still watches the temporary key.
    store.push("bump", Patch::new().set(&tmp, "n", 10)).unwrap();
    assert_eq!(told.load(Ordering::Relaxed), 1);
}

#[test]
fn an_abandoned_layer_taken_by_a_call_put_back_is_cancelled_by_the_next() {
    let mut store = store();
    let guard = store.reserve_guarded("refetch");
    let slot = guard.id();
    drop(guard); // queued: the next call cancels it
    store.write(Patch::new().set("Counter:1", "n", 3)).unwrap();
    // That write cancelled the slot; reserve another one and abandon it before a panicking call.
    let guard = store.reserve_guarded("refetch");
    let second = guard.id();
    drop(guard);
    assert!(store.layer(slot).is_none());
    panics_and_puts_back(&mut store, |store| {
        let _ = store.push("halve", halve());
    });
    assert!(store.layer(second).is_some(), "put back: still pending");
    store.write(Patch::new().set("Counter:1", "n", 2)).unwrap();
    assert!(store.layer(second).is_none(), "the next call cancels it");
}

#[test]
fn a_panicking_watcher_leaves_the_call_applied_even_with_updaters() {
    let mut store = store();
    store
        .watch_entity("Counter:1", |_| panic!("the watcher panicked"))
        .unwrap();
    let caught = catch_unwind(AssertUnwindSafe(|| store.push("halve", halve())));
    assert!(caught.is_err());
    assert_eq!(store.layers().count(), 1, "the push is applied");
    assert_eq!(store.get_field("Counter:1", "n"), Some(&Value::from(2)));
    assert_eq!(store.watcher_count(), 1);
    store.check_invariants().unwrap();
}
