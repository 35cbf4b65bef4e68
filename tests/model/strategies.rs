//! The random side of the model test: transitions and the strategies that generate them.
//!
//! The key and field space is small and values come from a handful of choices, so layers overlap
//! heavily and list anchors, removals, unique inserts and version comparisons often hit. Ops
//! name temporary keys (and refs to them) only once they are minted.

use std::fmt;

use optimist::{Entity, Value};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::Union;
use serde_json::Number;

use crate::model::{Model, Watch};
use crate::outbox::{ROutcome, RScope};
use crate::reference::{ARG_FIELDS, FIELDS, KEYS, KOp, MOp, Ops, Pos, TEMPS, VERSION, all_keys};
use crate::versions::TIMES;

// ----- transitions -----

/// How a layer is settled.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum How {
    Fail,
    Promote,
    Confirm,
}

/// What makes a patch unacceptable.
/// The call a panicking updater runs in.
#[derive(Clone, Debug)]
pub(crate) enum Panicking {
    Write(Vec<KOp>),
    Push(Vec<KOp>),
    Confirm(u32, Vec<KOp>),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Bad {
    UnknownUpdater,
    InvalidKey,
    /// The version field of `Item:1` set to a bool, an object, a list, a string that is no
    /// timestamp.
    VersionBool,
    VersionObject,
    VersionList,
    VersionText,
}

/// One step. Layers are named by the number given when they are pushed or reserved;
/// temporary keys by their name in `TEMPS`.
#[derive(Clone)]
pub(crate) enum Transition {
    /// A direct write into base.
    Write(Vec<KOp>),
    Push(u32, Vec<KOp>),
    Reserve(u32),
    /// A server push (`Store::write_observed`): layer `name` if it lands above an observation
    /// in flight, a direct write otherwise.
    WriteObserved(u32, Vec<KOp>),
    /// A reservation with an armed guard kept by the test.
    ReserveGuarded(u32),
    Promote(u32),
    Confirm(u32, Vec<KOp>),
    ConfirmKeepingRelative(u32, Vec<KOp>),
    Fail(u32),
    Cancel(u32),
    /// Settles a layer that is already settled (gone, or confirmed and waiting).
    SettleAgain(u32, How),
    /// Settles a layer id issued by another store.
    Foreign(How),
    /// A write whose patch (these ops plus one bad op) is refused.
    RejectWrite(Vec<KOp>, Bad),
    RejectPush(Vec<KOp>, Bad),
    RejectConfirm(u32, Vec<KOp>, Bad),
    /// A call whose patch ends with an update by `boom`, an updater that panics: the panic
    /// propagates and the store is exactly as before (no abandoned layer cancelled either).
    UpdaterPanics(Panicking),
    /// A write with a watcher that panics when told, registered last on every key the ops
    /// name: the panic propagates once the write is applied in full, after every other
    /// watcher was told.
    WatcherPanics(Vec<KOp>),
    Read(&'static str, &'static str),
    /// Mints the temporary key of this name.
    Mint(&'static str),
    /// Remaps a key (a temporary one, or not) onto another (valid, or not).
    Remap(&'static str, &'static str),
    /// Takes a guard on a layer and keeps it.
    Guard(u32),
    /// Drops the kept guard of a layer.
    DropGuard(u32),
    /// Disarms the kept guard of a layer.
    Disarm(u32),
    CollectAbandoned,
    /// Registers watcher `name` on an entity (the key's every field).
    WatchEntity(u32, &'static str),
    /// Registers watcher `name` on some fields of an entity.
    WatchFields(u32, &'static str, Vec<&'static str>),
    /// Registers watcher `name` on a query (a document over `ROOT_QUERY`'s fields and refs).
    WatchQuery(u32, String),
    Unwatch(u32),
    /// Mutating calls (writes, pushes, settles) run inside one `Store::batch`.
    Batch(Vec<Transition>),
    /// `Store::mutate` with the idempotency key `k{name}`, a scope, maybe coalescing, and a
    /// retry policy of this many attempts.
    Mutate(u32, Vec<KOp>, Option<RScope>, bool, u32),
    NextToSend,
    /// Reports how a send of a pending mutation ended.
    Report(u32, ROutcome),
    Dismiss(u32),
    /// Moves the fake clock on by this many milliseconds.
    Advance(u64),
    /// `save_json`, then `load_json` into a fresh store that replaces the old one.
    SaveLoad,
    /// `invalidate` of a key (`Item:` is no valid key).
    Invalidate(&'static str),
    /// `invalidate_field` with a field name or a name with arguments.
    InvalidateField(&'static str, &'static str),
    /// `invalidate_query` of a document like those query watchers watch.
    InvalidateQuery(String),
    /// `tag_watch` of watcher `name` (live or not, a query watcher or not).
    TagWatch(u32, &'static str),
    InvalidateTag(&'static str),
    Retain(&'static str),
    /// `release`, of a retained key or of any other.
    Release(&'static str),
    Gc,
    Evict(&'static str),
    /// `evict_field` with a field name or a name with arguments.
    EvictField(&'static str, &'static str),
}

impl Transition {
    /// Whether the store's call cancels abandoned layers first.
    pub(crate) fn is_mutating(&self) -> bool {
        use Transition::*;
        if let Evict(key) | EvictField(key, _) = self {
            // A refused key is refused before anything else.
            return crate::hygiene::valid(key);
        }
        !matches!(
            self,
            Read(..)
                // Put back whole, the cancels of abandoned layers with the rest.
                | UpdaterPanics(_)
                | Mint(_)
                | Guard(_)
                | DropGuard(_)
                | Disarm(_)
                | Unwatch(_)
                | Dismiss(_)
                | Advance(_)
                | SaveLoad
                | Invalidate(_)
                | InvalidateField(..)
                | InvalidateQuery(_)
                | TagWatch(..)
                | InvalidateTag(_)
                | Retain(_)
                | Release(_)
        )
    }

    /// The ops the transition hands to the store.
    pub(crate) fn ops(&self) -> &[KOp] {
        use Transition::*;
        match self {
            Write(ops)
            | Push(_, ops)
            | WriteObserved(_, ops)
            | Confirm(_, ops)
            | ConfirmKeepingRelative(_, ops)
            | RejectWrite(ops, _)
            | RejectPush(ops, _)
            | RejectConfirm(_, ops, _)
            | UpdaterPanics(
                Panicking::Write(ops) | Panicking::Push(ops) | Panicking::Confirm(_, ops),
            )
            | WatcherPanics(ops)
            | Mutate(_, ops, ..)
            | Report(_, ROutcome::Confirm(ops) | ROutcome::Conflict(ops)) => ops,
            _ => &[],
        }
    }
}

impl fmt::Debug for Transition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Transition::*;
        match self {
            Write(ops) => write!(f, "Write({:?})", Ops(ops)),
            Push(name, ops) => write!(f, "Push({name}, {:?})", Ops(ops)),
            Reserve(name) => write!(f, "Reserve({name})"),
            WriteObserved(name, ops) => write!(f, "WriteObserved({name}, {:?})", Ops(ops)),
            ReserveGuarded(name) => write!(f, "ReserveGuarded({name})"),
            Promote(name) => write!(f, "Promote({name})"),
            Confirm(name, ops) => write!(f, "Confirm({name}, {:?})", Ops(ops)),
            ConfirmKeepingRelative(name, ops) => {
                write!(f, "ConfirmKeepingRelative({name}, {:?})", Ops(ops))
            }
            Fail(name) => write!(f, "Fail({name})"),
            Cancel(name) => write!(f, "Cancel({name})"),
            SettleAgain(name, how) => write!(f, "SettleAgain({name}, How::{how:?})"),
            Foreign(how) => write!(f, "Foreign(How::{how:?})"),
            RejectWrite(ops, bad) => write!(f, "RejectWrite({:?}, {bad:?})", Ops(ops)),
            UpdaterPanics(Panicking::Write(ops)) => {
                write!(f, "UpdaterPanics(Panicking::Write({:?}))", Ops(ops))
            }
            UpdaterPanics(Panicking::Push(ops)) => {
                write!(f, "UpdaterPanics(Panicking::Push({:?}))", Ops(ops))
            }
            UpdaterPanics(Panicking::Confirm(name, ops)) => {
                write!(
                    f,
                    "UpdaterPanics(Panicking::Confirm({name}, {:?}))",
                    Ops(ops)
                )
            }
            WatcherPanics(ops) => write!(f, "WatcherPanics({:?})", Ops(ops)),
            RejectPush(ops, bad) => write!(f, "RejectPush({:?}, {bad:?})", Ops(ops)),
            RejectConfirm(name, ops, bad) => {
                write!(f, "RejectConfirm({name}, {:?}, {bad:?})", Ops(ops))
            }
            Read(key, field) => write!(f, "Read({key:?}, {field:?})"),
            Mint(name) => write!(f, "Mint({name:?})"),
            Remap(from, to) => write!(f, "Remap({from:?}, {to:?})"),
            Guard(name) => write!(f, "Guard({name})"),
            DropGuard(name) => write!(f, "DropGuard({name})"),
            Disarm(name) => write!(f, "Disarm({name})"),
            CollectAbandoned => write!(f, "CollectAbandoned"),
            WatchEntity(name, key) => write!(f, "WatchEntity({name}, {key:?})"),
            WatchFields(name, key, fields) => {
                write!(f, "WatchFields({name}, {key:?}, vec!{fields:?})")
            }
            WatchQuery(name, doc) => write!(f, "WatchQuery({name}, {doc:?}.into())"),
            Unwatch(name) => write!(f, "Unwatch({name})"),
            Batch(calls) => write!(f, "Batch(vec!{calls:?})"),
            Mutate(name, ops, scope, coalesce, max) => write!(
                f,
                "Mutate({name}, {:?}, {scope:?}, {coalesce}, {max})",
                Ops(ops)
            ),
            NextToSend => write!(f, "NextToSend"),
            Report(name, ROutcome::Confirm(ops)) => {
                write!(f, "Report({name}, ROutcome::Confirm({:?}))", Ops(ops))
            }
            Report(name, ROutcome::Conflict(ops)) => {
                write!(f, "Report({name}, ROutcome::Conflict({:?}))", Ops(ops))
            }
            Report(name, outcome) => write!(f, "Report({name}, ROutcome::{outcome:?})"),
            Dismiss(name) => write!(f, "Dismiss({name})"),
            Advance(ms) => write!(f, "Advance({ms})"),
            SaveLoad => write!(f, "SaveLoad"),
            Invalidate(key) => write!(f, "Invalidate({key:?})"),
            InvalidateField(key, field) => write!(f, "InvalidateField({key:?}, {field:?})"),
            InvalidateQuery(doc) => write!(f, "InvalidateQuery({doc:?}.into())"),
            TagWatch(name, tag) => write!(f, "TagWatch({name}, {tag:?})"),
            InvalidateTag(tag) => write!(f, "InvalidateTag({tag:?})"),
            Retain(key) => write!(f, "Retain({key:?})"),
            Release(key) => write!(f, "Release({key:?})"),
            Gc => write!(f, "Gc"),
            Evict(key) => write!(f, "Evict({key:?})"),
            EvictField(key, field) => write!(f, "EvictField({key:?}, {field:?})"),
        }
    }
}

pub(crate) fn label(name: u32) -> String {
    format!("layer {name}")
}

// ----- strategies -----

/// The keys ops may name: the fixed ones and the minted temporary ones (live, remapped or
/// forgotten).
fn key(temps: &[&'static str]) -> BoxedStrategy<&'static str> {
    let keys: Vec<&'static str> = KEYS.iter().chain(temps).copied().collect();
    select(keys).boxed()
}

pub(crate) fn field() -> impl Strategy<Value = &'static str> {
    select(&FIELDS[..])
}

fn a_ref(temps: &[&'static str]) -> BoxedStrategy<Value> {
    let keys: Vec<&'static str> = ["Item:1", "Item:2", "Note:1"]
        .iter()
        .chain(temps)
        .copied()
        .collect();
    select(keys)
        .prop_map(|key| Value::Ref(key.try_into().expect("a valid key")))
        .boxed()
}

/// Few distinct list items, so anchors, removals and unique inserts often hit.
fn item(temps: &[&'static str]) -> BoxedStrategy<Value> {
    prop_oneof![
        select(vec![1i64, 2]).prop_map(Value::from),
        Just(Value::from("x")),
        a_ref(temps),
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

/// A valid version: a small integer, a float, a timestamp, or null.
fn version() -> BoxedStrategy<Value> {
    prop_oneof![
        4 => select(vec![1i64, 2, 3]).prop_map(Value::from),
        1 => Just(Value::from(2.5)),
        3 => select(TIMES.iter().map(|(text, _)| *text).collect::<Vec<_>>()).prop_map(Value::from),
        1 => Just(Value::Null),
    ]
    .boxed()
}

fn list(temps: &[&'static str]) -> BoxedStrategy<Value> {
    proptest::collection::vec(item(temps), 0..4)
        .prop_map(|items| Value::List(items.into_iter().collect()))
        .boxed()
}

fn value(temps: &[&'static str]) -> BoxedStrategy<Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::from),
        2 => number().prop_map(Value::Number),
        1 => Just(Value::from("x")),
        1 => a_ref(temps),
        2 => list(temps),
        1 => Just(Value::Object(Entity::new().with("x", 1))),
    ]
    .boxed()
}

/// A field with a value that suits it more often than not (numbers in `n`, lists in `l`,
/// versions in `v`).
fn field_value(temps: &[&'static str]) -> BoxedStrategy<(&'static str, Value)> {
    prop_oneof![
        2 => (Just("n"), prop_oneof![3 => number().prop_map(Value::Number), 1 => value(temps)]),
        2 => (Just("l"), prop_oneof![3 => list(temps), 1 => value(temps)]),
        3 => (Just("v"), version()),
        3 => (select(vec!["a", "b"]), value(temps)),
        1 => (select(&ARG_FIELDS[..]), value(temps)),
    ]
    .boxed()
}

fn pos(temps: &[&'static str]) -> BoxedStrategy<Pos> {
    prop_oneof![
        Just(Pos::Start),
        Just(Pos::End),
        (0usize..4).prop_map(Pos::Index),
        item(temps).prop_map(Pos::Before),
        item(temps).prop_map(Pos::After),
    ]
    .boxed()
}

fn mop(temps: &[&'static str]) -> BoxedStrategy<MOp> {
    let number_field = prop_oneof![4 => Just("n"), 1 => field()];
    let list_field = || prop_oneof![4 => Just("l"), 1 => field()];
    // Not into `v`: a list insert into a version field is refused (a list is never a version).
    let insert_field = prop_oneof![
        4 => Just("l"),
        1 => select(FIELDS.iter().copied().filter(|f| *f != VERSION).collect::<Vec<_>>()),
    ];
    let updater = prop_oneof![
        Just(("double", Value::Null)),
        select(vec!["a", "b"]).prop_map(|field| ("toggle", Value::from(field))),
        prop_oneof![item(temps), Just(Value::Bool(true))].prop_map(|args| ("clear_if", args)),
    ];
    prop_oneof![
        5 => proptest::collection::vec(field_value(temps), 0..3).prop_map(MOp::Write),
        1 => prop_oneof![4 => field(), 1 => select(&ARG_FIELDS[..])].prop_map(MOp::RemoveField),
        1 => Just(MOp::Delete),
        3 => (number_field, number()).prop_map(|(f, by)| MOp::Increment(f, by)),
        4 => (insert_field, item(temps), pos(temps), any::<bool>())
            .prop_map(|(f, item, at, unique)| MOp::Insert(f, item, at, unique)),
        2 => (list_field(), item(temps)).prop_map(|(f, item)| MOp::RemoveItem(f, item)),
        2 => updater.prop_map(|(name, args)| MOp::Update(name, args)),
    ]
    .boxed()
}

/// Ops on the fixed keys and on the minted temporary keys `temps`.
pub(crate) fn ops_naming(
    temps: &[&'static str],
    size: std::ops::Range<usize>,
) -> BoxedStrategy<Vec<KOp>> {
    proptest::collection::vec(
        (key(temps), mop(temps)).prop_map(|(key, op)| KOp { key, op }),
        size,
    )
    .boxed()
}

/// Ops on the fixed keys.
pub(crate) fn ops(size: std::ops::Range<usize>) -> BoxedStrategy<Vec<KOp>> {
    ops_naming(&[], size)
}

pub(crate) fn how() -> impl Strategy<Value = How> {
    prop_oneof![Just(How::Fail), Just(How::Promote), Just(How::Confirm)]
}

pub(crate) fn bad() -> impl Strategy<Value = Bad> {
    use Bad::*;
    prop_oneof![
        3 => Just(UnknownUpdater),
        3 => Just(InvalidKey),
        1 => Just(VersionBool),
        1 => Just(VersionObject),
        1 => Just(VersionList),
        1 => Just(VersionText),
    ]
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

/// A selection over the model's fields: one to three of them, each a leaf or (while `depth`
/// allows) an object selection of its own, read through refs and lists of refs.
fn selection(depth: u32) -> BoxedStrategy<String> {
    let leaf = field().prop_map(str::to_owned).boxed();
    let one = if depth == 0 {
        leaf
    } else {
        prop_oneof![
            2 => leaf,
            1 => (field(), selection(depth - 1)).prop_map(|(f, inner)| format!("{f} {inner}")),
        ]
        .boxed()
    };
    proptest::collection::vec(one, 1..=3)
        .prop_map(|fields| {
            // A field repeated with two selections would not merge: keep the first of a name.
            let mut seen = Vec::new();
            let kept: Vec<String> = fields
                .into_iter()
                .filter(|f| {
                    let name = f.split(' ').next().unwrap_or_default().to_owned();
                    let fresh = !seen.contains(&name);
                    seen.push(name);
                    fresh
                })
                .collect();
            format!("{{ {} }}", kept.join(" "))
        })
        .boxed()
}

/// A small query document over `ROOT_QUERY`.
pub(crate) fn document() -> BoxedStrategy<String> {
    selection(2)
}

/// Some of the model's fields, at least one.
pub(crate) fn some_fields() -> BoxedStrategy<Vec<&'static str>> {
    proptest::sample::subsequence(FIELDS.to_vec(), 1..=3).boxed()
}

/// What `invalidate_field` and `evict_field` name: a field, a name with arguments that ops
/// write, one that nothing holds.
fn pattern() -> BoxedStrategy<&'static str> {
    prop_oneof![
        4 => field(),
        2 => select(&ARG_FIELDS[..]),
        1 => Just(r#"b({"p":1})"#),
    ]
    .boxed()
}

/// The cache-hygiene transitions: invalidations (of keys, fields, queries, tags), tags,
/// retains and releases, gc, evictions. Keys are the minted ones and, now and then, `Item:`,
/// which is no valid key.
pub(crate) fn hygiene_arms(state: &Model, arms: &mut Vec<(u32, BoxedStrategy<Transition>)>) {
    use Transition::*;
    let valid: Vec<&'static str> = all_keys()
        .filter(|key| !TEMPS.contains(key) || state.temps.contains_key(key))
        .collect();
    // Mostly keys that hold an entity (in base or in the view), so marks and evictions hit.
    let view = state.view();
    let held: Vec<&'static str> = valid
        .iter()
        .copied()
        .filter(|key| view.contains_key(key) || state.base.contains_key(key))
        .collect();
    // And the entities live query watchers read, so that marks make them stale.
    let read: Vec<&'static str> = state
        .watches
        .iter()
        .filter(|(name, _)| state.watching.contains(name))
        .filter_map(|(_, watch)| match watch {
            Watch::Query(doc) => state.looked_up(doc).ok(),
            Watch::Entity(_) => None,
        })
        .flat_map(|looked| looked.keys)
        .filter(|key| view.contains_key(key))
        .collect();
    let key = || {
        let mut arms: Vec<(u32, BoxedStrategy<&'static str>)> = vec![
            (4, select(valid.clone()).boxed()),
            (1, Just("Item:").boxed()),
        ];
        if !held.is_empty() {
            arms.push((8, select(held.clone()).boxed()));
        }
        if !read.is_empty() {
            arms.push((6, select(read.clone()).boxed()));
        }
        Union::new_weighted(arms).boxed()
    };
    arms.push((4, key().prop_map(Invalidate).boxed()));
    arms.push((
        4,
        (key(), pattern())
            .prop_map(|(key, field)| InvalidateField(key, field))
            .boxed(),
    ));
    let watched: Vec<String> = state
        .watches
        .values()
        .filter_map(|watch| match watch {
            Watch::Query(doc) => Some(doc.clone()),
            Watch::Entity(_) => None,
        })
        .collect();
    let doc = if watched.is_empty() {
        document()
    } else {
        prop_oneof![1 => document(), 2 => select(watched)].boxed()
    };
    arms.push((4, doc.prop_map(InvalidateQuery).boxed()));
    let tag = || select(vec!["t1", "t2"]);
    if !state.watches.is_empty() {
        // Mostly live query watchers; now and then any other (refused).
        let names: Vec<u32> = state.watches.keys().copied().collect();
        let queries: Vec<u32> = names
            .iter()
            .copied()
            .filter(|name| {
                state.watching.contains(name)
                    && matches!(state.watches.get(name), Some(Watch::Query(_)))
            })
            .collect();
        let name = if queries.is_empty() {
            select(names).boxed()
        } else {
            prop_oneof![3 => select(queries), 1 => select(names)].boxed()
        };
        arms.push((
            3,
            (name, tag())
                .prop_map(|(name, tag)| TagWatch(name, tag))
                .boxed(),
        ));
    }
    arms.push((3, tag().prop_map(InvalidateTag).boxed()));
    arms.push((3, key().prop_map(Retain).boxed()));
    let retained: Vec<&'static str> = state.hygiene.retained.keys().copied().collect();
    let release = if retained.is_empty() {
        key()
    } else {
        prop_oneof![2 => select(retained), 1 => key()].boxed()
    };
    arms.push((3, release.prop_map(Release).boxed()));
    arms.push((4, Just(Gc).boxed()));
    arms.push((3, key().prop_map(Evict).boxed()));
    arms.push((
        3,
        (key(), pattern())
            .prop_map(|(key, field)| EvictField(key, field))
            .boxed(),
    ));
}
