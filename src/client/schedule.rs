//! Fetches and their answers: what is due and when, handing fetches out with their slots,
//! writing answers, retries with backoff, supersession, and the triggers (focus, reconnect,
//! interval, invalidation, explicit refetch, the next page).

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Arc;
use std::time::Duration;

use super::Client;
use super::fetch::{Fetch, FetchError, FetchErrorKind, FetchId, QueryError, QueryId, next_id};
use super::key::{QueryKey, Source};
use super::options::{FetchPolicy, QueryOptions};
use super::pages::page_field;
use super::record::{InFlight, Next, Read};
use super::response::{ErrorPolicy, GraphqlError};
use super::state::QueryStatus;
use crate::Instant;
use crate::changes::Changes;
use crate::key::Key;
use crate::normalize::Diagnostic;
use crate::normalize::{NormalizeError, Payload, to_json};

impl Client {
    /// Hands out the next fetch to send: the query whose fetch has been due longest (one per
    /// query at a time), with its slot reserved in the store (below every mutation pending
    /// now, so its answer can neither hide nor undo them). A query whose fetch was superseded
    /// (invalidated since it was sent, or refetched explicitly) cancels the old one here: its
    /// answer will be refused. `None` when nothing is due at `now`, or while offline.
    /// O(records).
    ///
    /// ```
    /// use optimist::{Client, QueryKey, QueryOptions, Store, Instant};
    /// let mut client = Client::new(Store::new());
    /// let now = Instant::now();
    /// client.observe(QueryKey::rest("GET /me", "me"), QueryOptions::new(), now, |_| {});
    /// let fetch = client.next_fetch(now).unwrap();
    /// assert_eq!((fetch.key.app_key(), fetch.attempt), (Some("GET /me"), 1));
    /// assert!(client.next_fetch(now).is_none());
    /// ```
    pub fn next_fetch(&mut self, now: Instant) -> Option<Fetch> {
        let now = self.at(now);
        if !self.online {
            return None;
        }
        let id = self
            .records
            .iter()
            .filter(|(_, record)| {
                record.due.is_some_and(|due| due <= now)
                    && !record.offline_wait
                    && (record.fetch.is_none() || record.supersede)
            })
            .min_by_key(|(id, record)| (record.due, **id))
            .map(|(id, _)| *id)?;
        let epoch = self.store.stale.epoch();
        let record = self.records.get_mut(&id).expect("found above");
        if record.supersede {
            record.supersede = false;
            if let Some(old) = record.fetch.take() {
                self.fetches.remove(&old.id);
                if let Some(slot) = old.slot {
                    let _ = self.store.cancel(slot);
                }
            }
        }
        let page = match (&record.next, &mut record.read) {
            (Next::Page(index, param), _) => Some((*index, param.clone())),
            (Next::Query, Read::Pages(paged)) => {
                record.refetch_pages = paged.len().max(1);
                paged.param_of(0, &self.store).map(|param| (0, param))
            }
            (Next::Query, _) => None,
        };
        let slot =
            (!record.is_no_cache()).then(|| self.store.reserve(&format!("fetch {:?}", record.key)));
        let fetch = Fetch {
            id: FetchId(next_id()),
            query: id,
            key: record.key.clone(),
            page: page.as_ref().map(|(_, param)| param.clone()),
            attempt: record.attempts + 1,
            slot,
        };
        record.fetch = Some(InFlight {
            id: fetch.id,
            slot,
            page,
            epoch,
        });
        record.fetched_epoch = epoch;
        record.due = None;
        record.next = Next::Query;
        self.fetches.insert(fetch.id, id);
        self.sync();
        Some(fetch)
    }

