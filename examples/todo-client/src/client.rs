//! [`Client`]: the outbox file, the driver, the event stream and the saver (feature `io`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use optimist::{Driver, FetchError, Key, Mutation, Observed, QueryStatus, Store};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::http::{Http, send};
use crate::mutations;
use crate::requests::build;
use crate::rows::{
    Shown, Todo, confirmed, list_options, list_query, policies, retry_policy, shown, status_text,
};

/// What went wrong in a client call the app makes directly (a refetch, opening the outbox).
#[derive(Debug)]
pub enum ClientError {
    /// The request failed on the way (refused, reset, timed out).
    Http(reqwest::Error),
    /// The server answered with an error status.
    Status(u16, String),
    /// The server's answer is not what this client understands.
    Answer(String),
    /// A query's fetch failed for good (its retries spent).
    Fetch(FetchError),
    /// The store refused a change (a bad answer); nothing changed.
    Store(String),
    /// The outbox file could not be read or written.
    Outbox(std::io::Error),
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientError::Http(error) => write!(f, "request failed: {error}"),
            ClientError::Status(status, body) => write!(f, "server answered {status}: {body}"),
            ClientError::Answer(why) => write!(f, "unexpected answer: {why}"),
            ClientError::Fetch(error) => write!(f, "fetch failed: {error}"),
            ClientError::Store(why) => write!(f, "the store refused it: {why}"),
            ClientError::Outbox(error) => write!(f, "outbox file: {error}"),
        }
    }
}

impl std::error::Error for ClientError {}

impl From<reqwest::Error> for ClientError {
    fn from(error: reqwest::Error) -> ClientError {
        ClientError::Http(error)
    }
}

/// The client: one optimist client (the store and its queries) shared by the UI, the driver,
/// the event stream and the saver.
pub struct Client {
    client: Arc<Mutex<optimist::Client>>,
    driver: Arc<Driver>,
    /// The list's observer (the app's one screen).
    list: Observed,
    http: Http,
    outbox: PathBuf,
    tasks: Vec<JoinHandle<()>>,
    /// Woken by every layer event (a mutation made, sent, settled): time to save.
    dirty: Arc<Notify>,
    /// Woken by every layer event too: for [`Client::settled`].
    settle: Arc<Notify>,
    layer_watch: optimist::WatchId,
}

impl Client {
    /// Opens the client against the server at `base` (`http://127.0.0.1:PORT`) as `client_id`,
    /// with its outbox saved at `outbox`: a saved store there (pending mutations, the cache) is
    /// loaded first, and its mutations are sent as soon as the server answers. Starts the
    /// mutation driver, the event stream and the saver on the current tokio runtime.
    pub async fn open(base: &str, client_id: &str, outbox: &Path) -> Result<Client, ClientError> {
        let mut store = Store::with_policies(policies());
        store.set_retry_policy(retry_policy());
        match std::fs::read_to_string(outbox) {
            Ok(text) => {
                store
                    .load_json(&text)
                    .map_err(|error| ClientError::Store(error.to_string()))?;
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(ClientError::Outbox(error)),
        }
        let dirty = Arc::new(Notify::new());
        let settle = Arc::new(Notify::new());
        let (to_save, to_settle) = (dirty.clone(), settle.clone());
        let layer_watch = store.watch_layers(move |_events| {
            to_save.notify_one();
            to_settle.notify_waiters();
        });
        let mut client = optimist::Client::new(store);
        let list = client.observe(
            list_query(),
            list_options(),
            optimist::Instant::now(),
            |_| {},
        );
        let client = Arc::new(Mutex::new(client));
        let driver = Arc::new(Driver::new(client.clone()));
        let http = Http {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .connect_timeout(Duration::from_secs(1))
                .build()?,
            base: Arc::from(base.trim_end_matches('/')),
            client_id: Arc::from(client_id),
        };
        let mut client = Client {
            client,
            driver,
            list,
            http,
            outbox: outbox.to_owned(),
            tasks: Vec::new(),
            dirty,
            settle,
            layer_watch,
        };
        client.tasks.push(client.spawn_driver());
        client.tasks.push(client.spawn_events());
        client.tasks.push(client.spawn_saver());
        Ok(client)
    }

    /// The shared optimist client, for a UI binding's context (`optimist_leptos::provide_client`,
    /// `optimist_dioxus::provide_client`): the same one the driver and the event stream use.
    pub fn shared(&self) -> Arc<Mutex<optimist::Client>> {
        self.client.clone()
    }

    /// The shared optimist client, locked: the store for reads (`store()`) and changes
    /// (`store_mut()`), the list's state.
    pub fn client(&self) -> MutexGuard<'_, optimist::Client> {
        lock(&self.client)
    }

    /// The list query's state: when its last answer landed, whether a fetch is under way.
    pub fn list_state(&self) -> optimist::QueryState {
        self.client()
            .state(self.list.observer)
            .cloned()
            .unwrap_or_default()
    }

    /// Refetches the list (`GET /todos`) and waits for its answer. It lands below any mutation
    /// in flight when it was sent, so it can neither hide nor undo one.
    pub async fn refetch(&self) -> Result<(), ClientError> {
        let refetch = self
            .driver
            .refetch(self.list.query)
            .map_err(|error| ClientError::Store(error.to_string()))?;
        match refetch.await {
            Some(state) if state.status == QueryStatus::Error => Err(ClientError::Fetch(
                state
                    .error
                    .unwrap_or_else(|| FetchError::permanent("failed")),
            )),
            Some(_) => Ok(()),
            None => Err(ClientError::Store("the list query is gone".into())),
        }
    }

