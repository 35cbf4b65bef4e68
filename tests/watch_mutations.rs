//! Mutation watchers (`Store::watch_mutations`): each mutation whose status a call changed,
//! with its status after the call, and whether any is pending, told inside the call; what a
//! UI's mutation hook and saving indicator show without reading the store again.

use std::sync::{Arc, Mutex};

use optimist::{Instant, LayerId, MutationStatus, MutationsChanged, Outcome, Patch, Scope, Store};

type Log = Arc<Mutex<Vec<MutationsChanged>>>;
/// One call's telling: each mutation with its status, and whether any is pending.
type Told = (Vec<(LayerId, Option<MutationStatus>)>, bool);

fn watched() -> (Store, Log) {
    let mut store = Store::new();
    let log: Log = Arc::default();
    let told = log.clone();
    store.watch_mutations(move |changed| told.lock().unwrap().push(changed.clone()));
    (store, log)
}

fn take(log: &Log) -> Vec<Told> {
    std::mem::take(&mut *log.lock().unwrap())
        .into_iter()
        .map(|told| (told.changed, told.is_mutating))
        .collect()
}

#[test]
fn a_mutation_is_followed_from_made_to_dismissed() {
    let (mut store, log) = watched();
    let now = Instant::now();
    let (id, _) = store
        .push("save", Patch::new().set("Todo:1", "done", true))
        .unwrap();
    assert_eq!(
        take(&log),
        [(vec![(id, Some(MutationStatus::Queued))], true)]
    );
    store.next_to_send(now).unwrap();
    assert_eq!(
        take(&log),
        [(
            vec![(id, Some(MutationStatus::InFlight { attempt: 1 }))],
            true
        )],
        "told on the call that hands it out"
    );
    store
        .report(id, Outcome::Ambiguous("timed out".into()), now)
        .unwrap();
    let told = take(&log);
    assert!(
        matches!(told[..], [(ref changed, true)] if matches!(changed[..], [(i, Some(MutationStatus::Retrying { attempts: 1, .. }))] if i == id))
    );
    store
        .next_to_send(now + std::time::Duration::from_secs(60))
        .unwrap();
    take(&log);
    store
        .report(id, Outcome::Rejected("no".into()), now)
        .unwrap();
    let told = take(&log);
    assert!(
        matches!(told[..], [(ref changed, false)] if matches!(changed[..], [(i, Some(MutationStatus::Failed(ref failure)))] if i == id && &*failure.message == "no")),
        "told failed with its message: {told:?}"
    );
    assert!(store.dismiss(id));
    assert_eq!(take(&log), [(vec![(id, None)], false)]);
    assert!(!store.dismiss(id), "once");
    assert_eq!(take(&log), []);
}

#[test]
fn query_slots_and_view_only_calls_tell_nothing() {
    let (mut store, log) = watched();
    let slot = store.reserve("refetch");
    store
        .confirm(slot, Patch::new().set("Todo:1", "title", "a"))
        .unwrap();
    store
        .write(Patch::new().set("Todo:2", "title", "b"))
        .unwrap();
    assert_eq!(take(&log), []);
}

#[test]
fn a_batch_tells_each_mutation_once_with_its_last_status() {
    let (mut store, log) = watched();
    let (a, b) = store.batch(|store| {
        let (a, _) = store
            .push("a", Patch::new().set("Todo:1", "done", true))
            .unwrap();
        let (b, _) = store
            .push("b", Patch::new().set("Todo:2", "done", true))
            .unwrap();
        store.promote(a).unwrap();
        (a, b)
    });
    assert_eq!(
        take(&log),
        [(
            vec![
                (b, Some(MutationStatus::Queued)),
                (a, Some(MutationStatus::Committed))
            ],
            true
        )]
    );
}

#[test]
fn a_coalesced_mutation_is_told_with_the_one_it_went_into() {
    let (mut store, log) = watched();
    let scope = Scope::item("Todo:1").unwrap();
    let rename = |title: &str| {
        optimist::Mutation::new("rename", Patch::new().set("Todo:1", "title", title))
            .scope(scope.clone())
            .coalesce()
    };
    let (first, _) = store.mutate(rename("a")).unwrap();
    take(&log);
    let (second, _) = store.mutate(rename("b")).unwrap();
    let told = take(&log);
    assert_eq!(told.len(), 1);
    let (changed, mutating) = &told[0];
    assert!(mutating);
    assert!(
        changed.contains(&(first, Some(MutationStatus::Coalesced { into: second }))),
        "{changed:?}"
    );
    assert!(
        changed.contains(&(second, Some(MutationStatus::Queued))),
        "{changed:?}"
    );
}

#[test]
fn a_load_tells_the_old_records_gone_and_the_loaded_ones() {
    let mut saved = Store::new();
    saved
        .push("offline edit", Patch::new().set("Todo:2", "done", true))
        .unwrap();
    let text = saved.save_json().unwrap();
    let (mut store, log) = watched();
    let (old, _) = store
        .push("save", Patch::new().set("Todo:1", "done", true))
        .unwrap();
    take(&log);
    store.load_json(&text).unwrap();
    let loaded = store.mutations().next().expect("the offline edit").id();
    assert_eq!(
        take(&log),
        [(
            vec![(old, None), (loaded, Some(MutationStatus::Queued))],
            true
        )]
    );
}
