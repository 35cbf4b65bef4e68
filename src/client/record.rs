//! A query record: what the client knows of one query between the calls that change it (its
//! read of the store, status, error, freshness, the fetch in flight, what is due, who observes
//! it). Pure bookkeeping: the client's calls (`observe.rs`, `schedule.rs`) move it.

use std::sync::Arc;
use std::time::Duration;

use super::fetch::{FetchError, FetchId, ObserverId};
use super::key::{QueryKey, Source};
use super::pages::PagedRead;
use super::response::{ErrorPolicy, GraphqlError};
use super::state::{FetchStatus, QueryState, QueryStatus};
use crate::Instant;
use crate::key::Key;
use crate::layer::LayerId;
use crate::mutation::RetryPolicy;
use crate::read::ReadError;
use crate::read::kept::FieldTree;
use crate::store::Store;

/// How a record reads its data.
pub(crate) enum Read {
    /// A GraphQL document, kept ([`Query`](crate::Query)).
    #[cfg(feature = "graphql")]
    Document(Box<crate::read::Query>),
    /// A REST query's field of `ROOT_QUERY`.
    Field(FieldTree),
    /// An infinite query: one field per page.
    Pages(PagedRead),
    /// `NoCache`: nothing is read from the store; the record keeps its answers.
    Own,
}

impl Read {
    /// How `key` is read, `no_cache` or not, paged or not.
    pub(crate) fn new(key: &QueryKey, no_cache: bool, paged: bool) -> Read {
        if no_cache {
            return Read::Own;
        }
        match &*key.source {
            #[cfg(feature = "graphql")]
            Source::Document { doc, variables, .. } => Read::Document(Box::new(
                crate::read::Query::new(doc.clone(), variables.clone()),
            )),
            Source::Rest { field, .. } if paged => Read::Pages(PagedRead::new(field.clone())),
            Source::Rest { field, .. } => {
                Read::Field(FieldTree::new(Key::root_query(), field.clone()))
            }
        }
    }
}

/// A fetch handed out and not answered.
pub(crate) struct InFlight {
    pub(crate) id: FetchId,
    pub(crate) slot: Option<LayerId>,
    /// For an infinite query: which page, and its parameter.
    pub(crate) page: Option<(usize, serde_json::Value)>,
    /// The store's invalidation count when it was handed out: an invalidation after it means
    /// its answer may predate the change, so a new fetch supersedes it.
    pub(crate) epoch: u64,
}

/// What the next fetch of a record is for.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Next {
    /// The query (an infinite one: its first page, then the others it had, in turn).
    Query,
    /// An infinite query's page `index`, with this parameter.
    Page(usize, serde_json::Value),
}

pub(crate) struct Record {
    /// The key observed.
    pub(crate) key: QueryKey,
    /// What the record is found by: the key's identity, marked apart under `NoCache`.
    pub(crate) identity: Arc<str>,
    pub(crate) read: Read,
    pub(crate) status: QueryStatus,
    pub(crate) error: Option<FetchError>,
    /// The last data read (or, under `NoCache`, answered).
    pub(crate) data: Option<Arc<serde_json::Value>>,
    /// Whether the last read of the store was complete (every field it needs was there).
    pub(crate) complete: bool,
    /// Why the last read was incomplete.
    pub(crate) read_error: Option<ReadError>,
    /// Whether it reads the store: not before its first answer under `NetworkOnly`.
    pub(crate) reading: bool,
    /// For an infinite query's refetch: how many pages to fetch again.
    pub(crate) refetch_pages: usize,
    pub(crate) updated_at: Option<Instant>,
    pub(crate) failure_count: u32,
    pub(crate) failure_reason: Option<FetchError>,
    /// Attempts since the last answer, offline waits excluded (the next fetch is this + 1).
    pub(crate) attempts: u32,
    pub(crate) fetch: Option<InFlight>,
    /// When a fetch is due (at or before `now`: hand it out); `None`: nothing due.
    pub(crate) due: Option<Instant>,
    /// What the due fetch is for.
    pub(crate) next: Next,
    /// The due fetch replaces the one in flight (which cancels when it is handed out).
    pub(crate) supersede: bool,
    /// The due fetch is a refetch interval's (it follows the observers that asked for one).
    pub(crate) interval_due: bool,
    /// The due fetch waits for the network ([`FetchErrorKind::Offline`]).
    pub(crate) offline_wait: bool,
    pub(crate) observers: Vec<ObserverId>,
    /// Since when nobody observes it (from creation, for a prefetch).
    pub(crate) unobserved_since: Option<Instant>,
    /// The longest `gc_time` of its observers.
    pub(crate) gc_time: Duration,
    /// The latest observer's retry policy.
    pub(crate) retry: RetryPolicy,
    /// The latest observer's error policy.
    pub(crate) error_policy: ErrorPolicy,
    /// The GraphQL errors of the last response, kept by its error policy.
    pub(crate) errors: Option<Arc<[GraphqlError]>>,
    /// What normalizing the last answer noticed ([`crate::Patch::diagnostics`]).
    pub(crate) diagnostics: Option<Arc<[crate::Diagnostic]>>,
    /// The store's invalidation count when its last fetch was handed out (or, before any,
    /// when it was created).
    pub(crate) fetched_epoch: u64,
    /// Marked stale by [`Client::invalidate`](crate::Client::invalidate), until an answer.
    pub(crate) invalidated: bool,
    /// The store's invalidation count when the fetch of its last answer was handed out: it
    /// is fresh of the marks set before (`None`: never answered).
    pub(crate) answered_epoch: Option<u64>,
    /// The last answer's time, for a refetch interval (answered or given up).
    pub(crate) settled_at: Option<Instant>,
}

