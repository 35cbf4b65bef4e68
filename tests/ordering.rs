//! Answers land in base in request order, whatever order they arrive in.

use optimist::{LayerId, LayerState, Patch, Store, Value};

fn title(store: &Store) -> Option<&str> {
    store.get_field("Todo:1", "title").and_then(Value::as_str)
}

fn confirmed_title(store: &Store) -> Option<&str> {
    store
        .get_confirmed("Todo:1")
        .and_then(|e| e.get("title"))
        .and_then(Value::as_str)
}

fn seeded() -> Store {
    let mut store = Store::new();
    store
        .write(
            Patch::new()
                .set("Todo:1", "title", "base")
                .set("Todo:1", "n", 0),
        )
        .unwrap();
    store
}

/// L1 renames `Todo:1` and increments `n`; L2, pushed after it, renames it again.
fn two_overlapping_layers(store: &mut Store) -> (LayerId, LayerId) {
    let (l1, _) = store
        .push(
            "L1",
            Patch::new()
                .set("Todo:1", "title", "one")
                .increment("Todo:1", "n", 1),
        )
        .unwrap();
    let (l2, _) = store
        .push("L2", Patch::new().set("Todo:1", "title", "two"))
        .unwrap();
    (l1, l2)
}

#[test]
fn a_later_confirmation_waits_for_the_earlier_layer_then_both_land_in_order() {
    let mut store = seeded();
    let (l1, l2) = two_overlapping_layers(&mut store);

    store
        .confirm(l2, Patch::new().set("Todo:1", "title", "two (server)"))
        .unwrap();
    assert_eq!(confirmed_title(&store), Some("base"), "base waits for L1");
    assert_eq!(
        store.layer(l2).map(|l| l.state()),
        Some(LayerState::Confirmed)
    );
    assert_eq!(title(&store), Some("two (server)"));

    store
        .confirm(
            l1,
            Patch::new()
                .set("Todo:1", "title", "one (server)")
                .set("Todo:1", "n", 1),
        )
        .unwrap();
    assert_eq!(
        confirmed_title(&store),
        Some("two (server)"),
        "L2 applied after L1"
    );
    assert_eq!(
        store.get_confirmed("Todo:1").and_then(|e| e.get("n")),
        Some(&Value::from(1))
    );
    assert_eq!(store.layers().count(), 0);
    store.check_invariants().unwrap();
}

#[test]
fn when_the_earlier_layer_fails_the_later_confirmation_lands() {
    let mut store = seeded();
    let (l1, l2) = two_overlapping_layers(&mut store);
    store.promote(l2).unwrap();
    assert_eq!(confirmed_title(&store), Some("base"));

    store.fail(l1).unwrap();
    assert_eq!(confirmed_title(&store), Some("two"));
    assert_eq!(
        store.get_confirmed("Todo:1").and_then(|e| e.get("n")),
        Some(&Value::from(0)),
        "L1's increment is gone"
    );
    assert_eq!(store.get("Todo:1"), store.get_confirmed("Todo:1"));
    store.check_invariants().unwrap();
}

#[test]
fn a_refetch_reserved_before_a_mutation_cannot_hide_it() {
    let mut store = seeded();
    // The refetch leaves first; the user edits while it is in flight.
    let refetch = store.reserve("refetch Todo:1");
    let (edit, _) = store
        .push("edit title", Patch::new().set("Todo:1", "title", "mine"))
        .unwrap();
    store
        .confirm(edit, Patch::new().set("Todo:1", "title", "mine (server)"))
        .unwrap();
    assert_eq!(title(&store), Some("mine (server)"));

    // The refetch's answer, computed by the server before the edit, arrives last.
    let changes = store
        .confirm(
            refetch,
            Patch::new()
                .set("Todo:1", "title", "stale")
                .set("Todo:1", "done", true),
        )
        .unwrap();
    assert_eq!(
        title(&store),
        Some("mine (server)"),
        "the stale title lands under the edit"
    );
    assert_eq!(
        store.get_field("Todo:1", "done"),
        Some(&Value::from(true)),
        "its other fields land"
    );
    assert!(changes.contains("Todo:1"));
    assert_eq!(confirmed_title(&store), Some("mine (server)"));
    store.check_invariants().unwrap();
}

#[test]
fn a_reserved_slot_that_fails_changes_nothing() {
    let mut store = seeded();
    let before = store.clone();
    let slot = store.reserve("query");
    assert_eq!(store.layers().count(), 1);
    let changes = store.fail(slot).unwrap();
    assert!(changes.is_empty());
    assert_eq!(store, before);
}
