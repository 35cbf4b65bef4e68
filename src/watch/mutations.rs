//! Mutation watchers: told each mutation whose status a call changed, with its new status,
//! and whether any mutation is still pending: what a UI's mutation hook and its "saving..."
//! indicator show, handed over inside the call (a watcher must not read the store again).

use std::sync::Arc;

use super::{WatchId, Watcher};
use crate::changes::LayerEvent;
use crate::layer::LayerId;
use crate::mutation::MutationStatus;
use crate::store::Store;

/// What a mutations watcher is told ([`Store::watch_mutations`]): the mutations whose status
/// the call changed, oldest event first, each once with its status after the call (`None`:
/// its record was [dismissed](Store::dismiss)), and whether any mutation is pending now.
///
/// ```
/// use optimist::{MutationStatus, Patch, Store};
/// let mut store = Store::new();
/// store.watch_mutations(|told| {
///     for (id, status) in &told.changed {
///         println!("{id}: {status:?} (saving: {})", told.is_mutating);
///     }
/// });
/// let (id, _) = store.push("save", Patch::new().set("Todo:1", "done", true))?;
/// assert_eq!(store.mutation(id).map(|m| m.status().clone()), Some(MutationStatus::Queued));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct MutationsChanged {
    /// Each mutation whose status changed, with its status now (`None`: dismissed).
    pub changed: Vec<(LayerId, Option<MutationStatus>)>,
    /// Whether any mutation is pending after the call ([`Store::is_mutating`]).
    pub is_mutating: bool,
}

pub(super) type MutationsFn = dyn Fn(&MutationsChanged) + Send + Sync;

impl Store {
    /// Watches the mutation records: `callback` is told, inside every call that changed a
    /// mutation's status (made, sent, retrying, committed, failed, coalesced, abandoned by a
    /// cancel, dismissed), each such mutation with its status after the call, and whether any
    /// mutation is still pending ([`MutationsChanged`]). A UI's `useMutation` status and its
    /// "saving..." indicator follow it without reading the store again (which a watcher must
    /// not do: it runs under the app's lock). Query slots (observations) are not mutations and
    /// are not told. Like [`watch_layers`](Store::watch_layers), a call that returns no
    /// `Changes` (a [`next_to_send`](Store::next_to_send), a [`dismiss`](Store::dismiss)) tells
    /// it on that call. A [`load`](Store::load) tells it every old record gone (`None`) and
    /// every loaded one with its status.
    ///
    /// # Panics
    ///
    /// A panic in `callback` propagates out of the store call that told it, once that call's
    /// change is applied in full: the store stays consistent and every watcher registered. The
    /// watchers the panic kept from being told are told at the next change to what they watch.
    ///
    /// ```
    /// use optimist::{MutationStatus, Outcome, Patch, Store};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let mut store = Store::new();
    /// let told = Arc::new(Mutex::new(Vec::new()));
    /// let log = told.clone();
    /// store.watch_mutations(move |m| {
    ///     for (_, status) in &m.changed {
    ///         log.lock().unwrap().push((status.clone(), m.is_mutating));
    ///     }
    /// });
    /// let (id, _) = store.push("save", Patch::new().set("Todo:1", "done", true))?;
    /// let now = optimist::Instant::now();
    /// let out = store.next_to_send(now).unwrap();
    /// store.report(out.id, Outcome::promote(), now)?;
    /// store.dismiss(id);
    /// assert_eq!(*told.lock().unwrap(), [
    ///     (Some(MutationStatus::Queued), true),
    ///     (Some(MutationStatus::InFlight { attempt: 1 }), true),
    ///     (Some(MutationStatus::Committed), false),
    ///     (None, false),
    /// ]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn watch_mutations(
        &mut self,
        callback: impl Fn(&MutationsChanged) + Send + Sync + 'static,
    ) -> WatchId {
        self.watchers.add(
            Watcher::Mutations {
                callback: Arc::new(callback),
            },
            &[],
        )
    }
}

impl Store {
    /// Tells every mutation watcher `changed` (a load, which replaces the records without layer
    /// events), with whether any mutation is pending now.
    pub(crate) fn tell_mutations(&mut self, changed: Vec<(LayerId, Option<MutationStatus>)>) {
        let told = MutationsChanged {
            changed,
            is_mutating: self.is_mutating(),
        };
        let callbacks: Vec<Arc<MutationsFn>> = self
            .watchers
            .layers
            .iter()
            .filter_map(|id| match self.watchers.entries.get(id) {
                Some(Watcher::Mutations { callback }) => Some(callback.clone()),
                _ => None,
            })
            .collect();
        for callback in callbacks {
            callback(&told);
        }
    }
}

/// What `events` did to the mutation records, read from `store` after the call; `None` if they
/// changed no mutation's status.
pub(super) fn changed(store: &Store, events: &[(LayerId, LayerEvent)]) -> Option<MutationsChanged> {
    // Each mutation once, where its last event of the call puts it: read newest first, keeping
    // the first seen, then turned back (O(events), however many one call has).
    let mut seen = std::collections::HashSet::new();
    let mut changed: Vec<(LayerId, Option<MutationStatus>)> = Vec::new();
    for (id, event) in events.iter().rev() {
        let status = match event {
            LayerEvent::Dismissed => None,
            LayerEvent::Pushed
            | LayerEvent::Sent
            | LayerEvent::Retrying
            | LayerEvent::Confirmed
            | LayerEvent::Failed
            | LayerEvent::Cancelled
            | LayerEvent::Coalesced => match store.mutation(*id) {
                Some(info) => Some(info.status().clone()),
                None => continue, // a query's slot, or a record already gone
            },
            // A load tells mutation watchers itself, of the records that went and came.
            LayerEvent::Reserved
            | LayerEvent::Squashed
            | LayerEvent::Remapped
            | LayerEvent::Unloaded
            | LayerEvent::Loaded => continue,
        };
        if seen.insert(*id) {
            changed.push((*id, status));
        }
    }
    changed.reverse();
    (!changed.is_empty()).then(|| MutationsChanged {
        changed,
        is_mutating: store.is_mutating(),
    })
}
