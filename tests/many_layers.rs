//! A key under many layers (issue 27, item 7): taking them out one by one, in any order, leaves
//! the view exactly the fold of base and the layers left, whatever the layers do; and failing
//! thousands of them on one key, bottom first or top first, ends where it began.
//! (`examples/fail_layers.rs` measures how the time grows.)

use optimist::{LayerId, ListPosition, Op, Patch, Policies, Store, Value};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
use serde_json::Number;

/// The items list edits insert and remove: enough that most unique inserts are an item's first
/// in the tree, few enough that many meet theirs in the list below or in a write.
const ITEMS: i64 = 24;

/// The keys ops touch: most go to `A:1`, so it gets many layers; `V:1` is versioned.
const KEYS: [&str; 3] = ["A:1", "A:2", "V:1"];

fn new_store() -> Store {
    let mut store = Store::with_policies(Policies::new().version_field("V", "v"));
    store
        .register_updater("double", |entity, _| {
            let entity = entity?.clone();
            let n = entity.get("n").and_then(Value::as_i64)?;
            Some(entity.with("n", n.wrapping_mul(2)))
        })
        .unwrap();
    store
        .register_updater("push", |entity, item| {
            let entity = entity?.clone();
            let mut list = match entity.get("l") {
                Some(Value::List(list)) => list.clone(),
                _ => optimist::List::new(),
            };
            list.make_mut().push_back(item.clone());
            Some(entity.with("l", Value::List(list)))
        })
        .unwrap();
    store
}

fn number() -> impl Strategy<Value = Number> + Clone {
    prop_oneof![
        8 => (-3i64..4).prop_map(Number::from),
        1 => Just(Number::from(u64::MAX - 1)),
        1 => Just(Number::from(i64::MIN + 1)),
        1 => Just(Number::from_f64(0.25).unwrap()),
    ]
}

/// A list edit: an insert (at either end, at an index or next to an item; unique or not) or
/// a removal, of a few items, so that unique inserts meet their items below and above.
fn list_edit() -> impl Strategy<Value = Op> + Clone {
    let item = (0i64..ITEMS).prop_map(Value::from);
    let at = prop_oneof![
        4 => Just(ListPosition::End),
        3 => Just(ListPosition::Start),
        1 => Just(ListPosition::Index(1)),
        1 => (0i64..ITEMS).prop_map(|i| ListPosition::After(Value::from(i))),
    ];
    prop_oneof![
        6 => (item.clone(), at, any::<bool>()).prop_map(|(item, at, unique)| Op::ListInsert {
            field: "l".into(),
            item,
            at,
            unique,
        }),
        1 => item.prop_map(|item| Op::ListRemove { field: "l".into(), item }),
    ]
}

/// One op on one key, as a patch.
fn patch() -> impl Strategy<Value = Patch> + Clone {
    let key = prop_oneof![6 => Just(KEYS[0]), 1 => Just(KEYS[1]), 1 => Just(KEYS[2])];
    let field = prop_oneof![Just("n"), Just("t"), Just("l")];
    let list = proptest::collection::vec(0i64..5, 0..4).prop_map(Value::from);
    let op = prop_oneof![
        4 => (field.clone(), number()).prop_map(|(f, n)| (f, 0u8, Value::Number(n))),
        6 => number().prop_map(|n| ("n", 1u8, Value::Number(n))),
        1 => field.clone().prop_map(|f| (f, 2u8, Value::Null)),
        1 => Just(("", 3u8, Value::Null)),
        1 => Just(("", 5u8, Value::Null)),
        1 => (1i64..5).prop_map(|v| ("v", 0u8, Value::from(v))),
        1 => list.prop_map(|l| ("l", 0u8, l)),
    ];
    let op = (key.clone(), op).prop_map(|(key, (field, kind, value))| match kind {
        0 => Patch::new().set(key, field, value),
        1 => match value {
            Value::Number(by) => Patch::new().increment(key, field, by),
            _ => unreachable!(),
        },
        2 => Patch::new().remove_field(key, field),
        3 => Patch::new().delete(key),
        _ => Patch::new().update(key, "double", Value::Null),
    });
    prop_oneof![
        3 => op,
        2 => (key, list_edit()).prop_map(|(key, edit)| Patch::new().op(key, edit)),
    ]
}

#[derive(Clone, Debug)]
enum Step {
    Fail(usize),
    Promote(usize),
    Confirm(usize, Patch),
    Push(Patch),
    Write(Patch),
    Reserve,
}

/// Mostly list edits on `A:1`, whose base holds a list of the same few items, now and then
/// another op: so unique inserts meet their items below, in other layers and in writes.
fn list_patch() -> impl Strategy<Value = Patch> + Clone {
    let list = proptest::collection::vec(0i64..ITEMS, 0..4).prop_map(Value::from);
    prop_oneof![
        12 => list_edit().prop_map(|edit| Patch::new().op(KEYS[0], edit)),
        1 => list.prop_map(|l| Patch::new().set(KEYS[0], "l", l)),
        1 => (0i64..ITEMS).prop_map(|i| Patch::new().update(KEYS[0], "push", i)),
        1 => patch(),
    ]
}

