//! A summary gives what applying its ops gives, whatever lies below and however the ops are
//! cut into runs; and it does summarise the runs it is for.

use proptest::prelude::*;

use super::*;
use crate::op::{ListPosition, Updaters, apply};

/// Numbers near where increments stop being integers, and floats.
fn number() -> impl Strategy<Value = Number> {
    prop_oneof![
        (-3i64..4).prop_map(Number::from),
        Just(Number::from(i64::MIN)),
        Just(Number::from(i64::MIN + 1)),
        Just(Number::from(i64::MAX)),
        Just(Number::from(u64::MAX)),
        Just(Number::from(u64::MAX - 1)),
        Just(Number::from_f64(0.5).unwrap()),
        Just(Number::from_f64(1e300).unwrap()),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => number().prop_map(Value::Number),
        1 => Just(Value::Null),
        1 => Just(Value::from("text")),
        1 => Just(Value::from(vec![1])),
        1 => Just(Value::from(Vec::<i64>::new())),
    ]
}

fn name() -> impl Strategy<Value = FieldName> {
    prop_oneof![Just("a"), Just("b"), Just("n")].prop_map(FieldName::from)
}

fn entity() -> impl Strategy<Value = Entity> {
    proptest::collection::vec((name(), value()), 0..4).prop_map(Entity::from_fields)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => entity().prop_map(Op::Write),
        1 => name().prop_map(Op::RemoveField),
        1 => Just(Op::Delete),
        4 => (name(), number()).prop_map(|(field, by)| Op::Increment { field, by }),
        3 => (name(), 1..3, any::<bool>(), any::<bool>()).prop_map(|(field, item, end, unique)| {
            Op::ListInsert {
                field,
                item: Value::from(item),
                at: if end { ListPosition::End } else { ListPosition::Start },
                unique,
            }
        }),
        1 => name().prop_map(|field| Op::ListRemove { field, item: Value::from(1) }),
    ]
}

/// The ops cut into runs at `cuts`, each run summarised, and the summaries composed in order;
/// `None` where some run or composition cannot be summarised.
fn composed(ops: &[Op], cuts: &[usize]) -> Option<Summary> {
    let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (ops.len() + 1)).collect();
    bounds.extend([0, ops.len()]);
    bounds.sort_unstable();
    bounds
        .windows(2)
        .try_fold(Summary::identity(), |summary, w| {
            summary.then(&Summary::of(&ops[w[0]..w[1]])?)
        })
}

/// Ops on one list field, mostly inserts at its ends.
fn list_op() -> impl Strategy<Value = Op> {
    let list = proptest::collection::vec(0i64..4, 0..3).prop_map(Value::from);
    prop_oneof![
        8 => (0i64..4, any::<bool>(), 0..4).prop_map(|(item, end, unique)| Op::ListInsert {
            field: "l".into(),
            item: Value::from(item),
            at: if end { ListPosition::End } else { ListPosition::Start },
            unique: unique == 0,
        }),
        1 => list.prop_map(|l| Op::Write(Entity::new().with("l", l))),
        1 => Just(Op::RemoveField("l".into())),
        1 => Just(Op::Delete),
        1 => Just(Op::Write(Entity::new().with("l", 5))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn a_summary_of_list_inserts_applies_as_its_ops_do(
        below in proptest::option::of(proptest::collection::vec(0i64..4, 0..3)),
        ops in proptest::collection::vec(list_op(), 0..12),
        cuts in proptest::collection::vec(any::<usize>(), 0..4),
    ) {
        let below = below.map(|l| Entity::new().with("l", Value::from(l)));
        let expected = apply(below.as_ref(), &ops, &Updaters::new());
        for summary in [Summary::of(&ops), composed(&ops, &cuts)].into_iter().flatten() {
            if let Some(got) = summary.apply(below.as_ref(), Below::Unknown) {
                prop_assert_eq!(&got, &expected, "{:?}", summary);
            }
        }
    }

    #[test]
    fn a_summary_applies_as_its_ops_do(
        below in proptest::option::of(entity()),
        ops in proptest::collection::vec(op(), 0..12),
        cuts in proptest::collection::vec(any::<usize>(), 0..4),
    ) {
        let expected = apply(below.as_ref(), &ops, &Updaters::new());
        for summary in [Summary::of(&ops), composed(&ops, &cuts)].into_iter().flatten() {
            if let Some(got) = summary.apply(below.as_ref(), Below::Unknown) {
                prop_assert_eq!(&got, &expected, "{:?}", summary);
            }
        }
    }
}

#[test]
fn writes_and_small_increments_summarise_into_one_step() {
    let inc = |by: i64| Op::Increment {
        field: "n".into(),
        by: by.into(),
    };
    let mut ops = Vec::new();
    let mut summary = Summary::identity();
    for i in 0..1000 {
        let op = if i % 3 == 0 {
            Op::Write(Entity::new().with("t", i))
        } else {
            inc(if i % 2 == 0 { 5 } else { -2 })
        };
        summary = summary
            .then(&Summary::of(std::slice::from_ref(&op)).unwrap())
            .unwrap();
        ops.push(op);
    }
    let below = Entity::new().with("n", 7).with("x", "kept");
    let expected = apply(Some(&below), &ops, &Updaters::new());
    assert_eq!(
        summary.apply(Some(&below), Below::Unknown),
        Some(expected.clone())
    );
    assert_eq!(expected.unwrap().get("t"), Some(&Value::from(999)));
    // An increment past u64::MAX on the way cannot be summarised: it would turn into a float.
    let big = Entity::new().with("n", u64::MAX - 1);
    let up_and_down = [inc(2), inc(-2)];
    assert_eq!(
        Summary::of(&up_and_down)
            .unwrap()
            .apply(Some(&big), Below::Unknown),
        None
    );
    // Inserts at the ends summarise into the items before and after the list below...
    let ends = [
        Op::ListInsert {
            field: "l".into(),
            item: 1.into(),
            at: ListPosition::End,
            unique: false,
        },
        Op::ListInsert {
            field: "l".into(),
            item: 2.into(),
            at: ListPosition::Start,
            unique: false,
        },
    ];
    let list = Entity::new().with("l", Value::from(vec![7]));
    let summary = Summary::of(&ends).unwrap();
    let got = summary.apply(Some(&list), Below::Unknown).unwrap().unwrap();
    assert_eq!(got.get("l"), Some(&Value::from(vec![2, 7, 1])));
    // ...and a unique one applies only where the caller vouches its item is not there yet.
    let unique = [Op::ListInsert {
        field: "l".into(),
        item: 7.into(),
        at: ListPosition::End,
        unique: true,
    }];
    let summary = Summary::of(&unique).unwrap();
    assert_eq!(summary.apply(Some(&list), Below::Unknown), None);
    let fresh = Entity::new().with("l", Value::from(vec![8]));
    let got = summary.apply(Some(&fresh), Below::Unseen).unwrap().unwrap();
    assert_eq!(got.get("l"), Some(&Value::from(vec![8, 7])));
    // Nor can the ops that depend on the whole value.
    assert!(
        Summary::of(&[Op::Update {
            name: "u".into(),
            args: Value::Null
        }])
        .is_none()
    );
}
