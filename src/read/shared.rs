//! Shared reads: a query's result as a tree of [`Value`]s whose unchanged subtrees are the
//! previous result's (pointer-equal), rebuilt only where something it read changed.
//!
//! The walk follows the same plan as the serde reader (`de.rs`) and gives the same result (its
//! JSON is `read_query`'s), but every entity reached through a reference under a selection is
//! memoised with the keys its subtree read. Before a read, the memo drops the entries that
//! depend on a key changed since the last one; every other entity's subtree is reused as it
//! is. A re-read after one item of a list of 10,000 changed reads that item again and rebuilds
//! the list around the reused items: no other entity is looked at.

use std::collections::{HashMap, HashSet};

use smallvec::SmallVec;

use super::de::{Ctx, Node};
use super::plan::{Item, PlanField};
use super::{ReadError, Source, root_typename, typename_of};
use crate::entity::Entity;
use crate::field::FieldName;
use crate::field_policy::FieldAt;
use crate::key::Key;
use crate::patch::Hasher;
use crate::value::{List, Value};

/// An entity read under one selection: the plan sets that apply, and the entity's key.
type MemoKey = (Key, SmallVec<[usize; 2]>);

/// The memoised subtrees of one entity, one per selection it was read under (nearly always
/// one): looked up by the entity's key alone, so a lookup clones nothing.
type Slots = SmallVec<[(SmallVec<[usize; 2]>, MemoEntry); 1]>;

/// Subtrees that read more keys than this are not memoised (their parts are): such a subtree
/// (a list's owner, the root) is invalidated by nearly every change, and indexing it under
/// every key it read would cost as much as reading it again.
const MEMO_MAX_DEPS: usize = 32;

/// Memoised entity subtrees, with the keys each read.
#[derive(Default, Clone)]
pub(crate) struct Memo {
    entries: HashMap<Key, Slots, Hasher>,
    /// Counts the reads made with it.
    reads: u64,
    /// For each key, the entries whose subtree read it (a set: an entry made again after an
    /// invalidation is not indexed twice).
    by_dep: HashMap<Key, HashSet<MemoKey, Hasher>, Hasher>,
    /// How many entries (an entity under each of its selections).
    len: usize,
    /// Past this many entries, the next read sweeps (see [`Memo::sweep`]).
    sweep_at: usize,
}

/// A memo this small is never swept.
const MEMO_SWEEP_MIN: usize = 64;

#[derive(Clone)]
struct MemoEntry {
    value: Value,
    /// The keys its subtree read, sorted.
    deps: std::sync::Arc<[Key]>,
    /// The last read that reused it ([`Memo::reads`] then).
    reused: u64,
}

impl MemoEntry {
    /// Whether its subtree read `key`.
    fn read(&self, key: &str) -> bool {
        self.deps
            .binary_search_by(|dep| dep.as_str().cmp(key))
            .is_ok()
    }
}

impl Memo {
    /// Drops every entry that read `key`. The index may name entries made again since, which
    /// read other keys (an item whose owner went): those stay.
    pub(crate) fn invalidate(&mut self, key: &str) {
        if let Some(entries) = self.by_dep.remove(key) {
            for (at, sel) in entries {
                if self.get(&at, &sel).is_some_and(|entry| entry.read(key)) {
                    self.remove(&at, &sel);
                }
            }
        }
    }

    /// Whether the last read reused an entry that read `key`.
    fn reused(&self, key: &str) -> bool {
        self.by_dep.get(key).is_some_and(|ats| {
            ats.iter().any(|(at, sel)| {
                self.get(at, sel)
                    .is_some_and(|entry| entry.reused == self.reads && entry.read(key))
            })
        })
    }

