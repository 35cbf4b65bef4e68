//! Field operations and how they apply to one entity.
//!
//! An [`Op`] is plain data that targets one entity. Applying it needs nothing but that entity
//! (and, for [`Op::Update`], the registry of named updaters), which is why this module knows
//! nothing of layers or of the store: folding the ops of every layer over a key is all the
//! store ever does with them, and an op that is re-applied on a different entity (because a
//! layer below it failed, or the server wrote underneath it) rebases by construction.
//!
//! Every op is total: on an absent entity or a field of the wrong type it has a defined,
//! documented result, so applying never fails and a fold can always be recomputed.

use std::collections::HashMap;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Arc;

use serde_json::Number;

use crate::entity::{Entity, set_field};
use crate::field::FieldName;
use crate::value::{List, Value};

/// One change to one entity.
///
/// What each op does to an absent entity or to a field of an unexpected type is part of its
/// definition (below); no op ever fails.
///
/// ```
/// use optimist::{Entity, ListPosition, Op, Updaters, Value, apply};
///
/// let todo = Entity::new().with("count", 9000).with("tags", Value::from(vec!["a"]));
/// let ops = [
///     Op::Increment { field: "count".into(), by: 1000.into() },
///     Op::ListInsert { field: "tags".into(), item: "b".into(), at: ListPosition::End, unique: false },
/// ];
/// let after = apply(Some(&todo), &ops, &Updaters::new()).unwrap();
/// assert_eq!(after.get("count"), Some(&Value::from(10000)));
/// assert_eq!(after.get("tags"), Some(&Value::from(vec!["a", "b"])));
/// ```
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Writes these fields, keeping the entity's other fields. Creates the entity if it is
    /// absent (with just these fields). Setting one field is a write of a one-field entity.
    Write(Entity),
    /// Removes one field. No effect if the entity or the field is absent.
    RemoveField(FieldName),
    /// Deletes the entity: it reads as absent until an op above writes it again.
    Delete,
    /// Adds `by` to a number field. An absent or `null` field counts as 0. When both numbers
    /// are integers the sum is exact, kept as an integer while it fits in `i64` or `u64`;
    /// otherwise (a float on either side, or an integer sum beyond 64 bits) it is
    /// `a as f64 + b as f64`, and a float sum that is not finite leaves the field unchanged.
    /// No effect on an absent entity or on a field that holds something other than a number
    /// or `null`.
    Increment {
        /// The number field.
        field: FieldName,
        /// The amount to add (may be negative or fractional).
        by: Number,
    },
    /// Inserts `item` into a list field at `at`. An absent or `null` field counts as an empty
    /// list. No effect on an absent entity or on a field that holds something other than a list
    /// or `null`. A `unique` insert is also no effect when the list already holds an item equal
    /// to `item` (refs compare by key): an append that a refetch may have made already, such as
    /// a created item's ref.
    ListInsert {
        /// The list field.
        field: FieldName,
        /// The item to insert.
        item: Value,
        /// Where to insert it.
        at: ListPosition,
        /// Whether to skip the insert when an equal item is already in the list.
        unique: bool,
    },
    /// Removes every item equal to `item` from a list field. No effect on an absent entity, an
    /// absent field, or a field that is not a list.
    ListRemove {
        /// The list field.
        field: FieldName,
        /// The item to remove.
        item: Value,
    },
    /// Calls the updater registered under `name` with the entity (or `None`) and `args`; its
    /// result (`None` deletes) replaces the entity. The store rejects a layer that names an
    /// unregistered updater, so when an op is applied its updater exists.
    Update {
        /// The registered name of the updater.
        name: Arc<str>,
        /// Arguments handed to the updater.
        args: Value,
    },
}

impl fmt::Debug for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Write(fields) => write!(f, "write {fields:?}"),
            Op::RemoveField(field) => write!(f, "remove .{field}"),
            Op::Delete => f.write_str("delete"),
            Op::Increment { field, by } => write!(f, ".{field} += {by}"),
            Op::ListInsert {
                field,
                item,
                at,
                unique,
            } => {
                let unique = if *unique { " unique" } else { "" };
                write!(f, ".{field} insert{unique} {item:?} {at:?}")
            }
            Op::ListRemove { field, item } => write!(f, ".{field} remove {item:?}"),
            Op::Update { name, args } => write!(f, "update {name}({args:?})"),
        }
    }
}

