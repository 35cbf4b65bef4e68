//! A watcher's callback that panics (issue 27, item 1): the panic reaches the caller, the call's
//! change is applied in full, and every watcher stays registered and is told again later.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use optimist::{Entity, Patch, Store, Value};

/// A callback that panics the first time it is called and counts every call.
fn panics_once(calls: &Arc<AtomicUsize>) -> impl Fn(Option<&Entity>) + Send + Sync + 'static {
    let calls = calls.clone();
    let panicked = AtomicBool::new(false);
    move |_| {
        calls.fetch_add(1, Ordering::Relaxed);
        if !panicked.swap(true, Ordering::Relaxed) {
            panic!("a bug in the app's watcher");
        }
    }
}

/// The values of `field` a logging watcher was told, in order.
fn logger(store: &mut Store, key: &str, field: &'static str) -> Arc<Mutex<Vec<Option<Value>>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    store
        .watch_entity(key, move |entity| {
            log.lock()
                .unwrap()
                .push(entity.and_then(|e| e.get(field)).cloned());
        })
        .unwrap();
    seen
}

#[test]
fn a_panicking_entity_watcher_leaves_every_watcher_registered_and_the_call_applied() {
    let mut store = Store::new();
    let calls = Arc::new(AtomicUsize::new(0));
    store.watch_entity("A:1", panics_once(&calls)).unwrap();
    let seen = logger(&mut store, "A:1", "x");
    assert_eq!(store.watcher_count(), 2);

    let result = catch_unwind(AssertUnwindSafe(|| {
        store.push("set", Patch::new().set("A:1", "x", 1))
    }));
    assert!(result.is_err(), "the watcher's panic reaches the caller");
    assert_eq!(store.watcher_count(), 2, "no watcher was lost");
    assert_eq!(store.get_field("A:1", "x"), Some(&Value::from(1)));
    assert_eq!(store.layers().count(), 1, "the push is applied in full");
    store.check_invariants().unwrap();

    // Both are told of the next change: the one that panicked, and the one that was not told
    // of the first change because the panic cut its notification short.
    store.push("set", Patch::new().set("A:1", "x", 2)).unwrap();
    assert_eq!(calls.load(Ordering::Relaxed), 2);
    assert_eq!(*seen.lock().unwrap(), [Some(Value::from(2))]);
    store.check_invariants().unwrap();
}

#[test]
fn a_panicking_layer_watcher_stays_registered() {
    let mut store = Store::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let count = calls.clone();
    store.watch_layers(move |_| {
        if count.fetch_add(1, Ordering::Relaxed) == 0 {
            panic!("a bug in the app's watcher");
        }
    });
    let seen = logger(&mut store, "A:1", "x");
    let result = catch_unwind(AssertUnwindSafe(|| {
        store.push("set", Patch::new().set("A:1", "x", 1))
    }));
    assert!(result.is_err());
    assert_eq!(store.watcher_count(), 2);
    let (id, _) = store.push("set", Patch::new().set("A:1", "x", 2)).unwrap();
    store.promote(id).unwrap();
    assert_eq!(
        calls.load(Ordering::Relaxed),
        3,
        "told of the push and of the promote"
    );
    assert_eq!(*seen.lock().unwrap(), [Some(Value::from(2))]);
    store.check_invariants().unwrap();
}

#[test]
fn an_entity_watcher_remapped_before_a_panic_is_still_compared_next_time() {
    let mut store = Store::new();
    let tmp = store.temporary_key("A").unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    // Registered first, so it is told (and panics) before the watcher of the temporary key.
    store.watch_entity("B:1", panics_once(&calls)).unwrap();
    let seen = logger(&mut store, tmp.as_str(), "x");
    store.write(Patch::new().set("A:1", "x", 1)).unwrap();
    // The remap moves the second watcher onto `A:1`, which this call does not change, and
    // changes `B:1`, whose watcher panics before the moved one is compared.
    let result = catch_unwind(AssertUnwindSafe(|| {
        store.batch(|store| {
            store.remap(&tmp, "A:1").unwrap();
            store.write(Patch::new().set("B:1", "y", 1)).unwrap();
        })
    }));
    assert!(result.is_err());
    assert_eq!(store.watcher_count(), 2);
    // The next notification compares the moved watcher whatever it changed.
    store.write(Patch::new().set("B:1", "y", 2)).unwrap();
    assert_eq!(*seen.lock().unwrap(), [Some(Value::from(1))]);
}

#[cfg(feature = "graphql")]
#[test]
fn a_panicking_query_watcher_follows_the_keys_its_result_now_reads() {
    use optimist::{Document, Key};
    let mut store = Store::new();
    store
        .write(
            Patch::new()
                .set("ROOT_QUERY", "todo", Key::new("Todo:1").unwrap())
                .set("Todo:1", "title", "a")
                .set("Todo:2", "title", "b"),
        )
        .unwrap();
    let told = Arc::new(Mutex::new(Vec::new()));
    let log = told.clone();
    let panicked = AtomicBool::new(false);
    store.watch_query(
        Document::parse("{ todo { title } }").unwrap(),
        serde_json::json!({}),
        move |result| {
            log.lock()
                .unwrap()
                .push(result.as_ref().ok().map(|r| r["todo"]["title"].clone()));
            if !panicked.swap(true, Ordering::Relaxed) {
                panic!("a bug in the app's watcher");
            }
        },
    );
    // The result now reads `Todo:2` instead of `Todo:1`, and the watcher panics on it.
    let result = catch_unwind(AssertUnwindSafe(|| {
        store.write(Patch::new().set("ROOT_QUERY", "todo", Key::new("Todo:2").unwrap()))
    }));
    assert!(result.is_err());
    assert_eq!(store.watcher_count(), 1);
    // A change to `Todo:2` reaches it: it is indexed under the keys its last read looked up.
    store
        .write(Patch::new().set("Todo:2", "title", "c"))
        .unwrap();
    assert_eq!(
        *told.lock().unwrap(),
        [Some(serde_json::json!("b")), Some(serde_json::json!("c"))]
    );
}
