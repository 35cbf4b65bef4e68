//! An async driver for the client's two queues (feature `driver`, on any executor; `tokio`
//! adds [`Driver::run`] on tokio's timer): the fetches the query records say are due
//! ([`Client::next_fetch`]) and the mutations the store says are ready
//! ([`Store::next_to_send`]). It runs the app's two functions, reports each answer, sleeps
//! until the next due time or until something is made, and resolves the handles of awaited
//! mutations. A thin loop over the sans-IO calls: everything it decides, the client decided.
//!
//! * `handles.rs`: a fetch's answer, the handles of awaited mutations and refetches;
//! * `flights.rs`: the requests in flight, polled by the loop;
//! * `wake.rs`: the loop's wake-up.

mod flights;
mod handles;
mod wake;

pub use handles::{DriverStopped, FetchBody, MutationHandle, QueryHandle};

use std::future::{Future, poll_fn};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Poll;
use std::time::Duration;

use futures_channel::oneshot;

use crate::Instant;
use crate::changes::LayerEvent;
use crate::client::{Client, Fetch, FetchError, FetchStatus, QueryError, QueryId};
use crate::layer::LayerId;
use crate::mutation::{Mutation, MutationStatus, Outcome, Outgoing};
use crate::patch::PatchError;
#[cfg(doc)]
use crate::store::Store;
use crate::watch::WatchId;
use flights::{Done, Flights};
use handles::{QueryWaiters, Waiters};
use wake::Wake;

/// Runs a shared client's fetches and mutations (feature `driver`; `run` with `tokio`).
///
/// [`run`](Driver::run) loops for ever: it takes every fetch that is due (one per query) and
/// every mutation that is ready (one per scope, in request order), runs the app's `fetch` and
/// `send` for each (concurrently, on tasks of the current runtime), reports each answer
/// ([`Client::resolve`] / [`Client::reject`], [`Store::report`]), and waits for the next
/// answer, the next due time ([`Client::next_due`], [`Store::next_retry_at`]), or a change
/// that makes something due (an observer, a trigger, an invalidation, a mutation made). It is
/// cancel-safe: dropping the `run` future aborts the requests in flight and puts them back
/// (fetches due again, mutations retrying under the same idempotency key), to be sent by the
/// next `run`. Dropping the driver unregisters what it registered.
///
/// The client sits behind a `std::sync::Mutex`, held only for the client's calls, never
/// across an `.await`.
///
/// ```
/// # #[cfg(feature = "tokio")]
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use optimist::{Client, Driver, FetchBody, MutationStatus, Mutation, Outcome, Patch, QueryKey, QueryOptions, Store};
/// use std::sync::{Arc, Mutex};
///
/// let client = Arc::new(Mutex::new(Client::new(Store::new())));
/// let driver = Driver::new(client.clone());
/// let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build()?;
/// runtime.block_on(async {
///     let now = optimist::Instant::now();
///     let me = client.lock().unwrap().observe(QueryKey::rest("GET /me", "me"), QueryOptions::new(), now, |_| {});
///     let run = driver.run(
///         |_fetch| async { Ok(FetchBody::from(String::from(r#""ada""#))) }, // the app's GET here
///         |_sent| async { Outcome::promote() },                             // the app's POST here
///     );
///     tokio::select! {
///         () = run => unreachable!(),
///         status = async {
///             let tick = Mutation::new("tick", Patch::new().set("Todo:1", "done", true));
///             Ok::<_, Box<dyn std::error::Error>>(driver.mutate(tick)?.await?)
///         } => assert_eq!(status?, MutationStatus::Committed),
///     }
///     let data = client.lock().unwrap().state(me.observer).unwrap().data.clone();
///     assert_eq!(data.as_deref(), Some(&serde_json::json!("ada")));
///     Ok::<(), Box<dyn std::error::Error>>(())
/// })?;
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "tokio"))]
/// # fn main() {}
/// ```
pub struct Driver {
    client: Arc<Mutex<Client>>,
    wake: Arc<Wake>,
    watcher: WatchId,
    waiters: Waiters,
    queries: QueryWaiters,
    /// Mutations that settled (layer events), to resolve their waiters.
    settled: Arc<Mutex<Vec<LayerId>>>,
}

