//! An async driver for the mutation queue (feature `tokio`): it hands out what
//! [`Store::next_to_send`] says is ready, runs the app's `send` for each, reports the outcomes,
//! and sleeps until a retry is due or a mutation is made. A thin loop over the sans-IO calls:
//! everything it decides, the store decided.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::changes::LayerEvent;
use crate::layer::LayerId;
use crate::mutation::{Outcome, Outgoing};
use crate::store::Store;
use crate::watch::WatchId;

/// Runs a shared store's mutation queue (feature `tokio`).
///
/// [`run`](Driver::run) loops for ever: it takes every mutation that is ready (one per scope,
/// in request order), calls `send` for each (concurrently, on tasks of the current runtime),
/// reports each [`Outcome`] with [`Store::report`], and waits for the next answer, the next
/// retry to be due ([`Store::next_retry_at`]) or a new mutation (it watches the store's layers
/// for pushes). It is cancel-safe: dropping the `run` future aborts the sends in flight and
/// puts their mutations back to retrying ([`Store::interrupt`]), guesses kept, to be sent again
/// under the same idempotency key by the next `run`. Dropping the driver stops the watcher.
///
/// The store sits behind a `std::sync::Mutex`, held only for the store calls, never across an
/// `.await`.
///
/// ```
/// # #[cfg(feature = "tokio")]
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use optimist::{Driver, Outcome, Patch, Store};
/// use std::sync::{Arc, Mutex};
///
/// let store = Arc::new(Mutex::new(Store::new()));
/// let driver = Driver::new(store.clone());
/// let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build()?;
/// runtime.block_on(async {
///     store.lock().unwrap().push("tick", Patch::new().set("Todo:1", "done", true))?;
///     let run = driver.run(|_sent| async { Outcome::promote() }); // the app's request here
///     let _ = tokio::time::timeout(std::time::Duration::from_millis(50), run).await;
///     assert!(!store.lock().unwrap().is_mutating());
///     Ok::<(), Box<dyn std::error::Error>>(())
/// })?;
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "tokio"))]
/// # fn main() {}
/// ```
pub struct Driver {
    store: Arc<Mutex<Store>>,
    wake: Arc<Notify>,
    watcher: WatchId,
}

impl Driver {
    /// A driver for `store`; it registers a layer watcher to learn of new mutations.
    ///
    /// ```
    /// # #[cfg(feature = "tokio")] {
    /// let store = std::sync::Arc::new(std::sync::Mutex::new(optimist::Store::new()));
    /// let driver = optimist::Driver::new(store.clone());
    /// assert_eq!(store.lock().unwrap().watcher_count(), 1);
    /// drop(driver);
    /// assert_eq!(store.lock().unwrap().watcher_count(), 0);
    /// # }
    /// ```
    pub fn new(store: Arc<Mutex<Store>>) -> Driver {
        let wake = Arc::new(Notify::new());
        let woken = wake.clone();
        let watcher = lock(&store).watch_layers(move |events| {
            if events
                .iter()
                .any(|(_, event)| matches!(event, LayerEvent::Pushed | LayerEvent::Retrying))
            {
                woken.notify_one();
            }
        });
        Driver {
            store,
            wake,
            watcher,
        }
    }

    /// Runs the queue for ever (see [`Driver`]); `send` makes one request and says how it
    /// ended. Needs a tokio runtime with time enabled.
    ///
    /// ```
    /// # #[cfg(feature = "tokio")] {
    /// # let store = std::sync::Arc::new(std::sync::Mutex::new(optimist::Store::new()));
    /// let driver = optimist::Driver::new(store);
    /// let run = driver.run(|sent| async move {
    ///     let _ = (sent.idempotency_key, sent.request); // POST it
    ///     optimist::Outcome::promote()
    /// });
    /// # drop(run);
    /// # }
    /// ```
    pub async fn run<F, Fut>(&self, mut send: F)
    where
        F: FnMut(Outgoing) -> Fut,
        Fut: Future<Output = Outcome> + Send + 'static,
    {
        let mut flights = Flights {
            store: &self.store,
            ids: Vec::new(),
            tasks: JoinSet::new(),
        };
        loop {
            let now = tokio::time::Instant::now().into_std();
            let (ready, next_retry) = {
                let mut store = lock(&self.store);
                let mut ready = Vec::new();
                while let Some(out) = store.next_to_send(now) {
                    ready.push(out);
                }
                (ready, store.next_retry_at())
            };
            for out in ready {
                let id = out.id;
                let request = send(out);
                flights.ids.push(id);
                flights.tasks.spawn(async move { (id, request.await) });
            }
            let retry = async {
                match next_retry {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                Some(done) = flights.tasks.join_next() => {
                    if let Ok((id, outcome)) = done {
                        flights.ids.retain(|sent| *sent != id);
                        let now = tokio::time::Instant::now().into_std();
                        // Refused only if the app settled it meanwhile: nothing to do.
                        let _ = lock(&self.store).report(id, outcome, now);
                    }
                }
                () = self.wake.notified() => {}
                () = retry => {}
            }
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        lock(&self.store).unwatch(self.watcher);
    }
}

/// The sends in flight of one `run`; dropped with it, it interrupts their mutations.
struct Flights<'a> {
    store: &'a Mutex<Store>,
    ids: Vec<LayerId>,
    tasks: JoinSet<(LayerId, Outcome)>,
}

impl Drop for Flights<'_> {
    fn drop(&mut self) {
        self.tasks.abort_all();
        let mut store = lock(self.store);
        for id in self.ids.drain(..) {
            // Refused if the app settled it meanwhile: nothing to do.
            let _ = store.interrupt(id);
        }
    }
}

/// The store, even if a thread panicked while holding it (its calls leave it consistent).
fn lock(store: &Mutex<Store>) -> MutexGuard<'_, Store> {
    store
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
