//! What the driver's caller holds: a fetch's answer, and the handles of awaited mutations and
//! refetches.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures_channel::oneshot;

#[cfg(doc)]
use super::Driver;
use crate::client::{QueryId, QueryState};
use crate::layer::LayerId;
use crate::mutation::MutationStatus;

/// A fetch's answer as the app's fetch function returns it: the answer's text (normalized as
/// it is read, with no JSON tree), JSON already parsed (a GraphQL response's `data`), or a
/// whole GraphQL response, `{data, errors, extensions}`, which the client takes apart by the
/// query's error policy ([`Client::resolve_response`](crate::Client::resolve_response)).
///
/// ```
/// # #[cfg(feature = "tokio")] {
/// let text: optimist::FetchBody = String::from("[]").into();
/// let json: optimist::FetchBody = serde_json::json!([]).into();
/// let response = optimist::FetchBody::Response(String::from(r#"{"data": {"me": null}}"#));
/// # let _ = (text, json, response);
/// # }
/// ```
#[derive(Clone, Debug)]
pub enum FetchBody {
    /// JSON text.
    Text(String),
    /// Parsed JSON.
    Json(serde_json::Value),
    /// A whole GraphQL response over HTTP, as text.
    Response(String),
}

impl From<String> for FetchBody {
    fn from(text: String) -> FetchBody {
        FetchBody::Text(text)
    }
}

impl From<serde_json::Value> for FetchBody {
    fn from(json: serde_json::Value) -> FetchBody {
        FetchBody::Json(json)
    }
}

/// The driver stopped (it was dropped) before the awaited mutation settled; the mutation is
/// still in the store's queue (and its outbox, once saved), to be sent by the next driver.
///
/// ```
/// # #[cfg(feature = "tokio")]
/// assert_eq!(optimist::DriverStopped.to_string(), "the driver stopped before the mutation settled");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct DriverStopped;

impl fmt::Display for DriverStopped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the driver stopped before the mutation settled")
    }
}

impl std::error::Error for DriverStopped {}

/// A mutation to await ([`Driver::mutate`], [`Driver::settled`]): resolves to its settled
/// status, [`Committed`](MutationStatus::Committed), [`Failed`](MutationStatus::Failed) or
/// [`Abandoned`](MutationStatus::Abandoned) (a mutation coalesced into a later one resolves
/// with that one), once the running driver has seen it settle (Apollo's
/// `await client.mutate()`).
pub struct MutationHandle {
    pub(super) id: LayerId,
    pub(super) receiver: oneshot::Receiver<MutationStatus>,
}

impl MutationHandle {
    /// The mutation's id.
    pub fn id(&self) -> LayerId {
        self.id
    }
}

impl fmt::Debug for MutationHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MutationHandle")
            .field("id", &self.id)
            .finish()
    }
}

impl Future for MutationHandle {
    type Output = Result<MutationStatus, DriverStopped>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.receiver)
            .poll(cx)
            .map(|status| status.map_err(|_| DriverStopped))
    }
}

pub(super) type Waiters = Arc<Mutex<HashMap<LayerId, Vec<oneshot::Sender<MutationStatus>>>>>;
pub(super) type QueryWaiters = Arc<Mutex<HashMap<QueryId, Vec<oneshot::Sender<QueryState>>>>>;

/// A refetch to await ([`Driver::refetch`]): resolves to the query's state once its fetch has
/// settled (answered, or failed for good; retries are waited for), or `None` if the query was
/// collected or the driver stopped first (Apollo's `await refetch()`).
pub struct QueryHandle {
    pub(super) query: QueryId,
    pub(super) receiver: oneshot::Receiver<QueryState>,
}

impl QueryHandle {
    /// The query.
    pub fn query(&self) -> QueryId {
        self.query
    }
}

impl fmt::Debug for QueryHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueryHandle")
            .field("query", &self.query)
            .finish()
    }
}

impl Future for QueryHandle {
    type Output = Option<QueryState>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.receiver).poll(cx).map(Result::ok)
    }
}
