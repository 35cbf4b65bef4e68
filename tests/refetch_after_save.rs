//! A refetch sent after a save settled overrides it: someone else changed the row since.

mod common;

use common::{confirmed, done, list, row, versioned_store};
use optimist::{LayerKind, Patch, Value};

#[test]
fn a_refetch_requested_after_the_save_settled_lands_above_it() {
    let mut store = versioned_store();
    store.write(list(&[(1, "Buy milk", false, 2)])).unwrap();
    let (save, _) = store
        .push("PATCH /todos/1", Patch::new().set("Todo:1", "done", true))
        .unwrap();
    store.confirm(save, row(1, "Buy milk", true, 3)).unwrap();
    assert_eq!(store.layers().count(), 0);

    // The save is settled; the refetch goes out now, and meanwhile another client unticks it.
    let refetch = store.reserve("GET /todos");
    assert_eq!(
        store.layer(refetch).map(|l| l.kind()),
        Some(LayerKind::Observation)
    );
    store
        .confirm(refetch, list(&[(1, "Buy milk", false, 4)]))
        .unwrap();
    assert_eq!(done(&store, "Todo:1"), Some(false));
    assert_eq!(
        confirmed(&store, "Todo:1", "version"),
        Some(&Value::from(4))
    );
}

#[test]
fn a_refetch_requested_after_a_save_confirmed_but_still_waiting_sits_between() {
    let mut store = versioned_store();
    store.write(list(&[(1, "Buy milk", false, 2)])).unwrap();
    // An older mutation on another row is still in flight.
    let (slow, _) = store
        .push("PATCH /todos/2", Patch::new().set("Todo:2", "title", "x"))
        .unwrap();
    let (save, _) = store
        .push("PATCH /todos/1", Patch::new().set("Todo:1", "done", true))
        .unwrap();
    let early = store.reserve("GET /todos (early)");
    store.confirm(save, row(1, "Buy milk", true, 3)).unwrap();
    // Requested while `slow` is pending: below `slow`, so below `save` too.
    let late = store.reserve("GET /todos (late)");
    let order: Vec<_> = store.layers().map(|l| l.id()).collect();
    assert_eq!(order, [early, late, slow, save]);
    // Another client unticked the row after the save: version 4. The late refetch saw it.
    store
        .confirm(late, list(&[(1, "Buy milk", false, 4)]))
        .unwrap();
    store
        .confirm(early, list(&[(1, "Buy milk", false, 2)]))
        .unwrap();
    store.promote(slow).unwrap();
    // The save (version 3) folds over the late refetch (version 4): older, left out.
    assert_eq!(done(&store, "Todo:1"), Some(false));
    assert_eq!(
        confirmed(&store, "Todo:1", "version"),
        Some(&Value::from(4))
    );
    store.check_invariants().unwrap();
}