impl Driver {
    /// A driver for `client`; it registers a layer watcher on the store (to learn of new
    /// mutations and settlements) and the client's waker (to learn of new fetches).
    ///
    /// ```
    /// # #[cfg(feature = "tokio")] {
    /// let client = std::sync::Arc::new(std::sync::Mutex::new(optimist::Client::new(optimist::Store::new())));
    /// let driver = optimist::Driver::new(client.clone());
    /// assert_eq!(client.lock().unwrap().store().watcher_count(), 1);
    /// drop(driver);
    /// assert_eq!(client.lock().unwrap().store().watcher_count(), 0);
    /// # }
    /// ```
    pub fn new(client: Arc<Mutex<Client>>) -> Driver {
        let wake = Arc::new(Wake::default());
        let settled = Arc::new(Mutex::new(Vec::new()));
        let (woken, settling) = (wake.clone(), settled.clone());
        let watcher = {
            let mut client = lock(&client);
            let waker = wake.clone();
            client.set_waker(move || waker.notify());
            let mut store = client.store_mut();
            store.watch_layers(move |events| {
                let mut settling = lock(&settling);
                let mut wake = false;
                for (id, event) in events {
                    match event {
                        LayerEvent::Confirmed
                        | LayerEvent::Failed
                        | LayerEvent::Cancelled
                        | LayerEvent::Coalesced
                        | LayerEvent::Unloaded => {
                            settling.push(*id);
                            wake = true;
                        }
                        LayerEvent::Pushed | LayerEvent::Retrying | LayerEvent::Loaded => {
                            wake = true;
                        }
                        _ => {}
                    }
                }
                if wake {
                    woken.notify();
                }
            })
        };
        Driver {
            client,
            wake,
            watcher,
            waiters: Arc::default(),
            queries: Arc::default(),
            settled,
        }
    }

    /// Makes a mutation ([`Store::mutate`]) and returns a handle that resolves when it settles
    /// (while [`run`](Driver::run) runs). Its guess shows at once; it is queued, saved with the
    /// store, and retried as any other: awaiting it is optional.
    ///
    /// ```
    /// # #[cfg(feature = "tokio")] {
    /// use optimist::{Client, Driver, Mutation, Patch, Store};
    /// let client = std::sync::Arc::new(std::sync::Mutex::new(Client::new(Store::new())));
    /// let driver = Driver::new(client.clone());
    /// let handle = driver.mutate(Mutation::new("tick", Patch::new().set("Todo:1", "done", true)))?;
    /// assert!(client.lock().unwrap().store().mutation(handle.id()).is_some());
    /// # }
    /// # Ok::<(), optimist::PatchError>(())
    /// ```
    pub fn mutate(&self, mutation: Mutation) -> Result<MutationHandle, PatchError> {
        let id = {
            let mut client = lock(&self.client);
            let (id, _) = client.store_mut().mutate(mutation)?;
            id
        };
        Ok(self.settled_handle(id))
    }

    /// A handle on the mutation `id` already made (one loaded from a saved outbox, found by
    /// [`Store::mutations`]): resolves when it settles, at once if it has; a mutation the
    /// store has no record of resolves as [`Abandoned`](MutationStatus::Abandoned).
    ///
    /// ```
    /// # #[cfg(feature = "tokio")] {
    /// use optimist::{Client, Driver, Mutation, Patch, Store};
    /// let client = std::sync::Arc::new(std::sync::Mutex::new(Client::new(Store::new())));
    /// let driver = Driver::new(client.clone());
    /// let (id, _) = client.lock().unwrap().store_mut().push("tick", Patch::new().set("Todo:1", "done", true))?;
    /// assert_eq!(driver.settled(id).id(), id);
    /// # }
    /// # Ok::<(), optimist::PatchError>(())
    /// ```
    pub fn settled(&self, id: LayerId) -> MutationHandle {
        self.settled_handle(id)
    }

