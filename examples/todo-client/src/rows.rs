//! The app's data: the rows, the list query, and what the user sees of them.

use std::time::Duration;

use optimist::{
    FetchPolicy, MutationStatus, Policies, QueryKey, QueryOptions, RetryPolicy, Store, Value,
};
use serde::Deserialize;

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

/// The root field the list lives under.
pub const LIST: &str = "todos";
/// The entities' type.
pub const TYPE: &str = "Todo";

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

/// The server's rows next to the client's confirmed view, a line per row (`same` or
/// `DIFFERENT`) and a last line saying whether they are equal: what the apps print at the end.
pub fn compare_table(server: &[Todo], confirmed: &[Todo]) -> String {
    let mut text = "the server's rows at the end, and the client's confirmed view:".to_owned();
    text.push_str(&format!(
        "\n  {:<4} {:<28} {:<6} {:<8} | client",
        "id", "title", "done", "version"
    ));
    for row in server {
        let same = confirmed.iter().any(|c| c == row);
        text.push_str(&format!(
            "\n  {:<4} {:<28} {:<6} {:<8} | {}",
            row.id,
            format!("{:?}", row.title),
            row.done,
            row.version,
            if same { "same" } else { "DIFFERENT" }
        ));
    }
    let verdict = if server == confirmed {
        "equal"
    } else {
        "NOT EQUAL"
    };
    text.push_str(&format!(
        "\n  {} rows in the database, {} confirmed in the client: {verdict}",
        server.len(),
        confirmed.len(),
    ));
    text
}
