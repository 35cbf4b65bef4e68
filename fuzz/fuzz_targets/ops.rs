//! Op sequences: the input is decoded into a program of store calls (write, push, reserve,
//! promote, confirm, confirm_keeping_relative, fail, cancel, guards dropped, temporary keys and
//! remaps, reads), run on one `Store`. After every call: `check_invariants` holds (the view is
//! the fold of base and the live layers, the key index and the kept count are right, no
//! confirmed layer waits at the bottom); a refused call left the store `==` its clone; and at
//! chosen steps a layer pushed then failed leaves the store `==` as it was.
//!
//! The mutation queue with every outcome (mutate with scopes, coalescing and small retry
//! policies, next_to_send on a clock the program moves, report of a promote, a confirm, a
//! confirm keeping relative ops, a rejection, an ambiguous answer, a request not sent, a
//! conflict, interrupt, dismiss); remaps onto the versioned type `Note`; panicking updaters (a
//! call whose patch runs `boom` panics and leaves the store `==` as before) and panicking
//! watchers (the call is applied, every watcher stays registered); and a save and load at any
//! step (the store saved as text loads, saves again the same, and equals the saved one when
//! nothing is in flight or waiting to retry).
#![no_main]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use optimist::{
    Instant, Key, LayerId, ListPosition, Mutation, MutationStatus, Outcome, Patch, Policies,
    RetryPolicy, Scope, Store, Value,
};

/// Reads the input a byte at a time; past the end every byte reads 0.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((first, rest)) => {
                self.0 = rest;
                *first
            }
            None => 0,
        }
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[usize::from(self.byte()) % from.len()]
    }

    fn done(&self) -> bool {
        self.0.is_empty()
    }
}

const KEYS: [&str; 5] = ["Item:1", "Item:2", "Note:1", "ROOT_QUERY", "Item:3"];
const FIELDS: [&str; 5] = ["a", "b", "n", "l", "v"];

/// The program's state: the store, every id it issued (settled ones stay, to be refused), and
/// the temporary keys minted.
struct Run {
    store: Store,
    ids: Vec<LayerId>,
    temps: Vec<Key>,
    foreign: LayerId,
    /// The program's clock: a start and how far it moved.
    start: Instant,
    elapsed: Duration,
}

impl Run {
    fn key(&mut self, bytes: &mut Bytes<'_>) -> Key {
        let b = bytes.byte();
        if b >= 200 && !self.temps.is_empty() {
            return self.temps[usize::from(b) % self.temps.len()].clone();
        }
        Key::new(KEYS[usize::from(b) % KEYS.len()]).expect("a valid key")
    }

    fn value(&mut self, bytes: &mut Bytes<'_>, depth: u8) -> Value {
        match bytes.byte() % 8 {
            0 => Value::Null,
            1 => Value::from(i64::from(bytes.byte() as i8)),
            2 => Value::from(bytes.byte() % 2 == 0),
            3 => Value::from(bytes.pick(&["x", "y", "z"])),
            4 => Value::Ref(self.key(bytes)),
            5 if depth < 3 => {
                let n = bytes.byte() % 4;
                let items: Vec<Value> = (0..n).map(|_| self.value(bytes, depth + 1)).collect();
                Value::from(items)
            }
            6 => Value::from(i64::MAX - i64::from(bytes.byte())),
            _ => Value::from(f64::from(bytes.byte()) / 4.0),
        }
    }

    fn position(&mut self, bytes: &mut Bytes<'_>) -> ListPosition {
        match bytes.byte() % 5 {
            0 => ListPosition::Start,
            1 => ListPosition::End,
            2 => ListPosition::Index(usize::from(bytes.byte() % 6)),
            3 => ListPosition::Before(self.value(bytes, 2)),
            _ => ListPosition::After(self.value(bytes, 2)),
        }
    }