/// Where [`Op::ListInsert`] puts its item.
///
/// ```
/// use optimist::{Entity, ListPosition, Op, Updaters, Value, apply};
///
/// let e = Entity::new().with("l", Value::from(vec![1, 3]));
/// let insert = |at| Op::ListInsert { field: "l".into(), item: 2.into(), at, unique: false };
/// let get = |op| apply(Some(&e), &[op], &Updaters::new()).unwrap().get("l").cloned().unwrap();
/// assert_eq!(get(insert(ListPosition::Start)), Value::from(vec![2, 1, 3]));
/// assert_eq!(get(insert(ListPosition::Index(1))), Value::from(vec![1, 2, 3]));
/// assert_eq!(get(insert(ListPosition::Before(3.into()))), Value::from(vec![1, 2, 3]));
/// assert_eq!(get(insert(ListPosition::After(1.into()))), Value::from(vec![1, 2, 3]));
/// assert_eq!(get(insert(ListPosition::After(7.into()))), Value::from(vec![1, 3, 2]));
/// ```
#[derive(Clone, PartialEq, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListPosition {
    /// Before the first item.
    Start,
    /// After the last item.
    End,
    /// At this index; an index past the end means the end.
    Index(usize),
    /// Before the first item equal to this one; at the end if no item is equal.
    Before(Value),
    /// After the first item equal to this one; at the end if no item is equal.
    After(Value),
}

/// A named updater: given the entity (or `None` if absent) and the op's arguments, returns the
/// new entity (or `None` to delete it). It must be a pure function of its inputs: the store
/// re-runs it whenever what lies below its layer changes.
///
/// ```
/// use std::sync::Arc;
/// let clear: Arc<optimist::UpdaterFn> = Arc::new(|_entity, _args| None);
/// assert!(clear(None, &optimist::Value::Null).is_none());
/// ```
pub type UpdaterFn = dyn Fn(Option<&Entity>, &Value) -> Option<Entity> + Send + Sync;

/// A panic out of an updater, as it unwinds through the store: the store call that ran the
/// updater catches it, puts the store back as it was before the call, and resumes the
/// updater's own panic (`Store::exact`).
pub(crate) struct UpdaterPanic(pub(crate) Box<dyn std::any::Any + Send>);

/// The registry of named updaters that [`Op::Update`] calls.
///
/// ```
/// use optimist::{Entity, Op, Updaters, Value, apply};
///
/// let mut updaters = Updaters::new();
/// updaters.register("toggle", |entity, _args| {
///     let entity = entity?.clone();
///     let done = entity.get("done").and_then(Value::as_bool).unwrap_or(false);
///     Some(entity.with("done", !done))
/// })?;
/// let op = Op::Update { name: "toggle".into(), args: Value::Null };
/// let todo = Entity::new().with("done", false);
/// assert_eq!(apply(Some(&todo), &[op], &updaters).unwrap().get("done"), Some(&Value::from(true)));
/// # Ok::<(), optimist::DuplicateUpdater>(())
/// ```
#[derive(Clone, Default)]
pub struct Updaters {
    by_name: HashMap<Arc<str>, Arc<UpdaterFn>>,
    /// How many of them are the crate's own (the connection edits): code that cannot panic,
    /// so a store with only these keeps no copy to put back (`Store::exact`).
    builtins: usize,
}

impl Updaters {
    /// An empty registry.
    ///
    /// ```
    /// assert!(!optimist::Updaters::new().contains("x"));
    /// ```
    pub fn new() -> Updaters {
        Updaters::default()
    }

