//! What the client hands the app to fetch, what the app reports back, and the ids of both.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::key::QueryKey;
use crate::layer::LayerId;

/// One counter for every id the client mints: an id is never reused, and one client's id is
/// never another's.
pub(crate) fn next_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub(crate) u64);

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

id_type!(
    /// A query record of a [`Client`](crate::Client): one per [`QueryKey`] while it lives.
    /// Minted by the client, never reused (a collected query's id stays unknown).
    ///
    /// ```
    /// use optimist::{Client, QueryKey, QueryOptions, Instant};
    /// let mut client = Client::new(optimist::Store::new());
    /// let seen = client.observe(QueryKey::rest("GET /me", "me"), QueryOptions::new(), Instant::now(), |_| {});
    /// assert_eq!(format!("{:?}", seen.query).chars().next(), Some('Q'));
    /// ```
    QueryId,
    "Q"
);

id_type!(
    /// One observer of a query (a component, a screen); [`Client::unobserve`](crate::Client::unobserve)
    /// removes it. Minted by the client, never reused.
    ///
    /// ```
    /// use optimist::{Client, QueryKey, QueryOptions, Instant};
    /// let mut client = Client::new(optimist::Store::new());
    /// let seen = client.observe(QueryKey::rest("GET /me", "me"), QueryOptions::new(), Instant::now(), |_| {});
    /// assert!(client.unobserve(seen.observer, Instant::now()));
    /// assert!(!client.unobserve(seen.observer, Instant::now()), "already gone");
    /// ```
    ObserverId,
    "O"
);

id_type!(
    /// One fetch handed out by [`Client::next_fetch`](crate::Client::next_fetch), answered once
    /// by [`Client::resolve`](crate::Client::resolve) or [`Client::reject`](crate::Client::reject).
    /// Minted by the client, never reused.
    ///
    /// ```
    /// use optimist::{Client, QueryKey, QueryOptions, Instant};
    /// let mut client = Client::new(optimist::Store::new());
    /// client.observe(QueryKey::rest("GET /me", "me"), QueryOptions::new(), Instant::now(), |_| {});
    /// let fetch = client.next_fetch(Instant::now()).unwrap();
    /// assert_eq!(format!("{:?}", fetch.id).chars().next(), Some('F'));
    /// ```
    FetchId,
    "F"
);

/// A fetch to make: what to ask the server for. The app sends it and reports the answer with
/// [`Client::resolve`](crate::Client::resolve), or the failure with
/// [`Client::reject`](crate::Client::reject).
///
/// ```
/// use optimist::{Client, QueryKey, QueryOptions, Instant};
/// let mut client = Client::new(optimist::Store::new());
/// client.observe(QueryKey::rest("GET /todos", "todos"), QueryOptions::new(), Instant::now(), |_| {});
/// let fetch = client.next_fetch(Instant::now()).unwrap();
/// assert_eq!(fetch.key.app_key(), Some("GET /todos"));
/// assert_eq!((fetch.attempt, fetch.page.is_none()), (1, true));
/// assert!(fetch.slot.is_some(), "its answer lands in a reserved slot below pending mutations");
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Fetch {
    /// The fetch, for [`Client::resolve`](crate::Client::resolve).
    pub id: FetchId,
    /// The query it is for.
    pub query: QueryId,
    /// What to fetch.
    pub key: QueryKey,
    /// The page to fetch, for an infinite query: the parameter its
    /// [`Pages`](crate::Pages) gave; `None` otherwise.
    pub page: Option<serde_json::Value>,
    /// Which attempt this is, from 1 (retries count up; offline waits do not).
    pub attempt: u32,
    /// The observation slot reserved for the answer (below every mutation pending when it was
    /// handed out); `None` under [`FetchPolicy::NoCache`](crate::FetchPolicy::NoCache).
    pub slot: Option<LayerId>,
}

/// How a fetch went wrong, as the app reports it to
/// [`Client::reject`](crate::Client::reject) (or as the client found the answer).
///
/// ```
/// use optimist::{FetchError, FetchErrorKind};
/// let error = FetchError::transient("503 Service Unavailable");
/// assert_eq!(error.kind, FetchErrorKind::Transient);
/// assert_eq!(error.to_string(), "503 Service Unavailable");
/// ```
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct FetchError {
    /// What kind of failure: decides whether the fetch is retried.
    pub kind: FetchErrorKind,
    /// What the app or the client said of it.
    pub message: Arc<str>,
}

