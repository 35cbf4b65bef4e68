//! The SQLite database: the tables, the seed, every read the resolvers make and the three
//! writes, each write in one transaction. It answers rows and [`Refusal`]s, not GraphQL.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::error::{Code, Refusal};
use crate::page::{self, Window};
use crate::row::{
    Project, Seed, Task, TaskStatus, User, seeded_project, seeded_task, seeded_users,
};

/// The most results of each kind `search` answers.
pub(crate) const SEARCH_LIMIT: usize = 20;

/// The connection, one request at a time (SQLite writes one at a time anyway).
pub(crate) struct Db(Mutex<Connection>);

impl Db {
    pub(crate) fn new(connection: Connection) -> Db {
        Db(Mutex::new(connection))
    }

    /// The connection; a panic in another request leaves it usable (every write is one
    /// transaction, rolled back on the way out).
    pub(crate) fn lock(&self) -> MutexGuard<'_, Connection> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Opens the database at `path`, creating the tables if needed.
pub(crate) fn open(path: &Path) -> rusqlite::Result<Connection> {
    let db = Connection::open(path)?;
    // AUTOINCREMENT: a deleted task's id is never handed out again, so a client's key or
    // cursor for it never comes to mean another task.
    db.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA foreign_keys = ON;
         CREATE TABLE IF NOT EXISTS users (
             email TEXT PRIMARY KEY,
             name TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS projects (
             id INTEGER PRIMARY KEY AUTOINCREMENT,
             name TEXT NOT NULL,
             owner TEXT NOT NULL REFERENCES users (email));
         CREATE TABLE IF NOT EXISTS tasks (
             id INTEGER PRIMARY KEY AUTOINCREMENT,
             project_id INTEGER NOT NULL REFERENCES projects (id),
             title TEXT NOT NULL,
             status TEXT NOT NULL,
             version INTEGER NOT NULL DEFAULT 1,
             assignee TEXT REFERENCES users (email));
         CREATE INDEX IF NOT EXISTS tasks_by_project ON tasks (project_id, id);
         CREATE TABLE IF NOT EXISTS idempotency (
             key TEXT PRIMARY KEY,
             request TEXT NOT NULL,
             task_id INTEGER NOT NULL);",
    )?;
    Ok(db)
}

/// Seeds a database that has no project yet (see [`Seed`]); `false` if it had one.
pub(crate) fn seed(db: &mut Connection, seed: Seed) -> rusqlite::Result<bool> {
    let projects: i64 = db.query_row("SELECT count(*) FROM projects", [], |row| row.get(0))?;
    if projects > 0 {
        return Ok(false);
    }
    let tx = db.transaction()?;
    {
        let mut user = tx.prepare("INSERT OR IGNORE INTO users (email, name) VALUES (?1, ?2)")?;
        for (email, name) in seeded_users() {
            user.execute([email, name])?;
        }
        let mut project = tx.prepare("INSERT INTO projects (name, owner) VALUES (?1, ?2)")?;
        let mut task = tx.prepare(
            "INSERT INTO tasks (project_id, title, status, assignee) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for p in 1..=seed.projects {
            let (name, owner) = seeded_project(p);
            project.execute(params![name, owner])?;
            let project_id = tx.last_insert_rowid();
            for t in 1..=seed.tasks_per_project {
                let (title, status, assignee) = seeded_task(p, t);
                task.execute(params![project_id, title, status, assignee])?;
            }
        }
    }
    tx.commit()?;
    Ok(true)
}

impl ToSql for TaskStatus {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for TaskStatus {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<TaskStatus> {
        TaskStatus::parse(value.as_str()?).ok_or(FromSqlError::InvalidType)
    }
}

const TASK_COLUMNS: &str = "id, project_id, title, status, version, assignee";

fn task_of(row: &Row<'_>) -> rusqlite::Result<Task> {
    Ok(Task {
        id: row.get(0)?,
        project_id: row.get(1)?,
        title: row.get(2)?,
        status: row.get(3)?,
        version: row.get(4)?,
        assignee: row.get(5)?,
    })
}

fn project_of(row: &Row<'_>) -> rusqlite::Result<Project> {
    Ok(Project {
        id: row.get(0)?,
        name: row.get(1)?,
        owner: row.get(2)?,
    })
}

fn user_of(row: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        email: row.get(0)?,
        name: row.get(1)?,
    })
}

