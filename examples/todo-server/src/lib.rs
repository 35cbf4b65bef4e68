//! A todo server for optimist's end-to-end example: plain REST JSON over SQLite.
//!
//! * `GET /todos`, `GET /todos/{id}`
//! * `POST /todos` (the server assigns the id), `PATCH /todos/{id}`, `DELETE /todos/{id}`:
//!   each honours `Idempotency-Key` (the answer is stored with the write, in one transaction,
//!   and a repeat gets the stored answer) and `If-Match: <version>` (412 with the current row).
//! * `GET /events?client=ID`: server-sent events of the changes made by other clients
//!   (`X-Client-Id` on a write names its client).
//! * Faults, by `X-Fault` header (`latency=250ms`, `fail`, `lose`, `locked`) or queued from
//!   outside with [`Faults::next`].
#![forbid(unsafe_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use tokio::sync::{broadcast, oneshot};

/// A todo row.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Todo {
    /// Assigned by the server.
    pub id: i64,
    /// The title.
    pub title: String,
    /// Whether it is done.
    pub done: bool,
    /// Bumped by every write.
    pub version: i64,
}

/// Where the server keeps its data and where it listens.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The SQLite file; `None`: a fresh file in the temporary directory, removed on stop.
    pub db_path: Option<PathBuf>,
    /// The loopback port; 0: any free one.
    pub port: u16,
}

/// Why the server did not start.
#[derive(Debug)]
pub enum StartError {
    /// The database could not be opened or set up.
    Db(rusqlite::Error),
    /// The port could not be bound.
    Bind(std::io::Error),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Db(error) => write!(f, "database: {error}"),
            StartError::Bind(error) => write!(f, "bind: {error}"),
        }
    }
}

impl std::error::Error for StartError {}

/// A database read failed.
#[derive(Debug)]
pub struct DbError(pub rusqlite::Error);

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "database: {}", self.0)
    }
}

impl std::error::Error for DbError {}

/// An injected fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Wait this long before handling the request.
    Latency(Duration),
    /// Answer 500, commit nothing.
    Fail,
    /// Commit the write, then lose the answer: the status line goes out, the body breaks off,
    /// so the client gets a transport error and no usable answer.
    Lose,
    /// Answer 423 Locked (`Retry-After: 1`), commit nothing: a row locked by another
    /// transaction.
    Locked,
    /// Hold the request until the gate opens, then handle it: what another client does in
    /// between happens while the request is in flight, however slow the machine.
    Hold(Gate),
}

/// What a [`Fault::Hold`] waits for: [`Gate::open`] lets the held request through (or the next
/// one to arrive, if none is held yet).
#[derive(Clone, Debug, Default)]
pub struct Gate(Arc<tokio::sync::Notify>);

impl Gate {
    /// A closed gate.
    pub fn new() -> Gate {
        Gate::default()
    }

    /// Lets the held request through.
    pub fn open(&self) {
        self.0.notify_one();
    }

    async fn wait(&self) {
        self.0.notified().await;
    }
}

impl PartialEq for Gate {
    fn eq(&self, other: &Gate) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Gate {}

/// The server-side fault schedule: the next request matching a method and path prefix gets
/// the fault queued for it, first queued first.
#[derive(Default)]
pub struct Faults {
    queue: Mutex<VecDeque<(String, String, Fault)>>,
    log: Mutex<Vec<String>>,
}

impl Faults {
    /// Queues `fault` for the next `method` request whose path starts with `path_prefix`.
    pub fn next(&self, method: &str, path_prefix: &str, fault: Fault) {
        lock(&self.queue).push_back((method.to_ascii_uppercase(), path_prefix.to_owned(), fault));
    }

    /// Drops every queued fault.
    pub fn clear(&self) {
        lock(&self.queue).clear();
    }

    /// What was injected so far, as `METHOD path: fault` lines.
    pub fn log(&self) -> Vec<String> {
        lock(&self.log).clone()
    }

