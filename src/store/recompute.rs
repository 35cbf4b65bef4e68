//! Keeping the view in step: recomputing overlay entries from base and the layers, folding
//! settled layers into base at the end of every mutating call, and checking the invariants.
//!
//! The public operations in the parent module decide which keys a call touches; this module is
//! where DESIGN.md's first invariant is restored for them, so it is kept apart and small.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{RECENT_KEYS, RECENT_REVISIONS, Store};
use crate::entity::Entity;
use crate::key::Key;
use crate::layer::{LayerError, LayerId, LayerInfo, LayerState, Slot};
use crate::op::apply;
use crate::view::{Changes, Map, same};

impl Store {
    /// The slot of a pending layer of this store.
    pub(crate) fn pending(&self, id: LayerId) -> Result<Slot, LayerError> {
        if id.store != self.tag {
            return Err(LayerError::UnknownLayer(id));
        }
        match self.stack.get(id.slot) {
            Some(layer) if layer.seq == id.seq && layer.state == LayerState::Pending => Ok(id.slot),
            // Gone from the slot map (failed, or confirmed and folded) or confirmed already.
            _ => Err(LayerError::AlreadySettled(id)),
        }
    }

    pub(super) fn id_of(&self, slot: Slot) -> LayerId {
        let seq = self.stack.get(slot).map_or(0, |layer| layer.seq);
        LayerId {
            store: self.tag,
            seq,
            slot,
        }
    }

    pub(super) fn info(&self, slot: Slot) -> LayerInfo<'_> {
        LayerInfo {
            id: self.id_of(slot),
            layer: self
                .stack
                .get(slot)
                .expect("slot from the stack's own order"),
        }
    }

    /// The merged view of `keys` now (cheap: entities are shared).
    pub(crate) fn view_of(&self, keys: &[Key]) -> Vec<Option<Entity>> {
        keys.iter().map(|key| self.get(key).cloned()).collect()
    }

    /// Recomputes the overlay entry of `key` from base and the layers touching it (present
    /// exactly while some layer touches the key), and returns the key's view.
    pub(crate) fn recompute(&mut self, key: &Key) -> Option<Entity> {
        if self.stack.touching(key).is_empty() {
            if !self.overlay.is_empty() {
                self.overlay.remove(key);
            }
            self.base.get(key).cloned()
        } else {
            let entity = apply(self.base.get(key), self.stack.ops_on(key), &self.updaters);
            self.overlay.insert(key.clone(), entity.clone());
            entity
        }
    }

    /// Recomputes `keys` and returns those whose view differs from `before` (same order).
    pub(crate) fn recompute_all(&mut self, keys: &[Key], before: Vec<Option<Entity>>) -> Vec<Key> {
        let mut changes = Vec::new();
        for (key, before) in keys.iter().zip(before) {
            let after = self.recompute(key);
            if !same(before.as_ref(), after.as_ref()) {
                changes.push(key.clone());
            }
        }
        changes
    }

    /// Ends every mutating call: folds confirmed layers at the bottom into base (the view does
    /// not change: each is the oldest layer on every key it touches, so its keys' overlay
    /// entries already hold the fold, and leave the overlay once no layer touches them), and
    /// reports the changes.
    pub(crate) fn finish(&mut self, changes: Vec<Key>) -> Changes {
        while let Some(slot) = self.stack.bottom() {
            if self.stack.get(slot).map(|layer| layer.state) != Some(LayerState::Confirmed) {
                break;
            }
            let Some(layer) = self.stack.remove(slot) else {
                break;
            };
            for (key, ops) in &layer.ops {
                let folded = apply(self.base.get(key), ops, &self.updaters);
                put(&mut self.base, key, folded);
                if self.stack.touching(key).is_empty() {
                    debug_assert!(
                        self.overlay
                            .get(key)
                            .is_none_or(|over| over.as_ref() == self.base.get(key))
                    );
                    self.overlay.remove(key);
                }
            }
        }
        debug_assert!(!self.stack.is_empty() || self.overlay.is_empty());
        debug_assert!(self.stack.bottom().is_none_or(|slot| {
            self.stack.get(slot).map(|layer| layer.state) == Some(LayerState::Pending)
        }));
        let changes = Changes::new(changes);
        if !changes.is_empty() {
            let from = self.revision;
            self.revision = next_revision();
            self.recent
                .push_back((from, self.revision, Arc::from(changes.keys())));
            // Bounded in revisions and in keys, so a few huge writes cannot pin memory; the
            // newest entry always stays.
            while self.recent.len() > 1
                && (self.recent.len() > RECENT_REVISIONS
                    || self
                        .recent
                        .iter()
                        .map(|(_, _, keys)| keys.len())
                        .sum::<usize>()
                        > RECENT_KEYS)
            {
                self.recent.pop_front();
            }
        }
        changes
    }

    /// Checks DESIGN.md's structural invariants, recomputing the whole view from scratch:
    /// the view is the fold of base and the live layers for every key, the key index matches
    /// the layers, no confirmed layer waits at the bottom, and with no layer the view is base.
    /// O(entities + ops); for tests.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// store.push("edit", Patch::new().increment("A:1", "n", 1))?;
    /// store.check_invariants()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(hidden)]
    pub fn check_invariants(&self) -> Result<(), String> {
        self.stack.check()?;
        if let Some(slot) = self.stack.bottom()
            && self.stack.get(slot).map(|layer| layer.state) == Some(LayerState::Confirmed)
        {
            return Err(format!(
                "confirmed layer {:?} was not folded into base",
                self.id_of(slot)
            ));
        }
        for key in self.stack.touched_keys() {
            if !self.overlay.contains_key(key) {
                return Err(format!(
                    "`{key}` is touched by a layer but has no overlay entry"
                ));
            }
        }
        let keys = self.base.keys().chain(self.overlay.keys());
        for key in keys {
            if self.overlay.contains_key(key) && self.stack.touching(key).is_empty() {
                return Err(format!(
                    "`{key}` has an overlay entry but no layer touches it"
                ));
            }
            let expected = apply(self.base.get(key), self.stack.ops_on(key), &self.updaters);
            if self.get(key) != expected.as_ref() {
                return Err(format!(
                    "view[{key}] is {:?}, the fold of base and layers gives {:?}",
                    self.get(key),
                    expected
                ));
            }
        }
        Ok(())
    }
}

/// A fresh view revision (see [`Store::revision`]).
pub(super) fn next_revision() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Sets or removes `key` in `map`.
pub(crate) fn put(map: &mut Map, key: &Key, entity: Option<Entity>) {
    match entity {
        Some(entity) => {
            map.insert(key.clone(), entity);
        }
        None => {
            map.remove(key);
        }
    }
}
