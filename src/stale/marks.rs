//! The stale marks themselves: for each entity, the fields known to need a refetch.

use std::collections::{BTreeMap, BTreeSet};

use crate::field::FieldName;
use crate::key::Key;
use crate::op::Op;

/// The stale `(entity, field)` marks, by entity, each with the count of marking calls when it
/// was set (its stamp: a read requested after that count is fresh of it).
#[derive(Clone, Default, Debug)]
pub(crate) struct Marks {
    by_key: BTreeMap<Key, BTreeMap<FieldName, u64>>,
    /// How many marks in all.
    len: usize,
    /// How many calls marked a field (new or marked again), ever: a query lifecycle compares
    /// it with the count it saw to learn that something was invalidated since. Not part of
    /// the marks' value (`==`).
    epoch: u64,
}

impl PartialEq for Marks {
    /// The marks themselves, not when they were set.
    fn eq(&self, other: &Marks) -> bool {
        self.by_key.len() == other.by_key.len()
            && self
                .by_key
                .iter()
                .zip(&other.by_key)
                .all(|((a, fa), (b, fb))| a == b && fa.keys().eq(fb.keys()))
    }
}

impl Marks {
    /// Marks these fields of `key`; returns how many were not marked before.
    pub(crate) fn mark(&mut self, key: &Key, fields: impl IntoIterator<Item = FieldName>) -> usize {
        let mut added = 0;
        let mut fields = fields.into_iter().peekable();
        if fields.peek().is_none() {
            return 0;
        }
        // A field marked again is stamped again: an answer given since the first mark does
        // not answer this one.
        self.epoch += 1;
        let stamp = self.epoch;
        let set = self.by_key.entry(key.clone()).or_default();
        for field in fields {
            added += usize::from(set.insert(field, stamp).is_none());
        }
        self.len += added;
        added
    }

    /// Puts back a saved mark with its stamp; the count goes on from the highest stamp.
    pub(crate) fn restore(&mut self, key: &Key, field: FieldName, stamp: u64) {
        self.epoch = self.epoch.max(stamp);
        let set = self.by_key.entry(key.clone()).or_default();
        if set.insert(field, stamp).is_none() {
            self.len += 1;
        }
    }