    fn patch(&mut self, bytes: &mut Bytes<'_>) -> Patch {
        let mut patch = Patch::new();
        for _ in 0..=bytes.byte() % 4 {
            let key = self.key(bytes);
            let field = bytes.pick(&FIELDS);
            patch = match bytes.byte() % 11 {
                0 | 1 => {
                    let value = self.value(bytes, 0);
                    patch.set(&key, field, value)
                }
                2 => patch.remove_field(&key, field),
                3 => patch.delete(&key),
                4 => patch.increment(&key, field, i64::from(bytes.byte() as i8)),
                5 => {
                    let (item, at) = (self.value(bytes, 1), self.position(bytes));
                    patch.insert(&key, field, item, at)
                }
                6 => {
                    let (item, at) = (self.value(bytes, 1), self.position(bytes));
                    patch.insert_unique(&key, field, item, at)
                }
                7 => {
                    let item = self.value(bytes, 1);
                    patch.remove_item(&key, field, item)
                }
                8 => {
                    let name = bytes.pick(&["double", "toggle", "clear_if", "unknown"]);
                    let args = self.value(bytes, 1);
                    patch.update(&key, name, args)
                }
                9 => {
                    let by = serde_json::Number::from_f64(f64::from(bytes.byte()) + 0.5);
                    patch.increment(&key, field, by.expect("a finite number"))
                }
                // A key that is not one: the patch must be refused whole.
                _ => patch.set("", field, 1),
            };
        }
        patch
    }

    fn id(&mut self, bytes: &mut Bytes<'_>) -> LayerId {
        let b = bytes.byte();
        if b == 255 || self.ids.is_empty() {
            return self.foreign;
        }
        // Mostly recent ids (live ones), sometimes old (settled ones).
        let back = usize::from(b % 8).min(self.ids.len() - 1);
        if b < 128 {
            self.ids[self.ids.len() - 1 - back]
        } else {
            self.ids[usize::from(b) % self.ids.len()]
        }
    }

    fn now(&self) -> Instant {
        self.start + self.elapsed
    }

    fn outcome(&mut self, bytes: &mut Bytes<'_>) -> Outcome {
        match bytes.byte() % 7 {
            0 => Outcome::promote(),
            1 => Outcome::confirm(self.patch(bytes)),
            2 => Outcome::confirm_keeping_relative(self.patch(bytes)),
            3 => Outcome::Rejected("refused".into()),
            4 => Outcome::Ambiguous("no answer".into()),
            5 => Outcome::NotSent("offline".into()),
            _ => Outcome::Conflict {
                message: "412".into(),
                current: self.patch(bytes),
            },
        }
    }

    /// The mutation queue, panics and saves; returns whether the call was refused.
    fn queue_step(&mut self, op: u8, bytes: &mut Bytes<'_>) -> bool {
        match op {
            18 => {
                let patch = self.patch(bytes);
                let mut mutation = Mutation::new("mutate", patch);
                let b = bytes.byte();
                if b % 2 == 0 {
                    let key = self.key(bytes);
                    mutation = mutation.scope(Scope::Item(key));
                }
                if b % 3 == 0 {
                    mutation = mutation.coalesce();
                }
                if b % 5 == 0 {
                    mutation = mutation.retry(RetryPolicy {
                        max_attempts: Some(u32::from(bytes.byte() % 4)),
                        initial_delay: Duration::from_millis(u64::from(bytes.byte())),
                        factor: 2,
                        max_delay: Duration::from_secs(1),
                    });
                }
                match self.store.mutate(mutation) {
                    Ok((id, _)) => {
                        self.ids.push(id);
                        false
                    }
                    Err(_) => true,
                }
            }
            19 => {
                let _ = self.store.next_to_send(self.now());
                false
            }
            20 => {
                let (id, outcome) = (self.id(bytes), self.outcome(bytes));
                self.store.report(id, outcome, self.now()).is_err()
            }
            21 => match bytes.byte() % 3 {
                0 => {
                    let id = self.id(bytes);
                    self.store.interrupt(id).is_err()
                }
                1 => {
                    let id = self.id(bytes);
                    let settled = self
                        .store
                        .mutation(id)
                        .is_some_and(|m| !m.status().is_pending());
                    assert_eq!(self.store.dismiss(id), settled, "dismiss of {id}");
                    false
                }
                _ => {
                    self.elapsed += Duration::from_millis(u64::from(bytes.byte()) * 20);
                    false
                }
            },
            22 => {
                // A panicking updater: the call is put back whole.
                let before = self.store.clone();
                let key = self.key(bytes);
                let patch = self.patch(bytes).update(&key, "boom", Value::Null);
                let kind = bytes.byte() % 3;
                let id = self.id(bytes);
                let store = &mut self.store;
                let caught = expected_panic(|| match kind {
                    0 => store.write(patch).is_err(),
                    1 => store.push("boom", patch).is_err(),
                    _ => store.confirm(id, patch).is_err(),
                });
                // Refused before anything ran (a bad key, a settled id), or the updater
                // panicked: either way the store is as it was.
                assert!(self.store == before, "a panicking updater changed the store");
                if let Err(panic) = caught {
                    let message = panic.downcast_ref::<&str>().copied().unwrap_or_default();
                    assert_eq!(message, "boom", "the updater's own panic");
                }
                false
            }
            23 => {
                // A panicking watcher: the call is applied in full, every watcher registered.
                let key = self.key(bytes);
                let Ok(watch) = self.store.watch_entity(&key, |_| panic!("watcher")) else {
                    return true;
                };
                let patch = self.patch(bytes);
                let store = &mut self.store;
                let _ = expected_panic(|| drop(store.write(patch)));
                assert!(self.store.unwatch(watch), "the watcher stays registered");
                false
            }
            _ => {
                self.save_and_load();
                false
            }
        }
    }

