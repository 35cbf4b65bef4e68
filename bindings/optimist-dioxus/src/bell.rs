//! A bell a store callback rings and a Dioxus task awaits: how a value that only a later read
//! of the store can give (a mutation's status, whether any is pending) leaves the store call
//! that announced it. Ringing is all a callback may do under the app's lock; the task reads
//! the store once the call is over, on the UI's thread, outside every render.
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
    /// No ring will come any more (the bell's owner left): the wait ends.
    closed: bool,
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

    /// Ends every wait for good: `rung` answers `false` from now on.
    pub(crate) fn close(&self) {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .closed = true;
        self.ring();
    }

    /// Forgets a ring no wait heard yet.
    pub(crate) fn reset(&self) {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .rung = false;
    }

    /// Waits until rung since the last wait ended (`true`), or closed (`false`).
    pub(crate) async fn rung(&self) -> bool {
        poll_fn(|cx| {
            let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
            if inner.closed {
                Poll::Ready(false)
            } else if std::mem::take(&mut inner.rung) {
                Poll::Ready(true)
            } else {
                inner.waiter = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }
}
