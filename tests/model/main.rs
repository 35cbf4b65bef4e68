//! Model test: every revert is exact.
//!
//! A naive reference (a `BTreeMap` base, a `Vec` of layers in request order, the view folded
//! from scratch on every check, and its own implementation of every op from the documentation in
//! `src/op.rs`) is driven by the same random transitions as a [`Store`], and the two are compared
//! after every step: view, base, live layers, the keys each layer touches, the [`Changes`] each
//! call reports, and `Store::check_invariants`. Focused properties follow at the end: push then
//! fail is the identity, failing any subset of layers equals never pushing them, promoting every
//! layer equals writing every patch into base.
//!
//! A failing case prints its transitions as Rust: paste them into [`replay`] (see the scenario
//! tests below) to run the case again as a plain test. Seeds of past failures live in
//! `proptest-regressions/`.
//!
//! The reference and the op language live in `reference.rs`; transitions, their strategies and
//! the reference half of the state machine in `strategies.rs`; the system under test, the
//! scenarios and the focused properties here.

mod reference;
mod strategies;

use std::collections::{BTreeMap, BTreeSet};

use optimist::{
    Changes, ConfirmError, Entity, LayerError, LayerId, LayerKind, LayerState, ListPosition, Patch,
    PatchError, Store, Value,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, contextualize_config};
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};
use serde_json::json;

use reference::{
    Entities, Fields, KEYS, KOp, MOp, Model, Ops, Pos, after, at, before, delete, end, inc, insert,
    remove_field, remove_item, start, update, write,
};
use strategies::{Bad, Fate, How, ModelTest, Transition, fate, label, layers_in_some_order, ops};

// ----- the system under test -----

/// The same ops as a store patch, built with the public builder methods.
fn patch(ops: &[KOp]) -> Patch {
    ops.iter().fold(Patch::new(), |patch, KOp { key, op }| {
        let key = *key;
        match op {
            MOp::Write(fields) => patch.write(
                key,
                fields.iter().fold(Entity::new(), |e, (name, value)| {
                    e.with(*name, value.clone())
                }),
            ),
            MOp::RemoveField(field) => patch.remove_field(key, *field),
            MOp::Delete => patch.delete(key),
            MOp::Increment(field, by) => patch.increment(key, *field, by.clone()),
            MOp::Insert(field, item, at) => {
                let at = match at {
                    Pos::Start => ListPosition::Start,
                    Pos::End => ListPosition::End,
                    Pos::Index(i) => ListPosition::Index(*i),
                    Pos::Before(anchor) => ListPosition::Before(anchor.clone()),
                    Pos::After(anchor) => ListPosition::After(anchor.clone()),
                };
                patch.insert(key, *field, item.clone(), at)
            }
            MOp::RemoveItem(field, item) => patch.remove_item(key, *field, item.clone()),
            MOp::Update(name, args) => patch.update(key, name, args.clone()),
        }
    })
}

/// The system under test: the store, the id of every layer it ever issued (indexed like
/// `Model::handles`), and another store whose id must be refused.
struct Sut {
    store: Store,
    ids: Vec<LayerId>,
    foreign: Store,
    foreign_id: LayerId,
}

impl Sut {
    fn id(&self, model: &Model, name: u32) -> LayerId {
        self.ids[model.handle(name)]
    }
}

/// A store with the three updaters the reference knows, written against `Entity`.
fn new_store() -> Store {
    let mut store = Store::new();
    store
        .register_updater("double", |entity, _| {
            let entity = entity?;
            let doubled = entity
                .get("n")
                .and_then(Value::as_i64)
                .and_then(|n| n.checked_mul(2));
            Some(match doubled {
                Some(n) => entity.clone().with("n", n),
                None => entity.clone(),
            })
        })
        .expect("fresh name");
    store
        .register_updater("toggle", |entity, args| {
            let Some(field) = args.as_str() else {
                return entity.cloned();
            };
            let was = entity.and_then(|e| e.get(field)).and_then(Value::as_bool);
            Some(
                entity
                    .cloned()
                    .unwrap_or_default()
                    .with(field, !was.unwrap_or(false)),
            )
        })
        .expect("fresh name");
    store
        .register_updater("clear_if", |entity, args| {
            let entity = entity?;
            (entity.get("a") != Some(args)).then(|| entity.clone())
        })
        .expect("fresh name");
    store
}

