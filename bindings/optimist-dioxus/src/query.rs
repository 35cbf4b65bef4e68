//! Queries: a component observes a query record of the client (`Client::observe`), shows its
//! state as signals, moves to another key when its props change (`Client::switch`), and
//! leaves when it unmounts (`Client::unobserve`: the last observer leaving cancels the fetch).
//!
//! The client's listener runs inside the client call that changed the state, under the app's
//! lock and maybe on the I/O thread: it only writes signals, each only when its value
//! changed, so a component reading `is_fetching` alone is not re-rendered for new data.

use std::sync::{Arc, Mutex, PoisonError};

use dioxus_core::{Task, use_drop, use_hook};
use dioxus_signals::{CopyValue, ReadableExt, SyncSignal, WritableExt};
use optimist::{
    FetchError, Instant, ObserverId, QueryError, QueryId, QueryKey, QueryOptions, QueryState,
    QueryStatus, ReadError,
};
use serde::de::DeserializeOwned;

use crate::bell::Bell;
use crate::context::{SharedClient, lock, use_client};
use crate::signals::{SyncReadSignal, pair, set, set_if_changed};

/// What [`use_query`] gives: the query's state as signals, and its calls. `Copy`, like every
/// Dioxus hook handle: move it into event handlers freely.
///
/// Each signal is written only when its value changed, so a component re-renders for what it
/// reads: [`data`](UseQuery::data) when the data changed, [`is_fetching`](UseQuery::is_fetching)
/// when a fetch started or ended, [`state`](UseQuery::state) on any change.
///
/// `X` is the data's type: the JSON itself for [`use_query`], `Result<T, ReadError>` for
/// [`use_query_as`] ([`UseQueryAs`]).
pub struct UseQuery<X: 'static = Arc<serde_json::Value>> {
    /// The data to show (TanStack Query's `data`): `None` until the first answer (or a cached
    /// read), then kept through refetches and errors.
    pub data: SyncReadSignal<Option<X>>,
    /// Everything the client says of the query for this observer (status, fetch status,
    /// error, staleness, failures, placeholder): see [`QueryState`].
    pub state: SyncReadSignal<QueryState>,
    /// No data yet and a fetch under way: show a spinner ([`QueryState::is_loading`]).
    pub is_loading: SyncReadSignal<bool>,
    /// A fetch under way, with or without data ([`QueryState::is_fetching`]).
    pub is_fetching: SyncReadSignal<bool>,
    /// The error of a fetch that failed for good (retries spent, or not retried); cleared by
    /// the next answer.
    pub error: SyncReadSignal<Option<FetchError>>,
    pub(crate) handle: CopyValue<Handle<X>>,
}

/// What [`use_query_as`] gives: the data deserialized into `T` (a type error is
/// [`ReadError::Deserialize`]).
pub type UseQueryAs<T> = UseQuery<Result<T, ReadError>>;

impl<X> Clone for UseQuery<X> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<X> Copy for UseQuery<X> {}

/// The same handle (of the same component): lets a handle be a component's prop.
impl<X> PartialEq for UseQuery<X> {
    fn eq(&self, other: &Self) -> bool {
        self.handle == other.handle
    }
}

/// The component's side of the observer: kept in the component, never in a callback.
pub(crate) struct Handle<X: 'static> {
    pub(crate) client: SharedClient,
    pub(crate) observer: ObserverId,
    /// The query observed now (it changes when the key does).
    query: QueryId,
    key: QueryKey,
    pub(crate) sink: Arc<Sink<X>>,
    /// The task a suspended render waits on, while one is alive.
    pub(crate) suspense: Option<Task>,
}

/// Where the listener writes: the signals, and what the data was converted from.
pub(crate) struct Sink<X: 'static> {
    data: SyncSignal<Option<X>>,
    state: SyncSignal<QueryState>,
    is_loading: SyncSignal<bool>,
    is_fetching: SyncSignal<bool>,
    error: SyncSignal<Option<FetchError>>,
    convert: fn(&Arc<serde_json::Value>) -> X,
    /// The JSON `data` was last converted from (compared by pointer, then by value).
    source: Mutex<Option<Arc<serde_json::Value>>>,
    /// Rung when the query has data or an error: ends a suspended render's wait.
    pub(crate) settled: Bell,
}

impl<X: Send + Sync + 'static> Sink<X> {
    /// Shows `state`: writes the signals whose value changed. Runs inside client calls.
    fn show(&self, state: &QueryState) {
        {
            let mut source = self.source.lock().unwrap_or_else(PoisonError::into_inner);
            let same = match (&*source, &state.data) {
                (Some(old), Some(new)) => Arc::ptr_eq(old, new) || old == new,
                (None, None) => true,
                _ => false,
            };
            if !same {
                source.clone_from(&state.data);
                set(self.data, state.data.as_ref().map(self.convert));
            }
        }
        set_if_changed(self.is_loading, state.is_loading());
        set_if_changed(self.is_fetching, state.is_fetching());
        set_if_changed(self.error, state.error.clone());
        set_if_changed(self.state, state.clone());
        if settled(state) {
            self.settled.ring();
        }
    }
}

