//! Focused properties, each on one rule: push then fail is the identity, failing any subset
//! of layers equals never pushing them, promoting every layer equals writing every patch into
//! base (versions included: `Item` is versioned in `new_store`), an eviction inside a layer
//! then its failure is exact (stale marks and retains included, and with a gc in between).

use std::collections::BTreeMap;

use optimist::{LayerId, LayerState, Patch, Store};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, FileFailurePersistence};

use crate::reference::{Fields, KEYS, KOp, delete, remove_field};
use crate::strategies::{Fate, fate, field, layers_in_some_order, ops};
use crate::sut::{new_store, patch};

fn fields(entity: &optimist::Entity) -> Fields {
    entity
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.clone()))
        .collect()
}

fn props_config() -> Config {
    Config {
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/proptest-regressions/model-props.txt"
        )))),
        ..Config::default()
    }
}

/// What can be observed of a store, without layer ids (which differ between two stores built
/// alike): view, base, and each live layer's label, state and ops.
type Observed = (
    BTreeMap<String, Fields>,
    BTreeMap<String, Fields>,
    Vec<(String, LayerState, Patch)>,
);

/// A store with `base` written and each of `layers` pushed as `layer i`, with their ids.
fn pushed(base: &[KOp], layers: &[Vec<KOp>]) -> (Store, Vec<LayerId>) {
    let mut store = new_store();
    store.write(patch(base)).unwrap();
    let ids = layers
        .iter()
        .enumerate()
        .map(|(i, ops)| store.push(&format!("layer {i}"), patch(ops)).unwrap().0)
        .collect();
    (store, ids)
}

fn observe(store: &Store) -> Observed {
    let view = store
        .iter()
        .map(|(key, entity)| (key.to_string(), fields(entity)))
        .collect();
    let base = store
        .iter_confirmed()
        .map(|(key, entity)| (key.to_string(), fields(entity)))
        .collect();
    let layers = store
        .layers()
        .map(|layer| (layer.label().to_owned(), layer.state(), layer.to_patch()))
        .collect();
    (view, base, layers)
}

