//! Shared setups for the scenario tests: a todo list as a REST client would cache it.

#![allow(dead_code)] // reason: each test file uses the helpers it needs

#[cfg(feature = "graphql")]
pub mod apollo;
pub mod client;
pub mod hostile;
#[cfg(feature = "graphql")]
pub mod watching;

use optimist::{Key, Patch, Policies, Store, Value};

/// A store whose `Todo`s carry a row version in `version`, as the server's table does.
pub fn versioned_store() -> Store {
    Store::with_policies(Policies::new().version_field("Todo", "version"))
}

/// A todo row as the server sends it.
pub fn row(id: u32, title: &str, done: bool, version: i64) -> Patch {
    let key = format!("Todo:{id}");
    Patch::new()
        .set(key.as_str(), "id", id)
        .set(key.as_str(), "title", title)
        .set(key.as_str(), "done", done)
        .set(key.as_str(), "version", version)
}

/// `GET /todos`: the rows, and the list under `ROOT_QUERY.todos`.
pub fn list(rows: &[(u32, &str, bool, i64)]) -> Patch {
    let refs: Vec<Value> = rows
        .iter()
        .map(|(id, ..)| Value::Ref(Key::new(&format!("Todo:{id}")).unwrap()))
        .collect();
    rows.iter().fold(
        Patch::new().set("ROOT_QUERY", "todos", refs),
        |patch, (id, title, done, version)| patch.extend(row(*id, title, *done, *version)),
    )
}

/// `done` of a todo as the user sees it.
pub fn done(store: &Store, key: &str) -> Option<bool> {
    store.get_field(key, "done").and_then(Value::as_bool)
}

/// `title` of a todo as the user sees it.
pub fn title<'a>(store: &'a Store, key: &str) -> Option<&'a str> {
    store.get_field(key, "title").and_then(Value::as_str)
}

/// A field of a todo in base (confirmed server truth).
pub fn confirmed<'a>(store: &'a Store, key: &str, field: &str) -> Option<&'a Value> {
    store.get_confirmed(key).and_then(|e| e.get(field))
}

/// The keys listed in `ROOT_QUERY.todos` as the user sees them.
pub fn listed(store: &Store) -> Vec<String> {
    store
        .get_field("ROOT_QUERY", "todos")
        .and_then(Value::as_list)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_ref_key)
                .map(|key| key.to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Every key of base and of every layer's ops, for "no trace left" checks.
pub fn every_key(store: &Store) -> Vec<String> {
    let mut keys: Vec<String> = store.iter_confirmed().map(|(k, _)| k.to_string()).collect();
    for layer in store.layers() {
        keys.extend(layer.keys().map(|k| k.to_string()));
    }
    keys.sort();
    keys.dedup();
    keys
}

/// Every entity of the store's merged view, by key: what a store holds, whatever its layers and
/// mutation records, to compare with another.
pub fn entities(store: &Store) -> Vec<(String, optimist::Entity)> {
    let mut all: Vec<_> = store
        .iter()
        .map(|(key, entity)| (key.to_string(), entity.clone()))
        .collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    all
}