pub(crate) fn user(db: &Connection, email: &str) -> rusqlite::Result<Option<User>> {
    db.query_row(
        "SELECT email, name FROM users WHERE email = ?1",
        [email],
        user_of,
    )
    .optional()
}

pub(crate) fn project(db: &Connection, id: i64) -> rusqlite::Result<Option<Project>> {
    db.query_row(
        "SELECT id, name, owner FROM projects WHERE id = ?1",
        [id],
        project_of,
    )
    .optional()
}

pub(crate) fn projects(db: &Connection) -> rusqlite::Result<Vec<Project>> {
    let mut statement = db.prepare("SELECT id, name, owner FROM projects ORDER BY id")?;
    let rows = statement.query_map([], project_of)?;
    rows.collect()
}

pub(crate) fn task(db: &Connection, id: i64) -> rusqlite::Result<Option<Task>> {
    db.query_row(
        &format!("SELECT {TASK_COLUMNS} FROM tasks WHERE id = ?1"),
        [id],
        task_of,
    )
    .optional()
}

/// Every task, ordered by id.
pub(crate) fn tasks(db: &Connection) -> rusqlite::Result<Vec<Task>> {
    let mut statement = db.prepare(&format!("SELECT {TASK_COLUMNS} FROM tasks ORDER BY id"))?;
    let rows = statement.query_map([], task_of)?;
    rows.collect()
}

/// One page of a project's tasks (with `status`, if given), its window and the count of
/// all the tasks the filter lets through.
pub(crate) fn page(
    db: &Connection,
    project_id: i64,
    status: Option<TaskStatus>,
    args: page::Args,
) -> Result<(Vec<Task>, Window, usize), Refusal> {
    let filter = "project_id = ?1 AND (?2 IS NULL OR status = ?2)";
    let ids: Vec<i64> = {
        let mut statement =
            db.prepare(&format!("SELECT id FROM tasks WHERE {filter} ORDER BY id"))?;
        let rows = statement.query_map(params![project_id, status], |row| row.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let window =
        page::window(&ids, args).map_err(|e| Refusal::new(Code::BadUserInput, e.to_string()))?;
    let shown = &ids[window.range.clone()];
    let tasks = match (shown.first(), shown.last()) {
        (Some(first), Some(last)) => {
            // The window is contiguous in the filtered order: one range scan reads it.
            let mut statement = db.prepare(&format!(
                "SELECT {TASK_COLUMNS} FROM tasks WHERE {filter} AND id BETWEEN ?3 AND ?4 \
                 ORDER BY id"
            ))?;
            let rows = statement.query_map(params![project_id, status, first, last], task_of)?;
            rows.collect::<rusqlite::Result<_>>()?
        }
        _ => Vec::new(),
    };
    Ok((tasks, window, ids.len()))
}

/// What `search(text)` finds: projects by name, tasks by title, users by name or e-mail,
/// ignoring ASCII case, at most [`SEARCH_LIMIT`] of each, each kind in key order. Blank
/// text finds nothing.
pub(crate) fn search(
    db: &Connection,
    text: &str,
) -> rusqlite::Result<(Vec<Project>, Vec<Task>, Vec<User>)> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(Default::default());
    }
    let limit = SEARCH_LIMIT as i64;
    let mut statement = db.prepare(
        "SELECT id, name, owner FROM projects WHERE instr(lower(name), lower(?1)) > 0 \
         ORDER BY id LIMIT ?2",
    )?;
    let projects = statement
        .query_map(params![text, limit], project_of)?
        .collect::<rusqlite::Result<_>>()?;
    let mut statement = db.prepare(&format!(
        "SELECT {TASK_COLUMNS} FROM tasks WHERE instr(lower(title), lower(?1)) > 0 \
         ORDER BY id LIMIT ?2"
    ))?;
    let tasks = statement
        .query_map(params![text, limit], task_of)?
        .collect::<rusqlite::Result<_>>()?;
    let mut statement = db.prepare(
        "SELECT email, name FROM users \
         WHERE instr(lower(name), lower(?1)) > 0 OR instr(lower(email), lower(?1)) > 0 \
         ORDER BY email LIMIT ?2",
    )?;
    let users = statement
        .query_map(params![text, limit], user_of)?
        .collect::<rusqlite::Result<_>>()?;
    Ok((projects, tasks, users))
}

