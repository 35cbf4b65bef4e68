//! The random side of the model test: transitions, the strategies that generate them, and the
//! reference half of the state machine (which transitions apply, and what each does to the
//! [`Model`]).
//!
//! The key and field space is small and values come from a handful of choices, so layers overlap
//! heavily and list anchors and removals often hit.

use std::fmt;

use optimist::{Entity, LayerState, Value};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::Union;
use proptest_state_machine::ReferenceStateMachine;
use serde_json::Number;

use crate::reference::{FIELDS, KEYS, KOp, MOp, Model, Ops, Pos, RefLayer};

// ----- transitions -----

/// How a layer is settled.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum How {
    Fail,
    Promote,
    Confirm,
}

/// What makes a patch unacceptable.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Bad {
    UnknownUpdater,
    BadKey,
}

/// One step. Layers are named by the number given when they are pushed or reserved.
#[derive(Clone)]
pub(crate) enum Transition {
    /// A direct write into base.
    Write(Vec<KOp>),
    Push(u32, Vec<KOp>),
    Reserve(u32),
    Promote(u32),
    Confirm(u32, Vec<KOp>),
    Fail(u32),
    /// Settles a layer that is already settled (gone, or confirmed and waiting).
    SettleAgain(u32, How),
    /// Settles a layer id issued by another store.
    Foreign(How),
    /// A write whose patch (these ops plus one bad op) is refused.
    RejectWrite(Vec<KOp>, Bad),
    RejectPush(Vec<KOp>, Bad),
    RejectConfirm(u32, Vec<KOp>, Bad),
    Read(&'static str, &'static str),
}

impl fmt::Debug for Transition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Transition::*;
        match self {
            Write(ops) => write!(f, "Write({:?})", Ops(ops)),
            Push(name, ops) => write!(f, "Push({name}, {:?})", Ops(ops)),
            Reserve(name) => write!(f, "Reserve({name})"),
            Promote(name) => write!(f, "Promote({name})"),
            Confirm(name, ops) => write!(f, "Confirm({name}, {:?})", Ops(ops)),
            Fail(name) => write!(f, "Fail({name})"),
            SettleAgain(name, how) => write!(f, "SettleAgain({name}, How::{how:?})"),
            Foreign(how) => write!(f, "Foreign(How::{how:?})"),
            RejectWrite(ops, bad) => write!(f, "RejectWrite({:?}, {bad:?})", Ops(ops)),
            RejectPush(ops, bad) => write!(f, "RejectPush({:?}, {bad:?})", Ops(ops)),
            RejectConfirm(name, ops, bad) => {
                write!(f, "RejectConfirm({name}, {:?}, {bad:?})", Ops(ops))
            }
            Read(key, field) => write!(f, "Read({key:?}, {field:?})"),
        }
    }
}

pub(crate) fn label(name: u32) -> String {
    format!("layer {name}")
}

// ----- strategies -----

fn key() -> impl Strategy<Value = &'static str> {
    select(&KEYS[..])
}

fn field() -> impl Strategy<Value = &'static str> {
    select(&FIELDS[..])
}

fn a_ref() -> impl Strategy<Value = Value> {
    select(&KEYS[..3]).prop_map(|key| Value::Ref(key.try_into().expect("a valid key")))
}

/// Few distinct list items, so anchors and removals often hit.
fn item() -> BoxedStrategy<Value> {
    prop_oneof![
        select(vec![1i64, 2]).prop_map(Value::from),
        Just(Value::from("x")),
        a_ref(),
    ]
    .boxed()
}

fn number() -> BoxedStrategy<Number> {
    prop_oneof![
        4 => select(vec![-1i64, 0, 1, 2, 1000]).prop_map(Number::from),
        1 => select(vec![i64::MAX, i64::MIN]).prop_map(Number::from),
        1 => Just(Number::from(u64::MAX)),
        1 => select(vec![0.5f64, -2.5, 1.7e308])
            .prop_map(|x| Number::from_f64(x).expect("finite")),
    ]
    .boxed()
}