proptest! {
    #![proptest_config(props_config())]

    /// Failing a layer, with settled and pending layers below and pending layers above,
    /// gives the store it would be had the layer never been pushed; failing the layers above
    /// too gives back the very store (`==`) from before the push.
    #[test]
    fn push_then_fail_is_the_identity(
        base in ops(0..8),
        below in proptest::collection::vec((ops(0..5), any::<bool>()), 0..4),
        pushed in ops(0..6),
        (above, fail_order) in layers_in_some_order(0..4),
    ) {
        let mut store = new_store();
        store.write(patch(&base)).unwrap();
        let mut below_ids = Vec::new();
        for (i, (ops, _)) in below.iter().enumerate() {
            below_ids.push(store.push(&format!("below {i}"), patch(ops)).unwrap().0);
        }
        for (id, (_, promote)) in below_ids.iter().zip(&below) {
            if *promote {
                store.promote(*id).unwrap();
            }
        }
        let before = store.clone();
        let mut twin = store.clone();

        let (id, _) = store.push("pushed", patch(&pushed)).unwrap();
        let mut above_ids = Vec::new();
        for (i, ops) in above.iter().enumerate() {
            above_ids.push(store.push(&format!("above {i}"), patch(ops)).unwrap().0);
            twin.push(&format!("above {i}"), patch(ops)).unwrap();
        }
        store.fail(id).unwrap();
        prop_assert_eq!(store.check_invariants(), Ok(()));
        prop_assert_eq!(observe(&store), observe(&twin));

        for i in fail_order {
            store.fail(above_ids[i]).unwrap();
            prop_assert_eq!(store.check_invariants(), Ok(()));
        }
        prop_assert_eq!(&store, &before);
    }

    /// Failing any subset of layers, in any order and interleaved with promotions of others,
    /// ends where pushing only the survivors (and promoting the same ones) ends.
    #[test]
    fn failing_layers_equals_never_pushing_them(
        base in ops(0..8),
        (layers, order) in layers_in_some_order(0..6),
        fates in proptest::collection::vec(fate(), 6),
    ) {
        let (mut store, ids) = pushed(&base, &layers);

        let mut twin = new_store();
        twin.write(patch(&base)).unwrap();
        let mut twin_ids = BTreeMap::new();
        for (i, ops) in layers.iter().enumerate() {
            if fates[i] != Fate::Fail {
                twin_ids.insert(i, twin.push(&format!("layer {i}"), patch(ops)).unwrap().0);
            }
        }

        for i in order {
            match fates[i] {
                Fate::Keep => {}
                Fate::Fail => {
                    store.fail(ids[i]).unwrap();
                }
                Fate::Promote => {
                    store.promote(ids[i]).unwrap();
                    twin.promote(twin_ids[&i]).unwrap();
                }
            }
            prop_assert_eq!(store.check_invariants(), Ok(()));
        }
        prop_assert_eq!(observe(&store), observe(&twin));
        prop_assert_eq!(twin.check_invariants(), Ok(()));
    }

    /// Promoting every layer, in any order, ends where writing every patch into base in
    /// request order ends.
    #[test]
    fn promoting_everything_equals_writing_in_order(
        base in ops(0..8),
        (layers, order) in layers_in_some_order(0..6),
    ) {
        let (mut store, ids) = pushed(&base, &layers);
        for i in order {
            // Promoting changes no view, but for a guess older than what lies below it.
            let changes = store.promote(ids[i]).unwrap();
            prop_assert!(changes.keys().iter().all(|key| changes.ignored().contains(key)));
        }

        let mut written = new_store();
        written.write(patch(&base)).unwrap();
        for ops in &layers {
            written.write(patch(ops)).unwrap();
        }
        prop_assert_eq!(store.layers().len(), 0);
        prop_assert_eq!(&store, &written);
        prop_assert_eq!(store.check_invariants(), Ok(()));
    }

    /// An eviction inside a layer (deletes and field removals after other ops) hides the data
    /// at once and leaves stale marks and retains alone; its failure gives back the very store
    /// (`==`: marks and retains included). A gc while it is pending keeps what the rollback
    /// shows, so a gc after the failure ends where a gc without the layer ends.
    #[test]
    fn an_eviction_in_a_layer_then_fail_is_exact(
        base in ops(0..8),
        marked in proptest::collection::vec(select(&KEYS[..]), 0..3),
        retained in proptest::collection::vec(select(&KEYS[..]), 0..2),
        others in ops(0..4),
        evictions in proptest::collection::vec(
            (select(&KEYS[..]), proptest::option::of(field())),
            1..4,
        ),
        gc_while_pending in any::<bool>(),
    ) {
        let mut store = new_store();
        store.write(patch(&base)).unwrap();
        for key in &marked {
            store.invalidate(*key).unwrap();
        }
        for key in &retained {
            store.retain(*key).unwrap();
        }
        let before = store.clone();

        let mut layer = others;
        layer.extend(evictions.iter().map(|(key, field)| match field {
            None => delete(key),
            Some(field) => remove_field(key, field),
        }));
        let (id, _) = store.push("evict", patch(&layer)).unwrap();
        for (key, field) in &evictions {
            match field {
                None => prop_assert!(!store.contains(key), "{} is hidden", key),
                Some(field) => prop_assert!(
                    store.get_field(key, field).is_none(),
                    "{}.{} is hidden", key, field
                ),
            }
        }
        let marks = |store: &Store| -> Vec<(String, String)> {
            store
                .stale_fields()
                .map(|(key, field)| (key.to_string(), field.to_string()))
                .collect()
        };
        prop_assert_eq!(marks(&store), marks(&before), "a layer clears no mark");

        if gc_while_pending {
            store.gc();
        }
        store.fail(id).unwrap();
        prop_assert_eq!(store.check_invariants(), Ok(()));
        if gc_while_pending {
            let mut twin = before.clone();
            twin.gc();
            store.gc();
            prop_assert_eq!(&store, &twin);
        } else {
            prop_assert_eq!(&store, &before);
        }
    }
}