    /// How many entries.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Drops everything.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.by_dep.clear();
        self.len = 0;
    }

    /// After a read that looked up `deps`: once the memo has doubled since its last sweep,
    /// drops the entries of the entities the read did not look up (a page or a filter left,
    /// an item gone from the list), so the memo holds what the query reads now, not all it
    /// ever read. The entries of entities under a reused subtree stay (the read looked their
    /// keys up through it): a change to that subtree finds its parts still shared. O(1) when
    /// not due; else O(entries + their keys), paid once per doubling.
    pub(crate) fn sweep(&mut self, deps: &Deps) {
        if self.len <= self.sweep_at.max(MEMO_SWEEP_MIN) {
            return;
        }
        // Gathered for the sweep and let go: a query read without a tree watcher keeps no
        // set of every key it read.
        let looked_up = deps.gather();
        self.entries.retain(|key, _| looked_up.contains(key));
        let Memo {
            entries,
            by_dep,
            len,
            ..
        } = self;
        by_dep.clear();
        *len = 0;
        for (key, slots) in entries.iter() {
            for (sel, entry) in slots {
                *len += 1;
                for dep in entry.deps.iter() {
                    by_dep
                        .entry(dep.clone())
                        .or_default()
                        .insert((key.clone(), sel.clone()));
                }
            }
        }
        self.sweep_at = 2 * self.len;
    }

    fn insert(&mut self, at: MemoKey, entry: MemoEntry) {
        for dep in entry.deps.iter() {
            self.by_dep
                .entry(dep.clone())
                .or_default()
                .insert(at.clone());
        }
        let (key, sel) = at;
        let slots = self.entries.entry(key).or_default();
        match slots.iter_mut().find(|(then, _)| *then == sel) {
            Some(slot) => slot.1 = entry,
            None => {
                slots.push((sel, entry));
                self.len += 1;
            }
        }
    }

    /// The entry of `key` under `sel`.
    fn get(&self, key: &Key, sel: &[usize]) -> Option<&MemoEntry> {
        let slots = self.entries.get(key)?;
        slots
            .iter()
            .find(|(then, _)| then.as_slice() == sel)
            .map(|(_, entry)| entry)
    }

    /// The entry of `key` under `sel`, to stamp.
    fn get_mut(&mut self, key: &Key, sel: &[usize]) -> Option<&mut MemoEntry> {
        let slots = self.entries.get_mut(key)?;
        slots
            .iter_mut()
            .find(|(then, _)| then.as_slice() == sel)
            .map(|(_, entry)| entry)
    }

    /// Drops the entry of `key` under `sel`.
    fn remove(&mut self, key: &Key, sel: &[usize]) {
        if let Some(slots) = self.entries.get_mut(key) {
            let before = slots.len();
            slots.retain(|(then, _)| then.as_slice() != sel);
            self.len -= before - slots.len();
            if slots.is_empty() {
                self.entries.remove(key);
            }
        }
    }
}

/// The keys a shared read looked up: those it read itself, and those of the memoised subtrees
/// it reused (each entry's list, shared, not copied key by key into a set: a re-read of a list of
/// 10,000 items reuses 10,000 entries).
#[derive(Default)]
pub(crate) struct Deps {
    direct: HashSet<Key, Hasher>,
    reused: Vec<std::sync::Arc<[Key]>>,
    /// Every key, built when asked for.
    all: Option<HashSet<Key, Hasher>>,
}

impl Deps {
    /// Whether the read looked `key` up; `memo` is the one it read with, not changed since but
    /// for invalidations made after this question.
    pub(crate) fn contains(&self, key: &str, memo: &Memo) -> bool {
        self.direct.contains(key) || memo.reused(key)
    }

    /// How many keys it read itself (a capacity for the next read's).
    pub(crate) fn direct_len(&self) -> usize {
        self.direct.len()
    }

    /// Every key the read looked up.
    pub(crate) fn all(&mut self) -> &HashSet<Key, Hasher> {
        let all = match self.all.take() {
            Some(all) => all,
            None => self.gather(),
        };
        self.all.insert(all)
    }

    /// Every key the read looked up, in a set of its own.
    fn gather(&self) -> HashSet<Key, Hasher> {
        let mut all = self.direct.clone();
        for deps in &self.reused {
            all.extend(deps.iter().cloned());
        }
        all
    }

    /// Adds a key read (a root found missing).
    pub(crate) fn insert(&mut self, key: Key) {
        self.all = None;
        self.direct.insert(key);
    }
}

/// One shared read over `ctx`, filling and reusing `memo`; `deps` collects every key read.
pub(super) struct Walk<'m, 'p, S: ?Sized> {
    pub(super) ctx: &'p Ctx<'p, S>,
    pub(super) memo: &'m mut Memo,
    /// The keys read by the entities being walked, innermost last; `None` once a frame has
    /// read more than [`MEMO_MAX_DEPS`] (it will not be memoised, so nothing is kept).
    frames: Vec<Option<Vec<Key>>>,
    /// The keys the whole read looked up.
    deps: Deps,
    /// The response keys and indices down to the current node, for error paths.
    path: Vec<Segment<'p>>,
}

#[derive(Clone, Copy)]
enum Segment<'p> {
    Key(&'p str),
    Index(usize),
}

impl<'m, 'p, S: Source + ?Sized> Walk<'m, 'p, S> {
    /// A walk that expects to read about `keys` keys (the last read's count).
    pub(super) fn new(ctx: &'p Ctx<'p, S>, memo: &'m mut Memo, keys: usize) -> Self {
        memo.reads += 1;
        Walk {
            ctx,
            memo,
            frames: Vec::new(),
            deps: Deps {
                direct: HashSet::with_capacity_and_hasher(keys, Hasher::default()),
                ..Deps::default()
            },
            path: Vec::new(),
        }
    }

