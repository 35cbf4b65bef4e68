//! Where the hooks' signals are set.
//!
//! A listener or watcher runs inside the client call that told it, on the thread that made the
//! call: with a `Driver` on tokio's worker threads, another thread than the components'. Leptos
//! signals may be set from any thread, but reactive_graph 0.2's memos are not safe against it:
//! a memo that is computing when another thread sets one of its sources marks itself clean when
//! it finishes, with the value it read before, and the effects below it do not run again
//! (`tests/threads.rs` shows it). So a client provided by
//! [`provide_threaded_client`](crate::provide_threaded_client) hands what a listener or watcher
//! told on another thread to the thread it was provided on, which sets the signals: a task
//! spawned there ([`leptos::task::spawn_local`]) runs the updates in the order the client's
//! calls made them. Told on that thread, an update runs at once, after those still waiting (so
//! an older one never lands on a newer one).
//!
//! Every update is handed over under the client's lock (inside the call that made it), which
//! orders the queue as the calls were made.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::thread::{self, ThreadId};

/// An update of a hook's signals.
type Update = Box<dyn FnOnce() + Send>;

/// Where a hook's signals are set: on the calling thread (`provide_client`), or on the thread
/// the client was provided on (`provide_threaded_client`). Cheap to clone; holds no client (a
/// store watcher keeps one, and the store must not keep its own client alive).
#[derive(Clone)]
pub(crate) struct Deliver(Option<Arc<Home>>);

impl Deliver {
    /// Sets signals on the calling thread.
    pub(crate) fn here() -> Deliver {
        Deliver(None)
    }

    /// Hands updates told on other threads to this thread, where a task spawned now runs them.
    /// The task ends when the returned [`Home`] is closed.
    ///
    /// Panics without an executor (as Leptos's effects do).
    pub(crate) fn home() -> (Deliver, Arc<Home>) {
        let home = Arc::new(Home {
            thread: thread::current().id(),
            queue: Mutex::new(Queue::default()),
        });
        leptos::task::spawn_local(Pump(home.clone()));
        (Deliver(Some(home.clone())), home)
    }

    /// Runs `update` (it sets signals) now on the home thread or on the calling thread, or
    /// hands it to the home thread.
    pub(crate) fn run(&self, update: impl FnOnce() + Send + 'static) {
        match &self.0 {
            None => update(),
            Some(home) if thread::current().id() == home.thread => {
                home.drain();
                update();
            }
            Some(home) => home.hand(Box::new(update)),
        }
    }
}

/// The home thread's queue of updates told elsewhere.
pub(crate) struct Home {
    thread: ThreadId,
    queue: Mutex<Queue>,
}

#[derive(Default)]
struct Queue {
    updates: VecDeque<Update>,
    /// The pump, waiting for an update.
    waker: Option<Waker>,
    closed: bool,
}

impl Home {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn hand(&self, update: Update) {
        let waker = {
            let mut queue = self.lock();
            if queue.closed {
                return;
            }
            queue.updates.push_back(update);
            queue.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Runs the updates waiting, oldest first (each outside the queue's lock).
    fn drain(&self) {
        loop {
            let next = self.lock().updates.pop_front();
            match next {
                Some(update) => update(),
                None => break,
            }
        }
    }

    /// Stops the pump; updates told elsewhere from now on are dropped (the components that
    /// would show them are gone).
    pub(crate) fn close(&self) {
        let waker = {
            let mut queue = self.lock();
            queue.closed = true;
            queue.updates.clear();
            queue.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The home thread's task: runs the updates handed to it as they come.
struct Pump(Arc<Home>);

impl Future for Pump {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let next = {
                let mut queue = self.0.lock();
                match queue.updates.pop_front() {
                    Some(update) => update,
                    None if queue.closed => return Poll::Ready(()),
                    None => {
                        queue.waker = Some(cx.waker().clone());
                        return Poll::Pending;
                    }
                }
            };
            next();
        }
    }
}
