//! Keeping the view's entity count, so [`Store::len`] is O(1).
//!
//! The view is base under the overlay, so its size is `base.len()` plus, over the overlay's
//! keys, whether the view has the key minus whether base has it. That sum changes only when an
//! overlay entry changes or base changes under an overlay key; every such change goes through
//! the two setters here, which adjust the sum by the key's contribution before and after. The
//! overlay setter also keeps base's cells holding the merged entities (see [`Map`]).
//!
//! [`Map`]: crate::view::Map

use super::Store;
use super::recompute::put;
use crate::entity::Entity;
use crate::key::Key;

impl Store {
    /// What `key` adds to the view's size beyond base's: +1 if the overlay creates it, -1 if
    /// the overlay deletes it, 0 otherwise.
    fn overlay_contribution(&self, key: &str) -> isize {
        match self.overlay.get(key) {
            Some(over) => isize::from(over.is_some()) - isize::from(self.base.contains_key(key)),
            None => 0,
        }
    }

    /// Sets (or removes, with `None`) `key` in base, keeping the count. A key the overlay
    /// does not hold adds nothing beyond base either way, so only an overlay key costs one
    /// more lookup.
    pub(crate) fn set_base(&mut self, key: &Key, entity: Option<Entity>) {
        if let Some(over) = self.overlay.get(key) {
            let shown = isize::from(over.is_some());
            let before = shown - isize::from(self.base.contains_key(key));
            let after = shown - isize::from(entity.is_some());
            self.overlay_delta += after - before;
        }
        put(&mut self.base, key, entity);
    }

    /// Sets `key`'s overlay entry (`None`: no entry, the key reads through to base), keeping
    /// the count. `in_base` says whether base has the key, if the caller knows; otherwise it
    /// is looked up, and only when an entry is written or removed.
    pub(crate) fn set_overlay(
        &mut self,
        key: &Key,
        entry: Option<Option<Entity>>,
        in_base: Option<bool>,
    ) {
        let old = match &entry {
            Some(entity) => self.overlay.insert(key.clone(), entity.clone()),
            None if self.overlay.is_empty() => None,
            None => self.overlay.remove(key).map(|(_, old)| old),
        };
        if entry.is_none() && old.is_none() {
            return;
        }
        // The merged entity is also kept in base's cell, where reads find it.
        self.base.set_view(key, entry.clone());
        let in_base = isize::from(in_base.unwrap_or_else(|| self.base.contains_key(key)));
        let contribution = |over: &Option<Entity>| isize::from(over.is_some()) - in_base;
        let after = entry.as_ref().map_or(0, contribution);
        let before = old.as_ref().map_or(0, contribution);
        self.overlay_delta += after - before;
    }

    /// After base was replaced wholesale: puts the overlay's merged entities into the new
    /// base's cells and counts the overlay's contribution from scratch. O(keys in the overlay).
    pub(crate) fn base_replaced(&mut self) {
        for (key, over) in self.overlay.iter() {
            self.base.set_view(key, Some(over.clone()));
        }
        self.overlay_delta = self
            .overlay
            .keys()
            .map(|key| self.overlay_contribution(key))
            .sum();
    }
}
