//! Queries: a component observes a query record of the client ([`optimist::Client::observe`])
//! for as long as it lives, and sees what the record shows as signals.
//!
//! The observer's listener runs inside the client call that changed what it shows, under the
//! app's lock: it only sets a signal. A reactive key moves the observer with
//! [`optimist::Client::switch`] from an effect; the component's cleanup unobserves (the last
//! observer of a query cancels its fetch in flight).

use std::sync::Arc;

use leptos::prelude::*;
use optimist::{FetchError, Instant, ObserverId, QueryId, QueryOptions, QueryState};
use serde_json::Value;

use crate::context::{SharedClient, use_client};
use crate::key::KeySource;
use crate::suspense::{DataReady, Waiters};

/// What [`use_query`] gives: the query's state as signals (TanStack Query's and leptos-fetch's
/// `data`, `isLoading`, `isFetching`, `error`), a [`refetch`](UseQuery::refetch) and a
/// [`resource`](UseQuery::resource) for `<Suspense>`. `Copy`, like Leptos's signals: move it
/// into as many closures as the view needs.
///
/// ```
/// use leptos::prelude::*;
/// use optimist::{Client, QueryKey, QueryOptions, Store};
/// use std::sync::{Arc, Mutex};
///
/// let client = Arc::new(Mutex::new(Client::new(Store::new())));
/// let owner = Owner::new();
/// owner.with(|| {
///     optimist_leptos::provide_client(client.clone());
///     let me = optimist_leptos::use_query(QueryKey::rest("GET /me", "me"), QueryOptions::new());
///     assert!(me.is_loading.get_untracked() && me.data.get_untracked().is_none());
///     // The app's I/O answers the fetch.
///     let fetch = client.lock().unwrap().next_fetch(optimist::Instant::now()).unwrap();
///     client.lock().unwrap().resolve(fetch.id, r#""ada""#, optimist::Instant::now()).unwrap();
///     assert_eq!(me.data.get_untracked().as_deref(), Some(&serde_json::json!("ada")));
///     assert!(!me.is_fetching.get_untracked());
/// });
/// ```
#[derive(Clone, Copy, Debug)]
pub struct UseQuery {
    /// The data to show: the query's read of the store (pending mutations' guesses included),
    /// or the previous key's while [`QueryState::is_placeholder`]. Unchanged data is the same
    /// `Arc`, and a signal told only when it changes.
    pub data: Signal<Option<Arc<Value>>>,
    /// Everything the record shows ([`QueryState`]: status, fetch status, error, freshness).
    pub state: Signal<QueryState>,
    /// No data yet and fetching: show a spinner ([`QueryState::is_loading`]).
    pub is_loading: Signal<bool>,
    /// A fetch is under way, with or without data ([`QueryState::is_fetching`]).
    pub is_fetching: Signal<bool>,
    /// The last fetch's error once it gave up (status `Error`).
    pub error: Signal<Option<FetchError>>,
    inner: StoredValue<Inner>,
}

/// What the handle's calls need: the client, the observer, where it is now.
struct Inner {
    client: SharedClient,
    observer: ObserverId,
    /// The query the observer is on (it moves when the key changes).
    query: Arc<std::sync::Mutex<QueryId>>,
    state: ArcRwSignal<QueryState>,
    waiters: Waiters,
}

