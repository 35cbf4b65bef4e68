//! The store's mutation watcher, for the life of a component: what `use_mutation` and
//! `use_is_mutating` follow.
//!
//! [`Store::watch_mutations`](optimist::Store::watch_mutations) tells its callback, inside
//! every store call that changed a mutation's status, each such mutation with its status after
//! the call and whether any mutation is still pending: everything the two hooks show. So the
//! callback writes their signals itself, in the call, and the components that read them are
//! marked dirty together with those showing the data the same call changed: one render pass
//! shows both.

use dioxus_core::{use_drop, use_hook};
use optimist::{MutationsChanged, Store};

use crate::context::{SharedClient, lock};

/// When the component mounts, calls `init` with the store and registers the callback it
/// returns as a mutation watcher, in one lock (nothing is missed in between); removes the
/// watcher when the component goes. Returns what `init` returned with the callback, on every
/// render. The callback runs inside store calls, under the app's lock, maybe on the I/O
/// thread: it must not lock the client.
pub(crate) fn use_mutations_watcher<T, F>(
    client: &SharedClient,
    init: impl FnOnce(&Store) -> (T, F),
) -> T
where
    T: Clone + 'static,
    F: Fn(&MutationsChanged) + Send + Sync + 'static,
{
    let (value, watch) = use_hook(|| {
        let mut client = lock(client);
        let mut store = client.store_mut();
        let (value, callback) = init(&store);
        (value, store.watch_mutations(callback))
    });
    let client = client.clone();
    use_drop(move || {
        lock(&client).store_mut().unwatch(watch);
    });
    value
}
