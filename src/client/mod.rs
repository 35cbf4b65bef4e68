//! The client: the query lifecycle over the store (sans-IO, like the mutation queue).
//!
//! [`Client`] owns a [`Store`] and a record per query, as Apollo's query manager sits over
//! its cache and TanStack Query's client over its query cache: the store stays the cache
//! (data, layers, mutation records, the outbox, invalidation marks) and knows nothing of
//! queries; the client decides what to fetch and when, and turns answers into store writes
//! through reserved slots. The app does the I/O: it asks [`Client::next_fetch`] what to send,
//! sends it, and reports the answer ([`Client::resolve`]) or the failure ([`Client::reject`]).
//!
//! * `key.rs`, `options.rs`, `state.rs`, `fetch.rs`: the data (what a query is, what an
//!   observer asks, what it is shown, what is fetched and how it failed).
//! * `record.rs`: one query's bookkeeping; `pages.rs`: infinite queries.
//! * `observe.rs`: observers come and go; `schedule.rs`: fetches, answers, retries and
//!   triggers; `collect.rs`: `gc_time` and collection.

mod collect;
mod fetch;
mod key;
mod observe;
mod options;
mod pages;
mod record;
mod response;
mod schedule;
mod state;

pub use fetch::{Fetch, FetchError, FetchErrorKind, FetchId, ObserverId, QueryError, QueryId};
pub use key::QueryKey;
pub use observe::Observed;
pub use options::{FetchPolicy, QueryOptions};
pub use pages::Pages;
pub use response::{ErrorPolicy, GraphqlError};
pub use state::{FetchStatus, QueryState, QueryStatus};

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use crate::Instant;
use crate::store::Store;
use record::Record;

type Listener = dyn Fn(&QueryState) + Send + Sync;
type Waker = dyn Fn() + Send + Sync;

/// One observer: a component or screen showing a query.
struct Observer {
    query: QueryId,
    options: QueryOptions,
    listener: Arc<Listener>,
    /// What it was last shown (and told).
    last: QueryState,
    /// Another key's data, shown until its query has some
    /// ([`QueryOptions::keep_previous_data`]).
    placeholder: Option<Arc<serde_json::Value>>,
}