/// Observes the query `key` with `options` for as long as the current component lives
/// (leptos-fetch's `QueryClient::resource`, TanStack Query's `useQuery`): shows the cache
/// right away, and the client decides by the fetch policy whether to fetch (the app's I/O
/// sends it). Two components observing one key share one record and one fetch.
///
/// `key` is a [`QueryKey`](optimist::QueryKey) or a closure returning one: the closure is tracked, and when the
/// signals it reads change, the observer moves to the new key (with
/// [`QueryOptions::keep_previous_data`], the old data stays shown until the new key has
/// some). The move runs in an effect, so it needs Leptos's effects (features `csr` or
/// `hydrate`; a server render shows the first key) and an executor; a fixed key needs
/// neither.
///
/// On cleanup the observer leaves; the last one out cancels its query's fetch in flight.
///
/// # Panics
///
/// Without a client in context ([`provide_client`](crate::provide_client)).
///
/// ```
/// use leptos::prelude::*;
/// use optimist::{Client, FetchPolicy, Patch, QueryKey, QueryOptions, Store};
/// use std::sync::{Arc, Mutex};
///
/// let client = Arc::new(Mutex::new(Client::new(Store::new())));
/// client.lock().unwrap().store_mut().write(Patch::new().set("ROOT_QUERY", "me", "ada")).unwrap();
/// let owner = Owner::new();
/// owner.with(|| {
///     optimist_leptos::provide_client(client.clone());
///     let me = optimist_leptos::use_query(QueryKey::rest("GET /me", "me"), QueryOptions::new());
///     assert_eq!(me.data.get_untracked().as_deref(), Some(&serde_json::json!("ada")), "cached");
///     assert!(!me.is_fetching.get_untracked(), "cache-first: fresh, not fetched");
/// });
/// owner.cleanup();
/// let key = QueryKey::rest("GET /me", "me");
/// let query = client.lock().unwrap().query_of(&key).unwrap();
/// assert_eq!(client.lock().unwrap().observer_count(query), 0, "unobserved on cleanup");
/// ```
#[track_caller]
pub fn use_query(key: impl KeySource, options: QueryOptions) -> UseQuery {
    let client = use_client();
    let fixed = key.is_fixed();
    let key = ArcMemo::new(move |_| key.key());
    let state = ArcRwSignal::new(QueryState::default());
    let waiters = Waiters::default();
    // Sets the state and wakes the resources waiting for data, where the context sets signals.
    let show = {
        let (state, waiters, deliver) = (state.clone(), waiters.clone(), client.deliver().clone());
        move |shown: QueryState| {
            let (state, waiters) = (state.clone(), waiters.clone());
            deliver.run(move || {
                state.set(shown);
                waiters.wake();
            });
        }
    };
    let observed = {
        let tell = show.clone();
        let mut locked = client.lock();
        let observed = locked.observe(key.get_untracked(), options, Instant::now(), move |shown| {
            tell(shown.clone())
        });
        // Under the lock: in order with what the listener is told by the next calls.
        show(observed.state);
        (observed.observer, observed.query)
    };
    let (observer, query) = observed;
    let query = Arc::new(std::sync::Mutex::new(query));

    // A new key moves the observer (the effect's first run is the key just observed). What
    // the moved observer shows first is returned by the switch, not told to the listener.
    if !fixed {
        let (client, query) = (client.clone(), query.clone());
        let key = key.clone();
        Effect::watch(
            move || key.get(),
            move |key, previous, _| {
                if !previous.is_some_and(|previous| previous != key) {
                    return;
                }
                let mut locked = client.lock();
                if let Ok(moved) = locked.switch(observer, key.clone(), Instant::now()) {
                    *lock(&query) = moved.query;
                    show(moved.state);
                }
            },
            false,
        );
    }
    {
        let client = client.clone();
        on_cleanup(move || {
            client.lock().unobserve(observer, Instant::now());
        });
    }

    let data = {
        let state = state.clone();
        Memo::new_with_compare(
            move |_| state.with(|shown| shown.data.clone()),
            data_changed,
        )
    };
    let is_loading = {
        let state = state.clone();
        Memo::new(move |_| state.with(QueryState::is_loading))
    };
    let is_fetching = {
        let state = state.clone();
        Memo::new(move |_| state.with(QueryState::is_fetching))
    };
    let error = {
        let state = state.clone();
        Memo::new(move |_| state.with(|shown| shown.error.clone()))
    };
    UseQuery {
        data: data.into(),
        state: state.clone().into(),
        is_loading: is_loading.into(),
        is_fetching: is_fetching.into(),
        error: error.into(),
        inner: StoredValue::new(Inner {
            client,
            observer,
            query,
            state,
            waiters,
        }),
    }
}

