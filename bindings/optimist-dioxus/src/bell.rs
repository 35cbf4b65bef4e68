//! A bell a store callback rings and a Dioxus task awaits: how a suspended component learns
//! that its query has settled (the query's listener rings it inside the client call that
//! settled it; the task the `SuspenseBoundary` waits on ends then). Ringing is all a callback
//! may do under the app's lock.
//!
//! No channel crate: a flag and a waker behind a mutex, as small as it gets, and the same on
//! every executor Dioxus runs on (wasm32 included).

use std::future::poll_fn;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Poll, Waker};

/// Rung any number of times between two waits, heard once.
#[derive(Clone, Default)]
pub(crate) struct Bell {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    rung: bool,
    /// The task waiting, to wake when rung.
    waiter: Option<Waker>,
}

impl Bell {
    /// Rings: the waiting task (or the next one to wait) goes on. Never blocks for long and
    /// never calls the store: safe inside a store callback, from any thread.
    pub(crate) fn ring(&self) {
        let waiter = {
            let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
            inner.rung = true;
            inner.waiter.take()
        };
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    }

    /// Forgets a ring no wait heard yet.
    pub(crate) fn reset(&self) {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .rung = false;
    }

    /// Waits until rung since the last wait ended. (A component that leaves drops its tasks,
    /// and the wait with them.)
    pub(crate) async fn rung(&self) {
        poll_fn(|cx| {
            let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
            if std::mem::take(&mut inner.rung) {
                Poll::Ready(())
            } else {
                inner.waiter = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }
}