    /// Each mark's stamp, in the order of [`by_key`](Marks::by_key).
    pub(crate) fn stamps(&self) -> impl Iterator<Item = Vec<u64>> + '_ {
        self.by_key
            .values()
            .map(|set| set.values().copied().collect())
    }

    /// A loaded layer was made when the count was `epoch`: the count goes on from there.
    pub(crate) fn restore_epoch(&mut self, epoch: u64) {
        self.epoch = self.epoch.max(epoch);
    }

    /// How many calls added a mark (see the field).
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Whether `key`'s `field` is marked, by a call after the count was `after`.
    pub(crate) fn marked_after(&self, key: &str, field: &str, after: u64) -> bool {
        self.by_key
            .get(key)
            .and_then(|set| set.get(field))
            .is_some_and(|stamp| *stamp > after)
    }

    /// Whether some field of `key` is marked, by a call after the count was `after`.
    pub(crate) fn key_marked_after(&self, key: &str, after: u64) -> bool {
        self.by_key
            .get(key)
            .is_some_and(|set| set.values().any(|stamp| *stamp > after))
    }

    /// Drops every mark (the count goes on).
    pub(crate) fn clear(&mut self) {
        self.by_key.clear();
        self.len = 0;
    }

    /// Fresh data for `key` reached base through `ops`, requested when the count was `answered`
    /// (`u64::MAX`: now): a field written or removed is fresh of the marks set before, a
    /// deleted entity has nothing left to refetch. Relative ops (increments, list edits,
    /// updaters) change what is there and leave it as stale as it was. O(1) when nothing is
    /// marked.
    pub(crate) fn clear_written(&mut self, key: &Key, ops: &[Op], answered: u64) {
        if self.by_key.is_empty() {
            return;
        }
        let Some(set) = self.by_key.get_mut(key) else {
            return;
        };
        let before = set.len();
        for op in ops {
            match op {
                Op::Write(fields) => {
                    for (name, _) in fields.iter() {
                        if set.get(name).is_some_and(|stamp| *stamp <= answered) {
                            set.remove(name);
                        }
                    }
                }
                Op::RemoveField(name) => {
                    if set.get(name).is_some_and(|stamp| *stamp <= answered) {
                        set.remove(name);
                    }
                }
                Op::Delete => set.retain(|_, stamp| *stamp > answered),
                Op::Increment { .. }
                | Op::ListInsert { .. }
                | Op::ListRemove { .. }
                | Op::Update { .. } => {}
            }
        }
        self.len -= before - set.len();
        if set.is_empty() {
            self.by_key.remove(key);
        }
    }

    /// Drops every mark of `key` (it left base: evicted, collected); returns them.
    pub(crate) fn remove_key(&mut self, key: &str) -> Option<BTreeSet<FieldName>> {
        if self.by_key.is_empty() {
            return None;
        }
        let set = self.by_key.remove(key)?;
        self.len -= set.len();
        Some(set.into_keys().collect())
    }

    /// Drops the mark of one field of `key`.
    pub(crate) fn remove_field(&mut self, key: &str, field: &str) {
        if let Some(set) = self.by_key.get_mut(key)
            && set.remove(field).is_some()
        {
            self.len -= 1;
            if set.is_empty() {
                self.by_key.remove(key);
            }
        }
    }

    /// `from`'s marks move to `to` (a remapped temporary key).
    pub(crate) fn rename(&mut self, from: &Key, to: &Key) {
        if let Some(set) = self.remove_key(from) {
            self.mark(to, set);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn contains_key(&self, key: &str) -> bool {
        self.by_key.contains_key(key)
    }

    pub(crate) fn contains(&self, key: &str, field: &str) -> bool {
        self.by_key
            .get(key)
            .is_some_and(|set| set.contains_key(field))
    }

    /// The marked entity keys, in key order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &Key> {
        self.by_key.keys()
    }

    /// Every mark, by key then field.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&Key, &FieldName)> {
        self.by_key
            .iter()
            .flat_map(|(key, fields)| fields.keys().map(move |field| (key, field)))
    }

    /// The marks, by entity, for saving.
    pub(crate) fn by_key(&self) -> impl Iterator<Item = (&Key, impl Iterator<Item = &FieldName>)> {
        self.by_key.iter().map(|(key, fields)| (key, fields.keys()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::Entity;
    use crate::value::Value;

    fn key(text: &str) -> Key {
        Key::new(text).unwrap()
    }

    #[test]
    fn written_and_removed_fields_clear_relative_ops_do_not() {
        let mut marks = Marks::default();
        let k = key("A:1");
        let names = ["a", "b", "c", "d"].map(FieldName::new);
        assert_eq!(marks.mark(&k, names.clone()), 4);
        assert_eq!(marks.mark(&k, [FieldName::new("a")]), 0, "already marked");
        marks.clear_written(
            &k,
            &[
                Op::Write(Entity::from_fields([(FieldName::new("a"), Value::from(1))])),
                Op::RemoveField(FieldName::new("b")),
                Op::Increment {
                    field: FieldName::new("c"),
                    by: 1.into(),
                },
            ],
            u64::MAX,
        );
        assert_eq!(marks.len(), 2);
        assert!(marks.contains("A:1", "c") && marks.contains("A:1", "d"));
        marks.clear_written(&k, &[Op::Delete], u64::MAX);
        assert!(marks.is_empty());
        assert_eq!(marks.len(), 0);
    }

    #[test]
    fn marks_move_with_a_remap_and_leave_with_their_key() {
        let mut marks = Marks::default();
        marks.mark(&key("A:1"), [FieldName::new("x")]);
        marks.rename(&key("A:1"), &key("A:2"));
        assert!(!marks.contains_key("A:1") && marks.contains("A:2", "x"));
        marks.remove_field("A:2", "x");
        assert!(marks.is_empty());
        marks.mark(&key("A:3"), [FieldName::new("y")]);
        assert_eq!(marks.remove_key("A:3").map(|set| set.len()), Some(1));
        assert_eq!(marks.len(), 0);
    }
}
