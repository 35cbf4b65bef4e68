//! Whether any mutation is pending, for a global "saving…" indicator (TanStack Query's
//! `useIsMutating`).

use leptos::prelude::*;

use crate::context::use_client;
use crate::entity::unwatch_on_cleanup;

/// Whether any mutation is pending (queued, in flight or retrying) in the store, as a signal
/// told only when it flips. A layer watcher notifies a trigger on every batch of layer events
/// (inside the store call); the store is read when the signal is (a memo), outside that call.
///
/// # Panics
///
/// Without a client in context ([`provide_client`](crate::provide_client)).
///
/// ```
/// use leptos::prelude::*;
/// use optimist::{Client, Patch, Store};
/// use std::sync::{Arc, Mutex};
///
/// let client = Arc::new(Mutex::new(Client::new(Store::new())));
/// Owner::new().with(|| {
///     optimist_leptos::provide_client(client.clone());
///     let saving = optimist_leptos::use_is_mutating();
///     assert!(!saving.get_untracked());
///     let (id, _) = client.lock().unwrap().store_mut().push("tick", Patch::new().set("Todo:1", "done", true)).unwrap();
///     assert!(saving.get_untracked());
///     client.lock().unwrap().store_mut().promote(id).unwrap();
///     assert!(!saving.get_untracked());
/// });
/// ```
#[track_caller]
pub fn use_is_mutating() -> Signal<bool> {
    let client = use_client();
    let changed = ArcTrigger::new();
    let watch = {
        let changed = changed.clone();
        client
            .lock()
            .store_mut()
            .watch_layers(move |_| changed.notify())
    };
    unwatch_on_cleanup(client.clone(), watch);
    Memo::new(move |_| {
        changed.track();
        client.lock().store().is_mutating()
    })
    .into()
}
