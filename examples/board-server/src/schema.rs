//! The GraphQL schema: the `Node` interface, the `SearchResult` union, the Relay connection
//! of a project's tasks, the queries and the three mutations. Resolvers read and write
//! through `db.rs` and turn its refusals into GraphQL errors with an `extensions.code`.

use std::sync::Arc;

use async_graphql::{
    Context, EmptySubscription, ID, InputObject, Interface, Object, Result, Schema, SimpleObject,
    Union,
};

use crate::db::{self, Db};
use crate::error::{Code, Refusal};
use crate::id::{GlobalId, cursor, parse_cursor};
use crate::page;
use crate::row::{Project, Task, TaskStatus, User};

/// The schema type.
pub(crate) type BoardSchema = Schema<Query, Mutation, EmptySubscription>;

/// The schema, its resolvers reading `db`.
pub(crate) fn build(db: Arc<Db>) -> BoardSchema {
    // A depth limit: `project { tasks { edges { node { project { tasks ...` nests without end.
    Schema::build(Query, Mutation, EmptySubscription)
        .data(db)
        .limit_depth(32)
        .finish()
}

/// The schema's SDL, with no database behind it.
pub(crate) fn sdl() -> String {
    Schema::build(Query, Mutation, EmptySubscription)
        .finish()
        .sdl()
}

fn db<'a>(ctx: &Context<'a>) -> Result<&'a Db> {
    Ok(ctx.data::<Arc<Db>>()?)
}

/// The task a mutation's `id` names, or a refusal.
fn task_id(id: &ID) -> Result<i64, Refusal> {
    match GlobalId::parse(id) {
        Some(GlobalId::Task(id)) => Ok(id),
        _ => Err(Refusal::new(
            Code::BadUserInput,
            format!("{:?} is not a task id", id.as_str()),
        )),
    }
}

/// Something with a global id, which `node(id:)` finds.
#[derive(Interface)]
#[graphql(field(
    name = "id",
    ty = "ID",
    desc = "The global id: `p<n>` for a project, `t<n>` for a task."
))]
enum Node {
    Project(Project),
    Task(Task),
}

/// What `search` finds.
#[derive(Union)]
enum SearchResult {
    Task(Task),
    Project(Project),
    User(User),
}

/// A person, keyed by e-mail: it has no `id`.
#[Object]
impl User {
    /// The key.
    async fn email(&self) -> &str {
        &self.email
    }

    /// The display name.
    async fn name(&self) -> &str {
        &self.name
    }
}

/// A project, owning tasks.
#[Object]
impl Project {
    /// `p<n>`.
    async fn id(&self) -> ID {
        ID(GlobalId::Project(self.id).to_string())
    }

    /// The name.
    async fn name(&self) -> &str {
        &self.name
    }

    /// The owner.
    async fn owner(&self, ctx: &Context<'_>) -> Result<User> {
        let user = db::user(&db(ctx)?.lock(), &self.owner).map_err(Refusal::from)?;
        Ok(user.ok_or_else(|| Refusal::new(Code::Internal, "the owner is missing"))?)
    }

    /// The project's tasks, by id ascending, as a Relay connection: `first` / `after` page
    /// forwards, `last` / `before` backwards; `status` keeps the tasks in that status
    /// (`totalCount` counts those, whatever the cursors).
    async fn tasks(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        status: Option<TaskStatus>,
    ) -> Result<TaskConnection> {
        let decode = |text: Option<String>| {
            text.map(|text| {
                parse_cursor(&text).ok_or_else(|| {
                    Refusal::new(Code::BadUserInput, format!("{text:?} is not a cursor"))
                })
            })
            .transpose()
        };
        let args = page::Args {
            first,
            after: decode(after)?,
            last,
            before: decode(before)?,
        };
        let (tasks, window, total) = db::page(&db(ctx)?.lock(), self.id, status, args)?;
        let edges: Vec<TaskEdge> = tasks.into_iter().map(TaskEdge::of).collect();
        let page_info = PageInfo {
            has_next_page: window.has_next_page,
            has_previous_page: window.has_previous_page,
            start_cursor: edges.first().map(|edge| edge.cursor.clone()),
            end_cursor: edges.last().map(|edge| edge.cursor.clone()),
        };
        Ok(TaskConnection {
            edges,
            page_info,
            total_count: total as i64,
        })
    }
}

