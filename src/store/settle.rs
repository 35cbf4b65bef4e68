//! Settling layers: success with the layer's own ops or the server's answer, failure, and
//! cancellation of abandoned requests (explicitly, or by a dropped [`LayerGuard`]).
//!
//! Each call changes one layer's state or ops and recomputes the keys that layer touches; the
//! bottom-up fold into base happens in `finish`, shared by every mutating call.

use std::sync::Arc;

use super::{ConfirmError, Store};
use crate::changes::{Changes, LayerEvent};
use crate::guard::LayerGuard;
use crate::key::Key;
use crate::layer::{LayerError, LayerId, LayerKind, LayerState, Slot};
use crate::mutation::{Failure, FailureKind, MutationStatus};
use crate::op::Op;
use crate::patch::{KeyOps, OpsByKey, Patch, PatchError};

/// ## Settling layers by hand
///
/// Beyond [`confirm`](Store::confirm) and [`fail`](Store::fail): promote a guess as it is,
/// confirm keeping its list inserts, cancel an abandoned request, reserve a slot for a
/// query's answer below the pending mutations, and guards that cancel on drop.
impl Store {
    /// Settles a layer as success with its own ops: an intent's guess becomes confirmed truth,
    /// folding into base once every layer below has settled. (An observation has no ops:
    /// promoting it settles it with an empty answer.) The view does not change, except for a
    /// versioned entity whose guess set an older version than the one below it (see
    /// [`Policies::version_field`](crate::Policies::version_field)).
    ///
    /// Cost: O(v x ops on v) to refold the layer's v versioned keys, plus the fold into base
    /// of the confirmed run this settles at the bottom, linear in that run's ops (one pass,
    /// whatever the run's length).
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// let (id, _) = store.push("edit", Patch::new().set("A:1", "x", 1))?;
    /// let changes = store.promote(id)?;
    /// assert!(changes.is_empty());
    /// assert!(store.get_confirmed("A:1").is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn promote(&mut self, id: LayerId) -> Result<Changes, LayerError> {
        self.exact(|this| {
            let result = this.promote_now(id);
            this.report_drained();
            result
        })
    }

    pub(crate) fn promote_now(&mut self, id: LayerId) -> Result<Changes, LayerError> {
        self.drain_abandoned();
        let slot = self.pending(id)?;
        // Only versioned keys can change: a confirmed layer is subject to the version rule.
        let keys: Vec<Key> = self.stack.get(slot).map_or_else(Vec::new, |layer| {
            layer
                .ops
                .keys()
                .filter(|key| self.policies.version_field_of_key(key).is_some())
                .cloned()
                .collect()
        });
        let before = self.view_of(&keys);
        self.stack.set_state(slot, LayerState::Confirmed);
        self.events.push((id, LayerEvent::Confirmed));
        self.mutations.settle(id, MutationStatus::Committed);
        let (changes, ignored) = self.recompute_probing(&keys, before, Some(slot));
        Ok(self.finish(changes, ignored))
    }

    /// Settles a layer as success with the server's answer laid **over** the layer's own
    /// relative ops: its list inserts and removals, increments and updaters are kept, in
    /// order, and the server's ops follow them on each key; its field writes, field removals
    /// and deletes are dropped (the answer speaks for those). Use it when the answer returns
    /// only the entity, so the app need not restate the insert of a created item into a list.
    ///
    /// Cost: as [`confirm`](Store::confirm).
    ///
    /// ```
    /// use optimist::{Key, ListPosition, Patch, Store, Value};
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("ROOT_QUERY", "todos", Vec::<Value>::new()))?;
    /// let todo = Key::new("Todo:6")?;
    /// let (create, _) = store.push("create", Patch::new()
    ///     .set(&todo, "title", "guess")
    ///     .insert_unique("ROOT_QUERY", "todos", todo.clone(), ListPosition::End))?;
    /// // The server's answer is just the entity.
    /// store.confirm_keeping_relative(create, Patch::new().set(&todo, "title", "Buy milk"))?;
    /// assert_eq!(store.get_confirmed("ROOT_QUERY").and_then(|e| e.get("todos")).and_then(|v| v.as_list()).map(|l| l.len()), Some(1));
    /// assert_eq!(store.get_confirmed("Todo:6").and_then(|e| e.get("title")).and_then(|v| v.as_str()), Some("Buy milk"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn confirm_keeping_relative(
        &mut self,
        id: LayerId,
        patch: Patch,
    ) -> Result<Changes, ConfirmError> {
        self.exact(|this| this.settle_with(id, patch, true))
    }

    pub(super) fn settle_with(
        &mut self,
        id: LayerId,
        patch: Patch,
        keep_relative: bool,
    ) -> Result<Changes, ConfirmError> {
        let result = self.settle_with_now(id, patch, keep_relative);
        self.report_drained();
        result
    }

    pub(crate) fn settle_with_now(
        &mut self,
        id: LayerId,
        patch: Patch,
        keep_relative: bool,
    ) -> Result<Changes, ConfirmError> {
        self.drain_abandoned();
        let slot = self.pending(id)?;
        let new_ops = self.admit(patch)?;
        Ok(self.settle_ops(id, slot, new_ops, keep_relative))
    }

    /// Confirms the pending layer in `slot` with admitted ops (see `settle_with_now`).
    fn settle_ops(
        &mut self,
        id: LayerId,
        slot: Slot,
        mut new_ops: OpsByKey,
        keep_relative: bool,
    ) -> Changes {
        let old_keys: Vec<Key> = match self.stack.get(slot) {
            Some(layer) => {
                if keep_relative {
                    for (key, ops) in &layer.ops {
                        let kept: KeyOps =
                            ops.iter().filter(|op| is_relative(op)).cloned().collect();
                        if !kept.is_empty() {
                            let answer = new_ops.remove(key).unwrap_or_default();
                            new_ops.insert(key.clone(), kept.into_iter().chain(answer).collect());
                        }
                    }
                }
                layer.ops.keys().cloned().collect()
            }
            None => Vec::new(),
        };
        let mut keys: Vec<Key> = new_ops.keys().cloned().collect();
        keys.extend(
            old_keys
                .into_iter()
                .filter(|key| !new_ops.contains_key(key)),
        );
        let before = self.view_of(&keys);
        self.stack.replace_ops(slot, new_ops);
        self.stack.set_state(slot, LayerState::Confirmed);
        self.events.push((id, LayerEvent::Confirmed));
        self.mutations.settle(id, MutationStatus::Committed);
        let (changes, ignored) = self.recompute_probing(&keys, before, Some(slot));
        self.finish(changes, ignored)
    }

    pub(crate) fn fail_now(&mut self, id: LayerId) -> Result<Changes, LayerError> {
        self.drain_abandoned();
        let changes = self.remove_layer(id, LayerEvent::Failed)?;
        Ok(self.finish(changes, Vec::new()))
    }

    /// Cancels a pending layer whose request was abandoned (a query nobody waits for any more,
    /// a request timed out or given up): it is removed exactly as [`fail`](Store::fail) removes
    /// it, so it never blocks the layers above it from folding into base.
    ///
    /// Cancelling an **intent** takes its guess back: the store cannot know whether the
    /// request reached the server, so it shows what it knows to be true and leaves it to a
    /// refetch (or the server's push) to show the mutation if it did land. A mutation that
    /// must survive being abandoned is kept pending and retried instead, not cancelled.
    ///
    /// Cost: as [`fail`](Store::fail).
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// let (save, _) = store.push("save", Patch::new().set("Todo:1", "done", true))?;
    /// let orphan = store.reserve("refetch"); // its task is gone
    /// store.promote(save)?;
    /// assert!(store.get_confirmed("Todo:1").is_none(), "the save waits above the orphan");
    /// store.cancel(orphan)?;
    /// assert!(store.get_confirmed("Todo:1").is_some(), "and lands once it is cancelled");
    /// assert!(store.cancel(orphan).is_err(), "a cancelled layer is settled");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cancel(&mut self, id: LayerId) -> Result<Changes, LayerError> {
        self.exact(|this| {
            let result = this.cancel_now(id);
            this.report_drained();
            result
        })
    }

    fn cancel_now(&mut self, id: LayerId) -> Result<Changes, LayerError> {
        self.drain_abandoned();
        let changes = self.remove_layer(id, LayerEvent::Cancelled)?;
        Ok(self.finish(changes, Vec::new()))
    }

    /// Reserves a slot for a query's answer: an observation, an empty pending layer to be
    /// settled with [`confirm`](Store::confirm) when the answer arrives (or
    /// [`cancel`](Store::cancel)led). Call it when the request is sent. It is placed directly
    /// below the lowest pending intent, or on top when no intent is pending:
    ///
    /// * a refetch sent while a save is in flight lands below the save, so it can neither hide
    ///   the save nor undo it, whichever answer arrives first (it may have read the row before
    ///   the save committed);
    /// * a refetch sent after the save settled lands above it, and overrides it;
    /// * answers to observations land in the order the requests were sent.
    ///
    /// Wrap the id in a [`guard`](Store::guard) to have it cancelled if the request is
    /// abandoned.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("Todo:1", "done", false))?;
    /// // The user ticks the todo; the save is in flight.
    /// let (save, _) = store.push("save", Patch::new().set("Todo:1", "done", true))?;
    /// // A refetch goes out meanwhile and reads the row before the save committed.
    /// let refetch = store.reserve("refetch");
    /// store.confirm(refetch, Patch::new().set("Todo:1", "done", false))?;
    /// assert_eq!(store.get_field("Todo:1", "done").and_then(|v| v.as_bool()), Some(true), "no flicker");
    /// store.confirm(save, Patch::new().set("Todo:1", "done", true))?;
    /// assert_eq!(store.get_confirmed("Todo:1").and_then(|e| e.get("done")).and_then(|v| v.as_bool()), Some(true));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reserve(&mut self, label: &str) -> LayerId {
        self.drain_abandoned();
        let id = self.reserve_now(label);
        self.report_drained();
        id
    }

    /// Places an observation and lists its event.
    fn reserve_now(&mut self, label: &str) -> LayerId {
        let (slot, seq) = self.stack.reserve(Arc::from(label), self.stale.epoch());
        let id = LayerId {
            store: self.tag,
            seq,
            slot,
        };
        self.events.push((id, LayerEvent::Reserved));
        id
    }

    /// Writes what the server said without being asked (a subscription event, a server-sent
    /// event, another client's change): an observation made now, with no request. It lands
    /// where a [`reserve`](Store::reserve) made now would, already confirmed:
    ///
    /// * above every observation still in flight, so the answer to a refetch sent before the
    ///   push (which may have read the list before the change) lands under it and cannot hide
    ///   it; the push's relative ops (a list insert, a removal) replay over that answer;
    /// * below every pending intent, as any observation.
    ///
    /// It folds into base once every layer below it has settled. With no observation in
    /// flight it is [`write`](Store::write), and costs the same. A [`write`](Store::write)
    /// instead goes under every layer, where a refetch in flight would hide it.
    ///
    /// Cost: as [`write`](Store::write) with no observation in flight; otherwise a
    /// [`reserve`](Store::reserve) and a [`confirm`](Store::confirm).
    ///
    /// ```
    /// use optimist::{Key, ListPosition, Patch, Store, Value};
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("ROOT_QUERY", "todos", Vec::<Value>::new()))?;
    /// // A refetch of the list goes out and reads it (empty) on the server...
    /// let refetch = store.reserve("refetch todos");
    /// // ...then another client adds a todo, and the server pushes it.
    /// let todo = Key::new("Todo:7")?;
    /// store.write_observed("pushed", Patch::new()
    ///     .set(&todo, "title", "Buy stamps")
    ///     .insert_unique("ROOT_QUERY", "todos", todo.clone(), ListPosition::End))?;
    /// // The refetch's answer is older than the push: it does not hide it.
    /// store.confirm(refetch, Patch::new().set("ROOT_QUERY", "todos", Vec::<Value>::new()))?;
    /// let todos = store.get_confirmed("ROOT_QUERY").and_then(|e| e.get("todos")).and_then(|v| v.as_list());
    /// assert_eq!(todos.map(|l| l.len()), Some(1));
    /// assert_eq!(store.layers().count(), 0, "all folded into base");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_observed(&mut self, label: &str, patch: Patch) -> Result<Changes, PatchError> {
        self.exact(|this| {
            let result = this.write_observed_now(label, patch);
            this.report_drained();
            result
        })
    }

    fn write_observed_now(&mut self, label: &str, patch: Patch) -> Result<Changes, PatchError> {
        self.drain_abandoned();
        // Every pending observation sits below the lowest pending intent, where this lands.
        let in_flight = self.stack.slots().any(|slot| {
            self.stack.get(slot).is_some_and(|layer| {
                layer.kind == LayerKind::Observation && layer.state == LayerState::Pending
            })
        });
        if !in_flight {
            return self.write_now(patch);
        }
        let ops = self.admit(patch)?;
        let id = self.reserve_now(label);
        Ok(self.settle_ops(id, id.slot, ops, false))
    }

    /// A handle on the pending layer `id` that cancels it when dropped, unless the layer was
    /// settled first: move it into the task that makes the request, so a task that is
    /// cancelled cannot leave its layer behind. See [`LayerGuard`].
    ///
    /// ```
    /// use optimist::Store;
    /// let mut store = Store::new();
    /// let refetch = store.reserve("refetch");
    /// let guard = store.guard(refetch);
    /// drop(guard); // the task was cancelled
    /// store.collect_abandoned();
    /// assert_eq!(store.layers().count(), 0);
    /// ```
    pub fn guard(&self, id: LayerId) -> LayerGuard {
        self.abandoned.guard(id)
    }

    /// [`reserve`](Store::reserve) and [`guard`](Store::guard) in one call: an observation
    /// that is cancelled if the guard is dropped before it is settled.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// let refetch = store.reserve_guarded("refetch todos");
    /// store.confirm(refetch.id(), Patch::new().set("Todo:1", "title", "a"))?;
    /// drop(refetch); // settled already: nothing to cancel
    /// assert_eq!(store.collect_abandoned().len(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reserve_guarded(&mut self, label: &str) -> LayerGuard {
        let id = self.reserve(label);
        self.guard(id)
    }

    /// Cancels now every layer whose guard was dropped before it settled, and returns what
    /// that changed in the view. Every mutating call does this first anyway (and a call that
    /// is then refused reports those changes with the next call that succeeds); call it to
    /// have them applied without another change, for example on a timer.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// let (id, _) = store.push("save", Patch::new().set("Todo:1", "done", true))?;
    /// drop(store.guard(id));
    /// let changes = store.collect_abandoned();
    /// assert!(changes.contains("Todo:1"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn collect_abandoned(&mut self) -> Changes {
        self.exact(|this| {
            this.drain_abandoned();
            this.finish(Vec::new(), Vec::new())
        })
    }

    /// Cancels the layers queued by dropped guards; their view changes wait in `drained` for
    /// the current call's `finish`.
    /// Confirmed layers that waited above them fold into base at once, so a call that goes
    /// on to report nothing (a reservation, a refused call) leaves no confirmed layer at the
    /// bottom.
    pub(crate) fn drain_abandoned(&mut self) {
        let mut removed = false;
        let taken = self.abandoned.take();
        self.cancelled_abandoned.extend_from_slice(&taken);
        for id in taken {
            // A guard dropped after its layer settled queues an id that is refused: nothing
            // to do.
            if let Ok(changed) = self.remove_layer(id, LayerEvent::Cancelled) {
                // Each key's view before the first cancel that changed it.
                for (key, then, _) in changed {
                    if !self.drained.iter().any(|(seen, _)| *seen == key) {
                        self.drained.push((key, then));
                    }
                }
                removed = true;
            }
        }
        if removed {
            self.squash();
        }
    }

    /// Removes a pending layer and recomputes its keys; returns the keys whose view changed.
    pub(crate) fn remove_layer(
        &mut self,
        id: LayerId,
        event: LayerEvent,
    ) -> Result<Vec<crate::changes::Changed>, LayerError> {
        let slot = self.pending(id)?;
        let keys: Vec<Key> = self
            .stack
            .get(slot)
            .map(|layer| layer.ops.keys().cloned().collect())
            .unwrap_or_default();
        let before = self.view_of(&keys);
        self.stack.remove(slot);
        self.events.push((id, event));
        match event {
            LayerEvent::Failed => self.mutations.settle(
                id,
                MutationStatus::Failed(Failure {
                    kind: FailureKind::Rejected,
                    message: "".into(),
                }),
            ),
            LayerEvent::Cancelled => self.mutations.settle(id, MutationStatus::Abandoned),
            // The caller settles the record (a coalesced one names the mutation it went into).
            _ => {}
        }
        let changes = self.recompute_all(&keys, before);
        self.forget_temporaries(&keys);
        Ok(changes)
    }
}

/// Whether an op is relative: it re-applies on whatever lies below it (an increment, a list
/// insert or removal, an updater), as opposed to stating a value.
fn is_relative(op: &Op) -> bool {
    matches!(
        op,
        Op::Increment { .. } | Op::ListInsert { .. } | Op::ListRemove { .. } | Op::Update { .. }
    )
}
