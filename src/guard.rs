//! Layer guards: a handle whose drop abandons its layer, so that a request given up on (its
//! task cancelled, its component unmounted, its future dropped at an `.await`) can never leave a
//! pending layer behind that blocks settlement forever.
//!
//! A guard cannot reach the store (it is usually behind a lock the dropping task does not
//! hold), so it only queues its layer's id; the store cancels queued layers at the start of its
//! next mutating call, or at [`Store::collect_abandoned`](crate::Store::collect_abandoned).
//! This module is the queue and the handle; it knows nothing else of the store.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

use crate::layer::LayerId;

/// The queue of abandoned layer ids shared by a store and its guards.
#[derive(Default)]
pub(crate) struct Abandoned {
    inner: Arc<Queue>,
}

#[derive(Default)]
struct Queue {
    /// Set whenever an id is queued, so the store's check is one atomic load.
    dirty: AtomicBool,
    ids: Mutex<Vec<LayerId>>,
}

impl Clone for Abandoned {
    /// A clone of a store starts with a queue of its own: the original's guards keep feeding
    /// the original, and a layer the clone inherited stays pending in the clone until settled
    /// there.
    fn clone(&self) -> Abandoned {
        Abandoned::default()
    }
}

impl Abandoned {
    pub(crate) fn guard(&self, id: LayerId) -> LayerGuard {
        LayerGuard {
            id,
            queue: Some(Arc::downgrade(&self.inner)),
        }
    }

    /// Queues `ids` again (taken by a call that was then put back).
    pub(crate) fn requeue(&self, ids: Vec<LayerId>) {
        if ids.is_empty() {
            return;
        }
        let mut queued = self
            .inner
            .ids
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        queued.extend(ids);
        self.inner.dirty.store(true, Ordering::Release);
    }

    /// Whether an id may be queued (one atomic load).
    pub(crate) fn is_queued(&self) -> bool {
        self.inner.dirty.load(Ordering::Acquire)
    }

    /// Takes every queued id (cheap when none is queued).
    pub(crate) fn take(&self) -> Vec<LayerId> {
        if !self.inner.dirty.swap(false, Ordering::AcqRel) {
            return Vec::new();
        }
        let mut ids = self
            .inner
            .ids
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        std::mem::take(&mut *ids)
    }
}

/// A handle on a pending layer that abandons the layer when dropped, from
/// [`Store::guard`](crate::Store::guard).
///
/// Move it into the task that does the request. When the answer comes, settle the layer as
/// usual with [`id`](LayerGuard::id) (or [`disarm`](LayerGuard::disarm), which also consumes
/// the guard); dropping a guard whose layer is already settled does nothing. If the task is
/// cancelled first, the guard's drop queues the layer, and the store cancels it at its next
/// mutating call (see [`Store::cancel`](crate::Store::cancel) for what cancelling an intent
/// means). A guard is `Send + Sync` and does not keep the store alive.
///
/// ```
/// use optimist::{Patch, Store};
/// let mut store = Store::new();
/// let (save, _) = store.push("save", Patch::new().set("Todo:1", "done", true))?;
/// {
///     let refetch = store.reserve_guarded("refetch");
///     // ... the refetch task is cancelled here, before its answer came ...
///     drop(refetch);
/// }
/// store.promote(save)?; // the abandoned refetch is cancelled first, so the save lands
/// assert_eq!(store.layers().count(), 0);
/// assert_eq!(store.get_confirmed("Todo:1").and_then(|e| e.get("done")).and_then(|v| v.as_bool()), Some(true));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct LayerGuard {
    id: LayerId,
    /// `None` once disarmed.
    queue: Option<Weak<Queue>>,
}

impl LayerGuard {
    /// The guarded layer's id, to settle it with.
    ///
    /// ```
    /// let mut store = optimist::Store::new();
    /// let guard = store.reserve_guarded("query");
    /// assert!(store.layer(guard.id()).is_some());
    /// ```
    pub fn id(&self) -> LayerId {
        self.id
    }

    /// Consumes the guard without abandoning the layer, and returns its id.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// let guard = store.reserve_guarded("query");
    /// let id = guard.disarm();
    /// store.collect_abandoned();
    /// assert!(store.layer(id).is_some(), "a disarmed guard abandons nothing");
    /// ```
    pub fn disarm(mut self) -> LayerId {
        self.queue = None;
        self.id
    }
}

impl Drop for LayerGuard {
    fn drop(&mut self) {
        if let Some(queue) = self.queue.take().and_then(|weak| weak.upgrade()) {
            queue
                .ids
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(self.id);
            queue.dirty.store(true, Ordering::Release);
        }
    }
}

impl fmt::Debug for LayerGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "LayerGuard({:?}{})",
            self.id,
            if self.queue.is_some() {
                ""
            } else {
                ", disarmed"
            }
        )
    }
}
