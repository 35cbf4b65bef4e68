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

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use optimist::{
    Changes, ConfirmError, Entity, LayerError, LayerId, LayerState, ListPosition, Patch,
    PatchError, Store, Value,
};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::Union;
use proptest::test_runner::{Config, FileFailurePersistence, contextualize_config};
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};
use serde_json::{Number, json};

// ----- the key and field space: small, so that layers overlap heavily -----

static KEYS: [&str; 4] = ["Item:1", "Item:2", "Item:3", "ROOT_QUERY"];
static FIELDS: [&str; 4] = ["a", "b", "n", "l"];

// ----- ops as test data -----

/// One op on one key, as the reference sees it. `Debug` prints the helper call that builds it.
#[derive(Clone, PartialEq)]
struct KOp {
    key: &'static str,
    op: MOp,
}

#[derive(Clone, PartialEq, Debug)]
enum MOp {
    Write(Vec<(&'static str, Value)>),
    RemoveField(&'static str),
    Delete,
    Increment(&'static str, Number),
    Insert(&'static str, Value, Pos),
    RemoveItem(&'static str, Value),
    Update(&'static str, Value),
}

#[derive(Clone, PartialEq)]
enum Pos {
    Start,
    End,
    Index(usize),
    Before(Value),
    After(Value),
}

// Constructors, named as `Debug` prints them, so a failing case pastes back as code.

fn write<const N: usize>(key: &'static str, fields: [(&'static str, serde_json::Value); N]) -> KOp {
    let fields = fields
        .into_iter()
        .map(|(name, value)| (name, Value::from_json(value)))
        .collect();
    KOp {
        key,
        op: MOp::Write(fields),
    }
}

fn remove_field(key: &'static str, field: &'static str) -> KOp {
    KOp {
        key,
        op: MOp::RemoveField(field),
    }
}

fn delete(key: &'static str) -> KOp {
    KOp {
        key,
        op: MOp::Delete,
    }
}

fn inc(key: &'static str, field: &'static str, by: serde_json::Value) -> KOp {
    let serde_json::Value::Number(by) = by else {
        panic!("inc takes a number, not {by}")
    };
    KOp {
        key,
        op: MOp::Increment(field, by),
    }
}

fn insert(key: &'static str, field: &'static str, item: serde_json::Value, at: Pos) -> KOp {
    KOp {
        key,
        op: MOp::Insert(field, Value::from_json(item), at),
    }
}

fn remove_item(key: &'static str, field: &'static str, item: serde_json::Value) -> KOp {
    KOp {
        key,
        op: MOp::RemoveItem(field, Value::from_json(item)),
    }
}

fn update(key: &'static str, name: &'static str, args: serde_json::Value) -> KOp {
    KOp {
        key,
        op: MOp::Update(name, Value::from_json(args)),
    }
}

fn start() -> Pos {
    Pos::Start
}

fn end() -> Pos {
    Pos::End
}

fn at(index: usize) -> Pos {
    Pos::Index(index)
}

fn before(anchor: serde_json::Value) -> Pos {
    Pos::Before(Value::from_json(anchor))
}

fn after(anchor: serde_json::Value) -> Pos {
    Pos::After(Value::from_json(anchor))
}

/// Prints a value as `json!(..)` input that builds it again (refs in Apollo's `__ref` form,
/// integers outside `i32` with a suffix so the literal type-checks).
struct Json<'a>(&'a Value);

impl fmt::Display for Json<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "json!(")?;
        tokens(self.0, f)?;
        write!(f, ")")
    }
}

fn tokens(value: &Value, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match value {
        Value::Null => write!(f, "null"),
        Value::Bool(b) => write!(f, "{b}"),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) if i32::try_from(i).is_ok() => write!(f, "{i}"),
            (Some(i), _, _) => write!(f, "{i}i64"),
            (None, Some(u), _) => write!(f, "{u}u64"),
            (_, _, Some(x)) => write!(f, "{x:?}"),
            _ => write!(f, "{n}"),
        },
        Value::String(s) => write!(f, "{:?}", &**s),
        Value::Ref(key) => write!(f, "{{\"__ref\": {:?}}}", key.as_str()),
        Value::List(items) => {
            write!(f, "[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    write!(f, ", ")?;
                }
                tokens(item, f)?;
            }
            write!(f, "]")
        }
        Value::Object(fields) => {
            write!(f, "{{")?;
            for (i, (name, item)) in fields.iter().enumerate() {
                if i > 0 {
                    write!(f, ", ")?;
                }
                write!(f, "{:?}: ", name.as_str())?;
                tokens(item, f)?;
            }
            write!(f, "}}")
        }
    }
}

