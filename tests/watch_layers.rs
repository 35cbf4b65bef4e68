//! Layer watchers are told of every call's layer events on that call, once each: calls that
//! return no `Changes` (a reservation, a refused call that cancelled the layers of dropped
//! guards first) included.

mod common;

use std::sync::{Arc, Mutex};

use common::watching::watched_list;
use optimist::{LayerEvent, Patch, Store};
use serde_json::json;

/// Each notification of a layer watcher, apart.
type LayerLog = Arc<Mutex<Vec<Vec<(optimist::LayerId, LayerEvent)>>>>;

/// A layer watcher that keeps each notification apart, to count them.
fn layer_log(store: &mut Store) -> LayerLog {
    let told = Arc::new(Mutex::new(Vec::new()));
    let log = told.clone();
    store.watch_layers(move |events| log.lock().unwrap().push(events.to_vec()));
    told
}

// BUG: a call that returns no `Changes` (a reservation, a refused call) told layer watchers
// nothing: the cancels of dropped guards it made, and the reservation itself, reached them with
// the next call that returned `Changes`, if one came. Fixed: they are told on that call, once.
#[test]
fn a_reservation_tells_layer_watchers_of_itself_and_of_the_cancels_it_made_once() {
    let (mut store, told) = watched_list();
    let (edit, _) = store
        .push(
            "rename 1",
            Patch::new().set("Todo:1", "title", "Buy oat milk"),
        )
        .unwrap();
    assert_eq!(told.names(), ["row 1"]);
    let layers = layer_log(&mut store);
    drop(store.guard(edit));
    let refetch = store.reserve("refetch");
    assert_eq!(
        *layers.lock().unwrap(),
        [vec![
            (edit, LayerEvent::Cancelled),
            (refetch, LayerEvent::Reserved)
        ]]
    );
    assert_eq!(
        told.take(),
        [(
            "row 1".to_owned(),
            json!({"todo": {"title": "Buy milk", "done": false}})
        )],
        "the row the cancelled layer covered, once"
    );
    // The next `Changes` still lists them; nobody is told again.
    let changes = store.write(Patch::new().set("Other:1", "x", 1)).unwrap();
    assert_eq!(
        changes.layers(),
        [
            (edit, LayerEvent::Cancelled),
            (refetch, LayerEvent::Reserved)
        ]
    );
    assert!(changes.contains("Todo:1"));
    assert_eq!(layers.lock().unwrap().len(), 1);
    assert!(told.take().is_empty());
    // Later events are told as usual, and only they.
    store.cancel(refetch).unwrap();
    assert_eq!(
        layers.lock().unwrap()[1..],
        [vec![(refetch, LayerEvent::Cancelled)]]
    );
}

#[test]
fn a_reservation_with_nothing_to_cancel_tells_layer_watchers_at_once() {
    let (mut store, told) = watched_list();
    let layers = layer_log(&mut store);
    let refetch = store.reserve_guarded("refetch");
    assert_eq!(
        *layers.lock().unwrap(),
        [vec![(refetch.id(), LayerEvent::Reserved)]]
    );
    assert!(told.take().is_empty(), "the view did not change");
    let id = refetch.id();
    drop(refetch);
    let changes = store.collect_abandoned();
    assert_eq!(
        changes.layers(),
        [(id, LayerEvent::Reserved), (id, LayerEvent::Cancelled)]
    );
    assert_eq!(
        layers.lock().unwrap()[1..],
        [vec![(id, LayerEvent::Cancelled)]],
        "the reservation is not told twice"
    );
}

