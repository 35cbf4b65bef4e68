//! The app's GraphQL documents, written as an Apollo Client user writes them: no
//! `__typename` anywhere (the request text adds it, [`Document::request_text`]), no client
//! fields, one fragment for what a row shows. Parsed once, at start.
//!
//! The two list directives (`@appendEdge` on the create, `@deleteRecord` on the delete) are
//! Relay's: they name the list edit the answer makes, so no update function is written, and
//! the server never sees them.

use optimist::{Document, DocumentError};

/// What a row of the board shows, and what the task's detail shows: one fragment, so a row
/// watches exactly what it renders.
pub const TASK_ROW: &str = "fragment TaskRow on Task {
  id
  title
  status
  version
  assignee { email name }
}";

/// A project's board: its name and owner, and one page of its tasks (a Relay connection;
/// `after` pages forwards, `status` keeps one status).
pub const BOARD: &str =
    "query Board($project: ID!, $first: Int!, $after: String, $status: TaskStatus) {
  project(id: $project) {
    id
    name
    owner { email name }
    tasks(first: $first, after: $after, status: $status) {
      totalCount
      edges { cursor node { ...TaskRow } }
      pageInfo { hasNextPage endCursor }
    }
  }
}";

/// One task's detail. Read from the cache through the `Query.task` redirect when the task is
/// cached (a row of the board), so opening it needs no request.
pub const TASK: &str = "query Task($id: ID!) { task(id: $id) { ...TaskRow } }";

/// Search across projects, tasks and users: a union, read through the possible types the
/// server's schema declares (`... on Node` matches a `Task` and a `Project`).
pub const SEARCH: &str = "query Search($text: String!) {
  search(text: $text) {
    ... on Node { id }
    ... on Task { title status }
    ... on Project { name }
    ... on User { email name }
  }
}";

/// Adds a task; its edge goes at the end of the connections named by `$connections`.
pub const CREATE_TASK: &str =
    "mutation CreateTask($input: CreateTaskInput!, $connections: [ID!]!) {
  createTask(input: $input) {
    edge @appendEdge(connections: $connections) { cursor node { ...TaskRow } }
  }
}";

/// Sets a task's title and/or status at the version the client last saw.
pub const UPDATE_TASK: &str = "mutation UpdateTask($input: UpdateTaskInput!) {
  updateTask(input: $input) { ...TaskRow }
}";

/// Deletes a task; its record goes from the cache (and so from every connection's read).
pub const DELETE_TASK: &str = "mutation DeleteTask($id: ID!) {
  deleteTask(id: $id) { deletedId @deleteRecord(typename: \"Task\") }
}";

/// A document with the row fragment appended (each operation text stands alone, as a
/// graphql_client `.graphql` file does).
fn with_row(operation: &str) -> String {
    format!("{operation}\n{TASK_ROW}")
}

/// Every document, parsed.
#[derive(Clone, Debug)]
pub struct Documents {
    /// [`BOARD`].
    pub board: Document,
    /// [`TASK`].
    pub task: Document,
    /// [`TASK_ROW`], for fragment watches and reads.
    pub row: Document,
    /// [`SEARCH`].
    pub search: Document,
    /// [`CREATE_TASK`].
    pub create: Document,
    /// [`UPDATE_TASK`].
    pub update: Document,
    /// [`DELETE_TASK`].
    pub delete: Document,
}

impl Documents {
    /// Parses every document.
    pub fn parse() -> Result<Documents, DocumentError> {
        Ok(Documents {
            board: Document::parse(&board_text())?,
            task: Document::parse(&task_text())?,
            row: Document::parse(TASK_ROW)?,
            search: Document::parse(SEARCH)?,
            create: Document::parse(&with_row(CREATE_TASK))?,
            update: Document::parse(&with_row(UPDATE_TASK))?,
            delete: Document::parse(DELETE_TASK)?,
        })
    }

    /// The mutation document named `operation` (`CreateTask`, `UpdateTask`, `DeleteTask`).
    pub fn mutation(&self, operation: &str) -> Option<&Document> {
        match operation {
            "CreateTask" => Some(&self.create),
            "UpdateTask" => Some(&self.update),
            "DeleteTask" => Some(&self.delete),
            _ => None,
        }
    }
}

/// [`BOARD`] with its fragment: the text its query key is made of.
pub fn board_text() -> String {
    with_row(BOARD)
}

/// [`TASK`] with its fragment.
pub fn task_text() -> String {
    with_row(TASK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_document_parses_and_none_asks_for_typenames_itself() {
        let all = [
            TASK_ROW,
            BOARD,
            TASK,
            SEARCH,
            CREATE_TASK,
            UPDATE_TASK,
            DELETE_TASK,
        ];
        assert!(all.iter().all(|text| !text.contains("__typename")));
        let docs = Documents::parse().expect("the documents parse");
        // What is sent asks for them.
        assert!(docs.board.request_text().contains("__typename"));
    }
}