/// A task in a project.
#[Object]
impl Task {
    /// `t<n>`.
    async fn id(&self) -> ID {
        ID(GlobalId::Task(self.id).to_string())
    }

    /// The title, never blank.
    async fn title(&self) -> &str {
        &self.title
    }

    /// Where it stands.
    async fn status(&self) -> TaskStatus {
        self.status
    }

    /// 1 when created, bumped by every update; `updateTask` must name it.
    async fn version(&self) -> i64 {
        self.version
    }

    /// Who it is assigned to, if anyone.
    async fn assignee(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(email) = &self.assignee else {
            return Ok(None);
        };
        Ok(db::user(&db(ctx)?.lock(), email).map_err(Refusal::from)?)
    }

    /// The project it is in.
    async fn project(&self, ctx: &Context<'_>) -> Result<Project> {
        let project = db::project(&db(ctx)?.lock(), self.project_id).map_err(Refusal::from)?;
        Ok(project.ok_or_else(|| Refusal::new(Code::Internal, "the project is missing"))?)
    }
}

/// A page of a project's tasks (Relay connection).
#[derive(SimpleObject)]
struct TaskConnection {
    /// The page's tasks, by id ascending.
    edges: Vec<TaskEdge>,
    /// Where the page stands.
    page_info: PageInfo,
    /// How many tasks the connection has (with its `status` filter), on every page.
    total_count: i64,
}

/// A task and its cursor.
#[derive(SimpleObject)]
struct TaskEdge {
    /// Opaque; stable for the task's life. Pass it as `after` or `before`.
    cursor: String,
    /// The task.
    node: Task,
}

impl TaskEdge {
    fn of(task: Task) -> TaskEdge {
        TaskEdge {
            cursor: cursor(task.id),
            node: task,
        }
    }
}

/// Where a page stands, as the Relay connection spec defines it.
#[derive(SimpleObject)]
struct PageInfo {
    /// With `first`: more tasks follow the page. Otherwise: tasks follow `before`.
    has_next_page: bool,
    /// With `last`: more tasks precede the page. Otherwise: tasks precede `after`.
    has_previous_page: bool,
    /// The first edge's cursor; null on an empty page.
    start_cursor: Option<String>,
    /// The last edge's cursor; null on an empty page.
    end_cursor: Option<String>,
}

/// The queries.
pub(crate) struct Query;