/// Whether a suspended render can go on: there is data, or the query failed for good.
pub(crate) fn settled(state: &QueryState) -> bool {
    state.data.is_some() || state.status == QueryStatus::Error
}

/// Observes the query `key` with `options` while the component is mounted (TanStack Query's
/// and dioxus-query's `use_query`): the data and the state as signals, one fetch shared by
/// every component observing the same key, none when the cache answers by the fetch policy.
///
/// Call it on every render with the key of this render: when the key changes (new props, a
/// new page), the observer moves to it ([`Client::switch`](optimist::Client::switch); with
/// [`QueryOptions::keep_previous_data`] the old data stays shown until the new key's comes).
/// `options` are read once, when the component mounts. When the component unmounts, the
/// observer leaves; the last one leaving a query cancels its fetch (a late answer is refused).
///
/// The fetches themselves are the app's I/O loop's ([`optimist::Client::next_fetch`]): the
/// hook only observes. A GraphQL key parses its document when made: build it once (in a
/// `use_hook`, or only when the variables change) if the document is large.
///
/// # Panics
///
/// When no client is provided above the component (see [`use_client`]).
///
/// ```
/// use dioxus::prelude::*;
/// use optimist::{Client, Instant, Policies, QueryKey, QueryOptions, Store};
/// use optimist_dioxus::{lock, shared, use_query};
///
/// fn Todos() -> Element {
///     let todos = use_query(QueryKey::rest("GET /todos", "todos"), QueryOptions::new());
///     if (todos.is_loading)() {
///         return rsx! { "loading" };
///     }
///     let count = todos.data.read().as_ref().and_then(|d| d.as_array().map(Vec::len));
///     rsx! { "{count:?} todos" }
/// }
///
/// let client = shared(Client::new(Store::with_policies(Policies::new().type_at("todos", "Todo"))));
/// let mut dom = VirtualDom::new(Todos).with_root_context(client.clone());
/// dom.rebuild_in_place();
/// assert_eq!(dioxus_ssr::render(&dom), "loading");
///
/// // The app's I/O loop sends the fetch and reports the answer.
/// let fetch = lock(&client).next_fetch(Instant::now()).unwrap();
/// lock(&client).resolve(fetch.id, r#"[{"id": 1}, {"id": 2}]"#, Instant::now())?;
/// dom.render_immediate(&mut dioxus::core::NoOpMutations);
/// assert_eq!(dioxus_ssr::render(&dom), "Some(2) todos");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn use_query(key: QueryKey, options: QueryOptions) -> UseQuery {
    use_query_with(key, options, Arc::clone)
}

/// [`use_query`] with the data deserialized into `T`, once per new data (serde's
/// `Deserialize` from the shared JSON, no copy of it first).
///
/// ```
/// use dioxus::prelude::*;
/// use optimist::{Client, Instant, QueryKey, QueryOptions, Store};
/// use optimist_dioxus::{lock, shared, use_query_as};
///
/// #[derive(Clone, serde::Deserialize)]
/// struct Me { name: String }
///
/// fn Profile() -> Element {
///     let me = use_query_as::<Me>(QueryKey::rest("GET /me", "me"), QueryOptions::new());
///     let name = match &*me.data.read() {
///         Some(Ok(me)) => me.name.clone(),
///         Some(Err(error)) => format!("bad data: {error}"),
///         None => "...".into(),
///     };
///     rsx! { "{name}" }
/// }
///
/// let client = shared(Client::new(Store::new()));
/// let mut dom = VirtualDom::new(Profile).with_root_context(client.clone());
/// dom.rebuild_in_place();
/// let fetch = lock(&client).next_fetch(Instant::now()).unwrap();
/// lock(&client).resolve(fetch.id, r#"{"name": "Ada"}"#, Instant::now())?;
/// dom.render_immediate(&mut dioxus::core::NoOpMutations);
/// assert_eq!(dioxus_ssr::render(&dom), "Ada");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn use_query_as<T>(key: QueryKey, options: QueryOptions) -> UseQueryAs<T>
where
    T: DeserializeOwned + Send + Sync + 'static,
{
    use_query_with(key, options, |json| {
        T::deserialize(&**json).map_err(|error| ReadError::Deserialize {
            path: String::new(),
            message: error.to_string(),
        })
    })
}

fn use_query_with<X: Send + Sync + 'static>(
    key: QueryKey,
    options: QueryOptions,
    convert: fn(&Arc<serde_json::Value>) -> X,
) -> UseQuery<X> {
    let client = use_client();
    let query = use_hook(|| observe(client, key.clone(), options, convert));
    if query.handle.peek().key != key {
        query.switch(key);
    }
    use_drop(move || {
        let handle = query.handle.peek();
        lock(&handle.client).unobserve(handle.observer, Instant::now());
    });
    query
}

