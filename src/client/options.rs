//! How an observer wants its query kept: the fetch policy (Apollo's), freshness and garbage
//! collection times, refetch triggers and retries (TanStack Query's).

use std::time::Duration;

use super::response::ErrorPolicy;
use crate::mutation::RetryPolicy;

/// When a query reads the store and when it asks the network (Apollo Client's fetch policies).
///
/// | policy | shows cached data | fetches when observed |
/// |---|---|---|
/// | `CacheFirst` (default) | yes | when the cached read is incomplete or stale |
/// | `CacheAndNetwork` | yes | always |
/// | `NetworkOnly` | once answered | always |
/// | `NoCache` | its own answers only, never written to the store | always |
/// | `CacheOnly` | yes | never |
/// | `Standby` | yes, as of when it was observed or refetched | never; not updated by cache changes |
///
/// Every policy but `CacheOnly` and `Standby` also refetches on the triggers its
/// [`QueryOptions`] enable (focus, reconnect, interval, invalidation); an explicit
/// [`Client::refetch`](crate::Client::refetch) works under every policy but `CacheOnly`.
///
/// ```
/// assert_eq!(optimist::FetchPolicy::default(), optimist::FetchPolicy::CacheFirst);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum FetchPolicy {
    /// The cache if it holds a complete, fresh answer; the network otherwise.
    #[default]
    CacheFirst,
    /// The cache at once, and the network too.
    CacheAndNetwork,
    /// The network; its answer is written to the store and read back from it.
    NetworkOnly,
    /// The network; its answer is kept by the query and never written to the store.
    NoCache,
    /// The cache only: the network is never asked.
    CacheOnly,
    /// The cache as of the last fetch or observe, neither fetched nor updated on its own.
    Standby,
}

impl FetchPolicy {
    /// Whether the query fetches on its own (when observed, and on triggers).
    pub(crate) fn fetches(self) -> bool {
        !matches!(self, FetchPolicy::CacheOnly | FetchPolicy::Standby)
    }
}

/// What an observer asks of its query: [`Client::observe`](crate::Client::observe) takes one.
///
/// The defaults are Apollo's cache-first behaviour with TanStack Query's triggers: data is
/// fresh until invalidated (`stale_time: None`), kept 5 minutes after its last observer
/// leaves, refetched when stale on focus and on reconnect, and a failed fetch is retried 3
/// times with exponential backoff (1 s, 2 s, 4 s, jittered, at most 30 s). `stale_time:
/// Some(Duration::ZERO)` is TanStack Query's default (stale at once: every new observer
/// refetches in the background).
///
/// Several observers of one query: it fetches when any observer's options say so (the
/// smallest stale time, any trigger, the shortest interval), is kept as long as the longest
/// `gc_time` of those that observed it, and retries by the latest observer's policy.
///
/// ```
/// use optimist::{FetchPolicy, QueryOptions};
/// use std::time::Duration;
///
/// let options = QueryOptions::new()
///     .fetch_policy(FetchPolicy::CacheAndNetwork)
///     .stale_time(Duration::from_secs(30))
///     .refetch_interval(Duration::from_secs(60));
/// assert_eq!(options.stale_time, Some(Duration::from_secs(30)));
/// assert!(options.refetch_on_focus);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct QueryOptions {
    /// See [`FetchPolicy`].
    pub fetch_policy: FetchPolicy,
    /// How long after an answer the data stays fresh; `None`: until invalidated. Stale data
    /// is still shown; it is refetched by the next observer (under `CacheFirst`), on focus
    /// and on reconnect.
    pub stale_time: Option<Duration>,
    /// How long a query nobody observes keeps its record and its data before
    /// [`Client::gc`](crate::Client::gc) releases them; `Duration::MAX`: for ever.
    pub gc_time: Duration,
    /// Refetch this often while observed (and online), whether stale or not.
    pub refetch_interval: Option<Duration>,
    /// Refetch stale data when the app reports focus ([`Client::focus`](crate::Client::focus)).
    pub refetch_on_focus: bool,
    /// Refetch stale data when the app reports it is back online
    /// ([`Client::online`](crate::Client::online)).
    pub refetch_on_reconnect: bool,
    /// Retries of a failed fetch: `max_attempts` counts every attempt, the first included;
    /// errors the app reports as [`FetchError::offline`](crate::FetchError::offline) wait for
    /// the network and do not count.
    pub retry: RetryPolicy,
    /// When the observer moves to another key ([`Client::switch`](crate::Client::switch)),
    /// show the previous key's data until the new key has some (TanStack Query's
    /// `placeholderData: keepPreviousData`).
    pub keep_previous_data: bool,
    /// What a GraphQL response's `errors` do (see [`ErrorPolicy`]); used by
    /// [`Client::resolve_response`](crate::Client::resolve_response).
    pub error_policy: ErrorPolicy,
}

