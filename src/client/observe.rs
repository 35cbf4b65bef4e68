//! Observers come and go: observing a query creates its record or joins it and decides, by
//! the fetch policy, whether a fetch is due; the last observer leaving cancels the fetch in
//! flight and starts the record's `gc_time`.

use std::sync::Arc;

use super::fetch::{ObserverId, QueryError, QueryId, next_id};
use super::key::QueryKey;
use super::options::{FetchPolicy, QueryOptions};
use super::pages::Pages;
use super::record::{Read, Record};
use super::state::QueryState;
use super::{Client, Observer};
use crate::Instant;

/// What [`Client::observe`] gives: the observer, its query, what to show now, and whether a
/// fetch is due (hand it out with [`Client::next_fetch`]).
///
/// ```
/// use optimist::{Client, QueryKey, QueryOptions, Store, Instant};
/// let mut client = Client::new(Store::new());
/// let seen = client.observe(QueryKey::rest("GET /me", "me"), QueryOptions::new(), Instant::now(), |_| {});
/// assert!(seen.fetch_due && seen.state.data.is_none());
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Observed {
    /// The new observer.
    pub observer: ObserverId,
    /// Its query (shared with every observer of the same key).
    pub query: QueryId,
    /// What to show now.
    pub state: QueryState,
    /// Whether a fetch of the query is due now or in flight (joined).
    pub fetch_due: bool,
}

