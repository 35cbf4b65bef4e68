//! Whether any mutation is pending, for a global "saving…" indicator (TanStack Query's
//! `useIsMutating`).

use leptos::prelude::*;

use crate::context::use_client;
use crate::entity::unwatch_on_cleanup;

/// Whether any mutation is pending (queued, in flight or retrying) in the store, as a signal
/// set only when it flips. The store's mutation watcher ([`optimist::Store::watch_mutations`])
/// hands it the answer inside every call that changed a mutation's status; it never reads the
/// store again.
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
    let saving = ArcRwSignal::new(false);
    let show = {
        let (saving, deliver) = (saving.clone(), client.deliver().clone());
        move |now: bool| {
            let saving = saving.clone();
            deliver.run(move || {
                if saving.get_untracked() != now {
                    saving.set(now);
                }
            });
        }
    };
    let watch = {
        let mut locked = client.lock();
        let mut store = locked.store_mut();
        let tell = show.clone();
        let watch = store.watch_mutations(move |changed| tell(changed.is_mutating));
        show(store.is_mutating());
        watch
    };
    unwatch_on_cleanup(client, watch);
    saving.into()
}
