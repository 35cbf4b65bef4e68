//! A project-board server for optimist's GraphQL example: GraphQL over SQLite.
//!
//! * `POST /graphql`: `{query, variables, operationName}`, answered as GraphQL over HTTP
//!   (`application/graphql-response+json`); errors are GraphQL errors with a `path` and an
//!   `extensions.code` (see [`Code`]).
//! * `GET /schema.graphql`: the schema's SDL (also [`sdl`], and `schema.graphql` beside this
//!   crate's `Cargo.toml`, which a test keeps equal to it), so a client can read the possible
//!   types of `Node` and `SearchResult`.
//! * Faults, by `X-Fault` header (`latency=250ms`, `fail`, `errors`, `lose`) or queued from
//!   outside for an operation with [`Faults::next`].
//!
//! # Schema
//!
//! ```graphql
//! interface Node { id: ID! }
//! type User { email: String! name: String! }            # keyed by e-mail, no id
//! type Project implements Node {
//!   id: ID! name: String! owner: User!
//!   tasks(first: Int, after: String, last: Int, before: String, status: TaskStatus): TaskConnection!
//! }
//! type Task implements Node {
//!   id: ID! title: String! status: TaskStatus! version: Int! assignee: User project: Project!
//! }
//! union SearchResult = Task | Project | User
//! type Query {
//!   node(id: ID!): Node  project(id: ID!): Project  projects: [Project!]!
//!   task(id: ID!): Task  user(email: String!): User  search(text: String!): [SearchResult!]!
//! }
//! type Mutation {
//!   createTask(input: CreateTaskInput!): CreateTaskPayload!   # { edge: TaskEdge! }
//!   updateTask(input: UpdateTaskInput!): Task!
//!   deleteTask(id: ID!): DeleteTaskPayload!                   # { deletedId: ID! }
//! }
//! ```
//!
//! Ids are global: `p<n>` for a project, `t<n>` for a task. A project's tasks are a Relay
//! connection ordered by id, with the spec's `pageInfo`; a cursor is opaque and stable for its
//! task's life, and still marks its place once the task is deleted. `createTask` is idempotent
//! by its `idempotencyKey`; `updateTask` needs the task's current `version`
//! (`VERSION_CONFLICT` otherwise); `deleteTask` refuses a task whose title starts with
//! `locked` (`FORBIDDEN`), so a client can show a refused delete rolled back.
//!
//! # Example
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use board_server::{Config, Seed, start};
//!
//! let seed = Seed { projects: 2, tasks_per_project: 5 };
//! let server = start(Config { seed: Some(seed), ..Config::default() }).await?;
//! let answer: serde_json::Value = reqwest::Client::new()
//!     .post(server.graphql_url())
//!     .json(&serde_json::json!({
//!         "query": "query { project(id: \"p1\") { tasks(first: 2) { totalCount edges { node { title } } } } }"
//!     }))
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//! let tasks = &answer["data"]["project"]["tasks"];
//! assert_eq!(tasks["totalCount"], 5);
//! assert_eq!(tasks["edges"][1]["node"]["title"], "Task 1.2");
//! server.stop().await;
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

mod db;
mod error;
mod fault;
mod http;
mod id;
mod page;
mod row;
mod schema;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::oneshot;

pub use error::{Code, DbError, StartError};
pub use fault::{Fault, Faults};
pub use row::{Project, Seed, Task, TaskStatus, User, seeded_users};

use db::Db;
use http::App;

/// Where the server keeps its data, where it listens, and what a fresh database holds.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The SQLite file; `None`: a fresh file in the temporary directory, removed on stop.
    pub db_path: Option<PathBuf>,
    /// The loopback port; 0: any free one.
    pub port: u16,
    /// Seeds a database that has no project yet (a restart on a seeded file adds nothing):
    /// the [`seeded_users`], projects `p1`..`pN` named `Project n` owned by those users in
    /// turn, and for project `n` its tasks `Task n.1`..`Task n.M` (ids ascending in that
    /// order, so on a fresh file task `t` of project `n` is `t{(n-1)*M+t}`), except that each
    /// project's first task is `locked: Project n charter` (its delete is refused). Statuses
    /// go `TODO`, `IN_PROGRESS`, `DONE` in turn; every fourth task has no assignee; every
    /// task is at version 1. `None`: no rows.
    pub seed: Option<Seed>,
}

/// The SDL of the schema this server answers.
pub fn sdl() -> String {
    schema::sdl()
}

/// A running server.
pub struct Running {
    addr: SocketAddr,
    app: Arc<App>,
    db: Arc<Db>,
    db_path: PathBuf,
    temporary: bool,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

static TEMPORARIES: AtomicU64 = AtomicU64::new(0);

/// Starts the server on 127.0.0.1.
pub async fn start(config: Config) -> Result<Running, StartError> {
    let (db_path, temporary) = match config.db_path {
        Some(path) => (path, false),
        None => (
            std::env::temp_dir().join(format!(
                "board-server-{}-{}.sqlite3",
                std::process::id(),
                TEMPORARIES.fetch_add(1, Ordering::Relaxed)
            )),
            true,
        ),
    };
    let mut connection = db::open(&db_path).map_err(StartError::Db)?;
    if let Some(seed) = config.seed {
        db::seed(&mut connection, seed).map_err(StartError::Db)?;
    }
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port))
        .await
        .map_err(StartError::Bind)?;
    let addr = listener.local_addr().map_err(StartError::Bind)?;
    let db = Arc::new(Db::new(connection));
    let schema = schema::build(db.clone());
    let app = Arc::new(App {
        sdl: schema.sdl(),
        schema,
        faults: Faults::default(),
    });
    let router = http::router(app.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await;
    });
    Ok(Running {
        addr,
        app,
        db,
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

    /// `http://127.0.0.1:PORT/graphql`, where operations go.
    pub fn graphql_url(&self) -> String {
        format!("http://{}/graphql", self.addr)
    }

    /// The fault schedule.
    pub fn faults(&self) -> &Faults {
        &self.app.faults
    }

    /// The database file.
    pub fn db_path(&self) -> &Path {
        &self.db_path
    }

    /// Every task, straight from the database, ordered by id.
    pub fn tasks(&self) -> Result<Vec<Task>, DbError> {
        db::tasks(&self.db.lock()).map_err(DbError)
    }

    /// Stops the server: no new connections, then waits for the open ones (5 s at most). A
    /// temporary database is removed.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), &mut self.task).await;
        self.task.abort();
        if self.temporary {
            // The write-ahead log's files go with it.
            for suffix in ["", "-wal", "-shm"] {
                let mut path = self.db_path.clone().into_os_string();
                path.push(suffix);
                let _ = std::fs::remove_file(path);
            }
        }
    }
}