/// Observes `key` on the first render: the signals, the listener writing them, the handle.
fn observe<X: Send + Sync + 'static>(
    client: SharedClient,
    key: QueryKey,
    options: QueryOptions,
    convert: fn(&Arc<serde_json::Value>) -> X,
) -> UseQuery<X> {
    let (data, data_view) = pair(None);
    let (state, state_view) = pair(QueryState::default());
    let (is_loading, is_loading_view) = pair(false);
    let (is_fetching, is_fetching_view) = pair(false);
    let (error, error_view) = pair(None);
    let sink = Arc::new(Sink {
        data,
        state,
        is_loading,
        is_fetching,
        error,
        convert,
        source: Mutex::new(None),
        settled: Bell::default(),
    });
    let listener = sink.clone();
    let observed = lock(&client).observe(key.clone(), options, Instant::now(), move |state| {
        listener.show(state)
    });
    sink.show(&observed.state);
    UseQuery {
        data: data_view,
        state: state_view,
        is_loading: is_loading_view,
        is_fetching: is_fetching_view,
        error: error_view,
        handle: CopyValue::new(Handle {
            client,
            observer: observed.observer,
            query: observed.query,
            key,
            sink,
            suspense: None,
        }),
    }
}

impl<X: Send + Sync + 'static> UseQuery<X> {
    /// Moves the observer to `key`, showing what the client shows for it at once.
    fn switch(mut self, key: QueryKey) {
        let (client, observer, sink) = {
            let handle = self.handle.peek();
            (handle.client.clone(), handle.observer, handle.sink.clone())
        };
        let moved = lock(&client).switch(observer, key.clone(), Instant::now());
        if let Ok(moved) = moved {
            sink.show(&moved.state);
            let mut handle = self.handle.write();
            handle.query = moved.query;
            handle.key = key;
        }
    }

    /// Fetches the query again now, superseding a fetch in flight (TanStack Query's
    /// `refetch`, dioxus-query's `invalidate`); the app's I/O loop sends it. Works under
    /// every fetch policy but `CacheOnly`.
    ///
    /// ```
    /// use dioxus::prelude::*;
    /// use optimist::{Client, Instant, Patch, QueryKey, QueryOptions, Store};
    /// use optimist_dioxus::{lock, shared, use_query};
    ///
    /// fn Me() -> Element {
    ///     let me = use_query(QueryKey::rest("GET /me", "me"), QueryOptions::new());
    ///     rsx! { button { onclick: move |_| { let _ = me.refetch(); }, "reload" } }
    /// }
    ///
    /// let client = shared(Client::new(Store::new()));
    /// lock(&client).store_mut().write(Patch::new().set("ROOT_QUERY", "me", "ada"))?;
    /// let mut dom = VirtualDom::new(Me).with_root_context(client.clone());
    /// dom.rebuild_in_place();
    /// assert!(lock(&client).next_fetch(Instant::now()).is_none(), "cached: no fetch");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn refetch(&self) -> Result<(), QueryError> {
        let handle = self.handle.peek();
        lock(&handle.client).refetch(handle.query, Instant::now())
    }

    /// The query observed now (it changes with the key).
    ///
    /// ```
    /// use dioxus::prelude::*;
    /// use optimist::{QueryKey, QueryOptions};
    ///
    /// fn Me() -> Element {
    ///     let me = use_query(QueryKey::rest("GET /me", "me"), QueryOptions::new());
    ///     let observers = optimist_dioxus::lock(&optimist_dioxus::use_client()).observer_count(me.query());
    ///     rsx! { "{observers}" }
    /// }
    /// # use optimist_dioxus::use_query;
    /// let client = optimist_dioxus::shared(optimist::Client::new(optimist::Store::new()));
    /// let mut dom = VirtualDom::new(Me).with_root_context(client);
    /// dom.rebuild_in_place();
    /// assert_eq!(dioxus_ssr::render(&dom), "1");
    /// ```
    pub fn query(&self) -> QueryId {
        self.handle.peek().query
    }

    /// This component's observer.
    ///
    /// ```
    /// use dioxus::prelude::*;
    /// use optimist::{QueryKey, QueryOptions};
    ///
    /// fn Me() -> Element {
    ///     let me = use_query(QueryKey::rest("GET /me", "me"), QueryOptions::new());
    ///     let loading = optimist_dioxus::lock(&optimist_dioxus::use_client())
    ///         .state(me.observer()).is_some_and(|state| state.is_loading());
    ///     rsx! { "{loading}" }
    /// }
    /// # use optimist_dioxus::use_query;
    /// let client = optimist_dioxus::shared(optimist::Client::new(optimist::Store::new()));
    /// let mut dom = VirtualDom::new(Me).with_root_context(client);
    /// dom.rebuild_in_place();
    /// assert_eq!(dioxus_ssr::render(&dom), "true");
    /// ```
    pub fn observer(&self) -> ObserverId {
        self.handle.peek().observer
    }
}
