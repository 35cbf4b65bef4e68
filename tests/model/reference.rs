//! The naive reference: the test's op language, and what every op means.
//!
//! Ops are plain test data ([`KOp`], one [`MOp`] on one key) whose `Debug` prints the helper
//! call that builds them, so a failing case pastes back as code. Each op is applied by the
//! reference's own implementation ([`ref_apply`]), written from the documentation in
//! `src/op.rs`; [`Model`](crate::model::Model) folds them. Nothing of the store is used but its
//! value types, so the two cannot share a bug.

use std::collections::BTreeMap;
use std::fmt;

use optimist::{Entity, Key, Value};
use serde_json::Number;

// ----- the key and field space: small, so that layers overlap heavily -----

/// The keys ops name. `Item` is versioned (on `v`, see `new_store`); `Note` and the root are not.
pub(crate) static KEYS: [&str; 5] = ["Item:1", "Item:2", "Item:3", "Note:1", "ROOT_QUERY"];
/// A key only remaps name (so the first remap onto it is onto a fresh key).
pub(crate) static FRESH: &str = "Item:4";
/// Names of temporary keys. The store mints keys of its own (`Item:tmp~17`); the test maps
/// each name to the key minted for it, so a failing case prints the same whatever the
/// program's counter was.
pub(crate) static TEMPS: [&str; 3] = ["Item:t0", "Item:t1", "Note:t2"];
pub(crate) static FIELDS: [&str; 5] = ["a", "b", "n", "l", "v"];
/// Store field names with arguments that ops write and remove (never read by a document):
/// variants of `a`, for field invalidation and eviction by name or by exact name.
pub(crate) static ARG_FIELDS: [&str; 2] = [r#"a({"p":1})"#, r#"a({"p":2})"#];
/// The version field of versioned types.
pub(crate) static VERSION: &str = "v";

/// Every key the reference may hold an entity under.
pub(crate) fn all_keys() -> impl Iterator<Item = &'static str> {
    KEYS.into_iter().chain([FRESH]).chain(TEMPS)
}

/// The version field of `key`'s type: `Item` is versioned on `v`.
pub(crate) fn version_field(key: &str) -> Option<&'static str> {
    (key.split(':').next() == Some("Item")).then_some(VERSION)
}

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
    /// Field, item, position, and whether the insert is unique.
    Insert(&'static str, Value, Pos, bool),
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
        op: MOp::Insert(field, Value::from_json(item), at, false),
    }
}

pub(crate) fn insert_unique(
    key: &'static str,
    field: &'static str,
    item: serde_json::Value,
    at: Pos,
) -> KOp {
    KOp {
        key,
        op: MOp::Insert(field, Value::from_json(item), at, true),
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
            MOp::Insert(field, item, at, unique) => {
                let name = if *unique { "insert_unique" } else { "insert" };
                write!(f, "{name}({key:?}, {field:?}, {}, {at:?})", Json(item))
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

// ----- renaming refs -----

/// `value` with every ref for which `rename` gives a key renamed to it, at any depth.
pub(crate) fn rename_value(value: &Value, rename: &impl Fn(&str) -> Option<Key>) -> Value {
    match value {
        Value::Ref(key) => Value::Ref(rename(key.as_str()).unwrap_or_else(|| key.clone())),
        Value::List(items) => Value::List(
            items
                .iter()
                .map(|item| rename_value(item, rename))
                .collect(),
        ),
        Value::Object(fields) => {
            Value::Object(fields.iter().fold(Entity::new(), |e, (name, v)| {
                e.with(name.as_str(), rename_value(v, rename))
            }))
        }
        other => other.clone(),
    }
}

/// `op` with its refs renamed: in written values, list items and anchors, updater arguments.
pub(crate) fn rename_op(op: &MOp, rename: &impl Fn(&str) -> Option<Key>) -> MOp {
    let value = |v: &Value| rename_value(v, rename);
    match op {
        MOp::Write(fields) => MOp::Write(fields.iter().map(|(n, v)| (*n, value(v))).collect()),
        MOp::Insert(field, item, at, unique) => {
            let at = match at {
                Pos::Before(anchor) => Pos::Before(value(anchor)),
                Pos::After(anchor) => Pos::After(value(anchor)),
                other => other.clone(),
            };
            MOp::Insert(field, value(item), at, *unique)
        }
        MOp::RemoveItem(field, item) => MOp::RemoveItem(field, value(item)),
        MOp::Update(name, args) => MOp::Update(name, value(args)),
        MOp::RemoveField(_) | MOp::Delete | MOp::Increment(..) => op.clone(),
    }
}

/// The keys `op`'s values reference, at any depth.
pub(crate) fn refs_of(op: &MOp) -> Vec<String> {
    fn walk(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Ref(key) => out.push(key.as_str().to_owned()),
            Value::List(items) => items.iter().for_each(|item| walk(item, out)),
            Value::Object(fields) => fields.iter().for_each(|(_, v)| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    match op {
        MOp::Write(fields) => fields.iter().for_each(|(_, v)| walk(v, &mut out)),
        MOp::Insert(_, item, at, _) => {
            walk(item, &mut out);
            if let Pos::Before(anchor) | Pos::After(anchor) = at {
                walk(anchor, &mut out);
            }
        }
        MOp::RemoveItem(_, item) => walk(item, &mut out),
        MOp::Update(_, args) => walk(args, &mut out),
        MOp::RemoveField(_) | MOp::Delete | MOp::Increment(..) => {}
    }
    out
}

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
pub(crate) fn ref_apply(entity: Option<Fields>, op: &MOp) -> Option<Fields> {
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
        MOp::Insert(field, item, at, unique) => entity.map(|mut entity| {
            let list: Option<Vec<Value>> = match entity.get(*field) {
                None | Some(Value::Null) => Some(Vec::new()),
                Some(Value::List(items)) => Some(items.iter().cloned().collect()),
                Some(_) => None,
            };
            if let Some(mut list) = list
                && !(*unique && list.contains(item))
            {
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

/// A field name as the `&'static str` ops carry (every field the test writes is in
/// [`FIELDS`] or [`ARG_FIELDS`]; another name is leaked, which only a test can afford).
pub(crate) fn leak(name: &str) -> &'static str {
    FIELDS
        .iter()
        .chain(&ARG_FIELDS)
        .find(|field| **field == name)
        .copied()
        .unwrap_or_else(|| Box::leak(name.to_owned().into_boxed_str()))
}