impl Record {
    pub(crate) fn new(
        key: QueryKey,
        identity: Arc<str>,
        read: Read,
        epoch: u64,
        retry: RetryPolicy,
    ) -> Record {
        Record {
            key,
            identity,
            read,
            status: QueryStatus::Pending,
            error: None,
            data: None,
            complete: false,
            read_error: None,
            reading: true,
            refetch_pages: 0,
            updated_at: None,
            failure_count: 0,
            failure_reason: None,
            attempts: 0,
            fetch: None,
            due: None,
            next: Next::Query,
            supersede: false,
            interval_due: false,
            offline_wait: false,
            observers: Vec::new(),
            unobserved_since: None,
            gc_time: Duration::ZERO,
            retry,
            error_policy: ErrorPolicy::None,
            errors: None,
            diagnostics: None,
            fetched_epoch: epoch,
            invalidated: false,
            answered_epoch: None,
            settled_at: None,
        }
    }

    pub(crate) fn is_no_cache(&self) -> bool {
        matches!(self.read, Read::Own)
    }

    /// Reads the store again (free when nothing it read changed). `NoCache` records keep
    /// their own answer.
    pub(crate) fn reread(&mut self, store: &Store) {
        if !self.reading {
            return;
        }
        let read: Result<Arc<serde_json::Value>, ReadError> = match &mut self.read {
            Read::Own => return,
            #[cfg(feature = "graphql")]
            Read::Document(query) => query.read(store),
            Read::Field(tree) => tree.read(store),
            Read::Pages(pages) => pages.read(store),
        };
        match read {
            Ok(data) => {
                self.read_error = None;
                self.data = Some(data);
                self.complete = true;
                if self.status == QueryStatus::Pending {
                    self.status = QueryStatus::Success;
                }
            }
            // Incomplete: keep showing what was last read (Apollo returns the last complete
            // result while a refetch fills the gap).
            Err(error) => {
                self.read_error = Some(error);
                self.complete = false;
            }
        }
    }

    /// The first read of a new record, for a policy that shows the cache.
    pub(crate) fn read_cache(&mut self, store: &Store) {
        self.reread(store);
        if !self.complete {
            self.data = None;
        }
    }

    /// Whether the data needs a refetch at `now` for an observer with `stale_time`: never
    /// answered (and not complete from the cache), invalidated, past `stale_time` since its
    /// answer, or reading a field marked stale in `store`.
    pub(crate) fn is_stale(
        &self,
        store: &Store,
        stale_time: Option<Duration>,
        now: Instant,
    ) -> bool {
        if self.invalidated || self.data.is_none() {
            return true;
        }
        if let Some(stale_time) = stale_time {
            match self.updated_at {
                // Data from the cache with no answer of ours: as old as can be.
                None => return true,
                // Past its fresh time; a time too far to represent never comes.
                Some(at) => {
                    if at.checked_add(stale_time).is_some_and(|until| now >= until) {
                        return true;
                    }
                }
            }
        }
        self.reads_marked(store, self.answered_epoch.unwrap_or(0))
    }

    /// Whether the store marked stale a field this record reads, by a call after its
    /// invalidation count was `after`. O(1) when nothing is marked, else O(size of the read).
    pub(crate) fn reads_marked(&self, store: &Store, after: u64) -> bool {
        if store.stale.is_empty() {
            return false;
        }
        match &self.read {
            Read::Own => false,
            #[cfg(feature = "graphql")]
            Read::Document(query) => query.is_marked_after(store, after),
            Read::Field(tree) => tree.is_marked(store, after),
            Read::Pages(pages) => pages.is_marked(store, after),
        }
    }

    /// The fetch status at `now`: fetching while a fetch is handed out, due, or waiting for a
    /// retry; paused while one is due and the app is offline; idle otherwise (a refetch
    /// interval's next fetch, due later, is not a fetch under way).
    pub(crate) fn fetch_status(&self, online: bool, now: Instant) -> FetchStatus {
        let under_way = self.attempts > 0 || self.offline_wait;
        match (&self.fetch, self.due) {
            (Some(_), _) => FetchStatus::Fetching,
            (None, Some(due)) if due <= now || under_way => {
                if !online || self.offline_wait {
                    FetchStatus::Paused
                } else {
                    FetchStatus::Fetching
                }
            }
            (None, _) => FetchStatus::Idle,
        }
    }

    /// What an observer with `stale_time` is shown at `now`.
    pub(crate) fn state(
        &self,
        store: &Store,
        stale_time: Option<Duration>,
        online: bool,
        now: Instant,
    ) -> QueryState {
        QueryState {
            status: self.status,
            fetch_status: self.fetch_status(online, now),
            data: self.data.clone(),
            error: self.error.clone(),
            errors: self.errors.clone(),
            diagnostics: self.diagnostics.clone(),
            updated_at: self.updated_at,
            failure_count: self.failure_count,
            failure_reason: self.failure_reason.clone(),
            is_stale: self.is_stale(store, stale_time, now),
            is_placeholder: false,
        }
    }
}