#[Object]
impl Query {
    /// The project or task with this global id; null if there is none.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let db = db(ctx)?.lock();
        Ok(match GlobalId::parse(&id) {
            Some(GlobalId::Project(id)) => db::project(&db, id)
                .map_err(Refusal::from)?
                .map(Node::Project),
            Some(GlobalId::Task(id)) => db::task(&db, id).map_err(Refusal::from)?.map(Node::Task),
            None => None,
        })
    }

    /// The project with this id; null if there is none.
    async fn project(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Project>> {
        let Some(GlobalId::Project(id)) = GlobalId::parse(&id) else {
            return Ok(None);
        };
        Ok(db::project(&db(ctx)?.lock(), id).map_err(Refusal::from)?)
    }

    /// Every project, by id.
    async fn projects(&self, ctx: &Context<'_>) -> Result<Vec<Project>> {
        Ok(db::projects(&db(ctx)?.lock()).map_err(Refusal::from)?)
    }

    /// The task with this id; null if there is none.
    async fn task(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Task>> {
        let Some(GlobalId::Task(id)) = GlobalId::parse(&id) else {
            return Ok(None);
        };
        Ok(db::task(&db(ctx)?.lock(), id).map_err(Refusal::from)?)
    }

    /// The user with this e-mail; null if there is none.
    async fn user(&self, ctx: &Context<'_>, email: String) -> Result<Option<User>> {
        Ok(db::user(&db(ctx)?.lock(), &email).map_err(Refusal::from)?)
    }

    /// Projects whose name, tasks whose title and users whose name or e-mail contain `text`
    /// (ASCII case ignored), in that order, at most 20 of each; blank text finds nothing.
    async fn search(&self, ctx: &Context<'_>, text: String) -> Result<Vec<SearchResult>> {
        let (projects, tasks, users) =
            db::search(&db(ctx)?.lock(), &text).map_err(Refusal::from)?;
        let projects = projects.into_iter().map(SearchResult::Project);
        let tasks = tasks.into_iter().map(SearchResult::Task);
        let users = users.into_iter().map(SearchResult::User);
        Ok(projects.chain(tasks).chain(users).collect())
    }
}

/// `createTask`'s input.
#[derive(InputObject)]
struct CreateTaskInput {
    /// The project (`p<n>`).
    project_id: ID,
    /// Not blank.
    title: String,
    /// The client's key for this create: a retry with the same key and arguments answers the
    /// task the first try made instead of making another; the same key with other arguments
    /// is refused (`IDEMPOTENCY_KEY_REUSED`).
    idempotency_key: String,
}

/// What `createTask` answers: the new task's edge, to append to the project's connection.
#[derive(SimpleObject)]
struct CreateTaskPayload {
    /// The task and its cursor.
    edge: TaskEdge,
}

/// `updateTask`'s input: the fields to set, and the version the client last saw.
#[derive(InputObject)]
struct UpdateTaskInput {
    /// The task (`t<n>`).
    id: ID,
    /// The new title, if it changes; not blank.
    title: Option<String>,
    /// The new status, if it changes.
    status: Option<TaskStatus>,
    /// The task's current version; another one is refused with `VERSION_CONFLICT` and
    /// `extensions.currentVersion`.
    expected_version: i64,
}

/// What `deleteTask` answers.
#[derive(SimpleObject)]
struct DeleteTaskPayload {
    /// The deleted task's id.
    deleted_id: ID,
}

/// The mutations.
pub(crate) struct Mutation;

#[Object]
impl Mutation {
    /// Adds a task (status `TODO`, version 1, no assignee) at the end of a project.
    async fn create_task(
        &self,
        ctx: &Context<'_>,
        input: CreateTaskInput,
    ) -> Result<CreateTaskPayload> {
        let Some(GlobalId::Project(project)) = GlobalId::parse(&input.project_id) else {
            let message = format!("{:?} is not a project id", input.project_id.as_str());
            return Err(Refusal::new(Code::BadUserInput, message).into());
        };
        let task = db::create_task(
            &mut db(ctx)?.lock(),
            project,
            &input.title,
            &input.idempotency_key,
        )?;
        Ok(CreateTaskPayload {
            edge: TaskEdge::of(task),
        })
    }

    /// Sets a task's title and/or status if it is at `expectedVersion`; answers it with its
    /// version bumped.
    async fn update_task(&self, ctx: &Context<'_>, input: UpdateTaskInput) -> Result<Task> {
        let id = task_id(&input.id)?;
        Ok(db::update_task(
            &mut db(ctx)?.lock(),
            id,
            input.title.as_deref(),
            input.status,
            input.expected_version,
        )?)
    }

    /// Deletes a task; refused with `FORBIDDEN` when its title starts with `locked`.
    async fn delete_task(&self, ctx: &Context<'_>, id: ID) -> Result<DeleteTaskPayload> {
        let task = task_id(&id)?;
        db::delete_task(&mut db(ctx)?.lock(), task)?;
        Ok(DeleteTaskPayload { deleted_id: id })
    }
}
