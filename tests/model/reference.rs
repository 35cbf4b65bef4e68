//! The naive reference: the test's op language, and what every op means.
//!
//! Ops are plain test data ([`KOp`], one [`MOp`] on one key) whose `Debug` prints the helper
//! call that builds them, so a failing case pastes back as code. [`Model`] keeps a `BTreeMap`
//! base and a `Vec` of layers in request order and folds the view from scratch on every check,
//! applying each op with its own implementation written from the documentation in `src/op.rs`.
//! It uses nothing of the store but its value and layer-state types, so the two cannot share a
//! bug.

use std::collections::BTreeMap;
use std::fmt;

use optimist::{LayerState, Value};
use serde_json::Number;

// ----- the key and field space: small, so that layers overlap heavily -----

pub(crate) static KEYS: [&str; 4] = ["Item:1", "Item:2", "Item:3", "ROOT_QUERY"];
pub(crate) static FIELDS: [&str; 4] = ["a", "b", "n", "l"];

// ----- ops as test data -----

/// One op on one key, as the reference sees it. `Debug` prints the helper call that builds it.
#[derive(Clone, PartialEq)]
pub(crate) struct KOp {
    pub(crate) key: &'static str,
    pub(crate) op: MOp,
}

#[derive(Clone, PartialEq, Debug)]
pub(crate) enum MOp {
    Write(Vec<(&'static str, Value)>),
    RemoveField(&'static str),
    Delete,
    Increment(&'static str, Number),
    Insert(&'static str, Value, Pos),
    RemoveItem(&'static str, Value),
    Update(&'static str, Value),
}

#[derive(Clone, PartialEq)]
pub(crate) enum Pos {
    Start,
    End,
    Index(usize),
    Before(Value),
    After(Value),
}

// Constructors, named as `Debug` prints them, so a failing case pastes back as code.

pub(crate) fn write<const N: usize>(
    key: &'static str,
    fields: [(&'static str, serde_json::Value); N],
) -> KOp {
    let fields = fields
        .into_iter()
        .map(|(name, value)| (name, Value::from_json(value)))
        .collect();
    KOp {
        key,
        op: MOp::Write(fields),
    }
}

pub(crate) fn remove_field(key: &'static str, field: &'static str) -> KOp {
    KOp {
        key,
        op: MOp::RemoveField(field),
    }
}

pub(crate) fn delete(key: &'static str) -> KOp {
    KOp {
        key,
        op: MOp::Delete,
    }
}

pub(crate) fn inc(key: &'static str, field: &'static str, by: serde_json::Value) -> KOp {
    let serde_json::Value::Number(by) = by else {
        panic!("inc takes a number, not {by}")
    };
    KOp {
        key,
        op: MOp::Increment(field, by),
    }
}

pub(crate) fn insert(
    key: &'static str,
    field: &'static str,
    item: serde_json::Value,
    at: Pos,
) -> KOp {
    KOp {
        key,
        op: MOp::Insert(field, Value::from_json(item), at),
    }
}

pub(crate) fn remove_item(key: &'static str, field: &'static str, item: serde_json::Value) -> KOp {
    KOp {
        key,
        op: MOp::RemoveItem(field, Value::from_json(item)),
    }
}

pub(crate) fn update(key: &'static str, name: &'static str, args: serde_json::Value) -> KOp {
    KOp {
        key,
        op: MOp::Update(name, Value::from_json(args)),
    }
}

pub(crate) fn start() -> Pos {
    Pos::Start
}

pub(crate) fn end() -> Pos {
    Pos::End
}

pub(crate) fn at(index: usize) -> Pos {
    Pos::Index(index)
}

pub(crate) fn before(anchor: serde_json::Value) -> Pos {
    Pos::Before(Value::from_json(anchor))
}

pub(crate) fn after(anchor: serde_json::Value) -> Pos {
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
pub(crate) struct Ops<'a>(pub(crate) &'a [KOp]);

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

// ----- the reference -----

/// An entity in the reference: field name to value.
pub(crate) type Fields = BTreeMap<String, Value>;
/// Entities by key.
pub(crate) type Entities = BTreeMap<&'static str, Fields>;

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
pub(crate) struct RefLayer {
    /// The transition-level name of the layer; its index in `Model::handles` is its index in
    /// the test's `ids`.
    pub(crate) name: u32,
    pub(crate) label: String,
    /// A mutation (pushed) rather than an observation (reserved).
    pub(crate) intent: bool,
    pub(crate) state: LayerState,
    pub(crate) ops: Vec<KOp>,
}

/// The reference: confirmed base, live layers in request order, and every layer ever created.
#[derive(Clone, Default)]
pub(crate) struct Model {
    pub(crate) base: Entities,
    /// Live layers, bottom first.
    pub(crate) layers: Vec<RefLayer>,
    /// The name of every layer ever pushed or reserved, in creation order: handle `i` is the
    /// test's `ids[i]`.
    pub(crate) handles: Vec<u32>,
    /// The view keys the last transition changed, sorted.
    pub(crate) changed: Vec<&'static str>,
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
    pub(crate) fn view(&self) -> Entities {
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

    pub(crate) fn write_base(&mut self, ops: &[KOp]) {
        for KOp { key, op } in ops {
            match ref_apply(self.base.remove(key), op) {
                Some(entity) => self.base.insert(key, entity),
                None => None,
            };
        }
    }

    /// While the oldest live layer is confirmed, fold it into base and drop it.
    pub(crate) fn squash(&mut self) {
        while self
            .layers
            .first()
            .is_some_and(|layer| layer.state == LayerState::Confirmed)
        {
            let layer = self.layers.remove(0);
            self.write_base(&layer.ops);
        }
    }

    pub(crate) fn live(&self, name: u32) -> Option<&RefLayer> {
        self.layers.iter().find(|layer| layer.name == name)
    }

    pub(crate) fn live_mut(&mut self, name: u32) -> &mut RefLayer {
        self.layers
            .iter_mut()
            .find(|layer| layer.name == name)
            .expect("preconditions keep names live")
    }

    pub(crate) fn is_pending(&self, name: u32) -> bool {
        self.live(name)
            .is_some_and(|layer| layer.state == LayerState::Pending)
    }

    pub(crate) fn handle(&self, name: u32) -> usize {
        self.handles
            .iter()
            .position(|n| *n == name)
            .expect("preconditions keep names known")
    }
}
