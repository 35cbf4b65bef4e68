//! An async driver for the client's two queues (feature `tokio`): the fetches the query
//! records say are due ([`Client::next_fetch`]) and the mutations the store says are ready
//! ([`Store::next_to_send`]). It runs the app's two functions, reports each answer, sleeps
//! until the next due time or until something is made, and resolves the handles of awaited
//! mutations. A thin loop over the sans-IO calls: everything it decides, the client decided.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use tokio::sync::{Notify, oneshot};
use tokio::task::JoinSet;

use crate::changes::LayerEvent;
use crate::client::{
    Client, Fetch, FetchError, FetchId, FetchStatus, QueryError, QueryId, QueryState,
};
use crate::layer::LayerId;
use crate::mutation::{Mutation, MutationStatus, Outcome, Outgoing};
use crate::patch::PatchError;
#[cfg(doc)]
use crate::store::Store;
use crate::watch::WatchId;

/// A fetch's answer as the app's fetch function returns it: the response's text (normalized
/// as it is read, with no JSON tree), or JSON already parsed (a GraphQL response's `data`).
///
/// ```
/// # #[cfg(feature = "tokio")] {
/// let text: optimist::FetchBody = String::from("[]").into();
/// let json: optimist::FetchBody = serde_json::json!([]).into();
/// # let _ = (text, json);
/// # }
/// ```
#[derive(Clone, Debug)]
pub enum FetchBody {
    /// JSON text.
    Text(String),
    /// Parsed JSON.
    Json(serde_json::Value),
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
    id: LayerId,
    receiver: oneshot::Receiver<MutationStatus>,
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

type Waiters = Arc<Mutex<HashMap<LayerId, Vec<oneshot::Sender<MutationStatus>>>>>;
type QueryWaiters = Arc<Mutex<HashMap<QueryId, Vec<oneshot::Sender<QueryState>>>>>;

/// A refetch to await ([`Driver::refetch`]): resolves to the query's state once its fetch has
/// settled (answered, or failed for good; retries are waited for), or `None` if the query was
/// collected or the driver stopped first (Apollo's `await refetch()`).
pub struct QueryHandle {
    query: QueryId,
    receiver: oneshot::Receiver<QueryState>,
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

/// Runs a shared client's fetches and mutations (feature `tokio`).
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
    wake: Arc<Notify>,
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
        let wake = Arc::new(Notify::new());
        let settled = Arc::new(Mutex::new(Vec::new()));
        let (woken, settling) = (wake.clone(), settled.clone());
        let watcher = {
            let mut client = lock(&client);
            let waker = wake.clone();
            client.set_waker(move || waker.notify_one());
            let mut store = client.store_mut();
            store.watch_layers(move |events| {
                let mut settling = lock(&settling);
                let mut wake = false;
                for (id, event) in events {
                    match event {
                        LayerEvent::Confirmed
                        | LayerEvent::Failed
                        | LayerEvent::Cancelled
                        | LayerEvent::Coalesced => {
                            settling.push(*id);
                            wake = true;
                        }
                        LayerEvent::Pushed | LayerEvent::Retrying => wake = true,
                        _ => {}
                    }
                }
                if wake {
                    woken.notify_one();
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
        let now = tokio::time::Instant::now().into_std();
        lock(&self.client).refetch(id, now)?;
        let (sender, receiver) = oneshot::channel();
        lock(&self.queries).entry(id).or_default().push(sender);
        self.wake.notify_one();
        Ok(QueryHandle {
            query: id,
            receiver,
        })
    }

    fn settled_handle(&self, id: LayerId) -> MutationHandle {
        let (sender, receiver) = oneshot::channel();
        lock(&self.waiters).entry(id).or_default().push(sender);
        lock(&self.settled).push(id);
        self.wake.notify_one();
        MutationHandle { id, receiver }
    }

    /// Runs both queues for ever (see [`Driver`]): `fetch` makes one query request and
    /// returns its body or how it failed; `send` makes one mutation request and says how it
    /// ended. Needs a tokio runtime with time enabled.
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
    pub async fn run<F, FFut, S, SFut>(&self, mut fetch: F, mut send: S)
    where
        F: FnMut(Fetch) -> FFut,
        FFut: Future<Output = Result<FetchBody, FetchError>> + Send + 'static,
        S: FnMut(Outgoing) -> SFut,
        SFut: Future<Output = Outcome> + Send + 'static,
    {
        let mut flights = Flights {
            client: &self.client,
            requests: HashMap::new(),
            tasks: JoinSet::new(),
        };
        loop {
            let now = tokio::time::Instant::now().into_std();
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
                let request = fetch(due);
                let task = flights
                    .tasks
                    .spawn(async move { Done::Fetch(id, request.await) });
                flights.requests.insert(task.id(), Request::Fetch(id));
            }
            for out in ready {
                let id = out.id;
                let request = send(out);
                let task = flights
                    .tasks
                    .spawn(async move { Done::Send(id, request.await) });
                flights.requests.insert(task.id(), Request::Send(id));
            }
            let sleep = async {
                match next {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                Some(done) = flights.tasks.join_next_with_id() => {
                    let now = tokio::time::Instant::now().into_std();
                    let (task, done) = match done {
                        Ok((task, done)) => (task, done),
                        // The app's request panicked: an attempt with no answer, retried by
                        // its policy (a request that always panics gives up in the end).
                        Err(error) => {
                            let why = "the request's task panicked";
                            let done = match flights.requests.get(&error.id()) {
                                Some(Request::Fetch(id)) => Done::Fetch(*id, Err(FetchError::transient(why))),
                                Some(Request::Send(id)) => Done::Send(*id, Outcome::Ambiguous(why.into())),
                                None => continue,
                            };
                            (error.id(), done)
                        }
                    };
                    flights.requests.remove(&task);
                    let mut client = lock(&self.client);
                    // Refused only if the app settled or cancelled it meanwhile: nothing to do.
                    match done {
                        Done::Fetch(id, Ok(FetchBody::Text(text))) => {
                            let _ = client.resolve(id, &text, now);
                        }
                        Done::Fetch(id, Ok(FetchBody::Json(json))) => {
                            let _ = client.resolve(id, &json, now);
                        }
                        Done::Fetch(id, Err(error)) => {
                            let _ = client.reject(id, error, now);
                        }
                        Done::Send(id, outcome) => {
                            let _ = client.store_mut().report(id, outcome, now);
                        }
                    }
                }
                () = self.wake.notified() => {}
                () = sleep => {}
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

/// A request's end, as its task returns it.
enum Done {
    Fetch(FetchId, Result<FetchBody, FetchError>),
    Send(LayerId, Outcome),
}

/// What a request's task is for.
enum Request {
    Fetch(FetchId),
    Send(LayerId),
}

/// The requests in flight of one `run`, by task; dropped with it, it puts them back.
struct Flights<'a> {
    client: &'a Mutex<Client>,
    requests: HashMap<tokio::task::Id, Request>,
    tasks: JoinSet<Done>,
}

impl Drop for Flights<'_> {
    fn drop(&mut self) {
        self.tasks.abort_all();
        let mut client = lock(self.client);
        for (_, request) in self.requests.drain() {
            // Refused if it was settled meanwhile: nothing to do.
            match request {
                Request::Fetch(id) => {
                    let _ = client.interrupt(id);
                }
                Request::Send(id) => {
                    let _ = client.store_mut().interrupt(id);
                }
            }
        }
    }
}

/// The client, even if a thread panicked while holding it (its calls leave it consistent).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