    /// Registers `updater` under `name`. A name can be registered once: replacing an updater
    /// would silently change what layers already pushed mean.
    ///
    /// ```
    /// let mut updaters = optimist::Updaters::new();
    /// updaters.register("noop", |e, _| e.cloned())?;
    /// assert!(updaters.register("noop", |e, _| e.cloned()).is_err());
    /// # Ok::<(), optimist::DuplicateUpdater>(())
    /// ```
    pub fn register<F>(&mut self, name: &str, updater: F) -> Result<(), DuplicateUpdater>
    where
        F: Fn(Option<&Entity>, &Value) -> Option<Entity> + Send + Sync + 'static,
    {
        if self.by_name.contains_key(name) {
            return Err(DuplicateUpdater { name: name.into() });
        }
        self.by_name.insert(Arc::from(name), Arc::new(updater));
        Ok(())
    }

    /// A registry holding the updaters every store has: the connection edits of list
    /// directives ([`CONNECTION_INSERT`](crate::CONNECTION_INSERT),
    /// [`CONNECTION_REMOVE`](crate::CONNECTION_REMOVE)).
    pub(crate) fn with_builtins() -> Updaters {
        let mut updaters = Updaters::new();
        for (name, updater) in crate::connection::updaters() {
            updaters.register_shared(name, updater);
            updaters.builtins += 1;
        }
        updaters
    }

    /// Whether an updater of the app's is registered (its own, or a field policy's merge):
    /// code that may panic while a call changes the store.
    pub(crate) fn runs_app_code(&self) -> bool {
        self.by_name.len() > self.builtins
    }

    /// Registers an updater already shared (a field policy's merge, by the store).
    pub(crate) fn register_shared(&mut self, name: &str, updater: Arc<UpdaterFn>) {
        self.by_name.insert(Arc::from(name), updater);
    }

    /// Whether an updater is registered under `name`.
    ///
    /// ```
    /// let mut updaters = optimist::Updaters::new();
    /// updaters.register("noop", |e, _| e.cloned())?;
    /// assert!(updaters.contains("noop"));
    /// # Ok::<(), optimist::DuplicateUpdater>(())
    /// ```
    pub fn contains(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    /// The registered names, in no particular order.
    ///
    /// ```
    /// let mut updaters = optimist::Updaters::new();
    /// updaters.register("a", |e, _| e.cloned())?;
    /// assert_eq!(updaters.names().collect::<Vec<_>>(), ["a"]);
    /// # Ok::<(), optimist::DuplicateUpdater>(())
    /// ```
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(|name| &**name)
    }
}

impl fmt::Debug for Updaters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&str> = self.names().collect();
        names.sort_unstable();
        f.debug_set().entries(names).finish()
    }
}

/// An updater name was registered twice.
///
/// ```
/// let err = optimist::DuplicateUpdater { name: "x".into() };
/// assert_eq!(err.to_string(), "an updater named `x` is already registered");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateUpdater {
    /// The name registered twice.
    pub name: Box<str>,
}

impl fmt::Display for DuplicateUpdater {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an updater named `{}` is already registered", self.name)
    }
}

impl std::error::Error for DuplicateUpdater {}

/// Applies `ops` in order to `entity` (`None`: absent) and returns the result (`None`: absent).
///
/// The result shares the input's allocation when no op changed anything. An [`Op::Update`]
/// naming an updater that is not in `updaters` leaves the entity as it is (the store never lets
/// such an op in).
///
/// ```
/// use optimist::{Entity, Op, Updaters, apply};
///
/// let todo = Entity::new().with("title", "a");
/// assert_eq!(apply(Some(&todo), &[Op::Delete], &Updaters::new()), None);
/// assert!(apply(None, &[Op::Write(todo.clone())], &Updaters::new()).is_some());
/// ```
pub fn apply<'a>(
    entity: Option<&Entity>,
    ops: impl IntoIterator<Item = &'a Op>,
    updaters: &Updaters,
) -> Option<Entity> {
    apply_versioned(entity, ops, updaters, None)
}

/// [`apply`] to an entity of a versioned type (`version`: its version field): an updater whose
/// result holds something other than a version there changes nothing (the store lets no
/// invalid version in, and an updater's result is the one value no patch check sees).
pub(crate) fn apply_versioned<'a>(
    entity: Option<&Entity>,
    ops: impl IntoIterator<Item = &'a Op>,
    updaters: &Updaters,
    version: Option<&str>,
) -> Option<Entity> {
    let mut state = State::Frozen(entity.cloned());
    for op in ops {
        state.apply(op, updaters, version);
    }
    state.finish()
}

