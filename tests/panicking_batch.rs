//! A batch whose closure panics: the panic reaches the caller, the batch is closed, the
//! watchers are told of what the calls before the panic changed, and later calls tell them as
//! before.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};

use optimist::{Patch, Store, Value};

#[test]
fn a_panicking_batch_is_closed_and_its_changes_told() {
    let mut store = Store::new();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    store
        .watch_entity("A:1", move |entity| {
            log.lock()
                .unwrap()
                .push(entity.and_then(|e| e.get("n")).cloned());
        })
        .unwrap();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        store.batch(|store| {
            store.write(Patch::new().set("A:1", "n", 1)).unwrap();
            panic!("a bug in the app's batch");
        })
    }));
    assert!(outcome.is_err(), "the panic reaches the caller");
    assert_eq!(
        store.get_field("A:1", "n"),
        Some(&Value::from(1)),
        "applied"
    );
    assert_eq!(*seen.lock().unwrap(), [Some(Value::from(1))], "told of it");
    store.write(Patch::new().set("A:1", "n", 2)).unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        [Some(Value::from(1)), Some(Value::from(2))],
        "told again: the batch is not left open"
    );
    assert_eq!(store.watcher_count(), 1);
    store.check_invariants().unwrap();
}

#[test]
fn a_panic_in_a_nested_batch_closes_every_level() {
    let mut store = Store::new();
    let seen = Arc::new(Mutex::new(0));
    let count = seen.clone();
    store
        .watch_entity("A:1", move |_| *count.lock().unwrap() += 1)
        .unwrap();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        store.batch(|store| {
            store.write(Patch::new().set("A:1", "n", 1)).unwrap();
            store.batch(|store| {
                store.write(Patch::new().set("A:1", "n", 2)).unwrap();
                panic!("deep");
            })
        })
    }));
    assert!(outcome.is_err());
    assert_eq!(
        *seen.lock().unwrap(),
        1,
        "told once, of the outer batch's result"
    );
    store.write(Patch::new().set("A:1", "n", 3)).unwrap();
    assert_eq!(*seen.lock().unwrap(), 2);
}