/// The query lifecycle over a [`Store`]: fetch policies, dedupe, freshness, retries, refetch
/// on focus, reconnect, interval and invalidation, infinite queries and garbage collection,
/// as TanStack Query and Apollo Client give them, with every answer landing in the store's
/// ordered slots (a refetch can neither hide nor undo a pending mutation).
///
/// Sans-IO: every call that depends on time takes `now`, nothing reads a clock, and the app
/// (or the async `Driver`, feature `tokio`) does the requests:
///
/// 1. [`observe`](Client::observe) a query: what to show now, and whether a fetch is due;
/// 2. [`next_fetch`](Client::next_fetch) hands out each fetch to send (one per query at a
///    time: a second observer joins the fetch in flight), with its reserved slot;
/// 3. [`resolve`](Client::resolve) writes the answer through the slot, or
///    [`reject`](Client::reject) records the failure and schedules a retry;
/// 4. [`next_due`](Client::next_due) says when to call [`tick`](Client::tick) and
///    `next_fetch` again (a retry, an interval, a stale time running out, a collection).
///
/// The store is [`store`](Client::store) to read and [`store_mut`](Client::store_mut) to
/// change: mutations, writes and invalidations go through it as before, and when the guard
/// `store_mut` returns is dropped, the client brings its queries up to date (new data for
/// observers, refetches for invalidated queries).
///
/// Observers' listeners are called, inside the call that changed what they show, with the
/// new [`QueryState`], once per call. Like the store's watchers they must not call the
/// client (they run under the app's lock): pass the state on.
///
/// ```
/// use optimist::{Client, FetchStatus, QueryKey, QueryOptions, QueryStatus, Policies, Store, Instant};
/// use serde_json::json;
///
/// let mut client = Client::new(Store::with_policies(Policies::new().type_at("todos", "Todo")));
/// let todos = QueryKey::rest("GET /todos", "todos");
/// let now = Instant::now();
///
/// // A component mounts: nothing cached, so a fetch is due; a second one joins it.
/// let first = client.observe(todos.clone(), QueryOptions::new(), now, |_| {});
/// assert!(first.fetch_due && first.state.is_loading());
/// let second = client.observe(todos.clone(), QueryOptions::new(), now, |_| {});
/// assert_eq!(second.query, first.query);
///
/// // The app sends the one fetch and reports the answer.
/// let fetch = client.next_fetch(now).unwrap();
/// assert!(client.next_fetch(now).is_none(), "deduped");
/// client.resolve(fetch.id, r#"[{"id": 1, "title": "Buy milk"}]"#, now)?;
/// let state = client.state(first.observer).unwrap();
/// assert_eq!((state.status, state.fetch_status), (QueryStatus::Success, FetchStatus::Idle));
/// assert_eq!(state.data.as_deref(), Some(&json!([{"__typename": "Todo", "id": 1, "title": "Buy milk"}])));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Client {
    store: Store,
    records: BTreeMap<QueryId, Record>,
    /// Each live record's id by its key's identity.
    by_key: HashMap<Arc<str>, QueryId>,
    observers: BTreeMap<ObserverId, Observer>,
    /// Each fetch in flight, to its query.
    fetches: HashMap<FetchId, QueryId>,
    online: bool,
    /// The latest `now` any call gave (the clock the calls without one read staleness by).
    now: Option<Instant>,
    /// The store's revision the records were last brought up to date with.
    seen_revision: u64,
    /// The store's invalidation count the records were last checked against.
    seen_epoch: u64,
    waker: Option<Arc<Waker>>,
    /// What [`next_due`](Client::next_due) said at the end of the last call: a call that
    /// makes it sooner wakes the waker.
    announced: Option<Instant>,
}

impl Client {
    /// A client over `store` (a new one, or one loaded from a saved outbox), online, with no
    /// queries.
    ///
    /// ```
    /// let client = optimist::Client::new(optimist::Store::new());
    /// assert_eq!(client.query_count(), 0);
    /// assert!(client.is_online());
    /// ```
    pub fn new(store: Store) -> Client {
        let (seen_revision, seen_epoch) = (store.revision(), store.stale.epoch());
        Client {
            store,
            records: BTreeMap::new(),
            by_key: HashMap::new(),
            observers: BTreeMap::new(),
            fetches: HashMap::new(),
            online: true,
            now: None,
            seen_revision,
            seen_epoch,
            waker: None,
            announced: None,
        }
    }