fn list() -> BoxedStrategy<Value> {
    proptest::collection::vec(item(), 0..4)
        .prop_map(|items| Value::List(items.into_iter().collect()))
        .boxed()
}

fn value() -> BoxedStrategy<Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::from),
        2 => number().prop_map(Value::Number),
        1 => Just(Value::from("x")),
        1 => a_ref(),
        2 => list(),
        1 => Just(Value::Object(Entity::new().with("x", 1))),
    ]
    .boxed()
}

/// A field with a value that suits it more often than not (numbers in `n`, lists in `l`).
fn field_value() -> BoxedStrategy<(&'static str, Value)> {
    prop_oneof![
        2 => (Just("n"), prop_oneof![3 => number().prop_map(Value::Number), 1 => value()]),
        2 => (Just("l"), prop_oneof![3 => list(), 1 => value()]),
        3 => (select(vec!["a", "b"]), value()),
    ]
    .boxed()
}

fn pos() -> BoxedStrategy<Pos> {
    prop_oneof![
        Just(Pos::Start),
        Just(Pos::End),
        (0usize..4).prop_map(Pos::Index),
        item().prop_map(Pos::Before),
        item().prop_map(Pos::After),
    ]
    .boxed()
}

fn mop() -> BoxedStrategy<MOp> {
    let number_field = prop_oneof![4 => Just("n"), 1 => field()];
    let list_field = || prop_oneof![4 => Just("l"), 1 => field()];
    let updater = prop_oneof![
        Just(("double", Value::Null)),
        select(vec!["a", "b"]).prop_map(|field| ("toggle", Value::from(field))),
        prop_oneof![item(), Just(Value::Bool(true))].prop_map(|args| ("clear_if", args)),
    ];
    prop_oneof![
        4 => proptest::collection::vec(field_value(), 0..3).prop_map(MOp::Write),
        1 => field().prop_map(MOp::RemoveField),
        1 => Just(MOp::Delete),
        3 => (number_field, number()).prop_map(|(f, by)| MOp::Increment(f, by)),
        3 => (list_field(), item(), pos()).prop_map(|(f, item, at)| MOp::Insert(f, item, at)),
        2 => (list_field(), item()).prop_map(|(f, item)| MOp::RemoveItem(f, item)),
        2 => updater.prop_map(|(name, args)| MOp::Update(name, args)),
    ]
    .boxed()
}

pub(crate) fn ops(size: std::ops::Range<usize>) -> BoxedStrategy<Vec<KOp>> {
    proptest::collection::vec((key(), mop()).prop_map(|(key, op)| KOp { key, op }), size).boxed()
}

fn how() -> impl Strategy<Value = How> {
    prop_oneof![Just(How::Fail), Just(How::Promote), Just(How::Confirm)]
}

fn bad() -> impl Strategy<Value = Bad> {
    prop_oneof![Just(Bad::UnknownUpdater), Just(Bad::BadKey)]
}

// ----- the state machine -----

pub(crate) struct ModelTest;

impl ReferenceStateMachine for ModelTest {
    type State = Model;
    type Transition = Transition;

    fn init_state() -> BoxedStrategy<Model> {
        Just(Model::default()).boxed()
    }