fn step(patch: impl Strategy<Value = Patch> + Clone) -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => any::<usize>().prop_map(Step::Fail),
        2 => any::<usize>().prop_map(Step::Promote),
        1 => (any::<usize>(), patch.clone()).prop_map(|(i, p)| Step::Confirm(i, p)),
        2 => patch.clone().prop_map(Step::Push),
        1 => patch.prop_map(Step::Write),
        1 => Just(Step::Reserve),
    ]
}

fn config() -> Config {
    Config {
        cases: 128,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/many_layers.txt",
        ))),
        ..Config::default()
    }
}

/// Pushes `layers` on the store written with `base`, then takes `steps`, checking after each
/// that the view is the fold from scratch, key by key; then fails what is left.
fn run(base: Vec<Patch>, layers: Vec<Patch>, steps: Vec<Step>) -> Result<(), TestCaseError> {
    let mut store = new_store();
    for patch in base {
        store.write(patch).unwrap();
    }
    let mut pending: Vec<LayerId> = layers
        .into_iter()
        .map(|patch| store.push("layer", patch).unwrap().0)
        .collect();
    for step in steps {
        let pick = |i: usize, pending: &mut Vec<LayerId>| {
            (!pending.is_empty()).then(|| pending.remove(i % pending.len()))
        };
        match step {
            Step::Fail(i) => {
                if let Some(id) = pick(i, &mut pending) {
                    store.fail(id).unwrap();
                }
            }
            Step::Promote(i) => {
                if let Some(id) = pick(i, &mut pending) {
                    store.promote(id).unwrap();
                }
            }
            Step::Confirm(i, patch) => {
                if let Some(id) = pick(i, &mut pending) {
                    store.confirm(id, patch).unwrap();
                }
            }
            Step::Push(patch) => pending.push(store.push("layer", patch).unwrap().0),
            Step::Write(patch) => {
                store.write(patch).unwrap();
            }
            Step::Reserve => pending.push(store.reserve("query")),
        }
        if let Err(error) = store.check_invariants() {
            prop_assert!(false, "{}", error);
        }
    }
    for id in pending {
        store.fail(id).unwrap();
        if let Err(error) = store.check_invariants() {
            prop_assert!(false, "{}", error);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_view_stays_the_fold_as_layers_go(
        base in proptest::collection::vec(patch(), 0..4),
        layers in proptest::collection::vec(patch(), 40..120),
        steps in proptest::collection::vec(step(patch()), 1..80),
    ) {
        run(base, layers, steps)?;
    }

    #[test]
    fn list_edits_under_many_layers_fold_as_their_ops(
        base in proptest::collection::vec(0i64..ITEMS, 0..8),
        layers in proptest::collection::vec(list_patch(), 40..120),
        steps in proptest::collection::vec(step(list_patch()), 1..80),
    ) {
        run(vec![Patch::new().set(KEYS[0], "l", Value::from(base))], layers, steps)?;
    }
}

/// Fails `layers` layers on `A:1` (each an increment, or a set), in the order given, and checks
/// the view after each against the sum or value left.
fn fail_all(increment: bool, top_first: bool) {
    const LAYERS: i64 = 2000;
    let mut store = new_store();
    store
        .write(Patch::new().set("A:1", "n", 0).set("A:1", "t", "kept"))
        .unwrap();
    let mut ids: Vec<(i64, LayerId)> = (1..=LAYERS)
        .map(|i| {
            let patch = if increment {
                Patch::new().increment("A:1", "n", 1)
            } else {
                Patch::new().set("A:1", "n", i)
            };
            (i, store.push("edit", patch).unwrap().0)
        })
        .collect();
    let before = store.clone();
    if top_first {
        ids.reverse();
    }
    for (done, (i, id)) in ids.into_iter().enumerate() {
        store.fail(id).unwrap();
        let left = LAYERS - 1 - done as i64;
        let expected = match (increment, top_first) {
            (true, _) => left,
            (false, true) => i - 1,
            (false, false) if left == 0 => 0,
            (false, false) => LAYERS,
        };
        assert_eq!(store.get_field("A:1", "n"), Some(&Value::from(expected)));
        assert_eq!(store.get_field("A:1", "t"), Some(&Value::from("kept")));
    }
    store.check_invariants().unwrap();
    assert_eq!(store.get("A:1"), before.get_confirmed("A:1"));
}

#[test]
fn failing_thousands_of_sets_bottom_first_or_top_first_ends_where_it_began() {
    fail_all(false, false);
    fail_all(false, true);
}

#[test]
fn failing_thousands_of_increments_bottom_first_or_top_first_ends_where_it_began() {
    fail_all(true, false);
    fail_all(true, true);
}
