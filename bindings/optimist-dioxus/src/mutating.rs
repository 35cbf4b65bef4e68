//! Whether any mutation is pending: the store's `is_mutating`, as a signal (TanStack Query's
//! `useIsMutating`, as a yes or no).

use optimist::Store;

use dioxus_core::use_hook;

use crate::context::{lock, use_client};
use crate::refresh::{settles, use_refresh};
use crate::signals::{SyncReadSignal, pair, set_if_changed};

/// Whether any mutation is pending (queued, in flight or retrying): a "saving…" indicator.
/// Re-read after every store call that made or settled a mutation; written only when it
/// changed.
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
/// dom.process_events(); // the hook's task reads the store
/// dom.render_immediate(&mut dioxus::core::NoOpMutations);
/// assert_eq!(dioxus_ssr::render(&dom), "saving");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn use_is_mutating() -> SyncReadSignal<bool> {
    let client = use_client();
    let (signal, view) = use_hook(|| pair(lock(&client).store().is_mutating()));
    use_refresh(&client, settles, move |store: &Store| {
        set_if_changed(signal, store.is_mutating());
    });
    view
}
