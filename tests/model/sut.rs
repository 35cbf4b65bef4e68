//! The system under test: a [`Store`] driven by the same transitions as the reference, and
//! compared with it after every step.
//!
//! The store mints temporary keys of its own (`Item:tmp~17`, from a counter shared by the
//! program), so the test keeps a map from each name in `TEMPS` to the key minted for it, and
//! translates keys and refs on the way in and out.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use optimist::{
    Changes, ConfirmError, Entity, FieldName, Key, LayerError, LayerEvent, LayerGuard, LayerId,
    LayerKind, LayerState, ListPosition, Patch, PatchError, Policies, RemapError, Store, Value,
    WatchId,
};
use proptest_state_machine::StateMachineTest;

use crate::machine::ModelTest;
use crate::model::{Model, RemapOutcome, Temp};
use crate::reference::{Entities, Fields, KOp, MOp, Ops, Pos, all_keys, rename_value};
use crate::strategies::{Bad, How, Panicking, Transition, label};
use crate::watchers::Watching;

/// The same ops as a store patch, built with the public builder methods; `key` gives the
/// store's key for a test key (in ops and in refs).
pub(crate) fn patch_with(ops: &[KOp], key: &impl Fn(&str) -> Option<Key>) -> Patch {
    let value = |v: &Value| rename_value(v, key);
    let key_of = |name: &str| key(name).unwrap_or_else(|| Key::new(name).expect("a valid key"));
    ops.iter().fold(Patch::new(), |patch, KOp { key, op }| {
        let key = key_of(key);
        match op {
            MOp::Write(fields) => patch.write(
                &key,
                fields
                    .iter()
                    .fold(Entity::new(), |e, (name, v)| e.with(*name, value(v))),
            ),
            MOp::RemoveField(field) => patch.remove_field(&key, *field),
            MOp::Delete => patch.delete(&key),
            MOp::Increment(field, by) => patch.increment(&key, *field, by.clone()),
            MOp::Insert(field, item, at, unique) => {
                let at = match at {
                    Pos::Start => ListPosition::Start,
                    Pos::End => ListPosition::End,
                    Pos::Index(i) => ListPosition::Index(*i),
                    Pos::Before(anchor) => ListPosition::Before(value(anchor)),
                    Pos::After(anchor) => ListPosition::After(value(anchor)),
                };
                if *unique {
                    patch.insert_unique(&key, *field, value(item), at)
                } else {
                    patch.insert(&key, *field, value(item), at)
                }
            }
            MOp::RemoveItem(field, item) => patch.remove_item(&key, *field, value(item)),
            MOp::Update(name, args) => patch.update(&key, name, value(args)),
        }
    })
}

/// The ops as a patch, with no temporary keys to translate.
pub(crate) fn patch(ops: &[KOp]) -> Patch {
    patch_with(ops, &|_| None)
}

/// A store with the three updaters the reference knows, written against `Entity`, and
/// `Item` versioned on `v`.
pub(crate) fn new_store() -> Store {
    let mut store = Store::with_policies(Policies::new().version_field("Item", "v"));
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
        .register_updater("boom", |_, _| panic!("boom: the updater panicked"))
        .expect("fresh name");
    store
}

/// The system under test: the store, the id of every layer it ever issued (indexed like
/// `Model::handles`), another store whose id must be refused, the key minted for each
/// temporary name, and the guards the test holds.
pub(crate) struct Sut {
    pub(crate) store: Store,
    pub(crate) ids: Vec<LayerId>,
    foreign: Store,
    foreign_id: LayerId,
    temps: BTreeMap<&'static str, Key>,
    guards: BTreeMap<u32, LayerGuard>,
    pub(crate) watching: Watching,
    /// The fake clock's start: the reference's `now` is an offset from it.
    pub(crate) start: Instant,
}

impl Sut {
    pub(crate) fn id(&self, model: &Model, name: u32) -> LayerId {
        self.ids[model.handle(name)]
    }

    /// The store's key for a test key.
    pub(crate) fn key(&self, name: &str) -> Key {
        self.temps
            .get(name)
            .cloned()
            .unwrap_or_else(|| Key::new(name).expect("a valid key"))
    }