/// An entity while ops are being applied: shared until the first op that changes it, then an
/// owned vector edited in place, frozen once at the end.
enum State {
    Frozen(Option<Entity>),
    Editing(Vec<(FieldName, Value)>),
}

impl State {
    fn finish(self) -> Option<Entity> {
        match self {
            State::Frozen(entity) => entity,
            State::Editing(fields) => Some(Entity::from_sorted(fields)),
        }
    }

    /// The fields to edit, or `None` if the entity is absent.
    fn fields(&mut self) -> Option<&mut Vec<(FieldName, Value)>> {
        if let State::Frozen(entity) = self {
            *self = State::Editing(entity.as_ref()?.to_vec());
        }
        match self {
            State::Editing(fields) => Some(fields),
            State::Frozen(_) => None,
        }
    }

    fn field(&self, name: &str) -> Option<&Value> {
        match self {
            State::Frozen(entity) => entity.as_ref()?.get(name),
            State::Editing(fields) => fields
                .binary_search_by(|(n, _)| n.as_str().cmp(name))
                .ok()
                .map(|at| &fields[at].1),
        }
    }

    fn exists(&self) -> bool {
        !matches!(self, State::Frozen(None))
    }

    fn apply(&mut self, op: &Op, updaters: &Updaters, version: Option<&str>) {
        match op {
            Op::Write(written) => match self {
                State::Frozen(None) => *self = State::Frozen(Some(written.clone())),
                State::Frozen(Some(entity)) => *self = State::Editing(entity.merged(written)),
                State::Editing(fields) => {
                    for (name, value) in written.iter() {
                        set_field(fields, name.clone(), value.clone());
                    }
                }
            },
            Op::RemoveField(name) => {
                if self.field(name).is_none() {
                    return;
                }
                if let Some(fields) = self.fields()
                    && let Ok(at) = fields.binary_search_by(|(n, _)| n.cmp(name))
                {
                    fields.remove(at);
                }
            }
            Op::Delete => *self = State::Frozen(None),
            Op::Increment { field, by } => {
                if !self.exists() {
                    return;
                }
                let sum = match self.field(field) {
                    None | Some(Value::Null) => Some(by.clone()),
                    Some(Value::Number(n)) => add(n, by),
                    Some(_) => None,
                };
                if let Some(sum) = sum
                    && let Some(fields) = self.fields()
                {
                    set_field(fields, field.clone(), Value::Number(sum));
                }
            }
            Op::ListInsert {
                field,
                item,
                at,
                unique,
            } => {
                if !self.exists() {
                    return;
                }
                let list = match self.field(field) {
                    None | Some(Value::Null) => None,
                    Some(Value::List(list)) => Some(list),
                    Some(_) => return,
                };
                if *unique && list.is_some_and(|list| list.contains(item)) {
                    return;
                }
                let len = list.map_or(0, |list| list.len());
                let index = match at {
                    ListPosition::Start => 0,
                    ListPosition::End => len,
                    ListPosition::Index(i) => (*i).min(len),
                    ListPosition::Before(anchor) => {
                        list.and_then(|l| l.index_of(anchor)).unwrap_or(len)
                    }
                    ListPosition::After(anchor) => {
                        list.and_then(|l| l.index_of(anchor)).map_or(len, |i| i + 1)
                    }
                };
                if let Some(fields) = self.fields() {
                    let mut list = take_list(fields, field);
                    list.make_mut().insert(index, item.clone());
                    set_field(fields, field.clone(), Value::List(list));
                }
            }
            Op::ListRemove { field, item } => {
                let Some(Value::List(list)) = self.field(field) else {
                    return;
                };
                // One scan for the items to drop, then each removed in place (O(log n) apiece
                // in the persistent vector), instead of rebuilding the whole list.
                let hits: Vec<usize> = list
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| *v == item)
                    .map(|(at, _)| at)
                    .collect();
                if hits.is_empty() {
                    return;
                }
                if let Some(fields) = self.fields() {
                    let mut list = take_list(fields, field);
                    let vector = list.make_mut();
                    for at in hits.into_iter().rev() {
                        vector.remove(at);
                    }
                    set_field(fields, field.clone(), Value::List(list));
                }
            }
            Op::Update { name, args } => {
                let Some(updater) = updaters.by_name.get(name) else {
                    return;
                };
                let current = std::mem::replace(self, State::Frozen(None)).finish();
                let result = catch_unwind(AssertUnwindSafe(|| updater(current.as_ref(), args)));
                match result {
                    Ok(Some(entity))
                        if version
                            .and_then(|field| entity.get(field))
                            .is_some_and(|value| {
                                crate::version::Version::parse(value).is_err()
                            }) =>
                    {
                        *self = State::Frozen(current);
                    }
                    Ok(entity) => *self = State::Frozen(entity),
                    // Marked, so the store call that ran it knows to put itself back.
                    Err(payload) => resume_unwind(Box::new(UpdaterPanic(payload))),
                }
            }
        }
    }
}