fn not_blank(what: &str, text: &str) -> Result<(), Refusal> {
    if text.trim().is_empty() {
        return Err(Refusal::new(
            Code::BadUserInput,
            format!("{what} must not be blank"),
        ));
    }
    Ok(())
}

fn no_task() -> Refusal {
    Refusal::new(Code::NotFound, "no such task")
}

/// Creates a task, or answers the task an earlier create with the same idempotency key made
/// (as it is now: a retry after a lost answer sees what the first try wrote). The key and the
/// task are written in one transaction, so a key is stored if and only if its task was.
pub(crate) fn create_task(
    db: &mut Connection,
    project_id: i64,
    title: &str,
    key: &str,
) -> Result<Task, Refusal> {
    not_blank("title", title)?;
    not_blank("idempotencyKey", key)?;
    // What the key stands for: a reuse with other arguments is refused, not answered.
    let request = format!("createTask p{project_id} {title}");
    let tx = db.transaction()?;
    let stored: Option<(String, i64)> = tx
        .query_row(
            "SELECT request, task_id FROM idempotency WHERE key = ?1",
            [key],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    if let Some((stored_request, task_id)) = stored {
        if stored_request != request {
            return Err(Refusal::new(
                Code::IdempotencyKeyReused,
                "this idempotency key was used for another request",
            ));
        }
        return task(&tx, task_id)?.ok_or_else(|| {
            Refusal::new(
                Code::NotFound,
                "the task created with this idempotency key was deleted since",
            )
        });
    }
    if project(&tx, project_id)?.is_none() {
        return Err(Refusal::new(Code::NotFound, "no such project"));
    }
    tx.execute(
        "INSERT INTO tasks (project_id, title, status) VALUES (?1, ?2, ?3)",
        params![project_id, title, TaskStatus::Todo],
    )?;
    let id = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO idempotency (key, request, task_id) VALUES (?1, ?2, ?3)",
        params![key, request, id],
    )?;
    let created = task(&tx, id)?.ok_or_else(no_task)?;
    tx.commit()?;
    Ok(created)
}

/// Sets a task's title and/or status if it is at `expected_version`, bumping the version.
pub(crate) fn update_task(
    db: &mut Connection,
    id: i64,
    title: Option<&str>,
    status: Option<TaskStatus>,
    expected_version: i64,
) -> Result<Task, Refusal> {
    if let Some(title) = title {
        not_blank("title", title)?;
    }
    let tx = db.transaction()?;
    let current = task(&tx, id)?.ok_or_else(no_task)?;
    if current.version != expected_version {
        return Err(Refusal {
            code: Code::VersionConflict,
            message: format!(
                "the task is at version {}, not {expected_version}",
                current.version
            ),
            current_version: Some(current.version),
        });
    }
    let updated = Task {
        title: title.map_or(current.title, str::to_owned),
        status: status.unwrap_or(current.status),
        version: current.version + 1,
        ..current
    };
    tx.execute(
        "UPDATE tasks SET title = ?1, status = ?2, version = ?3 WHERE id = ?4",
        params![updated.title, updated.status, updated.version, id],
    )?;
    tx.commit()?;
    Ok(updated)
}

/// Whether a task may be deleted: not when its title starts with `locked` (any ASCII case).
pub(crate) fn is_locked(task: &Task) -> bool {
    task.title
        .get(..6)
        .is_some_and(|start| start.eq_ignore_ascii_case("locked"))
}

/// Deletes a task unless it [is locked](is_locked).
pub(crate) fn delete_task(db: &mut Connection, id: i64) -> Result<(), Refusal> {
    let tx = db.transaction()?;
    let current = task(&tx, id)?.ok_or_else(no_task)?;
    if is_locked(&current) {
        return Err(Refusal::new(
            Code::Forbidden,
            "this task is locked: its title starts with \"locked\"",
        ));
    }
    tx.execute("DELETE FROM tasks WHERE id = ?1", [id])?;
    tx.commit()?;
    Ok(())
}
