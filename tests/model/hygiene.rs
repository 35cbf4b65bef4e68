//! Cache hygiene in the reference, written from the rules (not from the store): stale marks as
//! a set of `(key, field)`, retain counts, tags on watched queries, and a naive fixpoint of
//! what a gc keeps.
//!
//! * Marks: `invalidate` marks every field the entity holds in base or in the view;
//!   `invalidate_field` those whose name is the pattern (with arguments) or whose name before
//!   `(` is (without); `invalidate_query` every `(entity, field)` a read of the document over
//!   the view looks up that the entity holds (in the view or in base), nothing when the read
//!   fails; `invalidate_tag` that for each live query watcher with the tag. Each answers how
//!   many marks are new.
//! * Clearing: where ops reach base (a direct write, a confirmed layer folding in, a
//!   conflict's current data; never on a key left out as older), a write clears the fields it
//!   writes, a field removal that field, a delete every mark of the key; relative ops clear
//!   nothing. A conflict marks (as `invalidate`) the keys the failed layer touched that the
//!   current data does not write. A remap moves `from`'s marks and retains to `to`; an evict
//!   drops the key's marks, a field eviction the evicted fields'; a gc the removed keys'.
//! * Gc roots: root keys (no `:`) in base, retained keys, every key a live watcher depends on
//!   (an entity watcher's key, what a query watcher's read stands on), every key a live layer
//!   touches or references in its ops, and the live temporary keys. Reachability follows refs
//!   (at any depth of lists and embedded objects) of each reached key's entity in base and in
//!   the view; what base holds beyond is removed.

use std::collections::{BTreeMap, BTreeSet};

use optimist::{Key, Value};

use crate::model::{Model, Temp, Watch};
use crate::reference::{Fields, KOp, MOp, all_keys, refs_of};
use crate::walk::{Looked, ROOT, WrongShape, parse, read};

