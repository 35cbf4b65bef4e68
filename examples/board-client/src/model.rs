//! The app's data as it reads it: plain serde types that the documents' reads deserialize
//! into ([`Store::read_query_as`](optimist::Store::read_query_as),
//! [`Store::watch_fragment_as`](optimist::Store::watch_fragment_as)). No code generation: the
//! fields a type has are the fields its document selects.

use serde::{Deserialize, Serialize};

/// A user (keyed by e-mail).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct User {
    /// The key.
    pub email: String,
    /// The display name.
    pub name: String,
}

/// A task as a row shows it (the `TaskRow` fragment).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct TaskRow {
    /// `t<n>` (a temporary `tmp~<n>` while its create is in flight).
    pub id: String,
    /// The title.
    pub title: String,
    /// `TODO`, `IN_PROGRESS` or `DONE`.
    pub status: String,
    /// Bumped by every update; what the next update names as `expectedVersion`.
    pub version: i64,
    /// Who it is assigned to.
    pub assignee: Option<User>,
}

/// One edge of the connection.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct Edge {
    /// Where the edge stands, for `after`.
    pub cursor: String,
    /// The task.
    pub node: TaskRow,
}

/// Where the loaded pages stand.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    /// Whether more tasks follow the last loaded one.
    pub has_next_page: bool,
    /// The last loaded edge's cursor: the next page's `after`.
    pub end_cursor: Option<String>,
}

/// A project's tasks: every page loaded so far, as one connection.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tasks {
    /// How many tasks the project has (with the status filter).
    pub total_count: i64,
    /// The loaded tasks, in order.
    pub edges: Vec<Edge>,
    /// Where the loaded pages stand.
    pub page_info: PageInfo,
}

/// A project and its loaded tasks.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct Project {
    /// `p<n>`.
    pub id: String,
    /// The name.
    pub name: String,
    /// The owner.
    pub owner: User,
    /// The loaded tasks.
    pub tasks: Tasks,
}

/// The `Board` query's data.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct BoardData {
    /// The project, if there is one.
    pub project: Option<Project>,
}

/// The `Task` query's data.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct TaskData {
    /// The task, if there is one.
    pub task: Option<TaskRow>,
}

/// One result of `search`: whichever fields its type has.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    /// `Task`, `Project` or `User` (every read gives an entity's typename).
    #[serde(rename = "__typename")]
    pub typename: String,
    /// A task's or a project's id (read through `... on Node`).
    pub id: Option<String>,
    /// A task's title.
    pub title: Option<String>,
    /// A project's or a user's name.
    pub name: Option<String>,
    /// A user's e-mail.
    pub email: Option<String>,
}

/// The `Search` query's data.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct SearchData {
    /// The results, projects first, then tasks, then users.
    pub search: Vec<SearchHit>,
}

impl Tasks {
    /// The loaded tasks' ids, in order.
    pub fn ids(&self) -> Vec<&str> {
        self.edges
            .iter()
            .map(|edge| edge.node.id.as_str())
            .collect()
    }
}