/// Takes a list field out of `fields` to edit it (an empty list if the field is absent or not
/// a list): the fields no longer share it, so the edits of one fold after its first happen in
/// place instead of copying the list's root and path again for every op.
fn take_list(fields: &mut [(FieldName, Value)], name: &FieldName) -> List {
    match fields.binary_search_by(|(n, _)| n.cmp(name)) {
        Ok(at) => match std::mem::replace(&mut fields[at].1, Value::Null) {
            Value::List(list) => list,
            _ => List::new(),
        },
        Err(_) => List::new(),
    }
}

/// `a + b`: exact for integers that fit in 64 bits, a float otherwise; `None` if the float sum
/// is not finite.
fn add(a: &Number, b: &Number) -> Option<Number> {
    let int = |n: &Number| n.as_i64().map(i128::from).or(n.as_u64().map(i128::from));
    if let (Some(x), Some(y)) = (int(a), int(b)) {
        let sum = x + y;
        if let Ok(small) = i64::try_from(sum) {
            return Some(small.into());
        }
        if let Ok(big) = u64::try_from(sum) {
            return Some(big.into());
        }
    }
    Number::from_f64(a.as_f64()? + b.as_f64()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(entity: Option<Entity>, ops: &[Op]) -> Option<Entity> {
        apply(entity.as_ref(), ops, &Updaters::new())
    }

    fn inc(field: &str, by: impl Into<Number>) -> Op {
        Op::Increment {
            field: field.into(),
            by: by.into(),
        }
    }

    #[test]
    fn write_creates_and_merges() {
        let created = run(None, &[Op::Write(Entity::new().with("a", 1))]).unwrap();
        assert_eq!(created, Entity::new().with("a", 1));
        let merged = run(Some(created), &[Op::Write(Entity::new().with("b", 2))]).unwrap();
        assert_eq!(merged, Entity::new().with("a", 1).with("b", 2));
    }

    #[test]
    fn ops_on_an_absent_entity_leave_it_absent_except_write() {
        let ops = [
            Op::RemoveField("a".into()),
            inc("a", 1),
            Op::ListInsert {
                field: "l".into(),
                item: 1.into(),
                at: ListPosition::End,
                unique: false,
            },
            Op::ListRemove {
                field: "l".into(),
                item: 1.into(),
            },
            Op::Delete,
        ];
        for op in ops {
            assert_eq!(run(None, std::slice::from_ref(&op)), None, "{op:?}");
        }
    }

    #[test]
    fn increment_rules() {
        let e = Entity::new()
            .with("n", 1)
            .with("s", "x")
            .with("z", Value::Null)
            .with("f", 0.5);
        let out = run(
            Some(e),
            &[
                inc("n", 2),
                inc("s", 1),
                inc("z", 3),
                inc("missing", 4),
                inc("f", 1),
            ],
        )
        .unwrap();
        assert_eq!(out.get("n"), Some(&Value::from(3)));
        assert_eq!(out.get("s"), Some(&Value::from("x")));
        assert_eq!(out.get("z"), Some(&Value::from(3)));
        assert_eq!(out.get("missing"), Some(&Value::from(4)));
        assert_eq!(out.get("f"), Some(&Value::from(1.5)));
    }

    #[test]
    fn increment_overflow_goes_to_u64_then_float() {
        let e = Entity::new().with("n", i64::MAX);
        let out = run(Some(e.clone()), &[inc("n", 1)]).unwrap();
        assert_eq!(out.get("n"), Some(&Value::from(i64::MAX as u64 + 1)));
        let out = run(Some(Entity::new().with("n", u64::MAX)), &[inc("n", 1)]).unwrap();
        assert_eq!(
            out.get("n").and_then(Value::as_f64),
            Some(u64::MAX as f64 + 1.0)
        );
        let huge = Entity::new().with("n", f64::MAX);
        let out = run(
            Some(huge.clone()),
            &[Op::Increment {
                field: "n".into(),
                by: Number::from_f64(f64::MAX).unwrap(),
            }],
        );
        assert_eq!(
            out,
            Some(huge),
            "a non-finite sum leaves the field as it was"
        );
    }

    #[test]
    fn list_ops_follow_their_definitions() {
        let e = Entity::new()
            .with("l", Value::from(vec![1, 2, 1]))
            .with("s", "x");
        let out = run(
            Some(e),
            &[
                Op::ListRemove {
                    field: "l".into(),
                    item: 1.into(),
                },
                Op::ListInsert {
                    field: "l".into(),
                    item: 9.into(),
                    at: ListPosition::Index(99),
                    unique: false,
                },
                Op::ListInsert {
                    field: "s".into(),
                    item: 9.into(),
                    at: ListPosition::End,
                    unique: false,
                },
                Op::ListInsert {
                    field: "new".into(),
                    item: 5.into(),
                    at: ListPosition::Start,
                    unique: false,
                },
            ],
        )
        .unwrap();
        assert_eq!(out.get("l"), Some(&Value::from(vec![2, 9])));
        assert_eq!(out.get("s"), Some(&Value::from("x")));
        assert_eq!(out.get("new"), Some(&Value::from(vec![5])));
    }

    #[test]
    fn a_unique_insert_skips_an_item_already_listed() {
        let e = Entity::new().with("l", Value::from(vec![1, 2]));
        let insert = |item: i32, unique| Op::ListInsert {
            field: "l".into(),
            item: item.into(),
            at: ListPosition::End,
            unique,
        };
        let out = run(Some(e.clone()), &[insert(2, true), insert(3, true)]).unwrap();
        assert_eq!(out.get("l"), Some(&Value::from(vec![1, 2, 3])));
        let out = run(Some(e), &[insert(2, false)]).unwrap();
        assert_eq!(out.get("l"), Some(&Value::from(vec![1, 2, 2])));
    }

    #[test]
    fn an_unchanged_entity_keeps_its_allocation() {
        let e = Entity::new().with("s", "x");
        let out = run(
            Some(e.clone()),
            &[inc("s", 1), Op::RemoveField("zz".into())],
        )
        .unwrap();
        assert!(out.ptr_eq(&e));
    }

    #[test]
    fn delete_then_write_recreates_with_only_the_written_fields() {
        let e = Entity::new().with("a", 1).with("b", 2);
        let out = run(
            Some(e),
            &[Op::Delete, Op::Write(Entity::new().with("c", 3))],
        )
        .unwrap();
        assert_eq!(out, Entity::new().with("c", 3));
    }

    #[test]
    fn updaters_see_the_entity_below_them() {
        let mut updaters = Updaters::new();
        updaters
            .register("double", |e, _| {
                let e = e?.clone();
                let n = e.get("n").and_then(Value::as_i64)?;
                Some(e.with("n", n * 2))
            })
            .unwrap();
        let double = Op::Update {
            name: "double".into(),
            args: Value::Null,
        };
        let e = Entity::new().with("n", 9000);
        let out = apply(Some(&e), &[inc("n", 1000), double.clone()], &updaters).unwrap();
        assert_eq!(out.get("n"), Some(&Value::from(20000)));
        let out = apply(Some(&e), &[double], &updaters).unwrap();
        assert_eq!(out.get("n"), Some(&Value::from(18000)));
    }
}