    /// The keys the read looked up.
    pub(super) fn into_deps(self) -> Deps {
        self.deps
    }

    /// Adds keys read to the innermost frame (and to the whole read's).
    fn add<'k>(&mut self, keys: impl IntoIterator<Item = &'k Key>) {
        for key in keys {
            self.deps.direct.insert(key.clone());
            self.frame_add(key);
        }
    }

    /// Adds a key to the innermost frame, if one is kept.
    fn frame_add(&mut self, key: &Key) {
        if let Some(Some(frame)) = self.frames.last_mut() {
            if frame.len() >= MEMO_MAX_DEPS {
                *self.frames.last_mut().expect("a frame") = None;
            } else {
                frame.push(key.clone());
            }
        }
    }

    /// The memoised subtree at `at`, if any, marked reused by this read, its keys counted.
    fn reuse(&mut self, key: &Key, sel: &[usize]) -> Option<Value> {
        let reads = self.memo.reads;
        let entry = self.memo.get_mut(key, sel)?;
        entry.reused = reads;
        let (value, deps) = (entry.value.clone(), entry.deps.clone());
        if matches!(self.frames.last(), Some(Some(_))) {
            for key in deps.iter() {
                self.frame_add(key);
            }
        }
        self.deps.reused.push(deps);
        Some(value)
    }

    fn render(&self) -> String {
        let mut text = String::new();
        for (i, segment) in self.path.iter().enumerate() {
            if i > 0 {
                text.push('.');
            }
            match segment {
                Segment::Key(key) => text.push_str(key),
                Segment::Index(index) => text.push_str(&index.to_string()),
            }
        }
        text
    }

    fn check(&self, depth: usize) -> Result<(), ReadError> {
        self.ctx.node()?;
        if depth > self.ctx.limit {
            return Err(ReadError::TooDeep {
                path: self.render(),
                limit: self.ctx.limit,
            });
        }
        Ok(())
    }

    fn note(&mut self, key: &Key) {
        self.add(std::iter::once(key));
    }

    /// The entity under `key` from the source, noted as read.
    fn entity(&mut self, key: &Key) -> Option<&'p Entity> {
        self.note(key);
        self.ctx.source.entity(key)
    }

    /// The entity `key` references, under `sel` (not empty), counted as one node; `None` if
    /// it is absent. A memoised subtree is valid (it was invalidated if anything it read
    /// changed), so a hit does not even look the entity up.
    fn follow(
        &mut self,
        key: &Key,
        sel: &[usize],
        depth: usize,
    ) -> Result<Option<Value>, ReadError> {
        if let Some(value) = self.reuse(key, sel) {
            self.check(depth)?;
            return Ok(Some(value));
        }
        match self.entity(key) {
            Some(entity) => {
                self.check(depth)?;
                self.referenced(key, entity, sel, depth).map(Some)
            }
            None => Ok(None),
        }
    }

    /// An entity reached by reference, under `sel` (not empty): from the memo when nothing it
    /// read changed, read and memoised otherwise.
    pub(super) fn referenced(
        &mut self,
        key: &Key,
        entity: &'p Entity,
        sel: &[usize],
        depth: usize,
    ) -> Result<Value, ReadError> {
        // The caller counted the one node it stands for: a shared subtree is not rebuilt.
        if let Some(value) = self.reuse(key, sel) {
            return Ok(value);
        }
        self.frames.push(Some(Vec::new()));
        self.note(key);
        let read = self.object(entity, Some(key.as_str()), sel, depth);
        let frame = self.frames.pop().flatten();
        let value = read?;
        if let Some(mut deps) = frame {
            deps.sort_unstable();
            deps.dedup();
            self.add(deps.iter());
            self.memo.insert(
                (key.clone(), sel.iter().copied().collect()),
                MemoEntry {
                    value: value.clone(),
                    deps: deps.into(),
                    reused: 0,
                },
            );
        } else if let Some(outer) = self.frames.last_mut() {
            // Too many keys to keep: neither is the enclosing subtree memoised.
            *outer = None;
        }
        Ok(value)
    }

    /// A node under the selection sets `sel` (empty: as stored).
    pub(super) fn node(
        &mut self,
        node: Node<'_>,
        sel: &[usize],
        depth: usize,
    ) -> Result<Value, ReadError> {
        // A reference under a selection is counted where it is followed.
        if !matches!(node, Node::Value(Value::Ref(_))) || sel.is_empty() {
            self.check(depth)?;
        }
        let value = match node {
            Node::Text(text) => return Ok(Value::from(text)),
            Node::Object(entity, key) => return self.object(entity, key, sel, depth),
            Node::Value(value) => value,
        };
        if sel.is_empty() {
            // As stored: JSON scalars, references as `{"__ref": key}`, objects as they are.
            return Ok(value.clone());
        }
        match value {
            Value::Null => Ok(Value::Null),
            Value::Bool(_) | Value::Number(_) | Value::String(_) => {
                let found = match value {
                    Value::Bool(_) => "boolean",
                    Value::Number(_) => "number",
                    _ => "string",
                };
                Err(ReadError::WrongShape {
                    path: self.render(),
                    found,
                })
            }
            // A reference to an absent entity reads as null.
            // A reference to an absent entity reads as null.
            Value::Ref(key) => Ok(self.follow(key, sel, depth)?.unwrap_or(Value::Null)),
            Value::List(items) => self.list(items, sel, depth),
            Value::Object(entity) => self.object(entity, None, sel, depth),
        }
    }

    /// A list under a selection; references to absent entities are dropped.
    fn list(&mut self, items: &List, sel: &[usize], depth: usize) -> Result<Value, ReadError> {
        let mut out = imbl::Vector::new();
        let mut index = 0;
        for item in items.iter() {
            let node = match item {
                Value::Ref(key) => {
                    self.path.push(Segment::Index(index));
                    let read = self.follow(key, sel, depth + 1);
                    self.path.pop();
                    // A reference to an absent entity is dropped from the list.
                    if let Some(value) = read? {
                        out.push_back(value);
                        index += 1;
                    }
                    continue;
                }
                _ => Node::Value(item),
            };
            self.path.push(Segment::Index(index));
            let read = self.node(node, sel, depth + 1);
            self.path.pop();
            out.push_back(read?);
            index += 1;
        }
        Ok(Value::List(List::from(out)))
    }

    /// An object (an entity, with its key, or an embedded object) under `sel`.
    fn object(
        &mut self,
        entity: &Entity,
        key: Option<&str>,
        sel: &[usize],
        depth: usize,
    ) -> Result<Value, ReadError> {
        if sel.is_empty() {
            return Ok(Value::Object(entity.clone()));
        }
        let plan = self.ctx.plan;
        // (field, its sub-selection, optional) in response order.
        let mut fields: Vec<(&'p PlanField<'p>, SmallVec<[usize; 2]>, bool)> = Vec::new();
        match sel {
            [one] if plan.sets.get(*one).is_some_and(|set| set.flat) => {
                for item in &plan.sets[*one].items {
                    if let Item::Field(field) = item {
                        fields.push((field, field.child.into_iter().collect(), field.optional));
                    }
                }
            }
            _ => {
                for group in self.ctx.groups(sel, typename_of(entity, key)).iter() {
                    fields.push((group.field, group.children.clone(), group.optional));
                }
            }
        }
        let mut out: Vec<(FieldName, Value)> = Vec::with_capacity(fields.len());
        for (field, children, optional) in fields {
            let at = self.ctx.at(field, entity, key);
            let stored = match &at {
                Some(FieldAt {
                    stored: Some(name), ..
                }) => name.as_str(),
                _ => field.store_name.as_str(),
            };
            // As in `de.rs`: the stored value looked up once, a read function's kept in the
            // read's arena.
            let existing = entity.get(stored);
            let found = match at.as_ref().and_then(|at| at.read) {
                Some(read) => {
                    let selected = !children.is_empty();
                    let (value, looked_up) = self
                        .ctx
                        .call_read(read, field, entity, key, existing, selected);
                    self.add(looked_up.iter());
                    value.map(|value| Node::Value(&*self.ctx.arena.alloc(value)))
                }
                None => match existing {
                    Some(value) => Some(Node::Value(value)),
                    None if field.typename => key.and_then(root_typename).map(Node::Text),
                    None => None,
                },
            };
            self.path.push(Segment::Key(field.response_key));
            let read = match found {
                Some(node) => Some(self.node(node, &children, depth + 1)),
                None if optional => None,
                None => match self.ctx.missing {
                    Some(missing) => {
                        let counted = self.ctx.node();
                        missing.borrow_mut().push(self.render());
                        counted.err().map(Err)
                    }
                    None => Some(Err(ReadError::MissingField {
                        path: self.render(),
                    })),
                },
            };
            self.path.pop();
            if let Some(read) = read {
                out.push((FieldName::new(field.response_key), read?));
            }
        }
        Ok(Value::Object(Entity::from_fields(out)))
    }
}