impl Default for QueryOptions {
    fn default() -> QueryOptions {
        QueryOptions {
            fetch_policy: FetchPolicy::CacheFirst,
            stale_time: None,
            gc_time: Duration::from_secs(5 * 60),
            refetch_interval: None,
            refetch_on_focus: true,
            refetch_on_reconnect: true,
            retry: RetryPolicy {
                max_attempts: Some(4),
                initial_delay: Duration::from_secs(1),
                factor: 2,
                max_delay: Duration::from_secs(30),
            },
            keep_previous_data: false,
            error_policy: ErrorPolicy::None,
        }
    }
}

impl QueryOptions {
    /// The defaults (see [`QueryOptions`]).
    ///
    /// ```
    /// assert_eq!(optimist::QueryOptions::new().retry.max_attempts, Some(4));
    /// ```
    pub fn new() -> QueryOptions {
        QueryOptions::default()
    }

    /// Sets the fetch policy.
    ///
    /// ```
    /// let options = optimist::QueryOptions::new().fetch_policy(optimist::FetchPolicy::NoCache);
    /// assert_eq!(options.fetch_policy, optimist::FetchPolicy::NoCache);
    /// ```
    pub fn fetch_policy(mut self, policy: FetchPolicy) -> QueryOptions {
        self.fetch_policy = policy;
        self
    }

    /// Data is stale this long after its answer.
    ///
    /// ```
    /// let options = optimist::QueryOptions::new().stale_time(std::time::Duration::ZERO);
    /// assert_eq!(options.stale_time, Some(std::time::Duration::ZERO));
    /// ```
    pub fn stale_time(mut self, stale_time: std::time::Duration) -> QueryOptions {
        self.stale_time = Some(stale_time);
        self
    }

    /// Keeps the query this long after its last observer left.
    ///
    /// ```
    /// let options = optimist::QueryOptions::new().gc_time(std::time::Duration::from_secs(1));
    /// assert_eq!(options.gc_time, std::time::Duration::from_secs(1));
    /// ```
    pub fn gc_time(mut self, gc_time: std::time::Duration) -> QueryOptions {
        self.gc_time = gc_time;
        self
    }

    /// Refetches this often while observed.
    ///
    /// ```
    /// let options = optimist::QueryOptions::new().refetch_interval(std::time::Duration::from_secs(5));
    /// assert_eq!(options.refetch_interval, Some(std::time::Duration::from_secs(5)));
    /// ```
    pub fn refetch_interval(mut self, every: std::time::Duration) -> QueryOptions {
        self.refetch_interval = Some(every);
        self
    }

    /// Whether to refetch stale data on focus.
    ///
    /// ```
    /// assert!(!optimist::QueryOptions::new().refetch_on_focus(false).refetch_on_focus);
    /// ```
    pub fn refetch_on_focus(mut self, on: bool) -> QueryOptions {
        self.refetch_on_focus = on;
        self
    }

    /// Whether to refetch stale data on reconnect.
    ///
    /// ```
    /// assert!(!optimist::QueryOptions::new().refetch_on_reconnect(false).refetch_on_reconnect);
    /// ```
    pub fn refetch_on_reconnect(mut self, on: bool) -> QueryOptions {
        self.refetch_on_reconnect = on;
        self
    }

    /// Retries failed fetches by this policy.
    ///
    /// ```
    /// let options = optimist::QueryOptions::new().retry(optimist::RetryPolicy { max_attempts: Some(1), ..Default::default() });
    /// assert_eq!(options.retry.max_attempts, Some(1));
    /// ```
    pub fn retry(mut self, policy: RetryPolicy) -> QueryOptions {
        self.retry = policy;
        self
    }

    /// Shows the previous key's data while a new key loads.
    ///
    /// ```
    /// assert!(optimist::QueryOptions::new().keep_previous_data().keep_previous_data);
    /// ```
    pub fn keep_previous_data(mut self) -> QueryOptions {
        self.keep_previous_data = true;
        self
    }

    /// What a GraphQL response's `errors` do.
    ///
    /// ```
    /// use optimist::{ErrorPolicy, QueryOptions};
    /// assert_eq!(QueryOptions::new().error_policy(ErrorPolicy::All).error_policy, ErrorPolicy::All);
    /// ```
    pub fn error_policy(mut self, policy: ErrorPolicy) -> QueryOptions {
        self.error_policy = policy;
        self
    }
}