    /// Refetches the query `id` now ([`Client::refetch`]) and returns a handle that resolves
    /// to its state when the fetch has settled (while [`run`](Driver::run) runs).
    ///
    /// ```
    /// # #[cfg(feature = "tokio")] {
    /// use optimist::{Client, Driver, QueryKey, QueryOptions, Store};
    /// let client = std::sync::Arc::new(std::sync::Mutex::new(Client::new(Store::new())));
    /// let driver = Driver::new(client.clone());
    /// let seen = client.lock().unwrap().observe(QueryKey::rest("GET /me", "me"), QueryOptions::new(), optimist::Instant::now(), |_| {});
    /// assert_eq!(driver.refetch(seen.query)?.query(), seen.query);
    /// # }
    /// # Ok::<(), optimist::QueryError>(())
    /// ```
    pub fn refetch(&self, id: QueryId) -> Result<QueryHandle, QueryError> {
        lock(&self.client).refetch(id, now())?;
        let (sender, receiver) = oneshot::channel();
        lock(&self.queries).entry(id).or_default().push(sender);
        self.wake.notify();
        Ok(QueryHandle {
            query: id,
            receiver,
        })
    }

    fn settled_handle(&self, id: LayerId) -> MutationHandle {
        let (sender, receiver) = oneshot::channel();
        lock(&self.waiters).entry(id).or_default().push(sender);
        lock(&self.settled).push(id);
        self.wake.notify();
        MutationHandle { id, receiver }
    }

    /// Runs both queues for ever (see [`Driver`]) on tokio's timer (feature `tokio`): `fetch`
    /// makes one query request and returns its body or how it failed; `send` makes one
    /// mutation request and says how it ended. Needs a tokio runtime with time enabled; on
    /// another executor, or in a browser, use [`run_with`](Driver::run_with).
    ///
    /// ```
    /// # #[cfg(feature = "tokio")] {
    /// # let client = std::sync::Arc::new(std::sync::Mutex::new(optimist::Client::new(optimist::Store::new())));
    /// let driver = optimist::Driver::new(client);
    /// let run = driver.run(
    ///     |fetch| async move {
    ///         let _ = fetch.key.app_key(); // GET it
    ///         Err(optimist::FetchError::offline("no network in this example"))
    ///     },
    ///     |sent| async move {
    ///         let _ = (sent.idempotency_key, sent.request); // POST it
    ///         optimist::Outcome::promote()
    ///     },
    /// );
    /// # drop(run);
    /// # }
    /// ```
    #[cfg(feature = "tokio")]
    pub async fn run<F, FFut, S, SFut>(&self, fetch: F, send: S)
    where
        F: FnMut(Fetch) -> FFut,
        FFut: Future<Output = Result<FetchBody, FetchError>>,
        S: FnMut(Outgoing) -> SFut,
        SFut: Future<Output = Outcome>,
    {
        self.run_with(tokio::time::sleep, fetch, send).await;
    }

