//! A todo client on optimist, over plain REST: what an app writes around the store.
//!
//! Everything the crate does is left to it: the list is a query record
//! ([`optimist::Client::observe`]) fetched, refetched, polled and retried by
//! [`optimist::Driver`], each answer landing in a slot below the pending mutations; the guesses
//! are layers, the outbox is the store's mutation queue run by the same driver, a create or a
//! delete that went through invalidates the list (refetched by the driver), retries keep
//! their idempotency key, a create's temporary key is remapped to the server's id, a 412 is a
//! conflict that writes the server's row, a server push is a base write ordered by the row's
//! version, and the outbox survives a restart because the whole store is saved. What is left
//! here is the I/O: the HTTP requests (built from a mutation's request data), reading the
//! answers, the event stream, and the outbox file.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use optimist::{
    Driver, Fetch, FetchBody, FetchError, FetchPolicy, Key, ListPosition, Mutation, MutationStatus,
    Observed, Outcome, Outgoing, Patch, Policies, QueryKey, QueryOptions, QueryStatus, RetryPolicy,
    Scope, Store, Value,
};
use serde::Deserialize;
use serde_json::{Value as Json, json};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// A row as the server sends it (`GET /todos`, and every write's answer).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct Todo {
    /// The server's id.
    pub id: i64,
    /// The title.
    pub title: String,
    /// Whether it is done.
    pub done: bool,
    /// The row's version, bumped by every write (the `If-Match` of the next one).
    pub version: i64,
}

/// One row of what the user sees, with its state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shown {
    /// The entity's key (a temporary one while its create is in flight).
    pub key: String,
    /// The title the user sees.
    pub title: String,
    /// Whether it shows as done.
    pub done: bool,
    /// Pending, failed or confirmed.
    pub state: RowState,
}

/// Where a shown row stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowState {
    /// What the server confirmed: no mutation of it pending.
    Confirmed,
    /// Mutations of it pending: their statuses, oldest first (`queued`, `in flight #1`,
    /// `retrying (2 sent)`).
    Pending(Vec<String>),
}

/// The root field the list lives under, and the entities' type.
const LIST: &str = "todos";
const TYPE: &str = "Todo";

/// The store's type policies for this server's plain REST JSON: the objects of `todos` are
/// `Todo`s, keyed by `id`, ordered by `version`.
pub fn policies() -> Policies {
    Policies::new()
        .type_at(LIST, TYPE)
        .version_field(TYPE, "version")
}

/// Retries for this app: a lost answer is sent again after a quarter of a second, then half a
/// second, and so on up to 2 s, five times at most; offline attempts do not count.
pub fn retry_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: Some(5),
        initial_delay: Duration::from_millis(250),
        factor: 2,
        max_delay: Duration::from_secs(2),
    }
}

/// The list: `GET /todos`, written as `ROOT_QUERY.todos`.
pub fn list_query() -> QueryKey {
    QueryKey::rest("GET /todos", LIST)
}

/// How the app keeps its list: shown from the cache (a loaded outbox) and fetched when the app
/// opens, polled every 30 s, retried as mutations are.
pub fn list_options() -> QueryOptions {
    QueryOptions::new()
        .fetch_policy(FetchPolicy::CacheAndNetwork)
        .refetch_interval(Duration::from_secs(30))
        .retry(retry_policy())
}

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

/// What every request needs.
#[derive(Clone)]
struct Http {
    client: reqwest::Client,
    base: Arc<str>,
    client_id: Arc<str>,
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

    /// Creates a todo: it shows at once, at the end of the list, under a temporary key that
    /// becomes the server's id when the create is answered. Returns the temporary key.
    pub fn create(&self, title: &str) -> Result<Key, ClientError> {
        let mut client = self.client();
        let mut store = client.store_mut();
        let tmp = store
            .temporary_key(TYPE)
            .map_err(|error| ClientError::Store(error.to_string()))?;
        let guess = Patch::new()
            .set(&tmp, "title", title)
            .set(&tmp, "done", false)
            .insert_unique("ROOT_QUERY", LIST, tmp.clone(), ListPosition::End);
        let request = json!({"op": "create", "todo": {"__ref": tmp.as_str()}, "title": title});
        store
            .mutate(
                Mutation::new(&format!("create {title:?}"), guess)
                    .request(request)
                    .scope(Scope::Item(tmp.clone())),
            )
            .map_err(|error| ClientError::Store(error.to_string()))?;
        Ok(tmp)
    }