    fn take(&self, method: &Method, path: &str, header: Option<Fault>) -> Option<Fault> {
        let fault = header.or_else(|| {
            let mut queue = lock(&self.queue);
            let at = queue.iter().position(|(m, prefix, _)| {
                m == method.as_str() && path.starts_with(prefix.as_str())
            })?;
            queue.remove(at).map(|(_, _, fault)| fault)
        })?;
        lock(&self.log).push(format!("{method} {path}: {fault:?}"));
        Some(fault)
    }
}

/// A change, as the event stream sends it.
#[derive(Clone, Debug)]
struct Change {
    number: u64,
    client: Option<String>,
    event: &'static str,
    data: Json,
}

struct Shared {
    db: Mutex<Connection>,
    faults: Faults,
    changes: broadcast::Sender<Change>,
    numbers: AtomicU64,
}

/// A running server.
pub struct Running {
    addr: SocketAddr,
    shared: Arc<Shared>,
    db_path: PathBuf,
    temporary: bool,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

/// Opens the database at `path`, creating the tables if needed.
fn open_db(path: &Path) -> rusqlite::Result<Connection> {
    let db = Connection::open(path)?;
    db.execute_batch(
        "PRAGMA journal_mode = WAL;
         CREATE TABLE IF NOT EXISTS todos (
             id INTEGER PRIMARY KEY AUTOINCREMENT,
             title TEXT NOT NULL,
             done INTEGER NOT NULL DEFAULT 0,
             version INTEGER NOT NULL DEFAULT 1);
         CREATE TABLE IF NOT EXISTS idempotency (
             key TEXT PRIMARY KEY,
             request TEXT NOT NULL,
             status INTEGER NOT NULL,
             body TEXT NOT NULL);",
    )?;
    Ok(db)
}

static TEMPORARIES: AtomicU64 = AtomicU64::new(0);

/// Starts the server on 127.0.0.1.
pub async fn start(config: Config) -> Result<Running, StartError> {
    let (db_path, temporary) = match config.db_path {
        Some(path) => (path, false),
        None => (
            std::env::temp_dir().join(format!(
                "todo-server-{}-{}.sqlite3",
                std::process::id(),
                TEMPORARIES.fetch_add(1, Ordering::Relaxed)
            )),
            true,
        ),
    };
    let db = open_db(&db_path).map_err(StartError::Db)?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port))
        .await
        .map_err(StartError::Bind)?;
    let addr = listener.local_addr().map_err(StartError::Bind)?;
    let shared = Arc::new(Shared {
        db: Mutex::new(db),
        faults: Faults::default(),
        changes: broadcast::channel(1024).0,
        numbers: AtomicU64::new(0),
    });
    let app = Router::new()
        .route("/todos", get(list).post(create))
        .route("/todos/{id}", get(one).patch(item_write).delete(item_write))
        .route("/events", get(events))
        .with_state(shared.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let closing = shared.clone();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
                // Ends every event stream, so the graceful shutdown does not wait on them.
                let _ = closing.changes.send(Change {
                    number: 0,
                    client: None,
                    event: "close",
                    data: Json::Null,
                });
            })
            .await;
    });
    Ok(Running {
        addr,
        shared,
        db_path,
        temporary,
        stop: Some(stop),
        task,
    })
}

impl Running {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The fault schedule.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// The database file.
    pub fn db_path(&self) -> &Path {
        &self.db_path
    }

    /// The rows, straight from the database, ordered by id.
    pub fn rows(&self) -> Result<Vec<Todo>, DbError> {
        all_rows(&lock(&self.shared.db)).map_err(DbError)
    }

    /// Stops the server: no new connections, open streams closed, then waits for it. A
    /// temporary database is removed.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), &mut self.task).await;
        self.task.abort();
        if self.temporary {
            let _ = std::fs::remove_file(&self.db_path);
        }
    }
}

