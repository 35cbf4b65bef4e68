//! What an observer is shown of its query: data, status, fetch status, error, freshness
//! (TanStack Query's `status` / `fetchStatus` pair, Apollo's `loading` / `networkStatus`).

use std::sync::Arc;

use super::fetch::FetchError;
use super::response::GraphqlError;
use crate::Instant;

/// Whether a query has data (TanStack Query's `status`).
///
/// ```
/// assert_eq!(optimist::QueryStatus::default(), optimist::QueryStatus::Pending);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum QueryStatus {
    /// No data yet (and no error): the first fetch has not answered.
    #[default]
    Pending,
    /// The data is there (from the cache or an answer).
    Success,
    /// The last fetch failed and will not be retried; the error is kept, and so is any data
    /// shown before.
    Error,
}

/// Whether a fetch is under way for a query (TanStack Query's `fetchStatus`).
///
/// ```
/// assert_eq!(optimist::FetchStatus::default(), optimist::FetchStatus::Idle);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum FetchStatus {
    /// A fetch is due, handed out, or waiting to be retried.
    Fetching,
    /// A fetch is due but the app reported it is offline: it goes when it is back.
    Paused,
    /// Nothing to fetch.
    #[default]
    Idle,
}

/// What an observer shows: the query's data and where it stands. Given by
/// [`Client::observe`](crate::Client::observe), [`Client::state`](crate::Client::state) and to
/// the observer's listener after every call that changed it.
///
/// ```
/// use optimist::{Client, FetchStatus, QueryKey, QueryOptions, QueryStatus, Instant};
/// let mut client = Client::new(optimist::Store::new());
/// let seen = client.observe(QueryKey::rest("GET /me", "me"), QueryOptions::new(), Instant::now(), |_| {});
/// assert_eq!((seen.state.status, seen.state.fetch_status), (QueryStatus::Pending, FetchStatus::Fetching));
/// assert!(seen.state.is_loading() && seen.state.data.is_none());
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct QueryState {
    /// See [`QueryStatus`].
    pub status: QueryStatus,
    /// See [`FetchStatus`].
    pub fetch_status: FetchStatus,
    /// The data to show: the query's read of the store's merged view (pending mutations'
    /// guesses included), its own answer under `NoCache`, or the previous key's data while
    /// [`is_placeholder`](QueryState::is_placeholder). Shared: unchanged data is the same
    /// `Arc`.
    pub data: Option<Arc<serde_json::Value>>,
    /// The last error, while [`status`](QueryState::status) is `Error`.
    pub error: Option<FetchError>,
    /// The GraphQL errors of the last response
    /// ([`Client::resolve_response`](crate::Client::resolve_response)): with the data under
    /// [`ErrorPolicy::All`](crate::ErrorPolicy::All), with the failure under
    /// [`ErrorPolicy::None`](crate::ErrorPolicy::None); `None` otherwise.
    pub errors: Option<Arc<[GraphqlError]>>,
    /// What normalizing the last answer noticed but wrote anyway (an object with an id but no
    /// `__typename`, stored embedded: [`Diagnostic`](crate::Diagnostic)); `None` when nothing.
    pub diagnostics: Option<Arc<[crate::Diagnostic]>>,
    /// When an answer last landed; `None`: never (the data came from the cache).
    pub updated_at: Option<Instant>,
    /// Failed attempts since the last success (reset by an answer).
    pub failure_count: u32,
    /// The last failure's error, while retrying or after giving up.
    pub failure_reason: Option<FetchError>,
    /// Whether the data needs a refetch: past its stale time, invalidated, or never answered.
    pub is_stale: bool,
    /// Whether `data` is another key's, kept while this key loads
    /// ([`QueryOptions::keep_previous_data`](crate::QueryOptions::keep_previous_data)).
    pub is_placeholder: bool,
}

impl QueryState {
    /// No data yet and fetching (TanStack Query's `isLoading`, Apollo's `loading` on the
    /// first load): show a spinner.
    ///
    /// ```
    /// assert!(!optimist::QueryState::default().is_loading());
    /// ```
    pub fn is_loading(&self) -> bool {
        self.data.is_none() && self.fetch_status == FetchStatus::Fetching
    }

    /// A fetch is under way, with or without data (TanStack Query's `isFetching`).
    ///
    /// ```
    /// assert!(!optimist::QueryState::default().is_fetching());
    /// ```
    pub fn is_fetching(&self) -> bool {
        self.fetch_status == FetchStatus::Fetching
    }

    /// The data deserialized into the caller's type; `None` with no data.
    ///
    /// ```
    /// let state = optimist::QueryState::default();
    /// assert!(state.data_as::<Vec<String>>().is_none());
    /// ```
    pub fn data_as<T: serde::de::DeserializeOwned>(&self) -> Option<Result<T, serde_json::Error>> {
        self.data.as_deref().map(T::deserialize)
    }
}

impl PartialEq for QueryState {
    /// Equal when an observer would show the same: data compared by pointer first, then by
    /// value.
    fn eq(&self, other: &QueryState) -> bool {
        let same_data = match (&self.data, &other.data) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b) || a == b,
            (None, None) => true,
            _ => false,
        };
        same_data
            && self.status == other.status
            && self.fetch_status == other.fetch_status
            && self.error == other.error
            && self.errors == other.errors
            && self.diagnostics == other.diagnostics
            && self.updated_at == other.updated_at
            && self.failure_count == other.failure_count
            && self.failure_reason == other.failure_reason
            && self.is_stale == other.is_stale
            && self.is_placeholder == other.is_placeholder
    }
}
