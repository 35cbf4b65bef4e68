//! The rows: users, projects and tasks as the database holds them. Plain data; the GraphQL
//! fields on them (ids as text, the links between rows) are in `schema.rs`.

/// A user, keyed by e-mail (GraphQL `User` has no `id`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// The key.
    pub email: String,
    /// The display name.
    pub name: String,
}

/// A project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Project {
    /// The row id; GraphQL shows `p<id>`.
    pub id: i64,
    /// The name.
    pub name: String,
    /// The owner's e-mail.
    pub owner: String,
}

/// A task in a project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    /// The row id, assigned by the server, ascending in creation order; GraphQL shows
    /// `t<id>`.
    pub id: i64,
    /// The project's row id.
    pub project_id: i64,
    /// The title, never blank.
    pub title: String,
    /// Where it stands.
    pub status: TaskStatus,
    /// 1 when created, bumped by every update.
    pub version: i64,
    /// The assignee's e-mail, if anyone's.
    pub assignee: Option<String>,
}

/// Where a task stands.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TaskStatus {
    /// Not started. `TODO`.
    Todo,
    /// Being worked on. `IN_PROGRESS`.
    InProgress,
    /// Finished. `DONE`.
    Done,
}

impl TaskStatus {
    /// The GraphQL name, which is also what the database stores.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Todo => "TODO",
            TaskStatus::InProgress => "IN_PROGRESS",
            TaskStatus::Done => "DONE",
        }
    }

    /// The status named `text` (a GraphQL name).
    pub fn parse(text: &str) -> Option<TaskStatus> {
        [TaskStatus::Todo, TaskStatus::InProgress, TaskStatus::Done]
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

/// How much data a fresh database is seeded with; see [`seeded_users`] and
/// [`Config::seed`](crate::Config::seed) for what it holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Seed {
    /// Projects `p1` .. `pN`.
    pub projects: u32,
    /// Tasks in each project.
    pub tasks_per_project: u32,
}

/// The users a seeded database has: (e-mail, name), in e-mail order.
pub fn seeded_users() -> [(&'static str, &'static str); 4] {
    [
        ("ada@example.com", "Ada Lovelace"),
        ("alan@example.com", "Alan Turing"),
        ("edsger@example.com", "Edsger Dijkstra"),
        ("grace@example.com", "Grace Hopper"),
    ]
}

/// Seeded project `p` (1-based): `Project p`, owned by the seeded users in turn.
pub(crate) fn seeded_project(p: u32) -> (String, &'static str) {
    let users = seeded_users();
    (
        format!("Project {p}"),
        users[(p as usize - 1) % users.len()].0,
    )
}

/// Seeded task `t` (1-based) of project `p`: (title, status, assignee). The first task of each
/// project is titled `locked: ...`, so every project has one whose delete is refused; the
/// others `Task p.t`. Statuses go `TODO`, `IN_PROGRESS`, `DONE` in turn; every fourth task has
/// no assignee.
pub(crate) fn seeded_task(p: u32, t: u32) -> (String, TaskStatus, Option<&'static str>) {
    let users = seeded_users();
    let title = if t == 1 {
        format!("locked: Project {p} charter")
    } else {
        format!("Task {p}.{t}")
    };
    let status = [TaskStatus::Todo, TaskStatus::InProgress, TaskStatus::Done][(t as usize - 1) % 3];
    let assignee = (!t.is_multiple_of(4)).then(|| users[(p + t) as usize % users.len()].0);
    (title, status, assignee)
}