#[test]
fn a_refused_call_tells_layer_watchers_of_the_cancels_it_made() {
    let (mut store, told) = watched_list();
    let (edit, _) = store
        .push("tick 2", Patch::new().set("Todo:2", "done", true))
        .unwrap();
    let (done, _) = store.push("noop", Patch::new()).unwrap();
    store.promote(done).unwrap();
    told.take();
    let layers = layer_log(&mut store);
    drop(store.guard(edit));
    assert!(store.fail(done).is_err(), "settled already");
    assert_eq!(
        *layers.lock().unwrap(),
        [vec![
            (edit, LayerEvent::Cancelled),
            (done, LayerEvent::Squashed)
        ]]
    );
    assert_eq!(told.names(), ["row 2"]);
    store.write(Patch::new().set("Other:1", "x", 1)).unwrap();
    assert_eq!(layers.lock().unwrap().len(), 1);
    assert!(told.take().is_empty());
}

#[test]
fn a_batch_tells_layer_watchers_of_its_reservations_and_cancels_once() {
    let (mut store, told) = watched_list();
    let (edit, _) = store
        .push("tick 3", Patch::new().set("Todo:3", "done", true))
        .unwrap();
    told.take();
    let layers = layer_log(&mut store);
    let (refetch, push) = store.batch(|store| {
        drop(store.guard(edit));
        let refetch = store.reserve("refetch");
        assert!(layers.lock().unwrap().is_empty(), "held by the batch");
        let (push, _) = store
            .push("tick 1", Patch::new().set("Todo:1", "done", true))
            .unwrap();
        (refetch, push)
    });
    assert_eq!(
        *layers.lock().unwrap(),
        [vec![
            (edit, LayerEvent::Cancelled),
            (refetch, LayerEvent::Reserved),
            (push, LayerEvent::Pushed)
        ]]
    );
    assert_eq!(told.names(), ["row 1", "row 3"]);
}

#[test]
fn sending_and_interrupting_a_mutation_tell_layer_watchers_at_once() {
    let (mut store, told) = watched_list();
    let (id, _) = store
        .mutate(optimist::Mutation::new(
            "tick 1",
            Patch::new().set("Todo:1", "done", true),
        ))
        .unwrap();
    told.take();
    let layers = layer_log(&mut store);
    let now = std::time::Instant::now();
    let sent = store.next_to_send(now).expect("one to send");
    assert_eq!(sent.id, id);
    assert_eq!(*layers.lock().unwrap(), [vec![(id, LayerEvent::Sent)]]);
    store.interrupt(id).unwrap();
    assert_eq!(
        layers.lock().unwrap()[1..],
        [vec![(id, LayerEvent::Retrying)]]
    );
    assert!(told.take().is_empty(), "the view did not change");
    // The next `Changes` lists both; the watcher is not told them again.
    let changes = store.promote(id).unwrap();
    assert_eq!(
        changes.layers()[..2],
        [(id, LayerEvent::Sent), (id, LayerEvent::Retrying)]
    );
    assert!(
        layers.lock().unwrap()[2]
            .iter()
            .all(|(_, e)| !matches!(e, LayerEvent::Sent | LayerEvent::Retrying))
    );
}

// BUG: `Store::load` replaced every layer and told layer watchers nothing: a pending count kept
// from them (or a driver waiting on them) went on counting the old layers and never saw the
// loaded ones. Fixed: the load's one notification (and its `Changes`) lists each old layer
// `Unloaded` and each loaded one `Loaded`.
#[test]
fn a_load_tells_layer_watchers_the_old_layers_went_and_the_loaded_ones_came() {
    let mut saved = Store::new();
    saved
        .push("offline edit", Patch::new().set("Todo:2", "done", true))
        .unwrap();
    let text = saved.save_json().unwrap();
    let mut store = Store::new();
    let (old, _) = store
        .push("save", Patch::new().set("Todo:1", "done", true))
        .unwrap();
    let layers = layer_log(&mut store);
    let changes = store.load_json(&text).unwrap();
    let loaded = store.layers().next().expect("the offline edit").id();
    let expected = vec![(old, LayerEvent::Unloaded), (loaded, LayerEvent::Loaded)];
    assert_eq!(changes.layers(), expected);
    assert_eq!(*layers.lock().unwrap(), [expected]);
}
