//! Optimistic creates under a temporary key, finished when the server answers with its id.
//!
//! As it happened: the user ticks a todo whose create is in flight; the toggle layer sits on
//! `Todo:tmp-3`; when the create confirmed as `Todo:6` the row showed unticked and a ghost
//! `Todo:tmp-3 {done:true}` stayed in the store. And a refetch that already listed the new
//! item, plus the create's confirm that appended it, listed it twice.

mod common;

use common::{confirmed, done, every_key, list, listed, row, title, versioned_store};
use optimist::{Key, LayerId, ListPosition, Patch, Store, Value};

/// One todo in the list; the user adds "Call mum" (its POST is in flight) and ticks it at once.
fn create_then_tick(store: &mut Store) -> (Key, LayerId, LayerId) {
    store.write(list(&[(1, "Buy milk", false, 1)])).unwrap();
    let tmp = store.temporary_key("Todo").unwrap();
    let (create, _) = store
        .push(
            "POST /todos",
            Patch::new()
                .set(&tmp, "title", "Call mum")
                .set(&tmp, "done", false)
                .insert_unique("ROOT_QUERY", "todos", tmp.clone(), ListPosition::End),
        )
        .unwrap();
    let (tick, _) = store
        .push("PATCH (tick)", Patch::new().set(&tmp, "done", true))
        .unwrap();
    assert_eq!(listed(store), ["Todo:1".to_owned(), tmp.to_string()]);
    assert_eq!(done(store, tmp.as_str()), Some(true));
    (tmp, create, tick)
}

#[test]
fn a_tick_on_a_todo_whose_create_is_in_flight_lands_on_the_real_row() {
    let mut store = versioned_store();
    let (tmp, create, tick) = create_then_tick(&mut store);

    // The POST answers: the server's row, id 6.
    store.remap(&tmp, "Todo:6").unwrap();
    store
        .confirm_keeping_relative(create, row(6, "Call mum", false, 1))
        .unwrap();
    assert_eq!(
        done(&store, "Todo:6"),
        Some(true),
        "the tick shows on the real row"
    );
    assert_eq!(listed(&store), ["Todo:1", "Todo:6"]);
    assert_eq!(
        store.get("Todo:6"),
        store.get(tmp.as_str()),
        "the temporary key reads as the real one, so a UI's list keys stay stable"
    );
    // The tick kept its place and its id, now on the real key.
    let layer = store.layer(tick).expect("the tick is still pending");
    assert_eq!(
        layer.keys().map(|k| k.as_str()).collect::<Vec<_>>(),
        ["Todo:6"]
    );

    // The PATCH of the tick (sent with id 6 once known) answers.
    store.confirm(tick, row(6, "Call mum", true, 2)).unwrap();
    assert_eq!(
        confirmed(&store, "Todo:6", "done"),
        Some(&Value::from(true))
    );
    assert_eq!(
        confirmed(&store, "Todo:6", "version"),
        Some(&Value::from(2))
    );
    assert!(
        every_key(&store).iter().all(|k| !k.contains("tmp")),
        "no ghost: {:?}",
        every_key(&store)
    );
    assert!(store.iter().all(|(key, _)| key != &tmp));
    store.check_invariants().unwrap();
}

#[test]
fn the_tick_answers_before_the_create() {
    let mut store = versioned_store();
    let (tmp, create, tick) = create_then_tick(&mut store);
    // The app sends the PATCH only once the id is known, but the answer order is free: here
    // the create's answer is processed, then the tick's arrives before the create is settled.
    store.remap(&tmp, "Todo:6").unwrap();
    store.confirm(tick, row(6, "Call mum", true, 2)).unwrap();
    assert_eq!(done(&store, "Todo:6"), Some(true));
    store
        .confirm_keeping_relative(create, row(6, "Call mum", false, 1))
        .unwrap();
    // The create's answer (version 1) lies below the tick's (version 2): the tick wins.
    assert_eq!(
        confirmed(&store, "Todo:6", "done"),
        Some(&Value::from(true))
    );
    assert_eq!(listed(&store), ["Todo:1", "Todo:6"]);
    assert_eq!(store.layers().count(), 0);
}

#[test]
fn a_refetch_that_already_lists_the_new_item_does_not_double_it() {
    for refetch_first in [true, false] {
        let mut store = versioned_store();
        let (tmp, create, tick) = create_then_tick(&mut store);
        let refetch = store.reserve("GET /todos");
        let fresh = list(&[(1, "Buy milk", false, 1), (6, "Call mum", false, 1)]);
        if refetch_first {
            // The server committed the create before the GET read the table.
            store.confirm(refetch, fresh).unwrap();
            assert_eq!(listed(&store), ["Todo:1", "Todo:6", tmp.as_str()]);
            store.remap(&tmp, "Todo:6").unwrap();
            // The unique insert finds Todo:6 listed already.
            assert_eq!(listed(&store), ["Todo:1", "Todo:6"]);
            store
                .confirm_keeping_relative(create, row(6, "Call mum", false, 1))
                .unwrap();
        } else {
            store.remap(&tmp, "Todo:6").unwrap();
            store
                .confirm_keeping_relative(create, row(6, "Call mum", false, 1))
                .unwrap();
            store.confirm(refetch, fresh).unwrap();
        }
        assert_eq!(listed(&store), ["Todo:1", "Todo:6"], "listed once");
        assert_eq!(done(&store, "Todo:6"), Some(true));
        store.promote(tick).unwrap();
        assert_eq!(listed(&store), ["Todo:1", "Todo:6"]);
        assert_eq!(store.layers().count(), 0);
        assert_eq!(title(&store, "Todo:6"), Some("Call mum"));
        store.check_invariants().unwrap();
    }
}

#[test]
fn a_failed_create_leaves_nothing_behind() {
    let mut store = versioned_store();
    store.write(list(&[(1, "Buy milk", false, 1)])).unwrap();
    let before = store.clone();
    let tmp = store.temporary_key("Todo").unwrap();
    let (create, _) = store
        .push(
            "POST /todos",
            Patch::new().set(&tmp, "title", "Call mum").insert_unique(
                "ROOT_QUERY",
                "todos",
                tmp.clone(),
                ListPosition::End,
            ),
        )
        .unwrap();
    store.fail(create).unwrap();
    assert_eq!(store, before);
    assert!(!store.is_temporary(&tmp), "forgotten: nothing holds it");
}

#[test]
fn a_plain_insert_would_list_it_twice() {
    // The reason for `insert_unique`: the same flow with a plain insert doubles the row.
    let mut store = versioned_store();
    store.write(list(&[(1, "Buy milk", false, 1)])).unwrap();
    let tmp = store.temporary_key("Todo").unwrap();
    let (create, _) = store
        .push(
            "POST /todos",
            Patch::new().set(&tmp, "title", "Call mum").insert(
                "ROOT_QUERY",
                "todos",
                tmp.clone(),
                ListPosition::End,
            ),
        )
        .unwrap();
    let refetch = store.reserve("GET /todos");
    store
        .confirm(
            refetch,
            list(&[(1, "Buy milk", false, 1), (6, "Call mum", false, 1)]),
        )
        .unwrap();
    store.remap(&tmp, "Todo:6").unwrap();
    store
        .confirm_keeping_relative(create, row(6, "Call mum", false, 1))
        .unwrap();
    assert_eq!(listed(&store), ["Todo:1", "Todo:6", "Todo:6"]);
}