impl fmt::Debug for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pos::Start => write!(f, "start()"),
            Pos::End => write!(f, "end()"),
            Pos::Index(i) => write!(f, "at({i})"),
            Pos::Before(anchor) => write!(f, "before({})", Json(anchor)),
            Pos::After(anchor) => write!(f, "after({})", Json(anchor)),
        }
    }
}

impl fmt::Debug for KOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = self.key;
        match &self.op {
            MOp::Write(fields) => {
                write!(f, "write({key:?}, [")?;
                for (i, (name, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "({name:?}, {})", Json(value))?;
                }
                write!(f, "])")
            }
            MOp::RemoveField(field) => write!(f, "remove_field({key:?}, {field:?})"),
            MOp::Delete => write!(f, "delete({key:?})"),
            MOp::Increment(field, by) => {
                let by = Value::Number(by.clone());
                write!(f, "inc({key:?}, {field:?}, {})", Json(&by))
            }
            MOp::Insert(field, item, at) => {
                write!(f, "insert({key:?}, {field:?}, {}, {at:?})", Json(item))
            }
            MOp::RemoveItem(field, item) => {
                write!(f, "remove_item({key:?}, {field:?}, {})", Json(item))
            }
            MOp::Update(name, args) => write!(f, "update({key:?}, {name:?}, {})", Json(args)),
        }
    }
}

/// Prints ops as a `vec![..]` literal.
struct Ops<'a>(&'a [KOp]);

impl fmt::Debug for Ops<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "vec![")?;
        for (i, op) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{op:?}")?;
        }
        write!(f, "]")
    }
}

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

// ----- the reference -----

/// An entity in the reference: field name to value.
type Fields = BTreeMap<String, Value>;
/// Entities by key.
type Entities = BTreeMap<&'static str, Fields>;

/// `a + b` as `Op::Increment` documents it: integers stay integers while the sum fits in 64
/// bits (signed or unsigned), become floats beyond; a non-finite float sum is no sum.
fn ref_sum(a: &Number, b: &Number) -> Option<Number> {
    let as_int = |n: &Number| {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    };
    if let (Some(x), Some(y)) = (as_int(a), as_int(b)) {
        let total = x + y;
        if let Ok(small) = i64::try_from(total) {
            return Some(Number::from(small));
        }
        if let Ok(big) = u64::try_from(total) {
            return Some(Number::from(big));
        }
    }
    let total = a.as_f64()? + b.as_f64()?;
    if total.is_finite() {
        Number::from_f64(total)
    } else {
        None
    }
}

/// The reference's own updaters, written against `Fields`; `new_store` registers the same ones
/// written against `Entity`.
fn ref_updater(name: &str, entity: Option<Fields>, args: &Value) -> Option<Fields> {
    match name {
        // Doubles an integer `n`; anything else (absent, float, overflow) is left as it is.
        "double" => {
            let mut entity = entity?;
            let doubled = entity
                .get("n")
                .and_then(Value::as_i64)
                .and_then(|n| n.checked_mul(2));
            if let Some(doubled) = doubled {
                entity.insert("n".into(), Value::from(doubled));
            }
            Some(entity)
        }
        // Negates the bool field named by `args`; a non-bool or absent field becomes `true`, an
        // absent entity is created.
        "toggle" => {
            let Some(field) = args.as_str() else {
                return entity;
            };
            let mut entity = entity.unwrap_or_default();
            let now = !matches!(entity.get(field), Some(Value::Bool(true)));
            entity.insert(field.into(), Value::Bool(now));
            Some(entity)
        }
        // Deletes the entity when its field `a` equals `args`.
        "clear_if" => {
            let entity = entity?;
            if entity.get("a") == Some(args) {
                None
            } else {
                Some(entity)
            }
        }
        other => panic!("the reference has no updater `{other}`"),
    }
}

