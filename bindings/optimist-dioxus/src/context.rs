//! The client as Dioxus context: provided once at the root, taken by every hook.
//!
//! The context holds the app's `Arc<Mutex<optimist::Client>>` itself, the handle its I/O loop
//! (an `optimist::Driver` on native, a `spawn`ed loop in a browser) shares, so an app can also
//! hand it to [`VirtualDom::with_root_context`](dioxus_core::VirtualDom::with_root_context).

use std::sync::{Arc, Mutex, MutexGuard};

use dioxus_core::{provide_context, try_consume_context, use_hook};
use optimist::Client;

/// The client every hook of this crate reads: the store, its queries and its mutation queue,
/// shared with the app's I/O loop.
pub type SharedClient = Arc<Mutex<Client>>;

/// Provides `client` to the current component and its descendants (Dioxus'
/// `provide_context`; not a hook: call it in a `use_hook`, or use
/// [`use_client_provider`]). Returns it.
///
/// ```
/// use dioxus::prelude::*;
/// use optimist_dioxus::{SharedClient, provide_client, use_client};
///
/// fn App() -> Element {
///     use_hook(|| provide_client(optimist_dioxus::shared(optimist::Client::new(optimist::Store::new()))));
///     rsx! { Child {} }
/// }
///
/// fn Child() -> Element {
///     let client = use_client();
///     let empty = optimist_dioxus::lock(&client).store().is_empty();
///     rsx! { "{empty}" }
/// }
///
/// let mut dom = VirtualDom::new(App);
/// dom.rebuild_in_place();
/// assert_eq!(dioxus_ssr::render(&dom), "true");
/// ```
pub fn provide_client(client: SharedClient) -> SharedClient {
    provide_context(client)
}

/// Provides the client `init` makes, once, to the current component and its descendants
/// (Dioxus' `use_context_provider`): the hook an app's root calls. Returns it.
///
/// ```
/// use dioxus::prelude::*;
/// use optimist_dioxus::{use_client, use_client_provider};
///
/// fn App() -> Element {
///     use_client_provider(|| optimist_dioxus::shared(optimist::Client::new(optimist::Store::new())));
///     let queries = optimist_dioxus::lock(&use_client()).query_count();
///     rsx! { "{queries}" }
/// }
///
/// let mut dom = VirtualDom::new(App);
/// dom.rebuild_in_place();
/// assert_eq!(dioxus_ssr::render(&dom), "0");
/// ```
pub fn use_client_provider(init: impl FnOnce() -> SharedClient) -> SharedClient {
    use_hook(|| provide_client(init()))
}

/// The client provided above the current component ([`provide_client`],
/// [`use_client_provider`] or the `VirtualDom`'s root context).
///
/// # Panics
///
/// When no client was provided above it (a set-up mistake, as Dioxus' `use_context`): see
/// [`try_use_client`].
///
/// ```
/// use dioxus::prelude::*;
///
/// fn App() -> Element {
///     let client = optimist_dioxus::use_client();
///     rsx! { "{optimist_dioxus::lock(&client).is_online()}" }
/// }
///
/// let mut dom = VirtualDom::new(App).with_root_context(optimist_dioxus::shared(optimist::Client::new(optimist::Store::new())));
/// dom.rebuild_in_place();
/// assert_eq!(dioxus_ssr::render(&dom), "true");
/// ```
pub fn use_client() -> SharedClient {
    use_hook(|| {
        try_consume_context::<SharedClient>()
            .expect("no optimist client provided: call provide_client or use_client_provider above this component")
    })
}

/// The client provided above the current component, or `None`.
///
/// ```
/// use dioxus::prelude::*;
///
/// fn App() -> Element {
///     rsx! { "{optimist_dioxus::try_use_client().is_some()}" }
/// }
///
/// let mut dom = VirtualDom::new(App);
/// dom.rebuild_in_place();
/// assert_eq!(dioxus_ssr::render(&dom), "false");
/// ```
pub fn try_use_client() -> Option<SharedClient> {
    use_hook(try_consume_context::<SharedClient>)
}

/// Shares `client` for the context and the app's I/O loop: `Arc::new(Mutex::new(client))`.
///
/// ```
/// let client = optimist_dioxus::shared(optimist::Client::new(optimist::Store::new()));
/// assert_eq!(optimist_dioxus::lock(&client).query_count(), 0);
/// ```
pub fn shared(client: Client) -> SharedClient {
    Arc::new(Mutex::new(client))
}

/// Locks the client, whatever panicked while holding it before (the store stays consistent
/// through a panicking watcher, so a poisoned lock is still a usable client).
///
/// Never call it from a store watcher or a query listener: they run inside a client call,
/// under this lock.
///
/// ```
/// let client = optimist_dioxus::shared(optimist::Client::new(optimist::Store::new()));
/// assert!(optimist_dioxus::lock(&client).is_online());
/// ```
pub fn lock(client: &Mutex<Client>) -> MutexGuard<'_, Client> {
    client
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