    fn transitions(state: &Model) -> BoxedStrategy<Transition> {
        use Transition::*;
        // Weights out of 90 when every kind applies; settling ones need a pending layer.
        let next = u32::try_from(state.handles.len()).expect("few layers");
        let mut arms: Vec<(u32, BoxedStrategy<Transition>)> = vec![
            (12, ops(1..5).prop_map(Write).boxed()),
            (25, ops(1..6).prop_map(move |ops| Push(next, ops)).boxed()),
            (6, Just(Reserve(next)).boxed()),
            (4, (key(), field()).prop_map(|(k, f)| Read(k, f)).boxed()),
            (1, how().prop_map(Foreign).boxed()),
            (
                2,
                (ops(0..3), bad())
                    .prop_map(|(ops, bad)| RejectWrite(ops, bad))
                    .boxed(),
            ),
            (
                2,
                (ops(0..3), bad())
                    .prop_map(|(ops, bad)| RejectPush(ops, bad))
                    .boxed(),
            ),
        ];
        let pending: Vec<u32> = state
            .layers
            .iter()
            .filter(|layer| layer.state == LayerState::Pending)
            .map(|layer| layer.name)
            .collect();
        if !pending.is_empty() {
            let pick = || select(pending.clone());
            arms.push((9, pick().prop_map(Promote).boxed()));
            arms.push((
                9,
                (pick(), ops(0..5))
                    .prop_map(|(name, ops)| Confirm(name, ops))
                    .boxed(),
            ));
            arms.push((13, pick().prop_map(Fail).boxed()));
            arms.push((
                2,
                (pick(), ops(0..3), bad())
                    .prop_map(|(name, ops, bad)| RejectConfirm(name, ops, bad))
                    .boxed(),
            ));
        }
        let settled: Vec<u32> = state
            .handles
            .iter()
            .copied()
            .filter(|name| !state.is_pending(*name))
            .collect();
        if !settled.is_empty() {
            arms.push((
                5,
                (select(settled), how())
                    .prop_map(|(name, how)| SettleAgain(name, how))
                    .boxed(),
            ));
        }
        Union::new_weighted(arms).boxed()
    }

    fn preconditions(state: &Model, transition: &Transition) -> bool {
        use Transition::*;
        match transition {
            Push(name, _) | Reserve(name) => !state.handles.contains(name),
            Promote(name) | Confirm(name, _) | Fail(name) | RejectConfirm(name, _, _) => {
                state.is_pending(*name)
            }
            SettleAgain(name, _) => state.handles.contains(name) && !state.is_pending(*name),
            Write(_) | Foreign(_) | RejectWrite(..) | RejectPush(..) | Read(..) => true,
        }
    }

    fn apply(mut state: Model, transition: &Transition) -> Model {
        use Transition::*;
        let before = state.view();
        match transition {
            Write(ops) => state.write_base(ops),
            Push(name, ops) => {
                state.handles.push(*name);
                state.layers.push(RefLayer {
                    name: *name,
                    label: label(*name),
                    intent: true,
                    state: LayerState::Pending,
                    ops: ops.clone(),
                });
            }
            Reserve(name) => {
                // An observation never lands above an intent still in flight: it goes just
                // below the oldest pending intent, or on top when there is none.
                state.handles.push(*name);
                let at = state
                    .layers
                    .iter()
                    .position(|layer| layer.intent && layer.state == LayerState::Pending)
                    .unwrap_or(state.layers.len());
                state.layers.insert(
                    at,
                    RefLayer {
                        name: *name,
                        label: label(*name),
                        intent: false,
                        state: LayerState::Pending,
                        ops: Vec::new(),
                    },
                );
            }
            Promote(name) => {
                state.live_mut(*name).state = LayerState::Confirmed;
                state.squash();
            }
            Confirm(name, ops) => {
                let layer = state.live_mut(*name);
                layer.ops = ops.clone();
                layer.state = LayerState::Confirmed;
                state.squash();
            }
            Fail(name) => {
                state.layers.retain(|layer| layer.name != *name);
                state.squash();
            }
            SettleAgain(..) | Foreign(_) | RejectWrite(..) | RejectPush(..) | RejectConfirm(..)
            | Read(..) => {}
        }
        let after = state.view();
        state.changed = KEYS
            .into_iter()
            .filter(|key| before.get(key) != after.get(key))
            .collect();
        state.changed.sort_unstable();
        state
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Fate {
    Keep,
    Promote,
    Fail,
}

pub(crate) fn fate() -> impl Strategy<Value = Fate> {
    prop_oneof![Just(Fate::Keep), Just(Fate::Promote), Just(Fate::Fail)]
}

/// A list of `n` layer patches with a random order to settle them in.
pub(crate) fn layers_in_some_order(
    n: std::ops::Range<usize>,
) -> impl Strategy<Value = (Vec<Vec<KOp>>, Vec<usize>)> {
    proptest::collection::vec(ops(0..5), n).prop_flat_map(|layers| {
        let order: Vec<usize> = (0..layers.len()).collect();
        (Just(layers), Just(order).prop_shuffle())
    })
}
