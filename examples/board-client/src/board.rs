//! [`Board`]: the app's client. One optimist client (the store and its queries) behind a
//! mutex, a driver running its fetches and mutations on the current tokio runtime, and the
//! calls a UI makes: load a board, load more, refetch, open a task, search, create, update,
//! delete.

use std::sync::{Arc, Mutex, MutexGuard};

use optimist::{
    Driver, FailureKind, FetchError, FetchPolicy, Key, MutationHandle, MutationStatus, ObserverId,
    QueryId, QueryKey, QueryOptions, QueryState, QueryStatus, Store,
};
use serde_json::{Value as Json, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::answers::{fetch_result, mutation_outcome};
use crate::documents::{self, Documents};
use crate::error::BoardError;
use crate::http::Http;
use crate::model::{BoardData, SearchData, TaskRow, Tasks};
use crate::mutations;
use crate::policies::{connection_args, policies};

/// How many tasks a page asks for.
pub const PAGE: i64 = 3;

/// The app's client of one board server.
pub struct Board {
    client: Arc<Mutex<optimist::Client>>,
    driver: Arc<Driver>,
    http: Http,
    docs: Arc<Documents>,
    run: JoinHandle<()>,
}

/// A board on screen: its query (observed until [`Board::close_board`]).
#[derive(Clone, Debug)]
pub struct BoardView {
    /// The project, `p<n>`.
    pub project: String,
    /// The status filter, if any.
    pub status: Option<String>,
    /// The query's key (first page's variables).
    pub key: QueryKey,
    /// Its record.
    pub query: QueryId,
    /// The screen's observer.
    pub observer: ObserverId,
}

impl Board {
    /// Opens a client of the server at `url` (`http://127.0.0.1:PORT`): reads its schema
    /// (`GET /schema.graphql`) for the possible types, and starts the driver.
    pub async fn open(url: &str) -> Result<Board, BoardError> {
        let http = Http::new(url)?;
        let sdl = http.schema().await?;
        let store = Store::with_policies(policies(&sdl)?);
        let client = Arc::new(Mutex::new(optimist::Client::new(store)));
        let driver = Arc::new(Driver::new(client.clone()));
        let docs = Arc::new(Documents::parse()?);
        let run = tokio::spawn(run(
            client.clone(),
            driver.clone(),
            http.clone(),
            docs.clone(),
        ));
        Ok(Board {
            client,
            driver,
            http,
            docs,
            run,
        })
    }

    /// The optimist client, locked: the store (`store()`, `store_mut()`) and the queries.
    pub fn client(&self) -> MutexGuard<'_, optimist::Client> {
        lock(&self.client)
    }

    /// The HTTP layer: what was sent, faults to ask for.
    pub fn http(&self) -> &Http {
        &self.http
    }

    /// The parsed documents.
    pub fn docs(&self) -> &Documents {
        &self.docs
    }

    /// Shows the board of `project` (its tasks with `status`, or all): observes its query,
    /// whose first page is fetched unless cached, and waits for it.
    pub async fn open_board(
        &self,
        project: &str,
        status: Option<&str>,
    ) -> Result<BoardView, BoardError> {
        let variables = json!({"project": project, "first": PAGE, "status": status});
        let key = QueryKey::graphql(&documents::board_text(), variables)?;
        let (observer, query, _) = self.observe(key.clone(), QueryOptions::new()).await?;
        Ok(BoardView {
            project: project.to_owned(),
            status: status.map(str::to_owned),
            key,
            query,
            observer,
        })
    }

    /// The board as the user sees it now (every loaded page, pending guesses included).
    pub fn board(&self, view: &BoardView) -> Result<Tasks, BoardError> {
        let data: BoardData = self.client().store().read_query_as(
            &self.docs.board,
            view.key.variables().unwrap_or(&Json::Null),
        )?;
        data.project
            .map(|project| project.tasks)
            .ok_or_else(|| BoardError::Store(format!("no project {}", view.project)))
    }

    /// The keys of the tasks the board shows, in order.
    pub fn visible(&self, view: &BoardView) -> Result<Vec<Key>, BoardError> {
        let tasks = self.board(view)?;
        let store = self.client();
        tasks
            .ids()
            .into_iter()
            .map(|id| {
                Ok(store
                    .store()
                    .policies()
                    .identify("Task", &json!({ "id": id }))?)
            })
            .collect()
    }

    /// Loads the next page (Apollo's `fetchMore`): the board's query with `after` the last
    /// loaded cursor, whose answer the connection's merge appends. `false` when there is none.
    pub async fn load_more(&self, view: &BoardView) -> Result<bool, BoardError> {
        let tasks = self.board(view)?;
        let Some(after) = tasks
            .page_info
            .end_cursor
            .filter(|_| tasks.page_info.has_next_page)
        else {
            return Ok(false);
        };
        let mut variables = view.key.variables().cloned().unwrap_or_default();
        variables["after"] = json!(after);
        let more = view.key.with_variables(variables);
        let options = QueryOptions::new().fetch_policy(FetchPolicy::NetworkOnly);
        let (observer, _, state) = self.observe(more, options).await?;
        self.client().unobserve(observer, optimist::Instant::now());
        failed(&state)?;
        Ok(true)
    }

    /// Refetches the board's query (its first page), and waits for the answer. As in Apollo,
    /// the first page replaces the list: pages loaded after it must be loaded again.
    pub async fn refetch(&self, view: &BoardView) -> Result<(), BoardError> {
        match self.driver.refetch(view.query)?.await {
            Some(state) => failed(&state),
            None => Err(BoardError::Store("the board's query is gone".into())),
        }
    }

    /// Loads pages until at least `rows` tasks show (or the connection ends): what the app
    /// does after a refetch of the first page, so that the list does not shrink.
    pub async fn load_until(&self, view: &BoardView, rows: usize) -> Result<(), BoardError> {
        while self.board(view)?.edges.len() < rows && self.load_more(view).await? {}
        Ok(())
    }

    /// Stops showing a board.
    pub fn close_board(&self, view: &BoardView) {
        self.client()
            .unobserve(view.observer, optimist::Instant::now());
    }

    /// Opens a task's detail (`task(id:)`, cache-first): a task on a loaded board is read
    /// from its cached row through the `Query.task` redirect, with no request; another one
    /// is fetched.
    pub async fn open_task(&self, id: &str) -> Result<Option<TaskRow>, BoardError> {
        let key = QueryKey::graphql(&documents::task_text(), json!({ "id": id }))?;
        let (observer, _, state) = self.observe(key, QueryOptions::new()).await?;
        self.client().unobserve(observer, optimist::Instant::now());
        failed(&state)?;
        read_task(&state)
    }

    /// Fetches a task's detail from the server (network-only), writing what it answers.
    pub async fn refetch_task(&self, id: &str) -> Result<Option<TaskRow>, BoardError> {
        let key = QueryKey::graphql(&documents::task_text(), json!({ "id": id }))?;
        let options = QueryOptions::new().fetch_policy(FetchPolicy::NetworkOnly);
        let (observer, _, state) = self.observe(key, options).await?;
        self.client().unobserve(observer, optimist::Instant::now());
        failed(&state)?;
        read_task(&state)
    }

    /// Searches projects, tasks and users (network-only).
    pub async fn search(&self, text: &str) -> Result<SearchData, BoardError> {
        let key = QueryKey::graphql(documents::SEARCH, json!({ "text": text }))?;
        let options = QueryOptions::new().fetch_policy(FetchPolicy::NetworkOnly);
        let (observer, _, state) = self.observe(key, options).await?;
        self.client().unobserve(observer, optimist::Instant::now());
        failed(&state)?;
        let data = state
            .data_as::<SearchData>()
            .ok_or_else(|| BoardError::Store("the search has no data".into()))?;
        data.map_err(|error| BoardError::Store(error.to_string()))
    }

    /// Adds a task at the end of the board's connection: shown at once, under a temporary id.
    /// Returns that key and a handle that resolves when the create settles.
    pub fn create_task(
        &self,
        view: &BoardView,
        title: &str,
    ) -> Result<(Key, MutationHandle), BoardError> {
        let mut client = self.client();
        let mut store = client.store_mut();
        let project = store
            .policies()
            .identify("Project", &json!({"id": view.project}))?;
        let connection = store.policies().connection_id(
            project.as_str(),
            "tasks",
            &connection_args(view.status.as_deref()),
        );
        let (tmp, mutation) =
            mutations::create(&mut store, &self.docs, &view.project, title, &connection)?;
        drop(store);
        drop(client);
        Ok((tmp, self.driver.mutate(mutation)?))
    }

    /// Sets a task's title and/or status: shown at once. The handle resolves when it settles.
    pub fn update_task(
        &self,
        key: &Key,
        title: Option<&str>,
        status: Option<&str>,
    ) -> Result<MutationHandle, BoardError> {
        Ok(self.driver.mutate(mutations::update(key, title, status)?)?)
    }

    /// Waits for an update to settle; on a version conflict (another client saved first), the
    /// guess is already reverted: the task is fetched again, so the row shows the server's.
    pub async fn saved(
        &self,
        key: &Key,
        update: MutationHandle,
    ) -> Result<MutationStatus, BoardError> {
        let status = update.await.map_err(|_| BoardError::Stopped)?;
        if matches!(&status, MutationStatus::Failed(failure) if failure.kind == FailureKind::Conflict)
        {
            self.refetch_task(key.id().unwrap_or_default()).await?;
        }
        Ok(status)
    }

    /// Deletes a task: gone at once; back in its place if the server refuses.
    pub fn delete_task(&self, key: &Key) -> Result<MutationHandle, BoardError> {
        let mutation = mutations::delete(self.client().store(), &self.docs, key)?;
        Ok(self.driver.mutate(mutation)?)
    }

    /// Observes `key` and waits until no fetch of it is under way: its observer, its query
    /// and its state then.
    async fn observe(
        &self,
        key: QueryKey,
        options: QueryOptions,
    ) -> Result<(ObserverId, QueryId, QueryState), BoardError> {
        let (sender, mut states) = watch::channel(QueryState::default());
        let seen = self
            .client()
            .observe(key, options, optimist::Instant::now(), move |state| {
                sender.send_replace(state.clone());
            });
        let mut state = seen.state;
        while state.is_fetching() {
            states.changed().await.map_err(|_| BoardError::Stopped)?;
            state = states.borrow_and_update().clone();
        }
        Ok((seen.observer, seen.query, state))
    }
}