/// One op applied to one entity, from `Op`'s documentation.
fn ref_apply(entity: Option<Fields>, op: &MOp) -> Option<Fields> {
    match op {
        MOp::Write(fields) => {
            let mut entity = entity.unwrap_or_default();
            for (name, value) in fields {
                entity.insert((*name).into(), value.clone());
            }
            Some(entity)
        }
        MOp::RemoveField(field) => entity.map(|mut entity| {
            entity.remove(*field);
            entity
        }),
        MOp::Delete => None,
        MOp::Increment(field, by) => entity.map(|mut entity| {
            let next = match entity.get(*field) {
                None | Some(Value::Null) => Some(by.clone()),
                Some(Value::Number(n)) => ref_sum(n, by),
                Some(_) => None,
            };
            if let Some(next) = next {
                entity.insert((*field).into(), Value::Number(next));
            }
            entity
        }),
        MOp::Insert(field, item, at) => entity.map(|mut entity| {
            let list: Option<Vec<Value>> = match entity.get(*field) {
                None | Some(Value::Null) => Some(Vec::new()),
                Some(Value::List(items)) => Some(items.iter().cloned().collect()),
                Some(_) => None,
            };
            if let Some(mut list) = list {
                let first = |anchor: &Value| list.iter().position(|v| v == anchor);
                let index = match at {
                    Pos::Start => 0,
                    Pos::End => list.len(),
                    Pos::Index(i) => (*i).min(list.len()),
                    Pos::Before(anchor) => first(anchor).unwrap_or(list.len()),
                    Pos::After(anchor) => first(anchor).map_or(list.len(), |i| i + 1),
                };
                list.insert(index, item.clone());
                entity.insert((*field).into(), Value::List(list.into_iter().collect()));
            }
            entity
        }),
        MOp::RemoveItem(field, item) => entity.map(|mut entity| {
            if let Some(Value::List(items)) = entity.get(*field) {
                let kept = items.iter().filter(|v| *v != item).cloned().collect();
                entity.insert((*field).into(), Value::List(kept));
            }
            entity
        }),
        MOp::Update(name, args) => ref_updater(name, entity, args),
    }
}

/// A live layer of the reference.
#[derive(Clone, Debug)]
struct RefLayer {
    /// The transition-level name of the layer; its index in `Model::handles` is its index in
    /// the test's `ids`.
    name: u32,
    label: String,
    state: LayerState,
    ops: Vec<KOp>,
}

/// The reference: confirmed base, live layers in request order, and every layer ever created.
#[derive(Clone, Default)]
struct Model {
    base: Entities,
    /// Live layers, oldest first.
    layers: Vec<RefLayer>,
    /// The name of every layer ever pushed or reserved, in creation order: handle `i` is the
    /// test's `ids[i]`.
    handles: Vec<u32>,
    /// The view keys the last transition changed, sorted.
    changed: Vec<&'static str>,
}

/// Only the initial state is ever printed (it heads a failing case), and it is always empty.
impl fmt::Debug for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.base.is_empty() && self.layers.is_empty() && self.handles.is_empty() {
            return write!(f, "Model::default()");
        }
        f.debug_struct("Model")
            .field("base", &self.base)
            .field("layers", &self.layers)
            .finish_non_exhaustive()
    }
}

impl Model {
    /// The view, folded from scratch: base, then every live layer's ops in request order.
    fn view(&self) -> Entities {
        let mut view = Entities::new();
        for key in KEYS {
            let folded = self
                .layers
                .iter()
                .flat_map(|layer| &layer.ops)
                .filter(|op| op.key == key)
                .fold(self.base.get(key).cloned(), |entity, op| {
                    ref_apply(entity, &op.op)
                });
            if let Some(entity) = folded {
                view.insert(key, entity);
            }
        }
        view
    }

    fn write_base(&mut self, ops: &[KOp]) {
        for KOp { key, op } in ops {
            match ref_apply(self.base.remove(key), op) {
                Some(entity) => self.base.insert(key, entity),
                None => None,
            };
        }
    }