impl UseQuery {
    /// Refetches the query now, whatever its freshness (TanStack Query's `refetch`,
    /// leptos-fetch's `invalidate_query` of this key): the app's I/O sends it. A fetch in
    /// flight is superseded. Does nothing once the component is gone.
    ///
    /// ```
    /// use leptos::prelude::*;
    /// use optimist::{Client, Patch, QueryKey, QueryOptions, Store};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let client = Arc::new(Mutex::new(Client::new(Store::new())));
    /// client.lock().unwrap().store_mut().write(Patch::new().set("ROOT_QUERY", "me", "ada")).unwrap();
    /// Owner::new().with(|| {
    ///     optimist_leptos::provide_client(client.clone());
    ///     let me = optimist_leptos::use_query(QueryKey::rest("GET /me", "me"), QueryOptions::new());
    ///     assert!(!me.is_fetching.get_untracked());
    ///     me.refetch();
    ///     assert!(me.is_fetching.get_untracked());
    ///     assert!(client.lock().unwrap().next_fetch(optimist::Instant::now()).is_some());
    /// });
    /// ```
    pub fn refetch(&self) {
        self.inner.try_with_value(|inner| {
            let query = *lock(&inner.query);
            let _ = inner.client.lock().refetch(query, Instant::now());
        });
    }

    /// The observer's id (to look it up on the client, [`optimist::Client::state`]); `None`
    /// once the component is gone.
    ///
    /// ```
    /// use leptos::prelude::*;
    /// use optimist::{Client, QueryKey, QueryOptions, Store};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let client = Arc::new(Mutex::new(Client::new(Store::new())));
    /// Owner::new().with(|| {
    ///     optimist_leptos::provide_client(client.clone());
    ///     let me = optimist_leptos::use_query(QueryKey::rest("GET /me", "me"), QueryOptions::new());
    ///     let observer = me.observer().unwrap();
    ///     assert!(client.lock().unwrap().state(observer).unwrap().is_loading());
    /// });
    /// ```
    pub fn observer(&self) -> Option<ObserverId> {
        self.inner.try_with_value(|inner| inner.observer)
    }

    /// The query the observer is on now (it moves with a reactive key); `None` once the
    /// component is gone.
    ///
    /// ```
    /// use leptos::prelude::*;
    /// use optimist::{Client, QueryKey, QueryOptions, Store};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let client = Arc::new(Mutex::new(Client::new(Store::new())));
    /// Owner::new().with(|| {
    ///     optimist_leptos::provide_client(client.clone());
    ///     let key = QueryKey::rest("GET /me", "me");
    ///     let me = optimist_leptos::use_query(key.clone(), QueryOptions::new());
    ///     assert_eq!(me.query(), client.lock().unwrap().query_of(&key));
    /// });
    /// ```
    pub fn query(&self) -> Option<QueryId> {
        self.inner.try_with_value(|inner| *lock(&inner.query))
    }

    /// A resource for `<Suspense>`: an [`AsyncDerived`] that is pending until the query has
    /// data (or gives up with an error and no data), then holds it, and follows the data from
    /// then on. Await it in a `Suspend` (`Suspend::new(async move { todos.await })`) or read it
    /// under a `<Suspense>`. Each call makes a new one in the current component: call it once,
    /// in the component's body.
    ///
    /// ```
    /// use leptos::prelude::*;
    /// use optimist::{Client, Patch, QueryKey, QueryOptions, Store};
    /// use std::sync::{Arc, Mutex};
    ///
    /// any_spawner::Executor::init_futures_executor().unwrap();
    /// let client = Arc::new(Mutex::new(Client::new(Store::new())));
    /// client.lock().unwrap().store_mut().write(Patch::new().set("ROOT_QUERY", "me", "ada")).unwrap();
    /// Owner::new().with(|| {
    ///     optimist_leptos::provide_client(client.clone());
    ///     let me = optimist_leptos::use_query(QueryKey::rest("GET /me", "me"), QueryOptions::new());
    ///     let resource = me.resource();
    ///     let data = futures::executor::block_on(async move { resource.await });
    ///     assert_eq!(*data.unwrap(), serde_json::json!("ada"));
    /// });
    /// ```
    pub fn resource(&self) -> AsyncDerived<Result<Arc<Value>, FetchError>> {
        let (state, waiters) = self
            .inner
            .with_value(|inner| (inner.state.clone(), inner.waiters.clone()));
        AsyncDerived::new(move || {
            // Tracked: a change of the data makes a new value.
            state.track();
            DataReady::new(state.clone(), waiters.clone())
        })
    }
}