    /// The store, to read.
    ///
    /// ```
    /// assert!(optimist::Client::new(optimist::Store::new()).store().is_empty());
    /// ```
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The store, to change (mutations, writes, invalidation, gc). When the returned guard is
    /// dropped, the client brings its queries up to date: observers whose data changed are
    /// told, observed queries that read a field just invalidated are due for a refetch.
    ///
    /// ```
    /// use optimist::{Client, Patch, QueryKey, QueryOptions, Store, Instant};
    /// let mut client = Client::new(Store::new());
    /// let now = Instant::now();
    /// client.store_mut().write(Patch::new().set("ROOT_QUERY", "me", "ada"))?;
    /// let seen = client.observe(QueryKey::rest("GET /me", "me"), QueryOptions::new(), now, |_| {});
    /// assert!(!seen.fetch_due, "cached, and fresh until invalidated");
    /// client.store_mut().invalidate_field("ROOT_QUERY", "me")?;
    /// assert!(client.next_fetch(now).is_some(), "invalidated while observed: refetched");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn store_mut(&mut self) -> StoreMut<'_> {
        StoreMut { client: self }
    }

    /// The client's store, the client dropped (its queries with it).
    ///
    /// ```
    /// let store = optimist::Client::new(optimist::Store::new()).into_store();
    /// assert!(store.is_empty());
    /// ```
    pub fn into_store(self) -> Store {
        self.store
    }

    /// Registers `waker`, called at the end of every call that made [`next_due`](Client::next_due)
    /// sooner than it was at the end of the call before (an observer came, a trigger, an
    /// invalidation): an async loop sleeping until `next_due` wakes on it. It runs inside the
    /// call, so it must not call the client. Replaces the previous one.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// let mut client = optimist::Client::new(optimist::Store::new());
    /// let woken = Arc::new(AtomicUsize::new(0));
    /// let count = woken.clone();
    /// client.set_waker(move || { count.fetch_add(1, Ordering::Relaxed); });
    /// let now = optimist::Instant::now();
    /// client.focus(now);
    /// assert_eq!(woken.load(Ordering::Relaxed), 0, "nothing became due");
    /// client.observe(optimist::QueryKey::rest("GET /me", "me"), optimist::QueryOptions::new(), now, |_| {});
    /// assert_eq!(woken.load(Ordering::Relaxed), 1, "a fetch is due now");
    /// ```
    pub fn set_waker(&mut self, waker: impl Fn() + Send + Sync + 'static) {
        self.waker = Some(Arc::new(waker));
    }

    /// Whether the app last reported being online (see [`offline`](Client::offline)).
    ///
    /// ```
    /// let mut client = optimist::Client::new(optimist::Store::new());
    /// client.offline(optimist::Instant::now());
    /// assert!(!client.is_online());
    /// ```
    pub fn is_online(&self) -> bool {
        self.online
    }

    /// How many query records the client holds (observed or kept for their `gc_time`).
    ///
    /// ```
    /// assert_eq!(optimist::Client::new(optimist::Store::new()).query_count(), 0);
    /// ```
    pub fn query_count(&self) -> usize {
        self.records.len()
    }

    /// The query record of `key`, if the client holds one.
    ///
    /// ```
    /// use optimist::{Client, QueryKey, QueryOptions, Store, Instant};
    /// let mut client = Client::new(Store::new());
    /// let key = QueryKey::rest("GET /me", "me");
    /// assert_eq!(client.query_of(&key), None);
    /// let seen = client.observe(key.clone(), QueryOptions::new(), Instant::now(), |_| {});
    /// assert_eq!(client.query_of(&key), Some(seen.query));
    /// ```
    pub fn query_of(&self, key: &QueryKey) -> Option<QueryId> {
        self.by_key.get(&key.identity).copied()
    }

    /// What the observer `id` shows now; `None` for an unknown observer. O(1) (the state the
    /// last call computed).
    ///
    /// ```
    /// use optimist::{Client, QueryKey, QueryOptions, Store, Instant};
    /// let mut client = Client::new(Store::new());
    /// let seen = client.observe(QueryKey::rest("GET /me", "me"), QueryOptions::new(), Instant::now(), |_| {});
    /// assert_eq!(client.state(seen.observer), Some(&seen.state));
    /// ```
    pub fn state(&self, id: ObserverId) -> Option<&QueryState> {
        self.observers.get(&id).map(|observer| &observer.last)
    }

    /// Where the query `id` stands, for an observer with no stale time of its own (stale only
    /// when invalidated or never answered); `None` for an unknown query.
    ///
    /// ```
    /// use optimist::{Client, QueryKey, QueryOptions, QueryStatus, Store, Instant};
    /// let mut client = Client::new(Store::new());
    /// let seen = client.observe(QueryKey::rest("GET /me", "me"), QueryOptions::new(), Instant::now(), |_| {});
    /// assert_eq!(client.query_state(seen.query).map(|s| s.status), Some(QueryStatus::Pending));
    /// ```
    pub fn query_state(&self, id: QueryId) -> Option<QueryState> {
        let record = self.records.get(&id)?;
        let now = self.now.unwrap_or_else(Instant::now);
        Some(record.state(&self.store, None, self.online, now))
    }

    /// The query `id`'s key.
    ///
    /// ```
    /// use optimist::{Client, QueryKey, QueryOptions, Store, Instant};
    /// let mut client = Client::new(Store::new());
    /// let key = QueryKey::rest("GET /me", "me");
    /// let seen = client.observe(key.clone(), QueryOptions::new(), Instant::now(), |_| {});
    /// assert_eq!(client.query_key(seen.query), Some(&key));
    /// ```
    pub fn query_key(&self, id: QueryId) -> Option<&QueryKey> {
        self.records.get(&id).map(|record| &record.key)
    }

    /// How many observers the query `id` has (0 for an unknown query).
    ///
    /// ```
    /// use optimist::{Client, QueryKey, QueryOptions, Store, Instant};
    /// let mut client = Client::new(Store::new());
    /// let seen = client.observe(QueryKey::rest("GET /me", "me"), QueryOptions::new(), Instant::now(), |_| {});
    /// assert_eq!(client.observer_count(seen.query), 1);
    /// ```
    pub fn observer_count(&self, id: QueryId) -> usize {
        self.records
            .get(&id)
            .map_or(0, |record| record.observers.len())
    }

    /// The queries whose fetch is in flight (handed out, not answered), with the fetch.
    ///
    /// ```
    /// use optimist::{Client, QueryKey, QueryOptions, Store, Instant};
    /// let mut client = Client::new(Store::new());
    /// client.observe(QueryKey::rest("GET /me", "me"), QueryOptions::new(), Instant::now(), |_| {});
    /// let fetch = client.next_fetch(Instant::now()).unwrap();
    /// assert_eq!(client.in_flight().collect::<Vec<_>>(), [(fetch.query, fetch.id)]);
    /// ```
    pub fn in_flight(&self) -> impl Iterator<Item = (QueryId, FetchId)> + '_ {
        self.records
            .iter()
            .filter_map(|(id, record)| record.fetch.as_ref().map(|fetch| (*id, fetch.id)))
    }

    /// Checks the client's own invariants: every fetch in flight is its record's, every
    /// observer's record lists it, the key index matches. For tests; O(records + observers).
    #[doc(hidden)]
    pub fn check_invariants(&self) -> Result<(), String> {
        for (id, record) in &self.records {
            if self.by_key.get(&record.identity) != Some(id) {
                return Err(format!("{id:?} is not indexed by its key"));
            }
            if let Some(fetch) = &record.fetch
                && self.fetches.get(&fetch.id) != Some(id)
            {
                return Err(format!("{id:?}'s fetch {:?} is not listed", fetch.id));
            }
            for observer in &record.observers {
                if self.observers.get(observer).map(|o| o.query) != Some(*id) {
                    return Err(format!("{id:?} lists {observer:?}, which is not its"));
                }
            }
            if record.observers.is_empty() != record.unobserved_since.is_some() {
                return Err(format!("{id:?}: observers and unobserved_since disagree"));
            }
        }
        for (fetch, id) in &self.fetches {
            if self
                .records
                .get(id)
                .and_then(|r| r.fetch.as_ref())
                .map(|f| f.id)
                != Some(*fetch)
            {
                return Err(format!(
                    "{fetch:?} is listed for {id:?}, which is not fetching it"
                ));
            }
        }
        for (id, observer) in &self.observers {
            if !self
                .records
                .get(&observer.query)
                .is_some_and(|record| record.observers.contains(id))
            {
                return Err(format!("{id:?}'s query does not list it"));
            }
        }
        if self.by_key.len() != self.records.len() {
            return Err("the key index has entries for no record".into());
        }
        self.store.check_invariants()
    }

    /// Notes `now` as the latest time seen.
    fn at(&mut self, now: Instant) -> Instant {
        self.now = Some(self.now.map_or(now, |seen| seen.max(now)));
        now
    }

    /// Brings the records up to date with the store and tells observers what changed: data
    /// read again where something it read changed (O(keys changed) per record), refetches
    /// due where an observed query reads a field invalidated since its fetch, then every
    /// observer's state compared with what it was last shown. O(records + observers) when the
    /// store did not change.
    fn sync(&mut self) {
        let now = self.now.unwrap_or_else(Instant::now);
        let revision = self.store.revision();
        if revision != self.seen_revision {
            self.seen_revision = revision;
            let ids: Vec<QueryId> = self.records.keys().copied().collect();
            for id in ids {
                self.refresh(id, now);
            }
        }
        let epoch = self.store.stale.epoch();
        if epoch != self.seen_epoch {
            self.seen_epoch = epoch;
            let ids: Vec<QueryId> = self.records.keys().copied().collect();
            for id in ids {
                self.check_invalidated(id, epoch, now);
            }
        }
        self.tell(now);
        let due = self.next_due();
        let sooner = due.is_some_and(|due| self.announced.is_none_or(|before| due < before));
        self.announced = due;
        if sooner && let Some(waker) = &self.waker {
            waker();
        }
    }

    /// Tells every observer whose state changed.
    fn tell(&mut self, now: Instant) {
        let mut told: Vec<(Arc<Listener>, QueryState)> = Vec::new();
        let ids: Vec<ObserverId> = self.observers.keys().copied().collect();
        for id in ids {
            let state = self.shown(id, now);
            let Some(observer) = self.observers.get_mut(&id) else {
                continue;
            };
            if state != observer.last {
                observer.last = state.clone();
                told.push((observer.listener.clone(), state));
            } else {
                // Equal data read again: keep the new allocation (nothing told), so the next
                // comparison is by pointer, and a later telling hands on the data as read.
                observer.last.data = state.data;
            }
        }
        for (listener, state) in told {
            listener(&state);
        }
    }

    /// What the observer `id` is shown at `now` (its placeholder dropped once its query has
    /// data).
    pub(super) fn shown(&mut self, id: ObserverId, now: Instant) -> QueryState {
        let Some(observer) = self.observers.get_mut(&id) else {
            return QueryState::default();
        };
        let Some(record) = self.records.get(&observer.query) else {
            return QueryState::default();
        };
        let mut state = record.state(&self.store, observer.options.stale_time, self.online, now);
        if state.data.is_some() {
            observer.placeholder = None;
        } else if let Some(previous) = &observer.placeholder {
            state.data = Some(previous.clone());
            state.is_placeholder = true;
        }
        state
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("queries", &self.records.len())
            .field("observers", &self.observers.len())
            .field("in_flight", &self.fetches.len())
            .field("online", &self.online)
            .finish_non_exhaustive()
    }
}

/// The client's store, borrowed to change it ([`Client::store_mut`]); when dropped, the
/// client brings its queries up to date.
///
/// ```
/// use optimist::{Client, Patch, Store};
/// let mut client = Client::new(Store::new());
/// let mut store = client.store_mut();
/// store.write(Patch::new().set("Todo:1", "done", true))?;
/// drop(store);
/// assert!(client.store().contains("Todo:1"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct StoreMut<'a> {
    client: &'a mut Client,
}

impl Deref for StoreMut<'_> {
    type Target = Store;

    fn deref(&self) -> &Store {
        &self.client.store
    }
}

impl DerefMut for StoreMut<'_> {
    fn deref_mut(&mut self) -> &mut Store {
        &mut self.client.store
    }
}

impl Drop for StoreMut<'_> {
    fn drop(&mut self) {
        // Unwinding from a panic in the app's code: the listeners are not called from a drop
        // (a second panic would abort); the next call brings the records up to date.
        if !std::thread::panicking() {
            self.client.sync();
        }
    }
}