/// Whether a failed fetch is tried again.
///
/// ```
/// assert!(optimist::FetchErrorKind::Transient.is_retried());
/// assert!(!optimist::FetchErrorKind::Permanent.is_retried());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FetchErrorKind {
    /// The request never left (no network): the fetch waits until the app reports
    /// [`online`](crate::Client::online), and the wait is not counted as an attempt.
    Offline,
    /// It may work later (a timeout, a 5xx, a reset connection): retried by the query's
    /// [`RetryPolicy`](crate::RetryPolicy).
    Transient,
    /// It will not work again as it is (a 4xx, a GraphQL validation error): not retried.
    Permanent,
    /// The answer could not be written or read back as the query needs (not the JSON it
    /// should be, fields missing): found by the client, not retried.
    Malformed,
}

impl FetchErrorKind {
    /// Whether a fetch that failed so is tried again (after its delay, or once online).
    pub fn is_retried(self) -> bool {
        matches!(self, FetchErrorKind::Offline | FetchErrorKind::Transient)
    }
}

impl FetchError {
    /// The request could not be sent: waits for the network, not counted as an attempt.
    ///
    /// ```
    /// assert_eq!(optimist::FetchError::offline("no route").kind, optimist::FetchErrorKind::Offline);
    /// ```
    pub fn offline(message: impl Into<Arc<str>>) -> FetchError {
        FetchError {
            kind: FetchErrorKind::Offline,
            message: message.into(),
        }
    }

    /// A failure that may pass: retried.
    ///
    /// ```
    /// assert!(optimist::FetchError::transient("timeout").kind.is_retried());
    /// ```
    pub fn transient(message: impl Into<Arc<str>>) -> FetchError {
        FetchError {
            kind: FetchErrorKind::Transient,
            message: message.into(),
        }
    }

    /// A failure that will not pass: not retried.
    ///
    /// ```
    /// assert!(!optimist::FetchError::permanent("404").kind.is_retried());
    /// ```
    pub fn permanent(message: impl Into<Arc<str>>) -> FetchError {
        FetchError {
            kind: FetchErrorKind::Permanent,
            message: message.into(),
        }
    }

    pub(crate) fn malformed(message: impl fmt::Display) -> FetchError {
        FetchError {
            kind: FetchErrorKind::Malformed,
            message: message.to_string().into(),
        }
    }
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FetchError {}

/// Why the client refused a call about a fetch or a query. Nothing changed.
///
/// ```
/// use optimist::{Client, FetchError, QueryError, QueryKey, QueryOptions, Instant};
/// let mut client = Client::new(optimist::Store::new());
/// let seen = client.observe(QueryKey::rest("GET /me", "me"), QueryOptions::new(), Instant::now(), |_| {});
/// let fetch = client.next_fetch(Instant::now()).unwrap();
/// client.reject(fetch.id, FetchError::permanent("404"), Instant::now())?;
/// let again = client.resolve(fetch.id, "{}", Instant::now());
/// assert_eq!(again.unwrap_err(), QueryError::UnknownFetch(fetch.id));
/// # let _ = seen;
/// # Ok::<(), QueryError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum QueryError {
    /// The fetch was never handed out by this client, or is no longer awaited: answered
    /// already, superseded by a newer fetch of its query, or cancelled when its last
    /// observer left. Its answer is dropped; the store is as it was.
    UnknownFetch(FetchId),
    /// No query of this client has this id (never had, or collected).
    UnknownQuery(QueryId),
    /// No observer of this client has this id (never had, or it left).
    UnknownObserver(ObserverId),
    /// The query is not an infinite one ([`Client::observe_pages`](crate::Client::observe_pages)).
    NotPaged(QueryId),
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryError::UnknownFetch(id) => write!(
                f,
                "fetch {id:?} is not awaited (answered, superseded, cancelled, or another client's)"
            ),
            QueryError::UnknownQuery(id) => write!(f, "query {id:?} is not in this client"),
            QueryError::UnknownObserver(id) => write!(f, "observer {id:?} is not in this client"),
            QueryError::NotPaged(id) => write!(f, "query {id:?} is not an infinite query"),
        }
    }
}

impl std::error::Error for QueryError {}