/// Observes the query `key` as [`use_query`] does, and deserializes its data into `T`
/// (leptos-fetch's typed scopes): `data` is `None` until there is some, then `Ok(T)` or the
/// error of a data that does not fit `T` ([`optimist::ReadError::Deserialize`]). The JSON
/// handle stays reachable as `.json` (and by `Deref`: `todos.is_loading`).
///
/// # Panics
///
/// Without a client in context ([`provide_client`](crate::provide_client)).
///
/// ```
/// use leptos::prelude::*;
/// use optimist::{Client, Patch, QueryKey, QueryOptions, Store};
/// use std::sync::{Arc, Mutex};
///
/// let client = Arc::new(Mutex::new(Client::new(Store::new())));
/// client.lock().unwrap().store_mut().write(Patch::new().set("ROOT_QUERY", "count", 3)).unwrap();
/// Owner::new().with(|| {
///     optimist_leptos::provide_client(client.clone());
///     let count = optimist_leptos::use_query_as::<u32>(QueryKey::rest("GET /count", "count"), QueryOptions::new());
///     assert_eq!(count.data.get_untracked(), Some(Ok(3)));
///     assert!(!count.is_loading.get_untracked());
/// });
/// ```
#[track_caller]
pub fn use_query_as<T>(key: impl KeySource, options: QueryOptions) -> UseQueryAs<T>
where
    T: serde::de::DeserializeOwned + Clone + Send + Sync + 'static,
{
    let json = use_query(key, options);
    let data = Memo::new_with_compare(
        move |_| {
            json.data.with(|data| {
                data.as_deref().map(|data| {
                    T::deserialize(data).map_err(|error| optimist::ReadError::Deserialize {
                        path: String::new(),
                        message: error.to_string(),
                    })
                })
            })
        },
        // Recomputed only when the JSON changed: always a change (`T` need not be `PartialEq`).
        |_, _| true,
    );
    UseQueryAs {
        data: data.into(),
        json,
    }
}

/// What [`use_query_as`] gives: the data as `T`, and the JSON handle ([`UseQuery`]) for the
/// rest, also reached through `Deref`.
///
/// ```
/// use leptos::prelude::*;
/// use optimist::{Client, QueryKey, QueryOptions, Store};
/// use std::sync::{Arc, Mutex};
///
/// let client = Arc::new(Mutex::new(Client::new(Store::new())));
/// Owner::new().with(|| {
///     optimist_leptos::provide_client(client.clone());
///     let names = optimist_leptos::use_query_as::<Vec<String>>(QueryKey::rest("GET /names", "names"), QueryOptions::new());
///     assert_eq!(names.data.get_untracked(), None);
///     assert!(names.is_loading.get_untracked());
/// });
/// ```
pub struct UseQueryAs<T: Send + Sync + 'static> {
    /// The data as `T`: `None` until there is some.
    pub data: Signal<Option<Result<T, optimist::ReadError>>>,
    /// The JSON handle: state, loading, fetching, error, refetch, resource.
    pub json: UseQuery,
}

impl<T: Send + Sync + 'static> Clone for UseQueryAs<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for UseQueryAs<T> {}

impl<T: Send + Sync + 'static> std::ops::Deref for UseQueryAs<T> {
    type Target = UseQuery;

    fn deref(&self) -> &UseQuery {
        &self.json
    }
}

impl<T: Send + Sync + 'static> std::fmt::Debug for UseQueryAs<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UseQueryAs")
            .field("json", &self.json)
            .finish_non_exhaustive()
    }
}

/// Whether the data changed: a new allocation of equal JSON is no change.
fn data_changed(before: Option<&Option<Arc<Value>>>, now: Option<&Option<Arc<Value>>>) -> bool {
    match (before, now) {
        (Some(Some(a)), Some(Some(b))) => !(Arc::ptr_eq(a, b) || a == b),
        (Some(None), Some(None)) => false,
        _ => true,
    }
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
