//! A refetch sent while a save is in flight can neither hide the save nor undo it, whichever
//! answer arrives first: the refetch may have read the row before the save committed.
//!
//! As it happened against the REST server: the user unticks a todo; the PATCH commits slowly;
//! a GET sent 20 ms later reads the old row. Before observations were placed below pending
//! intents, the GET's slot sat above the toggle: the tick came back while "saving…" showed, and
//! after the PATCH confirmed the store kept the stale row for good, so the next edit sent a
//! stale `If-Match`.

mod common;

use common::{confirmed, done, list, row, versioned_store};
use optimist::{LayerKind, Patch, Store, Value};

/// The todo is ticked at version 2; the user unticks it (the PATCH is in flight) and a refetch
/// goes out right after.
fn untick_then_refetch(store: &mut Store) -> (optimist::LayerId, optimist::LayerId) {
    store.write(list(&[(1, "Buy milk", true, 2)])).unwrap();
    let (save, changes) = store
        .push("PATCH /todos/1", Patch::new().set("Todo:1", "done", false))
        .unwrap();
    assert!(changes.contains("Todo:1"));
    let refetch = store.reserve("GET /todos");
    let kinds: Vec<_> = store.layers().map(|l| (l.id(), l.kind())).collect();
    assert_eq!(
        kinds,
        [(refetch, LayerKind::Observation), (save, LayerKind::Intent)],
        "the refetch sits below the save it overlapped"
    );
    (save, refetch)
}

fn ends_with_the_save(store: &Store) {
    assert_eq!(done(store, "Todo:1"), Some(false));
    assert_eq!(
        confirmed(store, "Todo:1", "done"),
        Some(&Value::from(false))
    );
    assert_eq!(
        confirmed(store, "Todo:1", "version"),
        Some(&Value::from(3)),
        "the next edit's If-Match is the server's current version"
    );
    assert_eq!(store.layers().count(), 0);
    store.check_invariants().unwrap();
}

#[test]
fn the_stale_refetch_answers_first() {
    let mut store = versioned_store();
    let (save, refetch) = untick_then_refetch(&mut store);

    // The GET read the row before the PATCH committed.
    let changes = store
        .confirm(refetch, list(&[(1, "Buy milk", true, 2)]))
        .unwrap();
    assert!(!changes.contains("Todo:1"), "no flicker: the untick stays");
    assert_eq!(done(&store, "Todo:1"), Some(false));
    assert!(store.layer(save).is_some(), "still saving");

    store.confirm(save, row(1, "Buy milk", false, 3)).unwrap();
    ends_with_the_save(&store);
}

#[test]
fn the_save_answers_first() {
    let mut store = versioned_store();
    let (save, refetch) = untick_then_refetch(&mut store);

    store.confirm(save, row(1, "Buy milk", false, 3)).unwrap();
    assert_eq!(done(&store, "Todo:1"), Some(false));
    // The stale GET arrives last; it lands below the save.
    let changes = store
        .confirm(refetch, list(&[(1, "Buy milk", true, 2)]))
        .unwrap();
    assert!(!changes.contains("Todo:1"));
    ends_with_the_save(&store);
}

#[test]
fn placement_alone_is_enough_without_versions() {
    for save_first in [false, true] {
        let mut store = Store::new();
        let (save, refetch) = untick_then_refetch(&mut store);
        let stale = list(&[(1, "Buy milk", true, 2)]);
        if save_first {
            store.confirm(save, row(1, "Buy milk", false, 3)).unwrap();
            store.confirm(refetch, stale).unwrap();
        } else {
            store.confirm(refetch, stale).unwrap();
            store.confirm(save, row(1, "Buy milk", false, 3)).unwrap();
        }
        ends_with_the_save(&store);
    }
}

#[test]
fn the_refetch_still_shows_what_else_changed() {
    let mut store = versioned_store();
    let (save, refetch) = untick_then_refetch(&mut store);
    // Another client added a todo; the refetch brings it, under the pending save.
    store
        .confirm(
            refetch,
            list(&[(1, "Buy milk", true, 2), (2, "Call mum", false, 1)]),
        )
        .unwrap();
    assert_eq!(common::listed(&store), ["Todo:1", "Todo:2"]);
    assert_eq!(done(&store, "Todo:1"), Some(false));
    store.fail(save).unwrap();
    assert_eq!(
        done(&store, "Todo:1"),
        Some(true),
        "the save failed: the server's row"
    );
}
