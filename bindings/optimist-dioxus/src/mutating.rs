//! Whether any mutation is pending: the store's `is_mutating`, as a signal (TanStack Query's
//! `useIsMutating`, as a yes or no).

use optimist::MutationsChanged;

use crate::context::use_client;
use crate::signals::{SyncReadSignal, pair, set_if_changed};
use crate::watch::use_mutations_watcher;

/// Whether any mutation is pending (queued, in flight or retrying): a "saving…" indicator.
/// Written inside the store call that made the first pending mutation or settled the last one
/// (the store's mutation watcher hands the answer over), so it shows in the same render as the
/// data that call changed; written only when it changed.
///
/// # Panics
///
/// When no client is provided above the component (see [`use_client`]).
///
/// ```
/// use dioxus::prelude::*;
/// use optimist::{Client, Patch, Store};
/// use optimist_dioxus::{lock, shared, use_is_mutating};
///
/// fn Saving() -> Element {
///     let saving = use_is_mutating();
///     rsx! { if saving() { "saving" } else { "saved" } }
/// }
///
/// let client = shared(Client::new(Store::new()));
/// let mut dom = VirtualDom::new(Saving).with_root_context(client.clone());
/// dom.rebuild_in_place();
/// assert_eq!(dioxus_ssr::render(&dom), "saved");
/// let (id, _) = lock(&client).store_mut().push("save", Patch::new().set("A:1", "x", 1))?;
/// dom.render_immediate(&mut dioxus::core::NoOpMutations);
/// assert_eq!(dioxus_ssr::render(&dom), "saving");
/// lock(&client).store_mut().fail(id)?;
/// dom.render_immediate(&mut dioxus::core::NoOpMutations);
/// assert_eq!(dioxus_ssr::render(&dom), "saved");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn use_is_mutating() -> SyncReadSignal<bool> {
    let client = use_client();
    use_mutations_watcher(&client, |store| {
        let (signal, view) = pair(store.is_mutating());
        let callback = move |told: &MutationsChanged| set_if_changed(signal, told.is_mutating);
        (view, callback)
    })
}