fn fields(entity: &Entity) -> Fields {
    entity
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.clone()))
        .collect()
}

fn changed(changes: &Changes) -> Vec<&str> {
    changes.keys().iter().map(|key| key.as_str()).collect()
}

/// `ops` plus one op the store must refuse.
fn bad_patch(ops: &[KOp], bad: Bad) -> Patch {
    let patch = patch(ops);
    match bad {
        Bad::UnknownUpdater => patch.update("Item:1", "no_such_updater", Value::Null),
        Bad::BadKey => patch.set("Item:", "a", 1),
    }
}

fn assert_refused(error: &PatchError, bad: Bad) {
    match (error, bad) {
        (PatchError::UnknownUpdater { name, .. }, Bad::UnknownUpdater) => {
            assert_eq!(&**name, "no_such_updater");
        }
        (PatchError::InvalidKey(_), Bad::BadKey) => {}
        _ => panic!("refused for the wrong reason: {error:?} ({bad:?})"),
    }
}

/// Settles `id` as `how` says, folding `confirm`'s error into a layer error.
fn settle(store: &mut Store, id: LayerId, how: How) -> Result<Changes, LayerError> {
    match how {
        How::Fail => store.fail(id),
        How::Promote => store.promote(id),
        How::Confirm => store
            .confirm(id, Patch::new().set("Item:1", "a", 1))
            .map_err(|error| match error {
                ConfirmError::Layer(error) => error,
                other => panic!("confirm refused the patch: {other:?}"),
            }),
    }
}

impl StateMachineTest for ModelTest {
    type SystemUnderTest = Sut;
    type Reference = ModelTest;

    fn init_test(_: &Model) -> Sut {
        let mut foreign = new_store();
        let foreign_id = foreign.reserve("foreign");
        Sut {
            store: new_store(),
            ids: Vec::new(),
            foreign,
            foreign_id,
        }
    }

    fn apply(mut sut: Sut, model: &Model, transition: Transition) -> Sut {
        use Transition::*;
        let before = sut.store.clone();
        let changes = match &transition {
            Write(ops) => Some(sut.store.write(patch(ops)).expect("a valid patch")),
            Push(name, ops) => {
                let (id, changes) = sut
                    .store
                    .push(&label(*name), patch(ops))
                    .expect("a valid patch");
                sut.ids.push(id);
                Some(changes)
            }
            Reserve(name) => {
                sut.ids.push(sut.store.reserve(&label(*name)));
                None
            }
            Promote(name) => Some(sut.store.promote(sut.id(model, *name)).expect("pending")),
            Confirm(name, ops) => Some(
                sut.store
                    .confirm(sut.id(model, *name), patch(ops))
                    .expect("pending, valid patch"),
            ),
            Fail(name) => Some(sut.store.fail(sut.id(model, *name)).expect("pending")),
            SettleAgain(name, how) => {
                let id = sut.id(model, *name);
                let error = settle(&mut sut.store, id, *how).expect_err("settled already");
                assert_eq!(error, LayerError::AlreadySettled(id));
                assert_eq!(sut.store, before, "a refused settle changed the store");
                None
            }
            Foreign(how) => {
                let id = sut.foreign_id;
                let error = settle(&mut sut.store, id, *how).expect_err("a foreign id");
                assert_eq!(error, LayerError::UnknownLayer(id));
                assert!(sut.store.layer(id).is_none());
                assert!(sut.foreign.layer(id).is_some());
                assert_eq!(sut.store, before, "a foreign id changed the store");
                None
            }
            RejectWrite(ops, bad) => {
                let error = sut.store.write(bad_patch(ops, *bad)).expect_err("refused");
                assert_refused(&error, *bad);
                assert_eq!(sut.store, before, "a refused write changed the store");
                None
            }
            RejectPush(ops, bad) => {
                let error = sut
                    .store
                    .push("refused", bad_patch(ops, *bad))
                    .expect_err("refused");
                assert_refused(&error, *bad);
                assert_eq!(sut.store, before, "a refused push changed the store");
                None
            }
            RejectConfirm(name, ops, bad) => {
                let id = sut.id(model, *name);
                match sut.store.confirm(id, bad_patch(ops, *bad)) {
                    Err(ConfirmError::Patch(error)) => assert_refused(&error, *bad),
                    other => panic!("a bad confirm gave {other:?}"),
                }
                assert_eq!(sut.store, before, "a refused confirm changed the store");
                None
            }
            Read(key, field) => {
                let view = model.view();
                let want = view.get(key).and_then(|entity| entity.get(*field));
                assert_eq!(sut.store.get_field(key, field), want, "{key}.{field}");
                let snapshot = sut.store.snapshot();
                assert_eq!(snapshot.get(key), sut.store.get(key));
                assert_eq!(snapshot.get_confirmed(key), sut.store.get_confirmed(key));
                assert_eq!(sut.store, before, "a read changed the store");
                None
            }
        };
        if let Some(changes) = changes {
            assert_eq!(
                changed(&changes),
                model.changed,
                "changes reported by {transition:?}: store (left), reference (right)"
            );
        } else {
            assert!(model.changed.is_empty(), "{transition:?} changed the view");
        }
        assert_eq!(sut.ids.len(), model.handles.len());
        sut
    }