/// What the last hygiene call must answer.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Answer {
    /// How many marks an invalidation adds; `None`: refused (an invalid key, a failed read).
    Marked(Option<usize>),
    /// Whether `tag_watch` tagged a query watcher.
    Tagged(bool),
    /// A retain; `false`: refused as an invalid key.
    Retained(bool),
    /// A release: done, refused as not retained (naming the resolved key), or refused as an
    /// invalid key.
    Released(Releasing),
    /// The keys a gc removes from base, with their entity there.
    Collected(Vec<(&'static str, Fields)>),
    /// An evict; `false`: refused as an invalid key.
    Evicted(bool),
}

/// How a release ends.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Releasing {
    Done,
    NotRetained(&'static str),
    InvalidKey,
}

/// Marks, retains and tags, and what the last call must answer.
#[derive(Clone, Debug, Default)]
pub(crate) struct Hygiene {
    /// Every stale mark: a key and a store field name.
    pub(crate) marks: BTreeSet<(&'static str, String)>,
    /// When each mark was last set, by the marking clock (a field marked again is stamped
    /// again).
    pub(crate) stamps: BTreeMap<(&'static str, String), u64>,
    /// How many calls have marked fields.
    pub(crate) clock: u64,
    /// Each retained key with its count (never 0).
    pub(crate) retained: BTreeMap<&'static str, usize>,
    /// Each tag with the live query watchers that carry it.
    pub(crate) tags: BTreeMap<&'static str, BTreeSet<u32>>,
    pub(crate) answer: Option<Answer>,
}

/// Whether the store field `name` is what `pattern` names: itself for a pattern with
/// arguments, any field of that name (whatever its arguments) for one without.
pub(crate) fn matches(name: &str, pattern: &str) -> bool {
    if pattern.contains('(') {
        name == pattern
    } else {
        name.split('(').next() == Some(pattern)
    }
}

/// Whether a test key is a valid store key (`Item:` is not).
pub(crate) fn valid(key: &str) -> bool {
    Key::new(key).is_ok()
}

impl Hygiene {
    /// Adds marks; how many are new.
    fn mark(&mut self, key: &'static str, fields: impl IntoIterator<Item = String>) -> usize {
        let fields: Vec<String> = fields.into_iter().collect();
        if fields.is_empty() {
            return 0;
        }
        self.clock += 1;
        for field in &fields {
            self.stamps.insert((key, field.clone()), self.clock);
        }
        fields
            .into_iter()
            .filter(|field| self.marks.insert((key, field.clone())))
            .count()
    }

    /// Whether the mark of `key`'s `field` was set by the clock `up_to`.
    fn set_by(&self, key: &'static str, field: &str, up_to: u64) -> bool {
        self.stamps
            .get(&(key, field.to_owned()))
            .is_some_and(|stamp| *stamp <= up_to)
    }

    /// Fresh data for `key` reached base through `ops` (all on `key`), answered when the
    /// marking clock was `up_to`: the marks set by then are cleared, not those set after.
    pub(crate) fn clear_written(&mut self, key: &'static str, ops: &[&KOp], up_to: u64) {
        for op in ops {
            match &op.op {
                MOp::Write(fields) => {
                    for (name, _) in fields {
                        if self.set_by(key, name, up_to) {
                            self.marks.remove(&(key, (*name).to_owned()));
                        }
                    }
                }
                MOp::RemoveField(name) => {
                    if self.set_by(key, name, up_to) {
                        self.marks.remove(&(key, (*name).to_owned()));
                    }
                }
                MOp::Delete => {
                    let stamps = &self.stamps;
                    self.marks.retain(|(k, f)| {
                        *k != key || stamps.get(&(*k, f.clone())).is_none_or(|s| *s > up_to)
                    });
                }
                MOp::Increment(..) | MOp::Insert(..) | MOp::RemoveItem(..) | MOp::Update(..) => {}
            }
        }
    }

    /// `from`'s marks and retains go to `to` (a remap).
    pub(crate) fn rename(&mut self, from: &'static str, to: &'static str) {
        let moved: Vec<String> = self
            .marks
            .iter()
            .filter(|(k, _)| *k == from)
            .map(|(_, f)| f.clone())
            .collect();
        self.marks.retain(|(k, _)| *k != from);
        self.mark(to, moved);
        if let Some(n) = self.retained.remove(from) {
            *self.retained.entry(to).or_default() += n;
        }
    }

    /// A watcher left: its tags go with it.
    pub(crate) fn untag(&mut self, name: u32) {
        for watchers in self.tags.values_mut() {
            watchers.remove(&name);
        }
        self.tags.retain(|_, watchers| !watchers.is_empty());
    }
}

impl Model {
    /// `key`, or the key it was remapped to.
    pub(crate) fn resolved(&self, key: &'static str) -> &'static str {
        match self.temps.get(key) {
            Some(Temp::Alias(to)) => to,
            _ => key,
        }
    }

    /// The fields `key` holds in base or in the view that `keep` accepts.
    fn held(&self, key: &'static str, keep: impl Fn(&str) -> bool) -> BTreeSet<String> {
        let view = self.fold(key).0;
        [self.base.get(key), view.as_ref()]
            .into_iter()
            .flatten()
            .flat_map(|entity| entity.keys())
            .filter(|name| keep(name))
            .cloned()
            .collect()
    }

    /// `invalidate(key)`: every field held in base or in the view.
    pub(crate) fn invalidate(&mut self, key: &'static str) -> usize {
        let key = self.resolved(key);
        let fields = self.held(key, |_| true);
        self.hygiene.mark(key, fields)
    }

    fn invalidate_field(&mut self, key: &'static str, pattern: &str) -> usize {
        let key = self.resolved(key);
        let fields = self.held(key, |name| matches(name, pattern));
        self.hygiene.mark(key, fields)
    }

    /// What a read of `doc` over the view looks up.
    pub(crate) fn looked_up(&self, doc: &str) -> Result<Looked, WrongShape> {
        read(&self.view(), &parse(doc))
    }

    /// Marks the looked-up fields each entity holds (in the view or in base).
    fn mark_looked(&mut self, fields: &BTreeSet<(&'static str, &'static str)>) -> usize {
        let view = self.view();
        let held = |key: &str, field: &str| {
            [view.get(key), self.base.get(key)]
                .into_iter()
                .flatten()
                .any(|entity| entity.contains_key(field))
        };
        let marked: Vec<(&'static str, &'static str)> = fields
            .iter()
            .copied()
            .filter(|(key, field)| held(key, field))
            .collect();
        marked
            .into_iter()
            .filter(|(key, field)| self.hygiene.mark(key, [(*field).to_owned()]) == 1)
            .count()
    }

    /// The live query watchers, by name, with their documents.
    fn queries(&self) -> impl Iterator<Item = (u32, &str)> {
        self.watches.iter().filter_map(|(name, watch)| match watch {
            Watch::Query(doc) if self.watching.contains(name) => Some((*name, doc.as_str())),
            _ => None,
        })
    }

    /// The live query watchers whose read looks up a marked field, the most recently watched
    /// (highest name) first.
    pub(crate) fn stale_watchers(&self) -> Vec<u32> {
        if self.hygiene.marks.is_empty() {
            return Vec::new();
        }
        let mut stale: Vec<u32> = self
            .queries()
            .filter(|(_, doc)| self.reads_a_mark(doc))
            .map(|(name, _)| name)
            .collect();
        stale.reverse();
        stale
    }

    /// Whether a read of `doc` looks up a marked field (a failed read looks up nothing).
    pub(crate) fn reads_a_mark(&self, doc: &str) -> bool {
        self.looked_up(doc).is_ok_and(|looked| {
            looked
                .fields
                .iter()
                .any(|(key, field)| self.hygiene.marks.contains(&(*key, (*field).to_owned())))
        })
    }

    /// Every key a gc must keep: the fixpoint of refs from the roots through base and view.
    pub(crate) fn reachable(&self) -> BTreeSet<&'static str> {
        let view = self.view();
        let mut roots: Vec<&'static str> = self
            .base
            .keys()
            .copied()
            .filter(|key| !key.contains(':'))
            .collect();
        roots.extend(self.hygiene.retained.keys().copied());
        for (name, watch) in &self.watches {
            if !self.watching.contains(name) {
                continue;
            }
            match watch {
                Watch::Entity(key) => roots.push(self.resolved(key)),
                Watch::Query(doc) => {
                    roots.push(ROOT);
                    if let Ok(looked) = read(&view, &parse(doc)) {
                        roots.extend(looked.keys);
                    }
                }
            }
        }
        for layer in &self.layers {
            for (key, ops) in as_patch(&layer.ops) {
                roots.push(key);
                for op in &ops {
                    roots.extend(refs_of(&written(op)).iter().filter_map(|key| known(key)));
                }
            }
        }
        roots.extend(
            self.temps
                .iter()
                .filter(|(_, temp)| **temp == Temp::Live)
                .map(|(key, _)| *key),
        );
        let mut reached = BTreeSet::new();
        // A naive fixpoint: add what any reached entity references until nothing is new.
        let mut frontier: BTreeSet<&'static str> = roots.into_iter().collect();
        while !frontier.is_empty() {
            reached.extend(frontier.iter().copied());
            let mut next = BTreeSet::new();
            for key in &reached {
                for entity in [self.base.get(key), view.get(key)].into_iter().flatten() {
                    for value in entity.values() {
                        refs_in(value, &mut |target| {
                            if !reached.contains(target) {
                                next.insert(target);
                            }
                        });
                    }
                }
            }
            frontier = next;
        }
        reached
    }

    /// `gc()`: what no root reaches leaves base, with its marks.
    fn gc(&mut self) -> Vec<(&'static str, Fields)> {
        let reached = self.reachable();
        let gone: Vec<&'static str> = self
            .base
            .keys()
            .copied()
            .filter(|key| !reached.contains(key))
            .collect();
        gone.into_iter()
            .map(|key| {
                let entity = self.base.remove(key).expect("in base");
                self.hygiene.marks.retain(|(k, _)| *k != key);
                (key, entity)
            })
            .collect()
    }

    fn evict(&mut self, key: &'static str) {
        let key = self.resolved(key);
        self.base.remove(key);
        self.hygiene.marks.retain(|(k, _)| *k != key);
    }

    fn evict_field(&mut self, key: &'static str, pattern: &str) {
        let key = self.resolved(key);
        let Some(entity) = self.base.get_mut(key) else {
            return;
        };
        let evicted: Vec<String> = entity
            .keys()
            .filter(|name| matches(name, pattern))
            .cloned()
            .collect();
        for name in evicted {
            entity.remove(&name);
            self.hygiene.marks.remove(&(key, name));
        }
    }
}

/// A layer's ops as its patch holds them: grouped by key, and a write merged into the key's
/// last op when that is a write too (so a field written twice holds the last value only).
fn as_patch(ops: &[KOp]) -> Vec<(&'static str, Vec<MOp>)> {
    let mut by_key: Vec<(&'static str, Vec<MOp>)> = Vec::new();
    for op in ops {
        let at = match by_key.iter().position(|(key, _)| *key == op.key) {
            Some(at) => at,
            None => {
                by_key.push((op.key, Vec::new()));
                by_key.len() - 1
            }
        };
        let held = &mut by_key[at].1;
        match (held.last_mut(), &op.op) {
            (Some(MOp::Write(last)), MOp::Write(fields)) => last.extend(fields.iter().cloned()),
            _ => held.push(op.op.clone()),
        }
    }
    by_key
}

/// `op` as a patch holds it: a write naming a field twice writes the last value only (the
/// entity a patch writes has each field once).
fn written(op: &MOp) -> MOp {
    match op {
        MOp::Write(fields) => {
            let mut last: Vec<(&'static str, Value)> = Vec::new();
            for (name, value) in fields {
                last.retain(|(n, _)| n != name);
                last.push((name, value.clone()));
            }
            MOp::Write(last)
        }
        other => other.clone(),
    }
}

/// The reference's name for a key a ref names, if it is one the reference knows.
fn known(key: &str) -> Option<&'static str> {
    all_keys().find(|k| *k == key)
}

/// Calls `found` for each ref in `value`, at any depth.
fn refs_in(value: &Value, found: &mut impl FnMut(&'static str)) {
    match value {
        Value::Ref(key) => {
            if let Some(key) = known(key.as_str()) {
                found(key);
            }
        }
        Value::List(items) => items.iter().for_each(|item| refs_in(item, found)),
        Value::Object(fields) => fields.iter().for_each(|(_, v)| refs_in(v, found)),
        _ => {}
    }
}

/// The reference side of the hygiene transitions; whether the call reports changes.
pub(crate) fn apply(state: &mut Model, transition: &crate::strategies::Transition) -> bool {
    use crate::strategies::Transition::*;
    let answer = match transition {
        Invalidate(key) => Answer::Marked(valid(key).then(|| state.invalidate(key))),
        InvalidateField(key, pattern) => {
            Answer::Marked(valid(key).then(|| state.invalidate_field(key, pattern)))
        }
        InvalidateQuery(doc) => Answer::Marked(
            state
                .looked_up(doc)
                .ok()
                .map(|looked| state.mark_looked(&looked.fields)),
        ),
        TagWatch(name, tag) => {
            let query = state.watching.contains(name)
                && matches!(state.watches.get(name), Some(Watch::Query(_)));
            if query {
                state.hygiene.tags.entry(tag).or_default().insert(*name);
            }
            Answer::Tagged(query)
        }
        InvalidateTag(tag) => {
            let tagged = state.hygiene.tags.get(tag).cloned().unwrap_or_default();
            let mut fields = BTreeSet::new();
            for name in tagged {
                let Some(Watch::Query(doc)) = state.watches.get(&name) else {
                    unreachable!("only live query watchers carry tags")
                };
                if let Ok(looked) = state.looked_up(doc) {
                    fields.extend(looked.fields);
                }
            }
            Answer::Marked(Some(state.mark_looked(&fields)))
        }
        Retain(key) => {
            if valid(key) {
                let key = state.resolved(key);
                *state.hygiene.retained.entry(key).or_default() += 1;
            }
            Answer::Retained(valid(key))
        }
        Release(key) => Answer::Released(if valid(key) {
            let key = state.resolved(key);
            match state.hygiene.retained.get_mut(key) {
                Some(1) => {
                    state.hygiene.retained.remove(key);
                    Releasing::Done
                }
                Some(n) => {
                    *n -= 1;
                    Releasing::Done
                }
                None => Releasing::NotRetained(key),
            }
        } else {
            Releasing::InvalidKey
        }),
        Gc => Answer::Collected(state.gc()),
        Evict(key) => {
            if valid(key) {
                state.evict(key);
            }
            Answer::Evicted(valid(key))
        }
        EvictField(key, pattern) => {
            if valid(key) {
                state.evict_field(key, pattern);
            }
            Answer::Evicted(valid(key))
        }
        _ => unreachable!("{transition:?} is no hygiene transition"),
    };
    let reports = matches!(answer, Answer::Collected(_) | Answer::Evicted(true));
    state.hygiene.answer = Some(answer);
    reports
}