    /// The test's name for a store key.
    pub(crate) fn name(&self, key: &Key) -> String {
        self.temps
            .iter()
            .find(|(_, minted)| *minted == key)
            .map_or_else(|| key.as_str().to_owned(), |(name, _)| (*name).to_owned())
    }

    pub(crate) fn patch(&self, ops: &[KOp]) -> Patch {
        patch_with(ops, &|name| self.temps.get(name).cloned())
    }

    /// An entity of the store as the reference writes it.
    pub(crate) fn fields(&self, entity: &Entity) -> Fields {
        let rename = |key: &str| {
            let name = self.name(&Key::new(key).ok()?);
            (name != key).then(|| Key::new(&name).expect("a valid key"))
        };
        entity
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), rename_value(value, &rename)))
            .collect()
    }

    fn names(&self, keys: &[Key]) -> Vec<String> {
        let mut names: Vec<String> = keys.iter().map(|key| self.name(key)).collect();
        names.sort_unstable();
        names
    }

    fn bad_patch(&self, ops: &[KOp], bad: Bad) -> Patch {
        let patch = self.patch(ops);
        let version = |v: Value| patch.clone().set("Item:1", "v", v);
        match bad {
            Bad::UnknownUpdater => patch.update("Item:1", "no_such_updater", Value::Null),
            Bad::InvalidKey => patch.set("Item:", "a", 1),
            Bad::VersionBool => version(Value::from(true)),
            Bad::VersionObject => version(Value::Object(Entity::new().with("x", 1))),
            Bad::VersionList => version(Value::from(vec![1])),
            Bad::VersionText => version(Value::from("yesterday")),
        }
    }
}

/// Whatever saves, loads (issue 27): the store round-trips through every format the crate
/// offers (`save`, and `save_json` for the same data as text) to `==`, once the documented
/// normalisation of a restart is applied (a mutation in flight comes back retrying, retry
/// delays start again, a query's slot in flight is dropped); a loaded store saves and loads to itself exactly; and the two
/// formats load to equal stores.
fn round_trips(store: &Store) {
    let load = |saved: optimist::Saved| {
        let mut loaded = new_store();
        loaded.load(saved).expect("a saved store loads");
        loaded
    };
    let from_saved = load(store.save());
    let mut from_text = new_store();
    from_text
        .load_json(&store.save_json().expect("a store saves as text"))
        .expect("a store saved as text loads");
    assert!(
        from_text == from_saved,
        "save_json and save load to different stores"
    );
    assert!(
        load(from_saved.save()) == from_saved,
        "a loaded store does not round-trip"
    );
    let in_flight = store.mutations().any(|m| {
        m.retry_at().is_some() || matches!(m.status(), optimist::MutationStatus::InFlight { .. })
    });
    let slots = store.layers().any(|l| l.kind() == LayerKind::Observation);
    if !in_flight && !slots {
        assert!(
            from_saved == *store,
            "the store does not round-trip through save"
        );
    }
}

/// `caught` is a panic whose message contains `what`.
fn assert_panicked_with(caught: std::thread::Result<()>, what: &str) {
    let payload = caught.expect_err("the call panicked");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default();
    assert!(
        message.contains(what),
        "the panic is {what:?}'s: {message:?}"
    );
}