fn all_rows(db: &Connection) -> rusqlite::Result<Vec<Todo>> {
    let mut statement = db.prepare("SELECT id, title, done, version FROM todos ORDER BY id")?;
    let rows = statement.query_map([], row_of)?;
    rows.collect()
}

fn row_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<Todo> {
    Ok(Todo {
        id: row.get(0)?,
        title: row.get(1)?,
        done: row.get::<_, i64>(2)? != 0,
        version: row.get(3)?,
    })
}

fn find(db: &Connection, id: i64) -> rusqlite::Result<Option<Todo>> {
    db.query_row(
        "SELECT id, title, done, version FROM todos WHERE id = ?1",
        [id],
        row_of,
    )
    .optional()
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn error(status: StatusCode, message: &str) -> (StatusCode, Json) {
    (status, json!({ "error": message }))
}

fn answer((status, body): (StatusCode, Json)) -> Response {
    (status, axum::Json(body)).into_response()
}

/// The fault a request's `X-Fault` header asks for; a malformed one is ignored.
fn header_fault(headers: &HeaderMap) -> Option<Fault> {
    let text = headers.get("x-fault")?.to_str().ok()?.trim();
    match text {
        "fail" => Some(Fault::Fail),
        "lose" => Some(Fault::Lose),
        "locked" => Some(Fault::Locked),
        _ => {
            let ms = text.strip_prefix("latency=")?.strip_suffix("ms")?;
            Some(Fault::Latency(Duration::from_millis(ms.parse().ok()?)))
        }
    }
}

async fn list(State(shared): State<Arc<Shared>>) -> Response {
    match all_rows(&lock(&shared.db)) {
        Ok(rows) => (StatusCode::OK, axum::Json(rows)).into_response(),
        Err(e) => answer(error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string())),
    }
}

async fn one(State(shared): State<Arc<Shared>>, UrlPath(id): UrlPath<String>) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return answer(error(StatusCode::BAD_REQUEST, "the id is not a number"));
    };
    match find(&lock(&shared.db), id) {
        Ok(Some(row)) => (StatusCode::OK, axum::Json(row)).into_response(),
        Ok(None) => answer(error(StatusCode::NOT_FOUND, "no such todo")),
        Err(e) => answer(error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string())),
    }
}

/// What a write asks for, parsed before the transaction.
enum Write {
    Create {
        title: String,
        done: bool,
    },
    Update {
        id: i64,
        title: Option<String>,
        done: Option<bool>,
    },
    Delete {
        id: i64,
    },
}

async fn create(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    write(shared, Method::POST, "/todos".into(), headers, body, None).await
}

/// `PATCH` or `DELETE /todos/{id}`.
async fn item_write(
    State(shared): State<Arc<Shared>>,
    method: Method,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/todos/{id}");
    write(shared, method, path, headers, body, Some(id)).await
}

/// Parses a write's body.
fn parse(method: &Method, id: Option<String>, body: &[u8]) -> Result<Write, (StatusCode, Json)> {
    let id = match id {
        None => None,
        Some(id) => Some(
            id.parse::<i64>()
                .map_err(|_| error(StatusCode::BAD_REQUEST, "the id is not a number"))?,
        ),
    };
    if *method == Method::DELETE {
        return Ok(Write::Delete {
            id: id.unwrap_or_default(),
        });
    }
    let value: Json = serde_json::from_slice(body)
        .map_err(|e| error(StatusCode::BAD_REQUEST, &format!("malformed JSON: {e}")))?;
    let Json::Object(fields) = value else {
        return Err(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the body is not an object",
        ));
    };
    let title = match fields.get("title") {
        None => None,
        Some(Json::String(title)) if !title.trim().is_empty() => Some(title.clone()),
        Some(_) => {
            return Err(error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "title must be a non-empty string",
            ));
        }
    };
    let done = match fields.get("done") {
        None => None,
        Some(Json::Bool(done)) => Some(*done),
        Some(_) => {
            return Err(error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "done must be a boolean",
            ));
        }
    };
    match id {
        None => Ok(Write::Create {
            title: title
                .ok_or_else(|| error(StatusCode::UNPROCESSABLE_ENTITY, "title is required"))?,
            done: done.unwrap_or(false),
        }),
        Some(id) => Ok(Write::Update { id, title, done }),
    }
}