    /// Saves the store as text and loads it into a fresh one, which replaces it: the text
    /// loads, saves again the same, and the loaded store equals the saved one unless a restart
    /// normalises something (a mutation in flight or waiting to retry, a query's slot).
    fn save_and_load(&mut self) {
        let text = self.store.save_json().expect("a store saves");
        let mut loaded = store();
        loaded.load_json(&text).expect("a saved store loads");
        let again = loaded.save_json().expect("a loaded store saves");
        let mut twice = store();
        twice.load_json(&again).expect("and loads");
        assert!(twice == loaded, "a loaded store does not round-trip");
        let normalised = self.store.mutations().any(|m| {
            m.retry_at().is_some() || matches!(m.status(), MutationStatus::InFlight { .. })
        }) || self
            .store
            .layers()
            .any(|l| l.kind() == optimist::LayerKind::Observation);
        if !normalised {
            assert!(loaded == self.store, "the store does not round-trip");
        }
        // Ids are the loaded store's now: the live layers', and the records' (by request).
        self.ids = loaded.layers().map(|l| l.id()).collect();
        self.ids.extend(loaded.mutations().map(|m| m.id()));
        self.store = loaded;
    }

    /// Runs one call; returns whether it was refused.
    fn step(&mut self, bytes: &mut Bytes<'_>) -> bool {
        let op = bytes.byte() % 25;
        if op >= 18 {
            return self.queue_step(op, bytes);
        }
        match op {
            0 => {
                let patch = self.patch(bytes);
                self.store.write(patch).is_err()
            }
            1 | 2 => {
                let patch = self.patch(bytes);
                match self.store.push("push", patch) {
                    Ok((id, _)) => {
                        self.ids.push(id);
                        false
                    }
                    Err(_) => true,
                }
            }
            3 => {
                let id = self.store.reserve("reserve");
                self.ids.push(id);
                false
            }
            4 => {
                let id = self.id(bytes);
                self.store.promote(id).is_err()
            }
            5 => {
                let (id, patch) = (self.id(bytes), self.patch(bytes));
                self.store.confirm(id, patch).is_err()
            }
            6 => {
                let (id, patch) = (self.id(bytes), self.patch(bytes));
                self.store.confirm_keeping_relative(id, patch).is_err()
            }
            7 => {
                let id = self.id(bytes);
                self.store.fail(id).is_err()
            }
            8 => {
                let id = self.id(bytes);
                self.store.cancel(id).is_err()
            }
            9 => {
                // A guard dropped, then collected at once, so the next refused call has
                // nothing queued to cancel first.
                let id = self.id(bytes);
                drop(self.store.guard(id));
                let _ = self.store.collect_abandoned();
                false
            }
            10 => {
                let typename = bytes.pick(&["Item", "Note", ""]);
                match self.store.temporary_key(typename) {
                    Ok(key) => {
                        self.temps.push(key);
                        false
                    }
                    Err(_) => true,
                }
            }
            11 => {
                let from = match bytes.byte() {
                    b if b < 230 && !self.temps.is_empty() => {
                        self.temps[usize::from(b) % self.temps.len()].clone()
                    }
                    _ => Key::new(bytes.pick(&KEYS)).expect("a valid key"),
                };
                let to = self.key(bytes);
                self.store.remap(&from, &to).is_err()
            }
            12 => {
                self.reads();
                false
            }
            14 => {
                // gc removes only what no root reaches: never a key a layer touches, a root
                // or a retained key; and it keeps the view of every other key.
                let before = self.store.clone();
                let removed = self.store.gc();
                for key in removed.keys() {
                    assert!(
                        before.layers_touching(key).next().is_none(),
                        "gc removed {key}, touched by a layer"
                    );
                    assert!(!key.is_root(), "gc removed the root {key}");
                    assert!(
                        before.retained().all(|(k, _)| k != key),
                        "gc removed the retained {key}"
                    );
                    assert!(self.store.get_confirmed(key).is_none());
                }
                for (key, entity) in before.iter() {
                    if !removed.contains(key) {
                        assert_eq!(self.store.get(key), Some(entity), "gc changed {key}");
                    }
                }
                false
            }
            15 => {
                let key = self.key(bytes);
                self.store.evict(key).is_err()
            }
            16 => {
                let key = self.key(bytes);
                let field = bytes.pick(&["a", "b", "n", "list", "v", "a(x)"]);
                self.store.evict_field(key, field).is_err()
            }
            17 => {
                let key = self.key(bytes);
                match bytes.byte() % 4 {
                    0 => self.store.invalidate(key).is_err(),
                    1 => self.store.invalidate_field(key, "a").is_err(),
                    2 => self.store.retain(key).is_err(),
                    _ => self.store.release(key).is_err(),
                }
            }
            _ => {
                // Push then fail is the identity, observably.
                let before = self.store.clone();
                let patch = self.patch(bytes);
                if let Ok((id, _)) = self.store.push("identity", patch) {
                    self.store.fail(id).expect("a layer just pushed fails");
                    assert!(self.store == before, "push then fail changed the store");
                }
                false
            }
        }
    }

