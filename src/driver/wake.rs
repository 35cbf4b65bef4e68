//! The driver's wake-up: set by the client's waker and the store's layer watcher (a fetch or a
//! mutation was made due), awaited by the loop. A wake-up that comes while the loop is busy is
//! kept for its next wait, as a permit.

use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

#[derive(Default)]
pub(super) struct Wake {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// A wake-up not yet taken by the loop.
    permit: bool,
    /// The loop's waker while it waits.
    waiting: Option<Waker>,
}

impl Wake {
    /// Wakes the loop, or leaves a permit for its next wait. Safe to call from a watcher or
    /// the client's waker (it takes no other lock).
    pub(super) fn notify(&self) {
        let waiting = {
            let mut state = super::lock(&self.state);
            state.permit = true;
            state.waiting.take()
        };
        if let Some(waker) = waiting {
            waker.wake();
        }
    }

    /// Ready (taking the permit) once notified since the last time it was ready.
    pub(super) fn poll(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = super::lock(&self.state);
        if std::mem::take(&mut state.permit) {
            return Poll::Ready(());
        }
        state.waiting = Some(cx.waker().clone());
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Count(AtomicUsize);
    impl std::task::Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[test]
    fn a_notification_is_a_permit_taken_once() {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        let wake = Wake::default();
        assert!(wake.poll(&mut cx).is_pending());
        wake.notify();
        assert_eq!(
            count.0.load(Ordering::Relaxed),
            1,
            "the waiting loop is woken"
        );
        assert!(wake.poll(&mut cx).is_ready());
        assert!(wake.poll(&mut cx).is_pending(), "the permit was taken");
        wake.notify();
        wake.notify();
        assert!(wake.poll(&mut cx).is_ready());
        assert!(
            wake.poll(&mut cx).is_pending(),
            "two notifications, one permit"
        );
    }
}
