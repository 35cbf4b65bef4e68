//! Suspense: a future that is ready once a query has data (or has given up without any), the
//! body of [`UseQuery::resource`](crate::UseQuery::resource)'s `AsyncDerived`.
//!
//! The query's listener wakes the futures waiting on it after it set the state: it runs inside
//! the client call, so waking is all it does (the futures read the state signal when polled).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use leptos::prelude::{ArcRwSignal, WithUntracked};
use optimist::{FetchError, QueryState, QueryStatus};
use serde_json::Value;

/// The wakers of the futures waiting for one observer's data.
#[derive(Clone, Default)]
pub(crate) struct Waiters(Arc<Mutex<Vec<Waker>>>);

impl Waiters {
    /// Wakes every waiting future (they poll the state again).
    pub(crate) fn wake(&self) {
        let wakers = std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner));
        for waker in wakers {
            waker.wake();
        }
    }

    fn register(&self, waker: &Waker) {
        let mut wakers = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if !wakers.iter().any(|known| known.will_wake(waker)) {
            wakers.push(waker.clone());
        }
    }
}

/// Ready with the data once the state has some, or with the error once the query gave up
/// without data.
pub(crate) struct DataReady {
    state: ArcRwSignal<QueryState>,
    waiters: Waiters,
}

impl DataReady {
    pub(crate) fn new(state: ArcRwSignal<QueryState>, waiters: Waiters) -> DataReady {
        DataReady { state, waiters }
    }

    fn ready(&self) -> Option<Result<Arc<Value>, FetchError>> {
        self.state
            .with_untracked(|shown| match (&shown.data, &shown.error) {
                (Some(data), _) => Some(Ok(data.clone())),
                (None, Some(error)) if shown.status == QueryStatus::Error => {
                    Some(Err(error.clone()))
                }
                _ => None,
            })
    }
}

impl Future for DataReady {
    type Output = Result<Arc<Value>, FetchError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(ready) = self.ready() {
            return Poll::Ready(ready);
        }
        self.waiters.register(cx.waker());
        // The state may have changed between the read and the registration.
        match self.ready() {
            Some(ready) => Poll::Ready(ready),
            None => Poll::Pending,
        }
    }
}