    /// The answer to the fetch `id`: normalized through its query's document (a GraphQL
    /// response's `data`) or at its REST field, and confirmed into its slot; the query is
    /// then a success, fresh as of `now`, its failures forgotten. An answer that does not
    /// normalize, or leaves the query's read incomplete, makes the query an error
    /// ([`FetchErrorKind::Malformed`], not retried) and writes nothing. Under `NoCache` the
    /// answer is kept by the query and the store is not touched. Returns the store's changes.
    ///
    /// Refused ([`QueryError::UnknownFetch`], nothing changed) for a fetch not awaited: never
    /// handed out, answered already, superseded, or cancelled by its last observer leaving.
    ///
    /// ```
    /// use optimist::{Client, QueryKey, QueryOptions, Store, Instant};
    /// let mut client = Client::new(Store::new());
    /// let now = Instant::now();
    /// let seen = client.observe(QueryKey::rest("GET /me", "me"), QueryOptions::new(), now, |_| {});
    /// let fetch = client.next_fetch(now).unwrap();
    /// let changes = client.resolve(fetch.id, r#""ada""#, now)?;
    /// assert!(changes.contains("ROOT_QUERY"));
    /// assert_eq!(client.state(seen.observer).unwrap().updated_at, Some(now));
    /// # Ok::<(), optimist::QueryError>(())
    /// ```
    pub fn resolve<'a>(
        &mut self,
        id: FetchId,
        answer: impl Payload<'a>,
        now: Instant,
    ) -> Result<Changes, QueryError> {
        self.resolve_with(id, answer, None, now)
    }

    /// [`resolve`](Client::resolve), keeping `errors` (a GraphQL answer's, under
    /// [`ErrorPolicy::All`](crate::ErrorPolicy::All)) with the query's state when the answer
    /// lands.
    pub(super) fn resolve_with<'a>(
        &mut self,
        id: FetchId,
        answer: impl Payload<'a>,
        errors: Option<Arc<[GraphqlError]>>,
        now: Instant,
    ) -> Result<Changes, QueryError> {
        let now = self.at(now);
        let (query, flight, superseded) = self.take_fetch(id)?;
        let record = self
            .records
            .get_mut(&query)
            .expect("fetches are of records");
        let store = &mut self.store;
        // The app's code runs here (key and type functions while normalizing, updaters while
        // confirming): if it panics, the store is as it was (see `Store::exact`), and the
        // fetch is put back as it was, so the client is too.
        let mut diagnostics: Option<Arc<[Diagnostic]>> = None;
        let written = catch_unwind(AssertUnwindSafe(|| match (&record.read, flight.slot) {
            (Read::Own, _) | (_, None) => match to_json(answer) {
                Ok(json) => {
                    record.data = Some(Arc::new(json));
                    record.complete = true;
                    Ok(Changes::default())
                }
                Err(error) => Err(malformed(error)),
            },
            (_, Some(slot)) => {
                let patch = normalize(&record.key, flight.page.as_ref(), store, answer);
                match patch {
                    Ok(patch) => {
                        let noticed = patch.diagnostics();
                        diagnostics = (!noticed.is_empty()).then(|| Arc::from(noticed));
                        store.confirm(slot, patch).map_err(FetchError::malformed)
                    }
                    Err(error) => Err(malformed(error)),
                }
            }
        }));
        let written: Result<Changes, FetchError> = match written {
            Ok(written) => written,
            Err(panic) => {
                self.put_back_fetch(id, query, flight, superseded);
                resume_unwind(panic)
            }
        };
        match written {
            Ok(changes) => {
                self.answered(query, flight, superseded, now);
                let record = self
                    .records
                    .get_mut(&query)
                    .expect("answered queries exist");
                record.errors = errors;
                record.diagnostics = diagnostics;
                self.sync();
                Ok(changes)
            }
            Err(error) => {
                let changes = self.cancel_slot(flight.slot);
                self.failed(query, flight.page, superseded, error, now, None);
                self.sync();
                Ok(changes)
            }
        }
    }

    /// The fetch `id` failed with `error`: its slot is cancelled, and by the error's kind the
    /// query waits for the network (offline: not counted), is retried after its policy's
    /// delay (transient, while attempts remain; the data stays shown and the status as it
    /// was), or becomes an error (the error kept, the data too). The failure of a fetch
    /// superseded while in flight is not counted: its replacement is due (an offline failure
    /// still makes it wait for the network). Refused as [`resolve`](Client::resolve) is.
    ///
    /// ```
    /// use optimist::{Client, FetchError, FetchStatus, QueryKey, QueryOptions, QueryStatus, Store, Instant};
    /// use std::time::Duration;
    /// let mut client = Client::new(Store::new());
    /// let now = Instant::now();
    /// let seen = client.observe(QueryKey::rest("GET /me", "me"), QueryOptions::new(), now, |_| {});
    /// let fetch = client.next_fetch(now).unwrap();
    /// client.reject(fetch.id, FetchError::transient("502"), now)?;
    /// let state = client.state(seen.observer).unwrap();
    /// assert_eq!((state.status, state.fetch_status, state.failure_count), (QueryStatus::Pending, FetchStatus::Fetching, 1));
    /// assert!(client.next_fetch(now).is_none(), "not before its delay");
    /// let retry = client.next_fetch(now + Duration::from_secs(1)).unwrap();
    /// assert_eq!(retry.attempt, 2);
    /// # Ok::<(), optimist::QueryError>(())
    /// ```
    pub fn reject(
        &mut self,
        id: FetchId,
        error: FetchError,
        now: Instant,
    ) -> Result<Changes, QueryError> {
        self.reject_with(id, error, None, now)
    }

    /// [`reject`](Client::reject), keeping `errors` (the GraphQL errors the failure came
    /// from) with the query's state.
    pub(super) fn reject_with(
        &mut self,
        id: FetchId,
        error: FetchError,
        errors: Option<Arc<[GraphqlError]>>,
        now: Instant,
    ) -> Result<Changes, QueryError> {
        let now = self.at(now);
        let (query, flight, superseded) = self.take_fetch(id)?;
        let changes = self.cancel_slot(flight.slot);
        self.failed(query, flight.page, superseded, error, now, errors);
        self.sync();
        Ok(changes)
    }

    /// The fetch `id` was dropped unanswered (its task cancelled, the app shutting down): its
    /// slot is cancelled and the same fetch is due again at once, not counted as an attempt.
    /// Refused as [`resolve`](Client::resolve) is.
    ///
    /// ```
    /// use optimist::{Client, QueryKey, QueryOptions, Store, Instant};
    /// let mut client = Client::new(Store::new());
    /// let now = Instant::now();
    /// client.observe(QueryKey::rest("GET /me", "me"), QueryOptions::new(), now, |_| {});
    /// let fetch = client.next_fetch(now).unwrap();
    /// client.interrupt(fetch.id)?;
    /// assert_eq!(client.next_fetch(now).map(|f| f.attempt), Some(1));
    /// # Ok::<(), optimist::QueryError>(())
    /// ```
    pub fn interrupt(&mut self, id: FetchId) -> Result<(), QueryError> {
        let now = self.now.unwrap_or_else(Instant::now);
        let (query, flight, superseded) = self.take_fetch(id)?;
        self.cancel_slot(flight.slot);
        let record = self
            .records
            .get_mut(&query)
            .expect("fetches are of records");
        if !superseded {
            record.next = retry_of(flight.page);
        }
        record.interval_due = false;
        record.due = Some(now);
        self.sync();
        Ok(())
    }

    /// Refetches the query `id` now, whatever its freshness or policy; a fetch in flight is
    /// superseded (cancelled when the new one is handed out, TanStack Query's
    /// `cancelRefetch`). An infinite query fetches every loaded page again, in order.
    ///
    /// ```
    /// use optimist::{Client, QueryKey, QueryOptions, Store, Instant};
    /// let mut client = Client::new(Store::new());
    /// let now = Instant::now();
    /// let seen = client.observe(QueryKey::rest("GET /me", "me"), QueryOptions::new(), now, |_| {});
    /// let first = client.next_fetch(now).unwrap();
    /// client.refetch(seen.query, now)?;
    /// let second = client.next_fetch(now).unwrap();
    /// assert!(client.resolve(first.id, "1", now).is_err(), "superseded");
    /// client.resolve(second.id, "2", now)?;
    /// # Ok::<(), optimist::QueryError>(())
    /// ```
    pub fn refetch(&mut self, id: QueryId, now: Instant) -> Result<(), QueryError> {
        let now = self.at(now);
        let Some(record) = self.records.get(&id) else {
            return Err(QueryError::UnknownQuery(id));
        };
        let cache_only = !record.observers.is_empty()
            && record.observers.iter().all(|observer| {
                self.observers
                    .get(observer)
                    .is_some_and(|o| o.options.fetch_policy == FetchPolicy::CacheOnly)
            });
        if !cache_only {
            self.make_due(id, now, true);
        }
        self.sync();
        Ok(())
    }

    /// Marks the query `id` stale (Apollo's `refetchQueries`, TanStack Query's
    /// `invalidateQueries`): observed, it is refetched now (superseding a fetch in flight)
    /// unless its observers' policies never fetch; unobserved, its next observer refetches
    /// it. To mark fields or entities stale, whatever reads them, use the store's
    /// [`invalidate`](crate::Store::invalidate) family through [`store_mut`](Client::store_mut).
    ///
    /// ```
    /// use optimist::{Client, QueryKey, QueryOptions, Store, Instant};
    /// let mut client = Client::new(Store::new());
    /// let now = Instant::now();
    /// let seen = client.observe(QueryKey::rest("GET /me", "me"), QueryOptions::new(), now, |_| {});
    /// let fetch = client.next_fetch(now).unwrap();
    /// client.resolve(fetch.id, "1", now)?;
    /// client.invalidate(seen.query, now)?;
    /// assert!(client.state(seen.observer).unwrap().is_stale);
    /// assert!(client.next_fetch(now).is_some());
    /// # Ok::<(), optimist::QueryError>(())
    /// ```
    pub fn invalidate(&mut self, id: QueryId, now: Instant) -> Result<(), QueryError> {
        let now = self.at(now);
        let Some(record) = self.records.get_mut(&id) else {
            return Err(QueryError::UnknownQuery(id));
        };
        record.invalidated = true;
        if !record.observers.is_empty() && self.wants(id, |_| true) {
            self.make_due(id, now, true);
        }
        self.sync();
        Ok(())
    }

    /// Invalidates every query whose key `matches` (TanStack Query's
    /// `invalidateQueries({ queryKey })` by prefix: `|key| key.app_key().is_some_and(|k|
    /// k.starts_with("GET /todos"))`). Returns how many. O(records).
    ///
    /// ```
    /// use optimist::{Client, QueryKey, QueryOptions, Store, Instant};
    /// let mut client = Client::new(Store::new());
    /// let now = Instant::now();
    /// client.prefetch(QueryKey::rest("GET /todos?page=1", "todos1"), QueryOptions::new(), now);
    /// client.prefetch(QueryKey::rest("GET /me", "me"), QueryOptions::new(), now);
    /// let todos = client.invalidate_where(|key| key.app_key().is_some_and(|k| k.starts_with("GET /todos")), now);
    /// assert_eq!(todos, 1);
    /// ```
    pub fn invalidate_where(&mut self, matches: impl Fn(&QueryKey) -> bool, now: Instant) -> usize {
        let ids: Vec<QueryId> = self
            .records
            .iter()
            .filter(|(_, record)| matches(&record.key))
            .map(|(id, _)| *id)
            .collect();
        for id in &ids {
            let _ = self.invalidate(*id, now);
        }
        ids.len()
    }

    /// The app's window or screen gained focus: every observed query whose observers ask for
    /// it ([`QueryOptions::refetch_on_focus`]) and whose data is stale is refetched (TanStack
    /// Query's `refetchOnWindowFocus`). O(records + observers).
    ///
    /// ```
    /// use optimist::{Client, QueryKey, QueryOptions, Store, Instant};
    /// use std::time::Duration;
    /// let mut client = Client::new(Store::new());
    /// let now = Instant::now();
    /// let options = QueryOptions::new().stale_time(Duration::from_secs(10));
    /// client.observe(QueryKey::rest("GET /me", "me"), options, now, |_| {});
    /// let fetch = client.next_fetch(now).unwrap();
    /// client.resolve(fetch.id, "1", now)?;
    /// client.focus(now + Duration::from_secs(5));
    /// assert!(client.next_fetch(now + Duration::from_secs(5)).is_none(), "still fresh");
    /// client.focus(now + Duration::from_secs(10));
    /// assert!(client.next_fetch(now + Duration::from_secs(10)).is_some(), "stale: refetched");
    /// # Ok::<(), optimist::QueryError>(())
    /// ```
    pub fn focus(&mut self, now: Instant) {
        let now = self.at(now);
        self.refetch_stale(now, |options| options.refetch_on_focus);
        self.sync();
    }

    /// The app lost the network: no fetch is handed out until [`online`](Client::online);
    /// queries with a fetch due show [`FetchStatus::Paused`](crate::FetchStatus::Paused).
    /// Fetches in flight go on (their answers are taken).
    ///
    /// ```
    /// use optimist::{Client, FetchStatus, QueryKey, QueryOptions, Store, Instant};
    /// let mut client = Client::new(Store::new());
    /// let now = Instant::now();
    /// client.offline(now);
    /// let seen = client.observe(QueryKey::rest("GET /me", "me"), QueryOptions::new(), now, |_| {});
    /// assert_eq!(seen.state.fetch_status, FetchStatus::Paused);
    /// assert!(client.next_fetch(now).is_none());
    /// ```
    pub fn offline(&mut self, now: Instant) {
        self.at(now);
        self.online = false;
        self.sync();
    }

    /// The app is back online: fetches that waited for the network are due at once, and
    /// every observed query whose observers ask for it
    /// ([`QueryOptions::refetch_on_reconnect`]) and whose data is stale is refetched.
    ///
    /// ```
    /// use optimist::{Client, FetchStatus, QueryKey, QueryOptions, Store, Instant};
    /// let mut client = Client::new(Store::new());
    /// let now = Instant::now();
    /// client.offline(now);
    /// let seen = client.observe(QueryKey::rest("GET /me", "me"), QueryOptions::new(), now, |_| {});
    /// client.online(now);
    /// assert_eq!(client.state(seen.observer).unwrap().fetch_status, FetchStatus::Fetching);
    /// assert!(client.next_fetch(now).is_some());
    /// ```
    pub fn online(&mut self, now: Instant) {
        let now = self.at(now);
        self.online = true;
        for record in self.records.values_mut() {
            if record.offline_wait {
                record.offline_wait = false;
                record.due = Some(now);
            }
        }
        self.refetch_stale(now, |options| options.refetch_on_reconnect);
        self.sync();
    }

    /// Asks for the next page of the infinite query `id` (see
    /// [`observe_pages`](Client::observe_pages)): `Ok(true)` if there is one (its fetch is due
    /// now, or already), `Ok(false)` at the end or before the first page has come.
    ///
    /// ```
    /// use optimist::{Client, Pages, QueryKey, QueryOptions, Store, Instant};
    /// let mut client = Client::new(Store::new());
    /// let now = Instant::now();
    /// let pages = Pages::new(serde_json::json!(0), |_, params| (params.len() < 2).then(|| params.len().into()));
    /// let seen = client.observe_pages(QueryKey::rest("GET /log", "log"), QueryOptions::new(), pages, now, |_| {});
    /// assert!(!client.fetch_next_page(seen.query, now)?, "the first page has not come");
    /// let first = client.next_fetch(now).unwrap();
    /// client.resolve(first.id, "[]", now)?;
    /// assert!(client.fetch_next_page(seen.query, now)?);
    /// let second = client.next_fetch(now).unwrap();
    /// client.resolve(second.id, "[]", now)?;
    /// assert!(!client.fetch_next_page(seen.query, now)?, "two pages: the end");
    /// # Ok::<(), optimist::QueryError>(())
    /// ```
    pub fn fetch_next_page(&mut self, id: QueryId, now: Instant) -> Result<bool, QueryError> {
        let now = self.at(now);
        let Some(record) = self.records.get_mut(&id) else {
            return Err(QueryError::UnknownQuery(id));
        };
        let Read::Pages(paged) = &mut record.read else {
            return Err(QueryError::NotPaged(id));
        };
        if record.fetch.is_some() || record.due.is_some() {
            let pending_page = matches!(record.next, Next::Page(..))
                || record.fetch.as_ref().is_some_and(|f| f.page.is_some());
            return Ok(pending_page && paged.len() > 0);
        }
        let index = paged.len();
        if index == 0 {
            return Ok(false);
        }
        let Some(param) = paged.param_of(index, &self.store) else {
            return Ok(false);
        };
        record.next = Next::Page(index, param);
        record.due = Some(now);
        self.sync();
        Ok(true)
    }

    /// Whether the infinite query `id` has a page after those loaded.
    ///
    /// ```
    /// use optimist::{Client, Pages, QueryKey, QueryOptions, Store, Instant};
    /// let mut client = Client::new(Store::new());
    /// let now = Instant::now();
    /// let pages = Pages::new(serde_json::json!(0), |_, _| None);
    /// let seen = client.observe_pages(QueryKey::rest("GET /log", "log"), QueryOptions::new(), pages, now, |_| {});
    /// let first = client.next_fetch(now).unwrap();
    /// client.resolve(first.id, "[]", now)?;
    /// assert!(!client.has_next_page(seen.query)?);
    /// # Ok::<(), optimist::QueryError>(())
    /// ```
    pub fn has_next_page(&mut self, id: QueryId) -> Result<bool, QueryError> {
        let Some(record) = self.records.get_mut(&id) else {
            return Err(QueryError::UnknownQuery(id));
        };
        let Read::Pages(paged) = &mut record.read else {
            return Err(QueryError::NotPaged(id));
        };
        let index = paged.len();
        Ok(index > 0 && paged.param_of(index, &self.store).is_some())
    }

    /// When something is next due: a fetch (a retry's delay, an interval), an observer's
    /// data turning stale, or a query's `gc_time` running out. Sleep until then, then
    /// [`tick`](Client::tick) and ask [`next_fetch`](Client::next_fetch). `None`: nothing
    /// until a call changes something. While offline, fetches are not counted. O(records).
    ///
    /// ```
    /// use optimist::{Client, FetchError, QueryKey, QueryOptions, Store, Instant};
    /// let mut client = Client::new(Store::new());
    /// let now = Instant::now();
    /// client.observe(QueryKey::rest("GET /me", "me"), QueryOptions::new(), now, |_| {});
    /// assert_eq!(client.next_due(), Some(now));
    /// let fetch = client.next_fetch(now).unwrap();
    /// client.reject(fetch.id, FetchError::transient("timeout"), now)?;
    /// assert!(client.next_due().is_some_and(|at| at > now));
    /// # Ok::<(), optimist::QueryError>(())
    /// ```
    pub fn next_due(&self) -> Option<Instant> {
        let now = self.now;
        let mut next: Option<Instant> = None;
        let mut consider = |at: Option<Instant>| {
            if let Some(at) = at {
                next = Some(next.map_or(at, |next| next.min(at)));
            }
        };
        for record in self.records.values() {
            if self.online && !record.offline_wait && (record.fetch.is_none() || record.supersede) {
                consider(record.due);
            }
            if record.observers.is_empty() {
                if record.fetch.is_none() {
                    consider(
                        record
                            .unobserved_since
                            .and_then(|since| since.checked_add(record.gc_time)),
                    );
                }
            } else if let Some(at) = record.updated_at {
                // Each observer's data turns stale at its own stale time.
                for observer in &record.observers {
                    let stale = self
                        .observers
                        .get(observer)
                        .and_then(|o| o.options.stale_time);
                    let flips = stale.and_then(|stale| at.checked_add(stale));
                    if flips.is_some_and(|flips| now.is_none_or(|now| flips > now)) {
                        consider(flips);
                    }
                }
            }
        }
        next
    }

    /// Brings the client to `now`: queries whose `gc_time` ran out are released (see
    /// [`gc`](Client::gc)), and observers whose data turned stale are told.
    ///
    /// ```
    /// use optimist::{Client, QueryKey, QueryOptions, Store, Instant};
    /// use std::time::Duration;
    /// let mut client = Client::new(Store::new());
    /// let now = Instant::now();
    /// let seen = client.observe(QueryKey::rest("GET /me", "me"), QueryOptions::new().gc_time(Duration::from_secs(1)), now, |_| {});
    /// client.unobserve(seen.observer, now);
    /// client.tick(now + Duration::from_secs(1));
    /// assert_eq!(client.query_count(), 0);
    /// ```
    pub fn tick(&mut self, now: Instant) {
        let now = self.at(now);
        self.release_expired(now);
        self.sync();
    }

    /// Makes a fetch of `id` due at `now`: joined if one is in flight, unless `supersede`.
    pub(super) fn make_due(&mut self, id: QueryId, now: Instant, supersede: bool) {
        let Some(record) = self.records.get_mut(&id) else {
            return;
        };
        if record.fetch.is_some() {
            if !supersede {
                return;
            }
            record.supersede = true;
        }
        record.next = Next::Query;
        record.interval_due = false;
        record.due = Some(record.due.map_or(now, |due| due.min(now)));
    }

    /// With nothing due or in flight, the next interval refetch of `id`.
    pub(super) fn schedule_interval(&mut self, id: QueryId, every: Duration, now: Instant) {
        let Some(record) = self.records.get_mut(&id) else {
            return;
        };
        if record.fetch.is_none() && record.due.is_none() {
            record.due = now.checked_add(every);
            record.interval_due = record.due.is_some();
        }
    }

    /// The observers of `id` changed while an interval refetch was due: the next one is
    /// the shortest interval of those left, from the last answer (none if none asks).
    pub(super) fn reschedule_interval(&mut self, id: QueryId, now: Instant) {
        let interval = self.interval_of(id);
        let Some(record) = self.records.get_mut(&id) else {
            return;
        };
        let from = record.settled_at.unwrap_or(now);
        record.due = interval.and_then(|every| from.checked_add(every));
        record.interval_due = record.due.is_some();
    }

    /// Reads the record `id` again after the store changed; a query whose read turned
    /// incomplete (evicted, collected) while observed is refetched if its policy fetches.
    pub(super) fn refresh(&mut self, id: QueryId, now: Instant) {
        let frozen = self.frozen(id);
        let Some(record) = self.records.get_mut(&id) else {
            return;
        };
        if frozen {
            return;
        }
        let was_complete = record.complete;
        record.reread(&self.store);
        let lost = was_complete && !record.complete && record.fetch.is_none();
        if lost && !record.observers.is_empty() && self.wants(id, |_| true) {
            self.make_due(id, now, false);
        }
    }

    /// After an invalidation (the store's count moved to `epoch`): an observed query that
    /// reads a field marked stale is refetched, superseding a fetch sent before it.
    pub(super) fn check_invalidated(&mut self, id: QueryId, epoch: u64, now: Instant) {
        let Some(record) = self.records.get(&id) else {
            return;
        };
        if record.observers.is_empty() || !self.wants(id, |_| true) {
            return;
        }
        // Marks set after the fetch in flight (or the last one) was sent: its answer may
        // predate them.
        let after = match &record.fetch {
            Some(fetch) => fetch.epoch,
            None => record.fetched_epoch,
        };
        if after < epoch && record.reads_marked(&self.store, after) {
            let supersede = record.fetch.is_some();
            self.make_due(id, now, supersede);
        }
    }

    /// Whether some observer of `id` has a policy that fetches on its own and `wanted`.
    pub(super) fn wants(&self, id: QueryId, wanted: impl Fn(&QueryOptions) -> bool) -> bool {
        self.records.get(&id).is_some_and(|record| {
            record.observers.iter().any(|observer| {
                self.observers
                    .get(observer)
                    .is_some_and(|o| o.options.fetch_policy.fetches() && wanted(&o.options))
            })
        })
    }

    /// Whether every observer of `id` is on `Standby` (its data is not updated on its own).
    fn frozen(&self, id: QueryId) -> bool {
        self.records.get(&id).is_some_and(|record| {
            !record.observers.is_empty()
                && record.observers.iter().all(|observer| {
                    self.observers
                        .get(observer)
                        .is_some_and(|o| o.options.fetch_policy == FetchPolicy::Standby)
                })
        })
    }

    /// The smallest stale time of the observers of `id`; `None` if none has one.
    fn min_stale_time(&self, id: QueryId) -> Option<Duration> {
        let record = self.records.get(&id)?;
        record
            .observers
            .iter()
            .filter_map(|observer| self.observers.get(observer)?.options.stale_time)
            .min()
    }

    /// The shortest refetch interval of the observers of `id` whose policy fetches.
    fn interval_of(&self, id: QueryId) -> Option<Duration> {
        let record = self.records.get(&id)?;
        record
            .observers
            .iter()
            .filter_map(|observer| {
                let options = &self.observers.get(observer)?.options;
                options
                    .fetch_policy
                    .fetches()
                    .then_some(options.refetch_interval)
                    .flatten()
            })
            .min()
    }

    /// Refetches the observed queries that some observer `wants` refetched and that are
    /// stale for the smallest stale time among their observers.
    fn refetch_stale(&mut self, now: Instant, wants: impl Fn(&QueryOptions) -> bool) {
        let ids: Vec<QueryId> = self.records.keys().copied().collect();
        for id in ids {
            let record = &self.records[&id];
            if record.observers.is_empty() || record.fetch.is_some() || !self.wants(id, &wants) {
                continue;
            }
            if record.is_stale(&self.store, self.min_stale_time(id), now) {
                self.make_due(id, now, false);
            }
        }
    }

    /// Takes the fetch `id` out of flight. A superseded fetch leaves its replacement due
    /// (the record's `supersede` then says so no more: nothing is in flight to cancel).
    fn take_fetch(&mut self, id: FetchId) -> Result<(QueryId, InFlight, bool), QueryError> {
        let query = self
            .fetches
            .remove(&id)
            .ok_or(QueryError::UnknownFetch(id))?;
        let flight = self
            .records
            .get_mut(&query)
            .and_then(|record| record.fetch.take())
            .filter(|flight| flight.id == id)
            .ok_or(QueryError::UnknownFetch(id))?;
        let record = self
            .records
            .get_mut(&query)
            .expect("fetches are of records");
        let superseded = std::mem::take(&mut record.supersede);
        Ok((query, flight, superseded))
    }

    /// Puts a fetch taken by [`take_fetch`](Client::take_fetch) back as it was.
    fn put_back_fetch(&mut self, id: FetchId, query: QueryId, flight: InFlight, superseded: bool) {
        self.fetches.insert(id, query);
        if let Some(record) = self.records.get_mut(&query) {
            record.fetch = Some(flight);
            record.supersede = superseded;
        }
    }

    /// Cancels an answer's slot (nothing was written in it).
    fn cancel_slot(&mut self, slot: Option<crate::layer::LayerId>) -> Changes {
        slot.and_then(|slot| self.store.cancel(slot).ok())
            .unwrap_or_default()
    }

    /// The answer of `flight` landed: the query is a success as of `now`. If it was
    /// superseded, its replacement stays due (it was asked for after this one was sent).
    fn answered(&mut self, id: QueryId, flight: InFlight, superseded: bool, now: Instant) {
        let interval = self.interval_of(id);
        let record = self.records.get_mut(&id).expect("answered queries exist");
        record.reading = true;
        record.attempts = 0;
        record.failure_count = 0;
        record.failure_reason = None;
        record.error = None;
        record.invalidated = false;
        record.answered_epoch = Some(flight.epoch);
        record.offline_wait = false;
        record.updated_at = Some(now);
        record.settled_at = Some(now);
        let mut continue_with = None;
        if let (Read::Pages(paged), Some((index, param))) = (&mut record.read, flight.page) {
            paged.loaded(index, param);
            if index + 1 < record.refetch_pages {
                match paged.param_of(index + 1, &self.store) {
                    Some(next) => continue_with = Some(Next::Page(index + 1, next)),
                    None => {
                        paged.truncate(index + 1);
                        record.refetch_pages = 0;
                    }
                }
            } else {
                record.refetch_pages = 0;
            }
        }
        if !record.is_no_cache() {
            record.complete = false;
            record.reread(&self.store);
        }
        if record.complete {
            record.status = QueryStatus::Success;
        } else {
            record.status = QueryStatus::Error;
            record.error = Some(FetchError::malformed(format!(
                "the answer left the query incomplete: {}",
                record
                    .read_error
                    .as_ref()
                    .map_or_else(|| "nothing to read".to_owned(), ToString::to_string)
            )));
        }
        if superseded {
            return;
        }
        if let Some(next) = continue_with {
            record.next = next;
            record.interval_due = false;
            record.due = Some(now);
        } else if let Some(every) = interval {
            record.due = now.checked_add(every);
            record.interval_due = record.due.is_some();
        }
    }

    /// The error policy of the query the fetch `id` is for (the default for an unknown fetch,
    /// which is then refused).
    pub(super) fn error_policy_of(&self, id: FetchId) -> ErrorPolicy {
        self.fetches
            .get(&id)
            .and_then(|query| self.records.get(query))
            .map_or(ErrorPolicy::None, |record| record.error_policy)
    }

    /// A fetch of `id` (for `page`, if paged) failed with `error` at `now` (from the GraphQL
    /// `errors`, if any). A superseded fetch's failure is not counted: its replacement is due.
    fn failed(
        &mut self,
        id: QueryId,
        page: Option<(usize, serde_json::Value)>,
        superseded: bool,
        error: FetchError,
        now: Instant,
        errors: Option<Arc<[GraphqlError]>>,
    ) {
        let interval = self.interval_of(id);
        let record = self.records.get_mut(&id).expect("failed queries exist");
        record.errors = errors;
        if error.kind == FetchErrorKind::Offline {
            // The network is down: the fetch (or the one that superseded it) waits for it.
            record.offline_wait = true;
            record.interval_due = false;
            if !superseded {
                record.next = retry_of(page);
            }
            record.due = Some(now);
            return;
        }
        if superseded {
            return;
        }
        record.interval_due = false;
        record.attempts += 1;
        record.failure_count += 1;
        record.failure_reason = Some(error.clone());
        let retry_at = (error.kind.is_retried() && record.retry.allows(record.attempts))
            .then(|| now.checked_add(record.retry.delay(&record.identity, record.attempts)))
            .flatten();
        match retry_at {
            Some(at) => {
                record.next = retry_of(page);
                record.due = Some(at);
            }
            None => {
                record.status = QueryStatus::Error;
                record.error = Some(error);
                record.attempts = 0;
                record.refetch_pages = 0;
                record.settled_at = Some(now);
                record.due = if record.observers.is_empty() {
                    None
                } else {
                    interval.and_then(|every| now.checked_add(every))
                };
                record.interval_due = record.due.is_some();
            }
        }
    }
}

/// What a failed or interrupted fetch of `page` retries.
fn retry_of(page: Option<(usize, serde_json::Value)>) -> Next {
    match page {
        Some((index, param)) if index > 0 => Next::Page(index, param),
        _ => Next::Query,
    }
}

/// An answer normalized as its query writes it.
fn normalize<'a>(
    key: &QueryKey,
    page: Option<&(usize, serde_json::Value)>,
    store: &crate::store::Store,
    answer: impl Payload<'a>,
) -> Result<crate::patch::Patch, NormalizeError> {
    let policies = store.policies();
    match &*key.source {
        #[cfg(feature = "graphql")]
        Source::Document { doc, variables, .. } => {
            crate::normalize::normalize_query(policies, doc, variables, answer)
        }
        Source::Rest { field, .. } => {
            let field = match page {
                Some((_, param)) => page_field(field, param),
                None => field.clone(),
            };
            crate::normalize::normalize_at(policies, &Key::root_query(), field.as_str(), answer)
        }
    }
}

fn malformed(error: NormalizeError) -> FetchError {
    FetchError::malformed(format!("the answer could not be written: {error}"))
}
