//! The client as Leptos context: provided once at the root, taken by every hook.
//!
//! The binding holds the app's `Arc<Mutex<optimist::Client>>`, the same one the app's I/O
//! (the `Driver` on native, the app's own loop in a browser) locks; every hook locks it for
//! the length of one client call and never from inside a listener or watcher (those run under
//! the lock, inside the call that told them). Where those set the hooks' signals is the
//! context's [`Deliver`]: on the calling thread, or handed to the components' thread.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use leptos::prelude::{on_cleanup, provide_context, use_context};
use optimist::Client;

use crate::home::Deliver;

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
pub struct SharedClient {
    client: Arc<Mutex<Client>>,
    deliver: Deliver,
}

impl SharedClient {
    /// Wraps the app's shared client.
    ///
    /// ```
    /// let client = optimist_leptos::SharedClient::new(std::sync::Arc::new(std::sync::Mutex::new(optimist::Client::new(optimist::Store::new()))));
    /// # let _ = client;
    /// ```
    pub fn new(client: Arc<Mutex<Client>>) -> SharedClient {
        SharedClient {
            client,
            deliver: Deliver::here(),
        }
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
        self.client.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The shared client itself (to hand to a `Driver` or the app's loop).
    ///
    /// ```
    /// let client = optimist_leptos::SharedClient::new(std::sync::Arc::new(std::sync::Mutex::new(optimist::Client::new(optimist::Store::new()))));
    /// assert_eq!(std::sync::Arc::strong_count(client.arc()), 1);
    /// ```
    pub fn arc(&self) -> &Arc<Mutex<Client>> {
        &self.client
    }

    /// Where the hooks' listeners and watchers set their signals.
    pub(crate) fn deliver(&self) -> &Deliver {
        &self.deliver
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
/// The hooks' listeners and watchers set their signals on the thread of the client call that
/// told them: right when every call is made on the components' thread (a browser, a
/// current-thread runtime). A client also called from other threads is provided with
/// [`provide_threaded_client`].
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

/// Provides the app's client as [`provide_client`] does, for a client also called from other
/// threads (a `Driver` on a multi-thread tokio runtime, a worker thread's loop): what a hook's
/// listener or watcher is told on another thread is handed to this thread, the components'
/// thread, and set there, in the order the client's calls made it. Told on this thread (a
/// `mutate`, a `dismiss`, the app's own call), it is set at once, after the updates still
/// waiting.
///
/// Leptos signals may be set from any thread, but reactive_graph 0.2's memos may then keep a
/// stale value: a memo computing while another thread sets one of its sources marks itself
/// clean when it finishes, and the effects (the views) below it do not run again. With this
/// provider no signal of the binding is set off this thread.
///
/// The handing over is a task spawned here with [`leptos::task::spawn_local`]: an executor
/// must run this thread's local tasks (`any_spawner::Executor::init_tokio` and a tokio
/// `LocalSet` natively, as Leptos's effects need anyway). The task ends when the current
/// owner is cleaned up. Updates told on other threads show once that task has run; in a
/// browser (one thread) use [`provide_client`].
///
/// # Panics
///
/// Without an executor (as Leptos's effects do).
///
/// ```
/// use any_spawner::Executor;
/// use leptos::prelude::*;
/// use optimist::{Client, Patch, Store};
/// use std::sync::{Arc, Mutex};
///
/// Executor::init_futures_executor().unwrap();
/// let client = Arc::new(Mutex::new(Client::new(Store::new())));
/// Owner::new().with(|| {
///     optimist_leptos::provide_threaded_client(client.clone());
///     let todo = optimist_leptos::use_entity("Todo:1").unwrap();
///     let title = move || todo.get_untracked().and_then(|t| t.get("title")?.as_str().map(String::from));
///
///     // The app's I/O answers on another thread: handed to this one.
///     let io = client.clone();
///     std::thread::spawn(move || {
///         io.lock().unwrap().store_mut().write(Patch::new().set("Todo:1", "title", "a")).unwrap();
///     })
///     .join()
///     .unwrap();
///     assert_eq!(title(), None, "not set on the other thread");
///     Executor::poll_local(); // this thread's tasks run
///     assert_eq!(title().as_deref(), Some("a"));
///
///     // A call on this thread shows at once.
///     client.lock().unwrap().store_mut().write(Patch::new().set("Todo:1", "title", "b")).unwrap();
///     assert_eq!(title().as_deref(), Some("b"));
/// });
/// ```
pub fn provide_threaded_client(client: Arc<Mutex<Client>>) {
    let (deliver, home) = Deliver::home();
    on_cleanup(move || home.close());
    provide_context(SharedClient { client, deliver });
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