    /// While the oldest live layer is confirmed, fold it into base and drop it.
    fn squash(&mut self) {
        while self
            .layers
            .first()
            .is_some_and(|layer| layer.state == LayerState::Confirmed)
        {
            let layer = self.layers.remove(0);
            self.write_base(&layer.ops);
        }
    }

    fn live(&self, name: u32) -> Option<&RefLayer> {
        self.layers.iter().find(|layer| layer.name == name)
    }

    fn live_mut(&mut self, name: u32) -> &mut RefLayer {
        self.layers
            .iter_mut()
            .find(|layer| layer.name == name)
            .expect("preconditions keep names live")
    }

    fn is_pending(&self, name: u32) -> bool {
        self.live(name)
            .is_some_and(|layer| layer.state == LayerState::Pending)
    }

    fn handle(&self, name: u32) -> usize {
        self.handles
            .iter()
            .position(|n| *n == name)
            .expect("preconditions keep names known")
    }
}

// ----- transitions -----

/// How a layer is settled.
#[derive(Clone, Copy, Debug, PartialEq)]
enum How {
    Fail,
    Promote,
    Confirm,
}

/// What makes a patch unacceptable.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Bad {
    UnknownUpdater,
    BadKey,
}

/// One step. Layers are named by the number given when they are pushed or reserved.
#[derive(Clone)]
enum Transition {
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

fn label(name: u32) -> String {
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

fn ops(size: std::ops::Range<usize>) -> BoxedStrategy<Vec<KOp>> {
    proptest::collection::vec((key(), mop()).prop_map(|(key, op)| KOp { key, op }), size).boxed()
}

fn how() -> impl Strategy<Value = How> {
    prop_oneof![Just(How::Fail), Just(How::Promote), Just(How::Confirm)]
}

fn bad() -> impl Strategy<Value = Bad> {
    prop_oneof![Just(Bad::UnknownUpdater), Just(Bad::BadKey)]
}

// ----- the state machine -----

struct ModelTest;

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
                    state: LayerState::Pending,
                    ops: ops.clone(),
                });
            }
            Reserve(name) => {
                state.handles.push(*name);
                state.layers.push(RefLayer {
                    name: *name,
                    label: label(*name),
                    state: LayerState::Pending,
                    ops: Vec::new(),
                });
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

        type Shown = (LayerId, String, LayerState, BTreeSet<String>);
        let layers: Vec<Shown> = store
            .layers()
            .map(|layer| {
                let keys = layer.keys().map(|key| key.to_string()).collect();
                (layer.id(), layer.label().to_owned(), layer.state(), keys)
            })
            .collect();
        let want: Vec<Shown> = model
            .layers
            .iter()
            .map(|layer| {
                let keys = layer.ops.iter().map(|op| op.key.to_owned()).collect();
                let id = sut.id(model, layer.name);
                (id, layer.label.clone(), layer.state, keys)
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

#[derive(Clone, Copy, Debug, PartialEq)]
enum Fate {
    Keep,
    Promote,
    Fail,
}

fn fate() -> impl Strategy<Value = Fate> {
    prop_oneof![Just(Fate::Keep), Just(Fate::Promote), Just(Fate::Fail)]
}

/// A list of `n` layer patches with a random order to settle them in.
fn layers_in_some_order(
    n: std::ops::Range<usize>,
) -> impl Strategy<Value = (Vec<Vec<KOp>>, Vec<usize>)> {
    proptest::collection::vec(ops(0..5), n).prop_flat_map(|layers| {
        let order: Vec<usize> = (0..layers.len()).collect();
        (Just(layers), Just(order).prop_shuffle())
    })
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
        let mut store = new_store();
        store.write(patch(&base)).unwrap();
        let ids: Vec<LayerId> = layers
            .iter()
            .enumerate()
            .map(|(i, ops)| store.push(&format!("layer {i}"), patch(ops)).unwrap().0)
            .collect();

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
        let mut store = new_store();
        store.write(patch(&base)).unwrap();
        let ids: Vec<LayerId> = layers
            .iter()
            .enumerate()
            .map(|(i, ops)| store.push(&format!("layer {i}"), patch(ops)).unwrap().0)
            .collect();
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