fn assert_refused(error: &PatchError, bad: Bad) {
    match (error, bad) {
        (PatchError::UnknownUpdater { name, .. }, Bad::UnknownUpdater) => {
            assert_eq!(&**name, "no_such_updater");
        }
        (PatchError::InvalidKey(_), Bad::InvalidKey) => {}
        (
            PatchError::BadVersion { key, field, .. },
            Bad::VersionBool | Bad::VersionObject | Bad::VersionList | Bad::VersionText,
        ) => {
            assert_eq!((key.as_str(), field.as_str()), ("Item:1", "v"));
        }
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

fn remap_outcome(result: &Result<Changes, RemapError>) -> RemapOutcome {
    match result {
        Ok(_) => RemapOutcome::Done,
        Err(RemapError::NotTemporary(_)) => RemapOutcome::NotTemporary,
        Err(RemapError::InvalidKey(_)) => RemapOutcome::InvalidKey,
        Err(RemapError::SameKey(_)) => RemapOutcome::SameKey,
        Err(RemapError::NotAnEntity(_)) => RemapOutcome::NotAnEntity,
        Err(RemapError::OntoTemporary(_)) => RemapOutcome::OntoTemporary,
        Err(RemapError::OtherType { .. }) => RemapOutcome::OtherType,
        Err(other) => panic!("remap refused with {other:?}"),
    }
}

impl StateMachineTest for ModelTest {
    type SystemUnderTest = Sut;
    type Reference = ModelTest;

    fn init_test(_: &Model) -> Sut {
        let mut foreign = new_store();
        let foreign_id = foreign.reserve("foreign");
        let mut store = new_store();
        let watching = Watching::new(&mut store);
        Sut {
            store,
            ids: Vec::new(),
            foreign,
            foreign_id,
            temps: BTreeMap::new(),
            guards: BTreeMap::new(),
            watching,
            start: Instant::now(),
        }
    }

    fn apply(mut sut: Sut, model: &Model, transition: Transition) -> Sut {
        use Transition::*;
        let before = sut.store.clone();
        // A refused call still cancels the abandoned layers first.
        let unchanged = |sut: &Sut, what: &str| {
            if !model.drained {
                assert_eq!(sut.store, before, "{what} changed the store");
            }
        };
        let changes = match &transition {
            Write(ops) => Some(sut.store.write(sut.patch(ops)).expect("a valid patch")),
            Push(name, ops) => {
                let (id, changes) = sut
                    .store
                    .push(&label(*name), sut.patch(ops))
                    .expect("a valid patch");
                sut.ids.push(id);
                Some(changes)
            }
            Reserve(name) => {
                sut.ids.push(sut.store.reserve(&label(*name)));
                None
            }
            WriteObserved(name, ops) => {
                let changes = sut
                    .store
                    .write_observed(&label(*name), sut.patch(ops))
                    .expect("a valid patch");
                // Above an observation in flight, the push is a layer of its own, reserved and
                // confirmed by this call (an earlier reservation is listed here too).
                if let Some((id, _)) = changes.layers().iter().find(|(id, event)| {
                    *event == LayerEvent::Confirmed
                        && changes.layers().contains(&(*id, LayerEvent::Reserved))
                }) {
                    sut.ids.push(*id);
                }
                Some(changes)
            }
            ReserveGuarded(name) => {
                let guard = sut.store.reserve_guarded(&label(*name));
                sut.ids.push(guard.id());
                sut.guards.insert(*name, guard);
                None
            }
            Promote(name) => Some(sut.store.promote(sut.id(model, *name)).expect("pending")),
            Confirm(name, ops) => Some(
                sut.store
                    .confirm(sut.id(model, *name), sut.patch(ops))
                    .expect("pending, valid patch"),
            ),
            ConfirmKeepingRelative(name, ops) => Some(
                sut.store
                    .confirm_keeping_relative(sut.id(model, *name), sut.patch(ops))
                    .expect("pending, valid patch"),
            ),
            Fail(name) => Some(sut.store.fail(sut.id(model, *name)).expect("pending")),
            Cancel(name) => Some(sut.store.cancel(sut.id(model, *name)).expect("pending")),
            SettleAgain(name, how) => {
                let id = sut.id(model, *name);
                let error = settle(&mut sut.store, id, *how).expect_err("settled already");
                assert_eq!(error, LayerError::AlreadySettled(id));
                unchanged(&sut, "a refused settle");
                None
            }
            Foreign(how) => {
                let id = sut.foreign_id;
                let error = settle(&mut sut.store, id, *how).expect_err("a foreign id");
                assert_eq!(error, LayerError::UnknownLayer(id));
                assert!(sut.store.layer(id).is_none());
                assert!(sut.foreign.layer(id).is_some());
                unchanged(&sut, "a foreign id");
                None
            }
            RejectWrite(ops, bad) => {
                let error = sut
                    .store
                    .write(sut.bad_patch(ops, *bad))
                    .expect_err("refused");
                assert_refused(&error, *bad);
                unchanged(&sut, "a refused write");
                None
            }
            RejectPush(ops, bad) => {
                let error = sut
                    .store
                    .push("refused", sut.bad_patch(ops, *bad))
                    .expect_err("refused");
                assert_refused(&error, *bad);
                unchanged(&sut, "a refused push");
                None
            }
            UpdaterPanics(call) => {
                // On a key with no version field: an `Item` whose ops write a version older
                // than what lies below is left out whole, its updater never run (no panic).
                let boom = |ops: &[KOp]| sut.patch(ops).update("Note:1", "boom", Value::Null);
                let (patch, id) = match call {
                    Panicking::Write(ops) | Panicking::Push(ops) => (boom(ops), None),
                    Panicking::Confirm(name, ops) => {
                        (boom(ops), Some(sut.ids[model.handle(*name)]))
                    }
                };
                let store = &mut sut.store;
                let caught = catch_unwind(AssertUnwindSafe(|| match call {
                    Panicking::Write(_) => drop(store.write(patch)),
                    Panicking::Push(_) => drop(store.push("boom", patch)),
                    Panicking::Confirm(..) => drop(store.confirm(id.expect("a layer"), patch)),
                }));
                assert_panicked_with(caught, "boom");
                assert_eq!(sut.store, before, "a panicking updater changed the store");
                None
            }
            WatcherPanics(ops) => {
                let keys: Vec<Key> = ops.iter().map(|op| sut.key(op.key)).collect();
                let watches: Vec<WatchId> = keys
                    .iter()
                    .map(|key| {
                        sut.store
                            .watch_entity(key, |_| panic!("the watcher panicked"))
                            .expect("a valid key")
                    })
                    .collect();
                // What the watchers start from: registering cancels the layers of dropped
                // guards first.
                let registered: Vec<Option<optimist::Entity>> = keys
                    .iter()
                    .map(|key| sut.store.get(key.as_str()).cloned())
                    .collect();
                let patch = sut.patch(ops);
                let store = &mut sut.store;
                let caught = catch_unwind(AssertUnwindSafe(|| drop(store.write(patch))));
                let told = keys
                    .iter()
                    .zip(&registered)
                    .any(|(key, then)| then.as_ref() != sut.store.get(key.as_str()));
                if told {
                    assert_panicked_with(caught, "the watcher panicked");
                } else {
                    assert!(caught.is_ok(), "no watched entity changed: nobody told");
                }
                for id in watches {
                    assert!(sut.store.unwatch(id), "still registered after its panic");
                }
                None
            }
            RejectConfirm(name, ops, bad) => {
                let id = sut.id(model, *name);
                match sut.store.confirm(id, sut.bad_patch(ops, *bad)) {
                    Err(ConfirmError::Patch(error)) => assert_refused(&error, *bad),
                    other => panic!("a bad confirm gave {other:?}"),
                }
                unchanged(&sut, "a refused confirm");
                None
            }
            Read(key, field) => {
                let view = model.view();
                let read = match model.temps.get(key) {
                    Some(Temp::Alias(to)) => *to,
                    _ => *key,
                };
                let want = view.get(read).and_then(|entity| entity.get(*field));
                let key = sut.key(key);
                let got = sut.store.get_field(&key, field);
                let got = got.map(|v| sut.fields(&Entity::new().with("f", v.clone())));
                assert_eq!(got.as_ref().and_then(|f| f.get("f")), want, "{key}.{field}");
                let snapshot = sut.store.snapshot();
                assert_eq!(snapshot.get(&key), sut.store.get(&key));
                assert_eq!(snapshot.get_confirmed(&key), sut.store.get_confirmed(&key));
                assert_eq!(sut.store, before, "a read changed the store");
                None
            }
            Mint(name) => {
                let typename = name.split(':').next().expect("a typename");
                let key = sut.store.temporary_key(typename).expect("a valid type");
                assert!(sut.store.is_temporary(&key));
                sut.temps.insert(name, key);
                None
            }
            Remap(from, to) => {
                let (from, to) = (sut.key(from), sut.temps.get(to).cloned());
                let result = match to {
                    Some(to) => sut.store.remap(&from, &to),
                    None => {
                        let Remap(_, to) = &transition else {
                            unreachable!()
                        };
                        sut.store.remap(&from, *to)
                    }
                };
                assert_eq!(
                    Some(remap_outcome(&result)),
                    model.remapped,
                    "remap: store (left), reference (right): {result:?}"
                );
                match result {
                    Ok(changes) => Some(changes),
                    Err(_) => {
                        unchanged(&sut, "a refused remap");
                        None
                    }
                }
            }
            Guard(name) => {
                let guard = sut.store.guard(sut.id(model, *name));
                sut.guards.insert(*name, guard);
                None
            }
            DropGuard(name) => {
                drop(sut.guards.remove(name).expect("guarded"));
                None
            }
            Disarm(name) => {
                let id = sut.guards.remove(name).expect("guarded").disarm();
                assert_eq!(id, sut.id(model, *name));
                None
            }
            CollectAbandoned => Some(sut.store.collect_abandoned()),
            WatchEntity(name, key) => {
                let key = sut.key(key);
                sut.watching.entity(&mut sut.store, *name, key, None);
                None
            }
            WatchFields(name, key, fields) => {
                let key = sut.key(key);
                let fields = fields.iter().map(|f| FieldName::new(f)).collect();
                sut.watching
                    .entity(&mut sut.store, *name, key, Some(fields));
                None
            }
            WatchQuery(name, doc) => {
                sut.watching.query(&mut sut.store, *name, doc);
                None
            }
            Unwatch(name) => {
                sut.watching.unwatch(&mut sut.store, *name);
                None
            }
            Mutate(..) | NextToSend | Report(..) | Dismiss(_) | Advance(_) | SaveLoad => {
                crate::sut_outbox::apply(&mut sut, model, &transition)
            }
            Invalidate(_) | InvalidateField(..) | InvalidateQuery(_) | TagWatch(..)
            | InvalidateTag(_) | Retain(_) | Release(_) | Gc | Evict(_) | EvictField(..) => {
                crate::sut_hygiene::apply(&mut sut, model, &transition)
            }
            Batch(calls) => {
                let Sut {
                    store, ids, temps, ..
                } = &mut sut;
                store.batch(|store| {
                    for call in calls {
                        batched(store, ids, temps, model, call);
                    }
                });
                None
            }
        };
        match (changes, &model.changed) {
            (Some(changes), Some(want)) => {
                assert_eq!(
                    sut.names(changes.keys()),
                    *want,
                    "changes reported by {transition:?}: store (left), reference (right)"
                );
                assert_eq!(
                    sut.names(changes.ignored()),
                    model.ignored,
                    "ignored keys reported by {transition:?}: store (left), reference (right)"
                );
            }
            (None, None) => {}
            (changes, want) => panic!("{transition:?} reported {changes:?}, expected {want:?}"),
        }
        assert_eq!(sut.ids.len(), model.handles.len());
        sut.watching.check(&sut.store, &transition);
        sut
    }

    fn check_invariants(sut: &Sut, model: &Model) {
        let store = &sut.store;
        let view = model.view();
        for name in all_keys() {
            if unminted(model, name) {
                continue;
            }
            let key = sut.key(name);
            if let Some(Temp::Alias(to)) = model.temps.get(name) {
                // Reads through the old key see the key it became.
                assert_eq!(
                    store.get(&key).map(|e| sut.fields(e)),
                    view.get(to).cloned()
                );
                assert_eq!(
                    store.get_confirmed(&key).map(|e| sut.fields(e)),
                    model.base.get(to).cloned(),
                    "base through the alias {name}"
                );
                assert_eq!(store.resolve(&key), Some(&sut.key(to)), "resolve({name})");
                continue;
            }
            assert_eq!(store.resolve(&key), None, "resolve({name})");
            assert_eq!(
                store.is_temporary(&key),
                model.temps.get(name) == Some(&Temp::Live),
                "is_temporary({name})"
            );
            assert_eq!(
                store.get(&key).map(|e| sut.fields(e)),
                view.get(name).cloned(),
                "view[{name}]: store (left), reference (right)"
            );
            assert_eq!(
                store.get_confirmed(&key).map(|e| sut.fields(e)),
                model.base.get(name).cloned(),
                "base[{name}]: store (left), reference (right)"
            );
            assert_eq!(store.contains(&key), view.contains_key(name));
            let touching: Vec<LayerId> = model
                .layers
                .iter()
                .filter(|layer| layer.touches(name))
                .map(|layer| sut.id(model, layer.name))
                .collect();
            assert_eq!(
                store.layers_touching(&key).collect::<Vec<_>>(),
                touching,
                "layers touching {name}"
            );
            assert_eq!(store.is_pending(&key), !touching.is_empty());
        }
        let all = |entities: &Entities| -> BTreeMap<String, Fields> {
            entities
                .iter()
                .map(|(key, entity)| ((*key).to_owned(), entity.clone()))
                .collect()
        };
        let named = |entities: &mut dyn Iterator<Item = (&Key, &Entity)>| {
            entities
                .map(|(key, entity)| (sut.name(key), sut.fields(entity)))
                .collect::<BTreeMap<String, Fields>>()
        };
        assert_eq!(named(&mut store.iter()), all(&view), "the whole view");
        assert_eq!(
            named(&mut store.iter_confirmed()),
            all(&model.base),
            "the whole base"
        );
        assert_eq!(store.len(), view.len());

        type Shown = (LayerId, String, LayerKind, LayerState, BTreeSet<String>);
        let layers: Vec<Shown> = store
            .layers()
            .map(|layer| {
                let keys = layer.keys().map(|key| sut.name(key)).collect();
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
                normal(&layer.to_patch()) == sut.patch(&reference.ops),
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
        // Invariant 6, from the reference's own bookkeeping: no observation sits above an
        // intent that was pending when it was reserved.
        for (at, layer) in model.layers.iter().enumerate() {
            for intent in model.waiting.get(&layer.name).into_iter().flatten() {
                if let Some(below) = model.layers[..at].iter().find(|l| l.name == *intent) {
                    panic!(
                        "observation {} sits above intent {}",
                        layer.name, below.name
                    );
                }
            }
        }
        if model.layers.is_empty() {
            assert_eq!(view, model.base, "settled and squashed, the view is base");
        }
        if let Err(error) = store.check_invariants() {
            panic!("check_invariants: {error}");
        }
        round_trips(store);
        sut.check_records(model);
        sut.check_hygiene(model);
    }
}

/// One call of a batch (its preconditions keep it to calls that succeed).
fn batched(
    store: &mut Store,
    ids: &mut Vec<LayerId>,
    temps: &BTreeMap<&'static str, Key>,
    model: &Model,
    call: &Transition,
) {
    use Transition::*;
    let patch = |ops: &[KOp]| patch_with(ops, &|name| temps.get(name).cloned());
    let id = |ids: &[LayerId], name: &u32| ids[model.handle(*name)];
    match call {
        Write(ops) => drop(store.write(patch(ops)).expect("a valid patch")),
        Push(name, ops) => {
            let (id, _) = store
                .push(&label(*name), patch(ops))
                .expect("a valid patch");
            ids.push(id);
        }
        Promote(name) => drop(store.promote(id(ids, name)).expect("pending")),
        Confirm(name, ops) => drop(
            store
                .confirm(id(ids, name), patch(ops))
                .expect("pending, valid patch"),
        ),
        ConfirmKeepingRelative(name, ops) => drop(
            store
                .confirm_keeping_relative(id(ids, name), patch(ops))
                .expect("pending, valid patch"),
        ),
        Fail(name) => drop(store.fail(id(ids, name)).expect("pending")),
        Cancel(name) => drop(store.cancel(id(ids, name)).expect("pending")),
        other => unreachable!("{other:?} is not batched"),
    }
}

/// `patch` rebuilt op by op, so that consecutive writes on a key merge as the builder merges
/// them (a layer may hold two in a row: one naming a key, one naming its alias).
fn normal(patch: &Patch) -> Patch {
    patch.iter().fold(Patch::new(), |normal, (key, ops)| {
        ops.iter()
            .fold(normal, |normal, op| normal.op(key, op.clone()))
    })
}

/// A temporary name not minted yet: it names nothing.
fn unminted(model: &Model, name: &str) -> bool {
    crate::reference::TEMPS.contains(&name) && !model.temps.contains_key(name)
}