    fn reads(&self) {
        let store = &self.store;
        assert_eq!(
            store.len(),
            store.iter().count(),
            "len() and iter() disagree"
        );
        let snapshot = store.snapshot();
        assert_eq!(snapshot.len(), store.len(), "the snapshot's len differs");
        for key in KEYS
            .iter()
            .copied()
            .chain(self.temps.iter().map(Key::as_str))
        {
            assert_eq!(
                store.get(key),
                snapshot.get(key),
                "the snapshot reads differently"
            );
            let _ = store.get_confirmed(key);
            let _ = store.resolve(key);
        }
        let _ = store.extract(false);
        let _ = store.layers().count();
    }
}

/// Runs `call`, which may panic on purpose, with libFuzzer's hook (which aborts the process on
/// any panic, to report it) set aside meanwhile.
fn expected_panic<T>(call: impl FnOnce() -> T) -> std::thread::Result<T> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = catch_unwind(AssertUnwindSafe(call));
    std::panic::set_hook(hook);
    result
}

fn store() -> Store {
    let mut store = Store::with_policies(Policies::new().version_field("Note", "v"));
    store
        .register_updater("double", |entity, _| {
            let entity = entity?;
            let n = entity.get("n").and_then(Value::as_i64)?.checked_mul(2)?;
            Some(entity.clone().with("n", n))
        })
        .expect("a fresh name");
    store
        .register_updater("toggle", |entity, args| {
            let field = args.as_str().unwrap_or("b");
            let was = entity.and_then(|e| e.get(field)).and_then(Value::as_bool);
            Some(
                entity
                    .cloned()
                    .unwrap_or_default()
                    .with(field, !was.unwrap_or(false)),
            )
        })
        .expect("a fresh name");
    store
        .register_updater("clear_if", |entity, args| {
            let entity = entity?;
            (entity.get("a") != Some(args)).then(|| entity.clone())
        })
        .expect("a fresh name");
    store
        .register_updater("boom", |_, _| panic!("boom"))
        .expect("a fresh name");
    store
}

fuzz_target!(|data: &[u8]| {
    let mut foreign = Store::new();
    let foreign_id = foreign.reserve("foreign");
    let mut run = Run {
        store: store(),
        ids: Vec::new(),
        temps: Vec::new(),
        foreign: foreign_id,
        start: Instant::now(),
        elapsed: Duration::ZERO,
    };
    let mut bytes = Bytes(data);
    let mut steps = 0;
    while !bytes.done() && steps < 64 {
        steps += 1;
        let before = run.store.clone();
        let refused = run.step(&mut bytes);
        if let Err(broken) = run.store.check_invariants() {
            panic!("invariant broken after step {steps}: {broken}");
        }
        if refused {
            assert!(run.store == before, "a refused call changed the store");
        }
    }
    // Settling everything leaves the view equal to base.
    for id in run.ids.clone() {
        let _ = run.store.promote(id);
    }
    run.store
        .check_invariants()
        .expect("invariants after promoting all");
    assert_eq!(run.store.layers().count(), 0, "every layer settled");
    assert_eq!(
        run.store.len(),
        run.store.iter_confirmed().count(),
        "settled view differs from base"
    );
    for (key, entity) in run.store.iter() {
        assert_eq!(
            run.store.get_confirmed(key),
            Some(entity),
            "settled view differs from base"
        );
    }
});