    /// Creates a todo ([`mutations::create`]). Returns its temporary key.
    pub fn create(&self, title: &str) -> Result<Key, ClientError> {
        let mut client = self.client();
        let mut store = client.store_mut();
        let (tmp, mutation) = mutations::create(&mut store, title)
            .map_err(|error| ClientError::Store(error.to_string()))?;
        store
            .mutate(mutation)
            .map_err(|error| ClientError::Store(error.to_string()))?;
        Ok(tmp)
    }

    /// Ticks or unticks a todo ([`mutations::set_done`]).
    pub fn set_done(&self, key: &Key, done: bool) -> Result<(), ClientError> {
        self.mutate(mutations::set_done(key, done))
    }

    /// Renames a todo ([`mutations::rename`]).
    pub fn rename(&self, key: &Key, title: &str) -> Result<(), ClientError> {
        self.mutate(mutations::rename(key, title))
    }

    /// Deletes a todo ([`mutations::delete`]).
    pub fn delete(&self, key: &Key) -> Result<(), ClientError> {
        self.mutate(mutations::delete(key))
    }

    fn mutate(&self, mutation: Mutation) -> Result<(), ClientError> {
        self.client()
            .store_mut()
            .mutate(mutation)
            .map_err(|error| ClientError::Store(error.to_string()))?;
        Ok(())
    }

    /// Waits until no mutation is pending (or `limit` has passed: returns false then).
    pub async fn settled(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let woken = self.settle.notified();
            if !self.client().store().is_mutating() {
                return true;
            }
            if tokio::time::timeout_at(deadline, woken).await.is_err() {
                return !self.client().store().is_mutating();
            }
        }
    }

    /// What the user sees: the list in the merged view, each row with its state.
    pub fn shown(&self) -> Vec<Shown> {
        shown(self.client().store())
    }

    /// The confirmed list: what the server has said, as rows (base only, no guess).
    pub fn confirmed(&self) -> Vec<Todo> {
        confirmed(self.client().store())
    }

    /// The mutations not yet dismissed, as `label: status` lines, oldest first.
    pub fn statuses(&self) -> Vec<String> {
        self.client()
            .store()
            .mutations()
            .map(|m| format!("{}: {}", m.label(), status_text(m.status())))
            .collect()
    }

    /// Saves the store (cache and outbox) to the outbox file now.
    pub fn save(&self) -> Result<(), ClientError> {
        save(&self.client, &self.outbox)
    }

    /// Stops the client as an app quits: the driver, the event stream and the saver stop, the
    /// sends in flight go back to retrying (to be sent again, under the same idempotency key,
    /// by the next client that opens this outbox), and the store is saved.
    /// After it, the client is closed: open a new one to go on.
    pub async fn shut_down(&mut self) -> Result<(), ClientError> {
        for task in self.tasks.drain(..) {
            task.abort();
            let _ = task.await;
        }
        self.client().store_mut().unwatch(self.layer_watch);
        self.save()
    }

    fn spawn_driver(&self) -> JoinHandle<()> {
        let (client, driver, http) = (self.client.clone(), self.driver.clone(), self.http.clone());
        tokio::spawn(async move {
            let fetching = http.clone();
            driver
                .run(
                    move |fetch| {
                        let http = fetching.clone();
                        async move { http.fetch(&fetch).await }
                    },
                    move |out| {
                        // Built now, with the store's data as it is when the turn comes: the
                        // version an update sends is the one the mutation before it left.
                        let request = build(lock(&client).store(), &out);
                        let (client, http) = (client.clone(), http.clone());
                        async move {
                            match request {
                                Ok(request) => send(&http, &client, &out, request).await,
                                Err(outcome) => outcome,
                            }
                        }
                    },
                )
                .await;
        })
    }

    fn spawn_events(&self) -> JoinHandle<()> {
        let (client, http, list) = (self.client.clone(), self.http.clone(), self.list.query);
        tokio::spawn(async move {
            loop {
                // Any change missed while the stream was down is caught by a refetch of the
                // list once it is open.
                let _ = http.events(&client, list).await;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    }

    fn spawn_saver(&self) -> JoinHandle<()> {
        let (client, outbox, dirty) =
            (self.client.clone(), self.outbox.clone(), self.dirty.clone());
        tokio::spawn(async move {
            loop {
                dirty.notified().await;
                let _ = save(&client, &outbox);
            }
        })
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

fn save(client: &Mutex<optimist::Client>, outbox: &Path) -> Result<(), ClientError> {
    let text = lock(client)
        .store()
        .save_json()
        .map_err(|error| ClientError::Store(error.to_string()))?;
    // Written aside and renamed over the old file: a crash mid-write leaves the old outbox.
    let aside = outbox.with_extension("saving");
    std::fs::write(&aside, text).map_err(ClientError::Outbox)?;
    std::fs::rename(&aside, outbox).map_err(ClientError::Outbox)
}

pub(crate) fn lock(client: &Mutex<optimist::Client>) -> MutexGuard<'_, optimist::Client> {
    client
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