impl Drop for Board {
    fn drop(&mut self) {
        self.run.abort();
    }
}

/// A query's state as a result: its error if it failed.
fn failed(state: &QueryState) -> Result<(), BoardError> {
    if state.status == QueryStatus::Error {
        let error = state
            .error
            .clone()
            .unwrap_or_else(|| FetchError::permanent("failed"));
        return Err(BoardError::Fetch(error));
    }
    Ok(())
}

fn read_task(state: &QueryState) -> Result<Option<TaskRow>, BoardError> {
    match state.data_as::<crate::model::TaskData>() {
        Some(Ok(data)) => Ok(data.task),
        Some(Err(error)) => Err(BoardError::Store(error.to_string())),
        None => Ok(None),
    }
}

/// The driver's loop: queries are posted as their key's body and answered whole; mutations
/// are built from their saved data when their turn comes, and their answers decided by
/// [`mutation_outcome`].
async fn run(
    client: Arc<Mutex<optimist::Client>>,
    driver: Arc<Driver>,
    http: Http,
    docs: Arc<Documents>,
) {
    let fetching = http.clone();
    driver
        .run(
            move |fetch| {
                let http = fetching.clone();
                async move {
                    let body = fetch
                        .key
                        .body()
                        .ok_or_else(|| FetchError::permanent("not a GraphQL query"))?;
                    fetch_result(http.post(&body).await)
                }
            },
            move |out| {
                let (client, http, docs) = (client.clone(), http.clone(), docs.clone());
                async move {
                    let (variables, body) = {
                        let client = lock(&client);
                        match mutations::request(client.store(), &docs, &out) {
                            Ok(request) => (request.variables, request.body),
                            Err(outcome) => return outcome,
                        }
                    };
                    let answer = http.post(&body).await;
                    let client = lock(&client);
                    let operation = out.request.to_json()["operation"].clone();
                    let doc = docs
                        .mutation(operation.as_str().unwrap_or_default())
                        .unwrap_or(&docs.update);
                    mutation_outcome(client.store().policies(), doc, &variables, answer)
                }
            },
        )
        .await;
}

fn lock(client: &Mutex<optimist::Client>) -> MutexGuard<'_, optimist::Client> {
    client
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