    fn check_invariants(sut: &Sut, model: &Model) {
        let store = &sut.store;
        let view = model.view();
        for key in KEYS {
            assert_eq!(
                store.get(key).map(fields),
                view.get(key).cloned(),
                "view[{key}]: store (left), reference (right)"
            );
            assert_eq!(
                store.get_confirmed(key).map(fields),
                model.base.get(key).cloned(),
                "base[{key}]: store (left), reference (right)"
            );
            assert_eq!(store.contains(key), view.contains_key(key));
            let touching: Vec<LayerId> = model
                .layers
                .iter()
                .filter(|layer| layer.ops.iter().any(|op| op.key == key))
                .map(|layer| sut.id(model, layer.name))
                .collect();
            assert_eq!(
                store.layers_touching(key).collect::<Vec<_>>(),
                touching,
                "layers touching {key}"
            );
            assert_eq!(store.is_pending(key), !touching.is_empty());
        }
        let all = |entities: &Entities| -> BTreeMap<String, Fields> {
            entities
                .iter()
                .map(|(key, entity)| ((*key).to_owned(), entity.clone()))
                .collect()
        };
        let store_view: BTreeMap<String, Fields> = store
            .iter()
            .map(|(key, entity)| (key.to_string(), fields(entity)))
            .collect();
        let store_base: BTreeMap<String, Fields> = store
            .iter_confirmed()
            .map(|(key, entity)| (key.to_string(), fields(entity)))
            .collect();
        assert_eq!(store_view, all(&view), "the whole view");
        assert_eq!(store_base, all(&model.base), "the whole base");
        assert_eq!(store.len(), view.len());

        type Shown = (LayerId, String, LayerKind, LayerState, BTreeSet<String>);
        let layers: Vec<Shown> = store
            .layers()
            .map(|layer| {
                let keys = layer.keys().map(|key| key.to_string()).collect();
                let (label, kind) = (layer.label().to_owned(), layer.kind());
                (layer.id(), label, kind, layer.state(), keys)
            })
            .collect();
        let want: Vec<Shown> = model
            .layers
            .iter()
            .map(|layer| {
                let keys = layer.ops.iter().map(|op| op.key.to_owned()).collect();
                let id = sut.id(model, layer.name);
                let kind = if layer.intent {
                    LayerKind::Intent
                } else {
                    LayerKind::Observation
                };
                (id, layer.label.clone(), kind, layer.state, keys)
            })
            .collect();
        assert_eq!(layers, want, "live layers: store (left), reference (right)");
        for (layer, reference) in store.layers().zip(&model.layers) {
            assert!(
                layer.to_patch() == patch(&reference.ops),
                "ops of {:?}: {:?}, the reference has {:?}",
                layer.id(),
                layer.to_patch(),
                Ops(&reference.ops)
            );
        }
        for (id, name) in sut.ids.iter().zip(&model.handles) {
            assert_eq!(
                store.layer(*id).is_some(),
                model.live(*name).is_some(),
                "store.layer({id:?})"
            );
        }
        if model.layers.is_empty() {
            assert_eq!(view, model.base, "settled and squashed, the view is base");
        }
        if let Err(error) = store.check_invariants() {
            panic!("check_invariants: {error}");
        }
    }
}

