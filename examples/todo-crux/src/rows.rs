//! The app's data: the rows as the server sends them, the list query, and the store's policies.
//!
//! The same data as `todo_client`'s `rows.rs`, written again here because that crate brings
//! reqwest and tokio with it, and a Crux core must build without either (for a browser, iOS or
//! Android shell).

use std::time::Duration;

use optimist::{MutationStatus, Policies, QueryKey, QueryOptions, RetryPolicy, Store};
use serde::{Deserialize, Serialize};

/// The root field the list lives under.
pub(crate) const LIST: &str = "todos";
/// The entities' type.
pub(crate) const TYPE: &str = "Todo";

/// A row as the server sends it (`GET /todos`, and every write's answer).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

/// The store's type policies for this server's plain REST JSON: the objects of `todos` are
/// `Todo`s, keyed by `id`, ordered by `version`.
///
/// ```
/// let store = optimist::Store::with_policies(todo_crux::policies());
/// assert!(store.is_empty());
/// ```
pub fn policies() -> Policies {
    Policies::new()
        .type_at(LIST, TYPE)
        .version_field(TYPE, "version")
}

/// Retries, for mutations and fetches alike: a lost answer is sent again after a quarter of a
/// second, then half a second, and so on up to 2 s, five times at most.
///
/// ```
/// assert_eq!(todo_crux::retry_policy().max_attempts, Some(5));
/// ```
pub fn retry_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: Some(5),
        initial_delay: Duration::from_millis(250),
        factor: 2,
        max_delay: Duration::from_secs(2),
    }
}

/// The list: `GET /todos`, written as `ROOT_QUERY.todos`.
///
/// ```
/// assert_eq!(todo_crux::list_query().app_key(), Some("GET /todos"));
/// ```
pub fn list_query() -> QueryKey {
    QueryKey::rest("GET /todos", LIST)
}

/// How the core keeps its list: fetched when the app starts, refetched when a create or a
/// delete went through (the list field is invalidated) or when the user asks, retried as
/// mutations are. No polling interval: with nothing to send and nothing to retry, the core
/// asks for no timer, so a shell can tell when it is idle.
///
/// ```
/// let _ = todo_crux::list_options();
/// ```
pub fn list_options() -> QueryOptions {
    QueryOptions::new().retry(retry_policy())
}

/// Base's rows, ordered by id: what the server has confirmed to this client (no guess).
///
/// ```
/// use optimist::{Patch, Store};
/// let mut store = Store::with_policies(todo_crux::policies());
/// store.write(Patch::new().set("Todo:2", "title", "b").set("Todo:2", "done", false).set("Todo:2", "version", 1))?;
/// store.push("tick", Patch::new().set("Todo:2", "done", true))?;
/// assert_eq!(todo_crux::confirmed(&store), [todo_crux::Todo { id: 2, title: "b".into(), done: false, version: 1 }]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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

/// A mutation status as the view labels it.
///
/// ```
/// use optimist::MutationStatus;
/// assert_eq!(todo_crux::status_text(&MutationStatus::InFlight { attempt: 2 }), "in flight (attempt 2)");
/// ```
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
