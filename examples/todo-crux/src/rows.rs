//! The app's data, shared with `todo_client` (its pure part: no reqwest, no tokio, which a
//! Crux core must build without, for a browser, iOS or Android shell): the rows, the store's
//! policies, the list query. What is the core's own: how it keeps the list.

use optimist::QueryOptions;

pub(crate) use todo_client::{LIST, TYPE};
pub use todo_client::{Todo, confirmed, list_query, policies, retry_policy, status_text};

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