/// `If-Match: 3` or `If-Match: "3"`.
fn if_match(headers: &HeaderMap) -> Result<Option<i64>, (StatusCode, Json)> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .map(|text| text.trim().trim_matches('"'))
        .and_then(|text| text.parse().ok())
        .map(Some)
        .ok_or_else(|| error(StatusCode::BAD_REQUEST, "If-Match must be a version number"))
}

async fn write(
    shared: Arc<Shared>,
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Bytes,
    id: Option<String>,
) -> Response {
    let fault = shared.faults.take(&method, &path, header_fault(&headers));
    match fault {
        Some(Fault::Latency(delay)) => tokio::time::sleep(delay).await,
        Some(Fault::Hold(ref gate)) => gate.wait().await,
        Some(Fault::Fail) => {
            return answer(error(StatusCode::INTERNAL_SERVER_ERROR, "injected failure"));
        }
        Some(Fault::Locked) => {
            let mut response = answer(error(StatusCode::LOCKED, "the row is locked"));
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
            return response;
        }
        Some(Fault::Lose) | None => {}
    }
    let client = headers
        .get("x-client-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let result = (|| {
        let write = parse(&method, id, &body)?;
        let expected = if_match(&headers)?;
        let request = format!("{method} {path} {}", String::from_utf8_lossy(&body));
        let mut db = lock(&shared.db);
        let tx = db
            .transaction()
            .map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()))?;
        let internal =
            |e: rusqlite::Error| error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string());
        if let Some(key) = &key {
            let stored: Option<(String, u16, String)> = tx
                .query_row(
                    "SELECT request, status, body FROM idempotency WHERE key = ?1",
                    [key],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )
                .optional()
                .map_err(internal)?;
            if let Some((stored_request, status, body)) = stored {
                if stored_request != request {
                    return Err(error(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "this idempotency key was used for another request",
                    ));
                }
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
                return Ok((
                    (status, serde_json::from_str(&body).unwrap_or(Json::Null)),
                    None,
                ));
            }
        }
        let (status, body, change) = apply(&tx, write, expected).map_err(internal)?;
        if let Some(key) = &key {
            tx.execute(
                "INSERT INTO idempotency (key, request, status, body) VALUES (?1, ?2, ?3, ?4)",
                params![key, request, status.as_u16(), body.to_string()],
            )
            .map_err(internal)?;
        }
        tx.commit().map_err(internal)?;
        Ok(((status, body), change))
    })();
    let (reply, change) = match result {
        Ok(done) => done,
        Err(refused) => (refused, None),
    };
    if let Some((event, data)) = change {
        let number = shared.numbers.fetch_add(1, Ordering::Relaxed) + 1;
        let _ = shared.changes.send(Change {
            number,
            client,
            event,
            data,
        });
    }
    if fault == Some(Fault::Lose) {
        // Committed; the answer is lost on the way: the body errors, the connection aborts.
        let broken = futures_util::stream::once(async {
            Err::<Bytes, std::io::Error>(std::io::Error::other("answer lost"))
        });
        return Response::builder()
            .status(reply.0)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from_stream(broken))
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
    }
    answer(reply)
}

