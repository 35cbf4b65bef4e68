//! Keeping the view in step: recomputing overlay entries from base and the layers, folding
//! settled layers into base at the end of every mutating call, and checking the invariants.
//!
//! The public operations in the parent module decide which keys a call touches; this module is
//! where DESIGN.md's first invariant is restored for them, so it is kept apart and small.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{RECENT_KEYS, RECENT_REVISIONS, Store};
use crate::changes::{Changed, Changes, LayerEvent, record};
use crate::entity::Entity;
use crate::key::Key;
use crate::layer::{LayerError, LayerId, LayerInfo, LayerState, Slot};
use crate::op::{apply, apply_versioned};
use crate::version;
use crate::view::Map;

impl Store {
    /// The slot of a pending layer of this store.
    pub(crate) fn pending(&self, id: LayerId) -> Result<Slot, LayerError> {
        if id.store != self.tag {
            return Err(LayerError::UnknownLayer(id));
        }
        match self.stack.get(id.slot) {
            Some(layer) if layer.seq == id.seq && layer.state == LayerState::Pending => Ok(id.slot),
            // The slot holds another layer: the id was issued by a clone of this store (or by
            // the store this one was cloned from) after they parted.
            Some(layer) if layer.seq != id.seq => Err(LayerError::UnknownLayer(id)),
            // Gone from the slot map (failed, or confirmed and folded) or confirmed already.
            _ => Err(LayerError::AlreadySettled(id)),
        }
    }