    /// Runs both queues for ever (see [`Driver`]) on any executor: `sleep` waits for a
    /// duration (in a browser, `gloo_timers::future::sleep`; on tokio, `tokio::time::sleep`,
    /// which is what [`run`](Driver::run) gives); `fetch` and `send` as in `run`. The
    /// requests' futures are polled by this one, concurrently, so they need not be `Send`
    /// (a browser's are not), and nothing is spawned: await it on the app's executor
    /// (`wasm_bindgen_futures::spawn_local`, Leptos' `spawn_local`, Dioxus' `spawn`).
    ///
    /// ```
    /// # let client = std::sync::Arc::new(std::sync::Mutex::new(optimist::Client::new(optimist::Store::new())));
    /// use std::time::Duration;
    /// let driver = optimist::Driver::new(client);
    /// // An executor's timer; here a stand-in that never fires.
    /// let sleep = |_: Duration| std::future::pending::<()>();
    /// let run = driver.run_with(
    ///     sleep,
    ///     |_fetch| async { Err(optimist::FetchError::offline("no network in this example")) },
    ///     |_sent| async { optimist::Outcome::promote() },
    /// );
    /// # drop(run);
    /// ```
    pub async fn run_with<Sl, SlFut, F, FFut, S, SFut>(
        &self,
        mut sleep: Sl,
        mut fetch: F,
        mut send: S,
    ) where
        Sl: FnMut(Duration) -> SlFut,
        SlFut: Future<Output = ()>,
        F: FnMut(Fetch) -> FFut,
        FFut: Future<Output = Result<FetchBody, FetchError>>,
        S: FnMut(Outgoing) -> SFut,
        SFut: Future<Output = Outcome>,
    {
        let mut flights = Flights::new(&self.client);
        loop {
            let now = now();
            let (fetches, ready, next) = {
                let mut client = lock(&self.client);
                client.tick(now);
                let mut fetches = Vec::new();
                while let Some(due) = client.next_fetch(now) {
                    fetches.push(due);
                }
                let mut ready = Vec::new();
                {
                    let mut store = client.store_mut();
                    while let Some(out) = store.next_to_send(now) {
                        ready.push(out);
                    }
                }
                self.resolve_waiters(&client);
                let next = [client.next_due(), client.store().next_retry_at()]
                    .into_iter()
                    .flatten()
                    .min();
                (fetches, ready, next)
            };
            for due in fetches {
                let id = due.id;
                flights.fetch(id, fetch(due));
            }
            for out in ready {
                let id = out.id;
                flights.send(id, send(out));
            }
            let mut nap = std::pin::pin!(next.map(|at| sleep(at.saturating_duration_since(now))));
            let done = poll_fn(|cx| {
                if let Poll::Ready(done) = flights.poll_next(cx) {
                    return Poll::Ready(Some(done));
                }
                if self.wake.poll(cx).is_ready() {
                    return Poll::Ready(None);
                }
                match nap.as_mut().as_pin_mut() {
                    Some(nap) => nap.poll(cx).map(|()| None),
                    None => Poll::Pending,
                }
            })
            .await;
            let Some(done) = done else { continue };
            let now = self::now();
            let mut client = lock(&self.client);
            // Refused only if the app settled or cancelled it meanwhile: nothing to do.
            match done {
                Done::Fetch(id, Ok(FetchBody::Text(text))) => {
                    let _ = client.resolve(id, &text, now);
                }
                Done::Fetch(id, Ok(FetchBody::Json(json))) => {
                    let _ = client.resolve(id, &json, now);
                }
                Done::Fetch(id, Ok(FetchBody::Response(text))) => {
                    let _ = client.resolve_response(id, &text, now);
                }
                Done::Fetch(id, Err(error)) => {
                    let _ = client.reject(id, error, now);
                }
                Done::Send(id, outcome) => {
                    let _ = client.store_mut().report(id, outcome, now);
                }
            }
        }
    }

    /// Resolves the handles of mutations that settled and of refetches that did.
    fn resolve_waiters(&self, client: &Client) {
        lock(&self.queries).retain(|id, senders| {
            let Some(state) = client.query_state(*id) else {
                senders.clear(); // collected: the handles resolve to `None`
                return false;
            };
            if state.fetch_status == FetchStatus::Idle {
                for sender in senders.drain(..) {
                    let _ = sender.send(state.clone());
                }
                return false;
            }
            true
        });
        let ids: Vec<LayerId> = std::mem::take(&mut *lock(&self.settled));
        if ids.is_empty() {
            return;
        }
        let mut waiters = lock(&self.waiters);
        let mut queue = ids;
        while let Some(id) = queue.pop() {
            let Some(senders) = waiters.remove(&id) else {
                continue;
            };
            let status = client.store().mutation(id).map(|m| m.status().clone());
            match status {
                Some(MutationStatus::Coalesced { into }) => {
                    waiters.entry(into).or_default().extend(senders);
                    queue.push(into);
                }
                Some(status) if status.is_pending() => {
                    waiters.insert(id, senders);
                }
                status => {
                    let status = status.unwrap_or(MutationStatus::Abandoned);
                    for sender in senders {
                        let _ = sender.send(status.clone());
                    }
                }
            }
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let mut client = lock(&self.client);
        client.store_mut().unwatch(self.watcher);
        // Nothing sleeps on this driver's wake-up any more.
        client.set_waker(|| {});
    }
}

/// The time the loop runs on: tokio's clock with feature `tokio` (so a paused clock in tests
/// drives it), else [`Instant`]'s.
fn now() -> Instant {
    #[cfg(feature = "tokio")]
    return tokio::time::Instant::now().into_std();
    #[cfg(not(feature = "tokio"))]
    return Instant::now();
}

/// The client, even if a thread panicked while holding it (its calls leave it consistent).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