type Applied = (StatusCode, Json, Option<(&'static str, Json)>);

/// The row `id` if it exists and is at the `If-Match` version (when one is given), else the
/// refusal to answer: 404, or 412 with the current row.
fn checked(
    tx: &rusqlite::Transaction<'_>,
    id: i64,
    expected: Option<i64>,
) -> rusqlite::Result<Result<Todo, Applied>> {
    let Some(current) = find(tx, id)? else {
        let (status, body) = error(StatusCode::NOT_FOUND, "no such todo");
        return Ok(Err((status, body, None)));
    };
    if expected.is_some_and(|version| version != current.version) {
        let current = serde_json::to_value(&current).unwrap_or(Json::Null);
        return Ok(Err((
            StatusCode::PRECONDITION_FAILED,
            json!({"error": "version mismatch", "current": current}),
            None,
        )));
    }
    Ok(Ok(current))
}

/// Applies a write inside the transaction: the answer, and the change to stream.
fn apply(
    tx: &rusqlite::Transaction<'_>,
    write: Write,
    expected: Option<i64>,
) -> rusqlite::Result<Applied> {
    let to_json = |row: &Todo| serde_json::to_value(row).unwrap_or(Json::Null);
    match write {
        Write::Create { title, done } => {
            tx.execute(
                "INSERT INTO todos (title, done, version) VALUES (?1, ?2, 1)",
                params![title, done as i64],
            )?;
            let row =
                find(tx, tx.last_insert_rowid())?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
            Ok((
                StatusCode::CREATED,
                to_json(&row),
                Some(("upsert", to_json(&row))),
            ))
        }
        Write::Update { id, title, done } => {
            let current = match checked(tx, id, expected)? {
                Ok(current) => current,
                Err(refused) => return Ok(refused),
            };
            let row = Todo {
                id,
                title: title.unwrap_or(current.title),
                done: done.unwrap_or(current.done),
                version: current.version + 1,
            };
            tx.execute(
                "UPDATE todos SET title = ?1, done = ?2, version = ?3 WHERE id = ?4",
                params![row.title, row.done as i64, row.version, id],
            )?;
            Ok((
                StatusCode::OK,
                to_json(&row),
                Some(("upsert", to_json(&row))),
            ))
        }
        Write::Delete { id } => {
            if let Err(refused) = checked(tx, id, expected)? {
                return Ok(refused);
            }
            tx.execute("DELETE FROM todos WHERE id = ?1", [id])?;
            Ok((
                StatusCode::OK,
                json!({"id": id}),
                Some(("delete", json!({"id": id}))),
            ))
        }
    }
}

/// `?client=ID`.
#[derive(Deserialize)]
struct Subscriber {
    client: Option<String>,
}

async fn events(State(shared): State<Arc<Shared>>, Query(who): Query<Subscriber>) -> Response {
    use futures_util::StreamExt;
    let receiver = shared.changes.subscribe();
    let me = who.client;
    // The first bytes go at once, so a client knows it is subscribed.
    let ready = futures_util::stream::once(async {
        Ok::<Bytes, std::io::Error>(Bytes::from("event: ready\ndata: {}\n\n"))
    });
    let changes = futures_util::stream::unfold((receiver, me), |(mut receiver, me)| async move {
        loop {
            let next = tokio::time::timeout(Duration::from_secs(15), receiver.recv()).await;
            let change = match next {
                Err(_) => return Some((Ok(Bytes::from(": keep-alive\n\n")), (receiver, me))),
                Ok(Err(broadcast::error::RecvError::Lagged(_))) => {
                    // Too far behind: end the stream; the client reconnects and refetches.
                    return None;
                }
                Ok(Err(broadcast::error::RecvError::Closed)) => return None,
                Ok(Ok(change)) => change,
            };
            if change.event == "close" {
                return None;
            }
            if change.client.is_some() && change.client == me {
                continue;
            }
            let text = format!(
                "id: {}\nevent: {}\ndata: {}\n\n",
                change.number, change.event, change.data
            );
            return Some((Ok(Bytes::from(text)), (receiver, me)));
        }
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(ready.chain(changes)))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