    /// Ticks or unticks a todo.
    pub fn set_done(&self, key: &Key, done: bool) -> Result<(), ClientError> {
        let verb = if done { "tick" } else { "untick" };
        self.update(
            key,
            &format!("{verb} {key}"),
            Patch::new().set(key, "done", done),
            json!({"done": done}),
        )
    }

    /// Renames a todo. Two quick renames go one after the other, each with the version the
    /// one before left, and the second wins.
    pub fn rename(&self, key: &Key, title: &str) -> Result<(), ClientError> {
        self.update(
            key,
            &format!("rename {key} to {title:?}"),
            Patch::new().set(key, "title", title),
            json!({"title": title}),
        )
    }

    fn update(&self, key: &Key, label: &str, guess: Patch, body: Json) -> Result<(), ClientError> {
        let request = json!({"op": "update", "todo": {"__ref": key.as_str()}, "body": body});
        self.client()
            .store_mut()
            .mutate(
                Mutation::new(label, guess)
                    .request(request)
                    .scope(Scope::Item(key.clone())),
            )
            .map_err(|error| ClientError::Store(error.to_string()))?;
        Ok(())
    }

    /// Deletes a todo: gone from the list at once, back in place if the server refuses.
    pub fn delete(&self, key: &Key) -> Result<(), ClientError> {
        let guess = Patch::new()
            .remove_item("ROOT_QUERY", LIST, key)
            .delete(key);
        let request = json!({"op": "delete", "todo": {"__ref": key.as_str()}});
        self.client()
            .store_mut()
            .mutate(
                Mutation::new(&format!("delete {key}"), guess)
                    .request(request)
                    .scope(Scope::Item(key.clone())),
            )
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

/// A mutation's HTTP request, decoded from its request data.
enum Request {
    Create {
        tmp: Key,
        title: String,
    },
    Update {
        id: i64,
        version: Option<i64>,
        body: Json,
    },
    Delete {
        id: i64,
        version: Option<i64>,
    },
}

/// Builds the request for `out`, or says at once how it ends.
fn build(store: &Store, out: &Outgoing) -> Result<Request, Outcome> {
    let data = out.request.to_json();
    let refused = |why: &str| Outcome::Rejected(format!("{}: {why}", out.label).into());
    let key = data["todo"]["__ref"]
        .as_str()
        .and_then(|key| Key::new(key).ok())
        .ok_or_else(|| refused("no todo in the request"))?;
    let op = data["op"].as_str().unwrap_or_default();
    if op == "create" {
        let title = data["title"].as_str().ok_or_else(|| refused("no title"))?;
        return Ok(Request::Create {
            tmp: key,
            title: title.to_owned(),
        });
    }
    // An edit of an item whose create failed still names its temporary key.
    if store.is_temporary(key.as_str()) {
        return Err(refused("its create did not succeed"));
    }
    let id = key
        .id()
        .and_then(|id| id.parse::<i64>().ok())
        .ok_or_else(|| refused("not a server id"))?;
    let version = store
        .get_confirmed(key.as_str())
        .and_then(|row| row.get("version"))
        .and_then(Value::as_i64);
    match op {
        "update" => Ok(Request::Update {
            id,
            version,
            body: data["body"].clone(),
        }),
        "delete" => Ok(Request::Delete { id, version }),
        _ => Err(refused("unknown operation")),
    }
}

/// Sends one mutation's request and says how it ended.
async fn send(
    http: &Http,
    client: &Mutex<optimist::Client>,
    out: &Outgoing,
    request: Request,
) -> Outcome {
    let key = &*out.idempotency_key;
    let answer = match &request {
        Request::Create { title, .. } => {
            http.write(
                reqwest::Method::POST,
                "/todos".into(),
                key,
                None,
                json!({"title": title}),
            )
            .await
        }
        Request::Update { id, version, body } => {
            http.write(
                reqwest::Method::PATCH,
                format!("/todos/{id}"),
                key,
                *version,
                body.clone(),
            )
            .await
        }
        Request::Delete { id, version } => {
            http.write(
                reqwest::Method::DELETE,
                format!("/todos/{id}"),
                key,
                *version,
                Json::Null,
            )
            .await
        }
    };
    let (status, body) = match answer {
        Ok(answer) => answer,
        Err(error) => return transport_outcome(&error),
    };
    let mut client = lock(client);
    let mut store = client.store_mut();
    match (status, &request) {
        (200 | 201, Request::Create { tmp, .. }) => {
            let (real, patch) = match entity_patch(store.policies(), &body) {
                Ok(found) => found,
                Err(error) => return Outcome::Ambiguous(error.to_string().into()),
            };
            if store.is_temporary(tmp.as_str()) {
                // Refs to the temporary key, in base and in every layer, become the server's.
                if let Err(error) = store.remap(tmp, &real) {
                    return Outcome::Ambiguous(error.to_string().into());
                }
            }
            refetch_list(&mut store);
            // The row replaces the guess's fields; the guess's list insert stays.
            Outcome::confirm_keeping_relative(patch)
        }
        (200, Request::Update { .. }) => match row_patch(store.policies(), &body) {
            Ok(patch) => Outcome::confirm(patch),
            Err(error) => Outcome::Ambiguous(error.to_string().into()),
        },
        (200 | 204 | 404, Request::Delete { .. }) => {
            refetch_list(&mut store);
            Outcome::promote()
        }
        (409 | 412, _) => {
            let current = match row_patch(store.policies(), &body["current"]) {
                Ok(current) => current,
                Err(_) => Patch::new(),
            };
            Outcome::Conflict {
                message: format!("{status}: {}", error_text(&body)).into(),
                current,
            }
        }
        // A proxy's or an overloaded server's answer, or a locked row: it may go through later.
        (423 | 429 | 502 | 503 | 504, _) => {
            Outcome::Ambiguous(format!("{status}: {}", error_text(&body)).into())
        }
        _ => Outcome::Rejected(format!("{status}: {}", error_text(&body)).into()),
    }
}

/// The list's rows changed on the server (a create or a delete went through): its field is
/// marked stale, and the client refetches the list it observes (TanStack Query's
/// `invalidateQueries` in `onSettled`). The refetch lands below any mutation still pending.
fn refetch_list(store: &mut Store) {
    let _ = store.invalidate_field(Key::root_query(), LIST);
}

/// A request that got no answer: offline if it never connected, else ambiguous.
fn transport_outcome(error: &reqwest::Error) -> Outcome {
    if error.is_connect() {
        Outcome::NotSent(format!("offline: {error}").into())
    } else {
        Outcome::Ambiguous(format!("no answer: {error}").into())
    }
}

impl Http {
    /// A query's fetch: `GET` its app key's path; the body goes to the store as text (it is
    /// normalized as it is read, with no JSON tree). A refused connection is retried as any
    /// failure (this app has no other signal that the network is back).
    async fn fetch(&self, fetch: &Fetch) -> Result<FetchBody, FetchError> {
        let path = fetch
            .key
            .app_key()
            .and_then(|key| key.strip_prefix("GET "))
            .ok_or_else(|| FetchError::permanent(format!("not a GET: {:?}", fetch.key)))?;
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .map_err(|error| FetchError::transient(format!("no answer: {error}")))?;
        let status = response.status().as_u16();
        let body = response
            .text()
            .await
            .map_err(|error| FetchError::transient(format!("no answer: {error}")))?;
        match status {
            200 if body.trim_start().starts_with('[') => Ok(FetchBody::Text(body)),
            200 => Err(FetchError::permanent(format!("{path} is not an array"))),
            500..=599 | 429 => Err(FetchError::transient(format!("{status}: {body}"))),
            _ => Err(FetchError::permanent(format!("{status}: {body}"))),
        }
    }

    async fn write(
        &self,
        method: reqwest::Method,
        path: String,
        idempotency_key: &str,
        version: Option<i64>,
        body: Json,
    ) -> Result<(u16, Json), reqwest::Error> {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("Idempotency-Key", idempotency_key)
            .header("X-Client-Id", &*self.client_id);
        if let Some(version) = version {
            request = request.header("If-Match", version.to_string());
        }
        if !body.is_null() {
            request = request.json(&body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await?;
        Ok((status, serde_json::from_slice(&bytes).unwrap_or(Json::Null)))
    }

    /// Follows the server's change stream until it ends: each other client's change is
    /// written into base (under every pending layer; an older version than base holds is left
    /// out). A refetch runs once the stream is open, for what was missed before.
    async fn events(
        &self,
        client: &Mutex<optimist::Client>,
        list: optimist::QueryId,
    ) -> Result<(), ClientError> {
        use futures_util::StreamExt;
        let url = format!("{}/events?client={}", self.base, self.client_id);
        let response = self
            .client
            .get(url)
            .timeout(Duration::from_secs(24 * 3600))
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(ClientError::Status(
                response.status().as_u16(),
                String::new(),
            ));
        }
        let mut stream = response.bytes_stream();
        let mut buffer = String::new();
        let mut caught_up = false;
        while let Some(chunk) = stream.next().await {
            buffer.push_str(&String::from_utf8_lossy(&chunk?));
            while let Some(end) = buffer.find("\n\n") {
                let event: String = buffer.drain(..end + 2).collect();
                let (mut kind, mut data) = (String::new(), String::new());
                for line in event.lines() {
                    if let Some(value) = line.strip_prefix("event:") {
                        kind = value.trim().to_owned();
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data.push_str(value.trim_start());
                    }
                }
                if !caught_up {
                    caught_up = true;
                    let _ = lock(client).refetch(list, optimist::Instant::now());
                }
                let Ok(data) = serde_json::from_str::<Json>(&data) else {
                    continue;
                };
                let mut client = lock(client);
                let mut store = client.store_mut();
                let patch = match kind.as_str() {
                    "upsert" => entity_patch(store.policies(), &data)
                        .ok()
                        .map(|(key, patch)| {
                            patch.insert_unique("ROOT_QUERY", LIST, key, ListPosition::End)
                        }),
                    "delete" => data["id"]
                        .as_i64()
                        .and_then(|id| Key::entity(TYPE, &id.to_string()).ok())
                        .map(|key| {
                            Patch::new()
                                .remove_item("ROOT_QUERY", LIST, &key)
                                .delete(&key)
                        }),
                    _ => None,
                };
                if let Some(patch) = patch {
                    let _ = store.write(patch);
                }
            }
        }
        Ok(())
    }
}

/// One row (a write's answer) as its entity's key and a patch of it.
fn entity_patch(policies: &Policies, row: &Json) -> Result<(Key, Patch), ClientError> {
    optimist::normalize_entity(policies, TYPE, row)
        .map_err(|error| ClientError::Answer(error.to_string()))
}

/// One row (a write's answer) as a patch of its entity.
fn row_patch(policies: &Policies, row: &Json) -> Result<Patch, ClientError> {
    entity_patch(policies, row).map(|(_key, patch)| patch)
}

fn error_text(body: &Json) -> String {
    body["error"]
        .as_str()
        .map_or_else(|| body.to_string(), str::to_owned)
}

/// The merged view's list, each row with its state.
pub fn shown(store: &Store) -> Vec<Shown> {
    let Some(list) = store.get_field("ROOT_QUERY", LIST).and_then(Value::as_list) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(Value::as_ref_key)
        .filter_map(|key| {
            let entity = store.get(key.as_str())?;
            let pending: Vec<String> = store
                .mutations_touching(key.as_str(), None)
                .map(|m| status_text(m.status()))
                .collect();
            Some(Shown {
                key: key.to_string(),
                title: entity
                    .get("title")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                done: entity
                    .get("done")
                    .and_then(Value::as_bool)
                    .unwrap_or_default(),
                state: if pending.is_empty() {
                    RowState::Confirmed
                } else {
                    RowState::Pending(pending)
                },
            })
        })
        .collect()
}

/// Base's rows, ordered by id: what the server has confirmed to this client.
pub fn confirmed(store: &Store) -> Vec<Todo> {
    let mut rows: Vec<Todo> = store
        .iter_confirmed()
        .filter(|(key, _)| key.typename() == Some(TYPE))
        .filter_map(|(key, entity)| {
            Some(Todo {
                id: key.id()?.parse().ok()?,
                title: entity.get("title")?.as_str()?.to_owned(),
                done: entity.get("done")?.as_bool()?,
                version: entity.get("version")?.as_i64()?,
            })
        })
        .collect();
    rows.sort_by_key(|row| row.id);
    rows
}

/// A mutation status as a UI would label it.
pub fn status_text(status: &MutationStatus) -> String {
    match status {
        MutationStatus::Queued => "queued".into(),
        MutationStatus::InFlight { attempt } => format!("in flight (attempt {attempt})"),
        MutationStatus::Retrying { attempts, reason } => {
            format!("retrying after {attempts} sent ({reason})")
        }
        MutationStatus::Committed => "committed".into(),
        MutationStatus::Failed(failure) => format!("failed: {failure}"),
        MutationStatus::Coalesced { .. } => "coalesced".into(),
        MutationStatus::Abandoned => "abandoned".into(),
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

fn lock(client: &Mutex<optimist::Client>) -> MutexGuard<'_, optimist::Client> {
    client
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