fn machine_config() -> Config {
    // `contextualize_config` applies PROPTEST_CASES and the other PROPTEST_* variables on top.
    contextualize_config(Config {
        cases: 1000,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/proptest-regressions/model.txt"
        )))),
        ..Config::default()
    })
}

prop_state_machine! {
    #![proptest_config(machine_config())]

    #[test]
    fn store_matches_the_reference(sequential 1..=30 => ModelTest);
}

/// Runs transitions as the state machine test does, checking every step. Paste a failing
/// case's transitions here to replay it.
fn replay(transitions: Vec<Transition>) {
    let mut model = Model::default();
    for transition in &transitions {
        assert!(
            ModelTest::preconditions(&model, transition),
            "{transition:?} does not apply here"
        );
        model = <ModelTest as ReferenceStateMachine>::apply(model, transition);
    }
    ModelTest::test_sequential(Config::default(), Model::default(), transitions, None);
}

// ----- scenarios, written as replays -----

#[test]
fn relay_rebase_example() {
    use Transition::*;
    // 9000, +1000 pending, x2 pending; drop the +1000 and the view reads 18000.
    replay(vec![
        Write(vec![write("Item:1", [("n", json!(9000))])]),
        Push(0, vec![inc("Item:1", "n", json!(1000))]),
        Push(1, vec![update("Item:1", "double", json!(null))]),
        Read("Item:1", "n"),
        Fail(0),
        Read("Item:1", "n"),
        Promote(1),
    ]);
    let mut store = new_store();
    store
        .write(patch(&[write("Item:1", [("n", json!(9000))])]))
        .unwrap();
    let (plus, _) = store
        .push("+", patch(&[inc("Item:1", "n", json!(1000))]))
        .unwrap();
    store
        .push("x2", patch(&[update("Item:1", "double", json!(null))]))
        .unwrap();
    store.fail(plus).unwrap();
    assert_eq!(store.get_field("Item:1", "n"), Some(&Value::from(18000)));
}

#[test]
fn out_of_order_answers_land_in_request_order() {
    use Transition::*;
    replay(vec![
        Reserve(0),
        Push(1, vec![write("Item:1", [("a", json!("mine"))])]),
        Promote(1),
        SettleAgain(1, How::Confirm),
        Confirm(
            0,
            vec![write("Item:1", [("a", json!("stale")), ("b", json!(1))])],
        ),
        SettleAgain(0, How::Fail),
        Foreign(How::Promote),
    ]);
}

#[test]
fn every_op_kind_rebases_when_a_middle_layer_fails() {
    use Bad::*;
    use Transition::*;
    replay(vec![
        Write(vec![
            write(
                "Item:1",
                [
                    ("l", json!([1, {"__ref": "Item:2"}])),
                    ("n", json!(i64::MAX)),
                ],
            ),
            write("ROOT_QUERY", [("a", json!(true))]),
        ]),
        Push(
            0,
            vec![
                insert(
                    "Item:1",
                    "l",
                    json!("x"),
                    before(json!({"__ref": "Item:2"})),
                ),
                inc("Item:1", "n", json!(1)),
            ],
        ),
        Push(
            1,
            vec![
                insert("Item:1", "l", json!(2), after(json!("x"))),
                insert("Item:1", "l", json!(2), at(1)),
                insert("Item:1", "l", json!(1), start()),
                insert("Item:1", "l", json!(1), end()),
                inc("Item:1", "n", json!(u64::MAX)),
                remove_item("Item:1", "l", json!(1)),
                remove_field("ROOT_QUERY", "a"),
                update("ROOT_QUERY", "toggle", json!("b")),
            ],
        ),
        Push(
            2,
            vec![delete("Item:2"), update("Item:1", "clear_if", json!(7))],
        ),
        RejectPush(vec![delete("Item:3")], UnknownUpdater),
        RejectConfirm(2, vec![], BadKey),
        RejectWrite(vec![], UnknownUpdater),
        Fail(0),
        Fail(2),
        Promote(1),
    ]);
}

// ----- focused properties -----

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
            prop_assert!(store.promote(ids[i]).unwrap().is_empty(), "promote changes no view");
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
}