impl Client {
    /// Observes the query `key` with `options` (a component mounts): creates its record or
    /// joins it, and decides by the fetch policy whether a fetch is due (see
    /// [`FetchPolicy`]): under `CacheFirst`, when the cached read is incomplete or stale for
    /// this observer. A fetch already in flight is joined, never doubled, unless it was sent
    /// before a field the query reads was invalidated: its answer may predate the change, so a
    /// new fetch is due that supersedes it (as the invalidation does for an observed query).
    /// `listener` is told the observer's new [`QueryState`] after every call that changed it,
    /// until [`unobserve`](Client::unobserve). O(records + observers) (see the type's notes).
    ///
    /// ```
    /// use optimist::{Client, FetchPolicy, Patch, QueryKey, QueryOptions, Store, Instant};
    /// let mut client = Client::new(Store::new());
    /// client.store_mut().write(Patch::new().set("ROOT_QUERY", "me", "ada"))?;
    /// let me = QueryKey::rest("GET /me", "me");
    /// let now = Instant::now();
    /// let cached = client.observe(me.clone(), QueryOptions::new(), now, |_| {});
    /// assert_eq!(cached.state.data.as_deref(), Some(&serde_json::json!("ada")));
    /// assert!(!cached.fetch_due, "complete and fresh: cache-first does not fetch");
    /// let both = client.observe(me, QueryOptions::new().fetch_policy(FetchPolicy::CacheAndNetwork), now, |_| {});
    /// assert!(both.fetch_due && both.state.data.is_some(), "shows the cache and fetches");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn observe(
        &mut self,
        key: QueryKey,
        options: QueryOptions,
        now: Instant,
        listener: impl Fn(&QueryState) + Send + Sync + 'static,
    ) -> Observed {
        self.observe_with(key, options, None, now, Arc::new(listener), None)
    }

    /// Observes an infinite query: `key` is a REST query whose pages come by `pages` (see
    /// [`Pages`]); its data is `{"pages": [...], "pageParams": [...]}`. The first fetch asks
    /// for the first page; [`fetch_next_page`](Client::fetch_next_page) for the next; a
    /// refetch (invalidation, focus, an explicit one) fetches every loaded page again, in
    /// order, each parameter following the page just fetched (TanStack Query's infinite
    /// queries). A GraphQL key is observed as a plain query.
    ///
    /// ```
    /// use optimist::{Client, Pages, QueryKey, QueryOptions, Store, Instant};
    /// use serde_json::json;
    /// let mut client = Client::new(Store::new());
    /// let pages = Pages::new(json!(1), |last, params| {
    ///     (last.as_array().is_some_and(|items| !items.is_empty())).then(|| json!(params.len() + 1))
    /// });
    /// let now = Instant::now();
    /// let seen = client.observe_pages(QueryKey::rest("GET /items", "items"), QueryOptions::new(), pages, now, |_| {});
    /// let first = client.next_fetch(now).unwrap();
    /// assert_eq!(first.page, Some(json!(1)));
    /// client.resolve(first.id, "[1, 2]", now)?;
    /// assert!(client.fetch_next_page(seen.query, now)?);
    /// let second = client.next_fetch(now).unwrap();
    /// client.resolve(second.id, "[3]", now)?;
    /// let data = client.state(seen.observer).unwrap().data.clone().unwrap();
    /// assert_eq!(*data, json!({"pages": [[1, 2], [3]], "pageParams": [1, 2]}));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn observe_pages(
        &mut self,
        key: QueryKey,
        options: QueryOptions,
        pages: Pages,
        now: Instant,
        listener: impl Fn(&QueryState) + Send + Sync + 'static,
    ) -> Observed {
        self.observe_with(key, options, Some(pages), now, Arc::new(listener), None)
    }

    /// Fetches `key` with no observer (TanStack Query's `prefetchQuery`, a route's loader):
    /// due now unless the cache holds it complete and fresh by `options`; kept for
    /// `options.gc_time` unless observed meanwhile. Returns its query.
    ///
    /// ```
    /// use optimist::{Client, QueryKey, QueryOptions, Store, Instant};
    /// let mut client = Client::new(Store::new());
    /// let query = client.prefetch(QueryKey::rest("GET /me", "me"), QueryOptions::new(), Instant::now());
    /// assert_eq!(client.next_fetch(Instant::now()).map(|f| f.query), Some(query));
    /// ```
    pub fn prefetch(&mut self, key: QueryKey, options: QueryOptions, now: Instant) -> QueryId {
        let now = self.at(now);
        let id = self.record_for(&key, &options, None);
        let record = self.records.get_mut(&id).expect("just made");
        record.gc_time = record.gc_time.max(options.gc_time);
        if record.observers.is_empty() {
            record.unobserved_since = Some(now);
        }
        self.mount(id, &options, now);
        self.sync();
        id
    }

    /// The observer `id` leaves (a component unmounts). When it was its query's last, the
    /// fetch in flight is cancelled (its slot too; a late answer is refused and changes
    /// nothing), no retry or interval is due any more, and the query's `gc_time` starts.
    /// `false` for an unknown observer.
    ///
    /// ```
    /// use optimist::{Client, QueryKey, QueryOptions, Store, Instant};
    /// let mut client = Client::new(Store::new());
    /// let now = Instant::now();
    /// let seen = client.observe(QueryKey::rest("GET /me", "me"), QueryOptions::new(), now, |_| {});
    /// let fetch = client.next_fetch(now).unwrap();
    /// assert!(client.unobserve(seen.observer, now));
    /// assert!(client.resolve(fetch.id, r#""ada""#, now).is_err(), "cancelled: the answer is dropped");
    /// assert!(client.store().get_field("ROOT_QUERY", "me").is_none());
    /// ```
    pub fn unobserve(&mut self, id: ObserverId, now: Instant) -> bool {
        let now = self.at(now);
        let Some(observer) = self.observers.remove(&id) else {
            return false;
        };
        self.leave(observer.query, id, now);
        self.sync();
        true
    }

    /// Moves the observer `id` to the query `key` (the same component, new variables or a
    /// new page number), keeping its options and listener: as leaving and observing again,
    /// but with [`QueryOptions::keep_previous_data`] the old key's data stays shown
    /// (`is_placeholder`) until the new key has some.
    ///
    /// ```
    /// use optimist::{Client, QueryKey, QueryOptions, Store, Instant};
    /// let mut client = Client::new(Store::new());
    /// let now = Instant::now();
    /// let page = |n: u32| QueryKey::rest(&format!("GET /items?page={n}"), format!("items{n}").as_str());
    /// let seen = client.observe(page(1), QueryOptions::new().keep_previous_data(), now, |_| {});
    /// let fetch = client.next_fetch(now).unwrap();
    /// client.resolve(fetch.id, "[1, 2]", now)?;
    /// let moved = client.switch(seen.observer, page(2), now)?;
    /// assert!(moved.state.is_placeholder && moved.fetch_due);
    /// assert_eq!(moved.state.data.as_deref(), Some(&serde_json::json!([1, 2])));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn switch(
        &mut self,
        id: ObserverId,
        key: QueryKey,
        now: Instant,
    ) -> Result<Observed, QueryError> {
        let now = self.at(now);
        let Some(observer) = self.observers.remove(&id) else {
            return Err(QueryError::UnknownObserver(id));
        };
        let previous = self
            .records
            .get(&observer.query)
            .and_then(|record| record.data.clone())
            .or(observer.placeholder.clone());
        let pages = self
            .records
            .get(&observer.query)
            .and_then(|record| match &record.read {
                Read::Pages(read) => read.pages.clone(),
                _ => None,
            });
        self.leave(observer.query, id, now);
        let placeholder = previous.filter(|_| observer.options.keep_previous_data);
        let keep = Some((id, placeholder));
        Ok(self.observe_with(key, observer.options, pages, now, observer.listener, keep))
    }

    /// Observes with every option; `keep` is the observer id to reuse and the placeholder to
    /// show (a switch).
    fn observe_with(
        &mut self,
        key: QueryKey,
        options: QueryOptions,
        pages: Option<Pages>,
        now: Instant,
        listener: Arc<super::Listener>,
        keep: Option<(ObserverId, Option<Arc<serde_json::Value>>)>,
    ) -> Observed {
        let now = self.at(now);
        let query = self.record_for(&key, &options, pages);
        let (observer, placeholder) = keep.unwrap_or_else(|| (ObserverId(next_id()), None));
        let record = self.records.get_mut(&query).expect("just made");
        record.observers.push(observer);
        record.unobserved_since = None;
        record.gc_time = record.gc_time.max(options.gc_time);
        record.retry = options.retry;
        record.error_policy = options.error_policy;
        self.observers.insert(
            observer,
            Observer {
                query,
                options: options.clone(),
                listener,
                last: QueryState::default(),
                placeholder,
            },
        );
        self.mount(query, &options, now);
        if options.fetch_policy.fetches()
            && let Some(every) = options.refetch_interval
        {
            self.schedule_interval(query, every, now);
        }
        // What it is shown first is returned, not told.
        let first = self.shown(observer, now);
        if let Some(new) = self.observers.get_mut(&observer) {
            new.last = first;
        }
        self.sync();
        let record = &self.records[&query];
        Observed {
            observer,
            query,
            state: self.observers[&observer].last.clone(),
            fetch_due: record.due.is_some_and(|due| due <= now) || record.fetch.is_some(),
        }
    }

    /// The record of `key`, made if there is none (a no-cache observer gets a record of its
    /// own, apart from the cached one).
    fn record_for(
        &mut self,
        key: &QueryKey,
        options: &QueryOptions,
        pages: Option<Pages>,
    ) -> QueryId {
        let no_cache = options.fetch_policy == FetchPolicy::NoCache;
        let identity = if no_cache {
            Arc::from(format!("no-cache\u{0}{}", key.identity))
        } else {
            key.identity.clone()
        };
        if let Some(id) = self.by_key.get(&identity) {
            return *id;
        }
        let id = QueryId(next_id());
        let mut read = Read::new(key, no_cache, pages.is_some());
        if let Read::Pages(paged) = &mut read {
            paged.pages = pages;
        }
        let epoch = self.store.stale.epoch();
        let mut record = Record::new(key.clone(), identity.clone(), read, epoch, options.retry);
        // A new record shows the cache unless its policy waits for the network.
        if !matches!(
            options.fetch_policy,
            FetchPolicy::NetworkOnly | FetchPolicy::NoCache
        ) {
            record.read_cache(&self.store);
        } else {
            record.reading = false;
        }
        self.by_key.insert(identity, id);
        self.records.insert(id, record);
        id
    }

    /// An observer (or a prefetch) with `options` arrives at the record `id` at `now`: a fetch
    /// is due if its policy says so, unless one is due or in flight already (joined). A fetch
    /// in flight sent before a field the query reads was marked stale is not joined but
    /// superseded, as the invalidation would have done had the query been observed then.
    fn mount(&mut self, id: QueryId, options: &QueryOptions, now: Instant) {
        let record = &self.records[&id];
        let wanted = match options.fetch_policy {
            FetchPolicy::CacheFirst => {
                !record.complete || record.is_stale(&self.store, options.stale_time, now)
            }
            FetchPolicy::CacheAndNetwork | FetchPolicy::NetworkOnly | FetchPolicy::NoCache => true,
            FetchPolicy::CacheOnly | FetchPolicy::Standby => false,
        };
        if wanted {
            let predates_a_mark = record
                .fetch
                .as_ref()
                .is_some_and(|fetch| record.reads_marked(&self.store, fetch.epoch));
            self.make_due(id, now, predates_a_mark);
        }
    }

    /// `observer` left the record `id`: the last one out cancels its fetch.
    fn leave(&mut self, id: QueryId, observer: ObserverId, now: Instant) {
        let Some(record) = self.records.get_mut(&id) else {
            return;
        };
        record.observers.retain(|o| *o != observer);
        if !record.observers.is_empty() {
            if record.interval_due {
                self.reschedule_interval(id, now);
            }
            return;
        }
        record.unobserved_since = Some(now);
        record.due = None;
        record.supersede = false;
        record.offline_wait = false;
        if let Some(fetch) = record.fetch.take() {
            self.fetches.remove(&fetch.id);
            if let Some(slot) = fetch.slot {
                // An empty reservation: cancelling it changes no data.
                let _ = self.store.cancel(slot);
            }
        }
    }
}
