//! Calls that run the app's updaters are exact under a panic: a panic in an updater leaves
//! the store as it was before the call (then propagates). Updaters run while the call changes
//! the store (a layer's ops refolded over base, a confirmed run folded into it), so the call
//! keeps a copy of the store to put back: O(L + K) for L live layers touching K keys (see
//! [`Store`]'s `clone`), paid only by stores with updaters of the app's registered (its own, or
//! a field policy's merge; not the connection edits every store has). A panic in a watcher is
//! not caught here: watchers are told once the call's change is applied in full.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use super::Store;
use crate::op::UpdaterPanic;

impl Store {
    /// Runs `call` (one public call that changes the store) so that a panic in an updater it
    /// runs leaves the store exactly as it was before: its data, layers, mutation records,
    /// marks and the abandoned layers still queued; the watchers and the guards' queue are the
    /// store's own, never copied. Any other panic (a watcher's) propagates as it is.
    pub(crate) fn exact<R>(&mut self, call: impl FnOnce(&mut Store) -> R) -> R {
        if self.in_exact || !self.updaters.runs_app_code() {
            // Within a call that kept a copy already (`report` settling a layer), or no
            // updater of the app's registered (only the crate's own, which do not panic):
            // nothing of the app's runs before the change is applied.
            return call(self);
        }
        let before = self.clone();
        self.cancelled_abandoned.clear();
        self.in_exact = true;
        let result = catch_unwind(AssertUnwindSafe(|| call(self)));
        self.in_exact = false;
        match result {
            Ok(result) => result,
            Err(payload) => match payload.downcast::<UpdaterPanic>() {
                Ok(updater) => {
                    self.put_back(before);
                    resume_unwind(updater.0)
                }
                Err(other) => resume_unwind(other),
            },
        }
    }

    /// Puts `before` back in place of this half-changed store, keeping what is not a copy:
    /// the watchers, the guards' queue (with the abandoned ids this call took from it queued
    /// again, for the next call to cancel).
    fn put_back(&mut self, before: Store) {
        let watchers = std::mem::take(&mut self.watchers);
        let abandoned = std::mem::take(&mut self.abandoned);
        let taken = std::mem::take(&mut self.cancelled_abandoned);
        *self = before;
        self.watchers = watchers;
        self.abandoned = abandoned;
        self.abandoned.requeue(taken);
    }
}
