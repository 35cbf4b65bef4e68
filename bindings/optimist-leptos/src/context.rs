//! The client as Leptos context: provided once at the root, taken by every hook.
//!
//! The binding holds the app's `Arc<Mutex<optimist::Client>>`, the same one the app's I/O
//! (the `Driver` on native, the app's own loop in a browser) locks; every hook locks it for
//! the length of one client call and never from inside a listener or watcher (those run under
//! the lock, inside the call that told them).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use leptos::prelude::{provide_context, use_context};
use optimist::Client;

/// The app's client, shared with the hooks: what [`provide_client`] puts in context and
/// [`use_client`] takes out (leptos-fetch's `QueryClient`).
///
/// ```
/// use std::sync::{Arc, Mutex};
/// let shared = Arc::new(Mutex::new(optimist::Client::new(optimist::Store::new())));
/// let client = optimist_leptos::SharedClient::new(shared.clone());
/// assert_eq!(client.lock().query_count(), 0);
/// assert!(Arc::ptr_eq(client.arc(), &shared));
/// ```
#[derive(Clone)]
pub struct SharedClient(Arc<Mutex<Client>>);

impl SharedClient {
    /// Wraps the app's shared client.
    ///
    /// ```
    /// let client = optimist_leptos::SharedClient::new(std::sync::Arc::new(std::sync::Mutex::new(optimist::Client::new(optimist::Store::new()))));
    /// # let _ = client;
    /// ```
    pub fn new(client: Arc<Mutex<Client>>) -> SharedClient {
        SharedClient(client)
    }

    /// Locks the client for one call. A lock poisoned by a panic elsewhere is taken as it is:
    /// the client's calls leave it consistent when a listener panics.
    ///
    /// Never call it from a listener, a store watcher or while reading a hook's signal inside
    /// an already locked section: the lock is not re-entrant.
    ///
    /// ```
    /// let client = optimist_leptos::SharedClient::new(std::sync::Arc::new(std::sync::Mutex::new(optimist::Client::new(optimist::Store::new()))));
    /// assert!(client.lock().store().is_empty());
    /// ```
    pub fn lock(&self) -> MutexGuard<'_, Client> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The shared client itself (to hand to a `Driver` or the app's loop).
    ///
    /// ```
    /// let client = optimist_leptos::SharedClient::new(std::sync::Arc::new(std::sync::Mutex::new(optimist::Client::new(optimist::Store::new()))));
    /// assert_eq!(std::sync::Arc::strong_count(client.arc()), 1);
    /// ```
    pub fn arc(&self) -> &Arc<Mutex<Client>> {
        &self.0
    }
}

impl std::fmt::Debug for SharedClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("SharedClient").finish_non_exhaustive()
    }
}

/// Provides the app's client to every component below the current one: call it once at the
/// root (leptos-fetch's `QueryClient::new().provide()`). The binding does no I/O: the app
/// runs the client's fetches and mutations (`optimist::Driver` over the same shared client:
/// `run` on tokio, `run_with` and the browser's timer under `leptos::task::spawn_local`).
///
/// ```
/// use leptos::prelude::*;
/// use optimist_leptos::{provide_client, use_client};
///
/// let owner = Owner::new();
/// owner.with(|| {
///     provide_client(std::sync::Arc::new(std::sync::Mutex::new(optimist::Client::new(optimist::Store::new()))));
///     assert_eq!(use_client().lock().query_count(), 0);
/// });
/// ```
pub fn provide_client(client: Arc<Mutex<Client>>) {
    provide_context(SharedClient::new(client));
}

/// The client [`provide_client`] provided above the current component.
///
/// # Panics
///
/// When no component above provided one (a set-up error, as Leptos's `expect_context`).
/// [`try_use_client`] returns `None` instead.
///
/// ```
/// use leptos::prelude::*;
/// let owner = Owner::new();
/// owner.with(|| {
///     optimist_leptos::provide_client(std::sync::Arc::new(std::sync::Mutex::new(optimist::Client::new(optimist::Store::new()))));
///     let child = Owner::new();
///     child.with(|| assert!(optimist_leptos::use_client().lock().store().is_empty()));
/// });
/// ```
#[track_caller]
pub fn use_client() -> SharedClient {
    try_use_client().expect(
        "optimist_leptos: no client in context; call provide_client(..) in a component above",
    )
}

/// The client [`provide_client`] provided above the current component, if any.
///
/// ```
/// use leptos::prelude::*;
/// Owner::new().with(|| assert!(optimist_leptos::try_use_client().is_none()));
/// ```
pub fn try_use_client() -> Option<SharedClient> {
    use_context::<SharedClient>()
}