    pub(crate) fn id_of(&self, slot: Slot) -> LayerId {
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

    /// The view of `key` folded from scratch: base, then the ops of every live layer on it in
    /// stack order. For a versioned type, a confirmed layer whose ops write an older version
    /// than the entity's below them is left out (DESIGN.md: versions decide where they exist).
    /// The flag says whether the layer in `probe` was left out.
    pub(crate) fn fold(&self, key: &str, probe: Option<Slot>) -> (Option<Entity>, bool) {
        let (entity, probed, _) = self.fold_noting_base(key, probe);
        (entity, probed)
    }

    /// [`fold`](Store::fold), and whether base has the key.
    fn fold_noting_base(&self, key: &str, probe: Option<Slot>) -> (Option<Entity>, bool, bool) {
        let base = self.base.get(key);
        let in_base = base.is_some();
        let Some(field) = self.policies.version_field_of_key(key) else {
            let ops = self.stack.layers_on(key).flat_map(|(_, _, ops)| ops);
            return (apply(base, ops, &self.updaters), false, in_base);
        };
        let mut entity = base.cloned();
        let mut probed = false;
        for (slot, layer, ops) in self.stack.layers_on(key) {
            if layer.state == LayerState::Confirmed
                && version::is_stale(ops, entity.as_ref(), field)
            {
                probed |= Some(slot) == probe;
                continue;
            }
            entity = apply_versioned(entity.as_ref(), ops, &self.updaters, Some(field));
        }
        (entity, probed, in_base)
    }

    /// Recomputes the overlay entry of `key` from base and the layers touching it (present
    /// exactly while some layer touches the key), and returns the key's view.
    pub(crate) fn recompute(&mut self, key: &Key) -> Option<Entity> {
        self.recompute_probe(key, None).0
    }

    fn recompute_probe(&mut self, key: &Key, probe: Option<Slot>) -> (Option<Entity>, bool) {
        if self.stack.touching(key).is_empty() {
            self.set_overlay(key, None, None);
            (self.base.get(key).cloned(), false)
        } else if self.policies.version_field_of_key(key).is_none() {
            // No version rule: the stack folds the layers' ops, under many layers through the
            // key's tree of summaries, so that taking out one of L layers does not apply the
            // other L - 1 (`fold` below is the plain fold, which `check_invariants` compares).
            let base = self.base.get(key);
            let in_base = base.is_some();
            let entity = self.stack.fold(key, base, &self.updaters);
            self.set_overlay(key, Some(entity.clone()), Some(in_base));
            (entity, false)
        } else {
            let (entity, probed, in_base) = self.fold_noting_base(key, probe);
            self.set_overlay(key, Some(entity.clone()), Some(in_base));
            (entity, probed)
        }
    }

    /// Recomputes `keys` and returns those whose view differs from `before` (same order).
    pub(crate) fn recompute_all(
        &mut self,
        keys: &[Key],
        before: Vec<Option<Entity>>,
    ) -> Vec<Changed> {
        self.recompute_probing(keys, before, None).0
    }

    /// As [`recompute_all`](Store::recompute_all); for the keys of a layer that just became
    /// confirmed (`probe`), also returns the keys on which its ops were left out as older than
    /// what lies below them.
    pub(crate) fn recompute_probing(
        &mut self,
        keys: &[Key],
        before: Vec<Option<Entity>>,
        probe: Option<Slot>,
    ) -> (Vec<Changed>, Vec<Key>) {
        let mut changes = Vec::new();
        let mut ignored = Vec::new();
        for (key, before) in keys.iter().zip(before) {
            let (after, left_out) = self.recompute_probe(key, probe);
            record(&mut changes, key, before.as_ref(), after.as_ref());
            if left_out {
                ignored.push(key.clone());
            }
        }
        (changes, ignored)
    }

    /// Ends every mutating call: folds confirmed layers at the bottom into base (see
    /// [`squash`](Store::squash)), and reports the changes.
    pub(crate) fn finish(&mut self, changes: Vec<Changed>, ignored: Vec<Key>) -> Changes {
        self.squash();
        // Keys that cancels of abandoned layers changed first: their net change since. A
        // watcher may have been told of the cancels already (by a call that returned no
        // `Changes`, or registered since), so this call's own change of such a key reaches the
        // watchers even where the net change is none, and each compares with what it was
        // told last.
        let mut all = changes;
        let mut extra = Vec::new();
        for (key, then) in std::mem::take(&mut self.drained) {
            let own: Vec<Changed> = all.extract_if(.., |(k, _, _)| *k == key).collect();
            let now = self.get(&key).cloned();
            if crate::changes::same(then.as_ref(), now.as_ref()) {
                extra.extend(own);
            } else {
                all.push((key, then, now));
            }
        }
        let changes = Changes::new(all, ignored, std::mem::take(&mut self.events));
        self.advance(&changes);
        if extra.is_empty() {
            self.notify(&changes);
        } else {
            let told = changes
                .clone()
                .merge(Changes::new(extra, Vec::new(), Vec::new()));
            self.notify(&told);
        }
        changes
    }

    /// Ends a call that may return no `Changes` (it was refused, or it was a reservation). If
    /// it cancelled abandoned layers, the view changed, so the revision moves (a cached read
    /// must not return what it read before the cancels); watchers are told now, layer watchers
    /// of its layer events too (a reservation's, the cancels'). The changes
    /// still wait in `drained` for the next report, as documented on
    /// [`collect_abandoned`](Store::collect_abandoned); a watcher told now is not told again
    /// then, unless its result changes again.
    pub(crate) fn report_drained(&mut self) {
        let mut changed = Vec::new();
        for (key, then) in &self.drained {
            record(&mut changed, key, then.as_ref(), self.get(key));
        }
        let changes = Changes::new(changed, Vec::new(), Vec::new());
        self.advance(&changes);
        // Layer watchers are told of this call's layer events (a reservation, the cancels)
        // now too, even when the view did not change.
        self.notify_unreported(changes);
    }

    /// A new revision, remembered with the keys that changed, if any did.
    fn advance(&mut self, changes: &Changes) {
        if !changes.is_empty() {
            let from = self.revision;
            self.revision = next_revision();
            if changes.len() > RECENT_KEYS {
                // Too many to remember: no revision before this one has a known change set
                // (`changed_since` says `None`, and kept reads compare what they read). Not
                // copying the keys spares this call O(n) and the next one dropping them.
                self.recent.clear();
                self.recent_keys = 0;
                return;
            }
            self.recent
                .push_back((from, self.revision, Arc::from(changes.keys())));
            // Bounded in revisions and in keys, so a few huge writes cannot pin memory; the
            // newest entry always stays (it holds at most RECENT_KEYS keys).
            self.recent_keys += changes.len();
            while self.recent.len() > 1
                && (self.recent.len() > RECENT_REVISIONS || self.recent_keys > RECENT_KEYS)
            {
                if let Some((_, _, keys)) = self.recent.pop_front() {
                    self.recent_keys -= keys.len();
                }
            }
        }
    }

    /// Folds confirmed layers at the bottom into base. The view does not change: each is the
    /// oldest layer on every key it touches, so its keys' overlay entries already hold the
    /// fold, and leave the overlay once no layer touches them.
    ///
    /// Linear in the ops of the folded layers: the run is taken off the stack at once (see
    /// `Stack::remove_bottom`), then folded into base oldest first.
    pub(crate) fn squash(&mut self) {
        let run = self.stack.confirmed_bottom();
        if run.is_empty() {
            return;
        }
        for slot in &run {
            let id = self.id_of(*slot);
            self.events.push((id, LayerEvent::Squashed));
        }
        let layers = self.stack.remove_bottom(&run);
        for layer in &layers {
            // A mark set after the layer was made is not answered by it.
            let answered = layer.epoch;
            for (key, ops) in &layer.ops {
                let stale = self
                    .policies
                    .version_field_of_key(key)
                    .is_some_and(|field| version::is_stale(ops, self.base.get(key), field));
                // Left out in the view already (the fold applies the same rule), and reported by
                // the call that wrote it if it was stale then.
                if !stale {
                    let version = self.policies.version_field_of_key(key).map(|f| f.as_str());
                    let folded = apply_versioned(self.base.get(key), ops, &self.updaters, version);
                    self.stale.clear_written(key, ops, answered);
                    self.set_base(key, folded);
                }
            }
        }
        for layer in &layers {
            for key in layer.ops.keys() {
                if self.stack.touching(key).is_empty() {
                    debug_assert!(
                        self.overlay
                            .get(key)
                            .is_none_or(|over| over.as_ref() == self.base.get(key))
                    );
                    self.set_overlay(key, None, None);
                }
            }
        }
        debug_assert!(!self.stack.is_empty() || self.overlay.is_empty());
        debug_assert!(self.stack.bottom().is_none_or(|slot| {
            self.stack.get(slot).map(|layer| layer.state) == Some(LayerState::Pending)
        }));
    }

    /// The stack's invariants and the mutation records' agreement with it: O(L + M), so a
    /// load can check what it built without looking at every entity.
    pub(crate) fn check_layers(&self) -> Result<(), String> {
        self.stack.check()?;
        self.mutations.check()?;
        for record in self.mutations.iter() {
            let live = self.pending(record.id).is_ok();
            if record.status.is_pending() != live {
                return Err(format!(
                    "mutation {:?} is {:?} but its layer is {}",
                    record.id,
                    record.status,
                    if live { "pending" } else { "not" }
                ));
            }
        }
        for slot in self.stack.slots() {
            let id = self.id_of(slot);
            let layer = self.stack.get(slot).expect("slot from the stack");
            if layer.kind == crate::LayerKind::Intent
                && layer.state == LayerState::Pending
                && self.mutations.get(id).is_none()
            {
                return Err(format!("pending intent {id:?} has no mutation record"));
            }
        }
        Ok(())
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
        self.check_layers()?;
        if self.len() != self.view().len() {
            return Err(format!(
                "the kept count says {} entities, the view has {}",
                self.len(),
                self.view().len()
            ));
        }
        if let Some(slot) = self.stack.bottom()
            && self.stack.get(slot).map(|layer| layer.state) == Some(LayerState::Confirmed)
        {
            return Err(format!(
                "confirmed layer {:?} was not folded into base",
                self.id_of(slot)
            ));
        }
        if self.base.len() != self.base.iter().count() {
            return Err(format!(
                "base counts {} entities and holds {}",
                self.base.len(),
                self.base.iter().count()
            ));
        }
        self.base.check_count()?;
        let mut layered = 0;
        for (key, view) in self.base.layered() {
            layered += 1;
            if self.overlay.get(key).map(Option::as_ref) != Some(view) {
                return Err(format!(
                    "base's cell of `{key}` holds {view:?} as the view, the overlay {:?}",
                    self.overlay.get(key)
                ));
            }
        }
        if layered != self.overlay.len() {
            return Err(format!(
                "{} keys in the overlay, {layered} layered cells in base",
                self.overlay.len()
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
            let (expected, _) = self.fold(key, None);
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
