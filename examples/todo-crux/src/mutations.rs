//! The app's mutations, as data: each is the guess the view shows at once, the request data
//! its HTTP request is built from when its turn comes (`requests.rs`), and its scope (one
//! todo's mutations go one after the other, each with the version the one before left).
//!
//! The same mutations as `todo_client::mutations` (see `rows.rs` for why they are not shared).

use optimist::{Key, KeyError, ListPosition, Mutation, Patch, Scope, Store};
use serde_json::{Value as Json, json};

use crate::rows::{LIST, TYPE};

/// Creates a todo: it shows at once at the end of the list, under a temporary key (returned)
/// that becomes the server's id when the create is answered.
///
/// ```
/// let mut store = optimist::Store::with_policies(todo_crux::policies());
/// let (tmp, mutation) = todo_crux::mutations::create(&mut store, "Buy milk")?;
/// store.mutate(mutation)?;
/// assert!(store.is_temporary(tmp.as_str()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn create(store: &mut Store, title: &str) -> Result<(Key, Mutation), KeyError> {
    let tmp = store.temporary_key(TYPE)?;
    let guess = Patch::new()
        .set(&tmp, "title", title)
        .set(&tmp, "done", false)
        .insert_unique("ROOT_QUERY", LIST, tmp.clone(), ListPosition::End);
    let request = json!({"op": "create", "todo": {"__ref": tmp.as_str()}, "title": title});
    let mutation = Mutation::new(&format!("create {title:?}"), guess)
        .request(request)
        .scope(Scope::Item(tmp.clone()));
    Ok((tmp, mutation))
}

/// Ticks or unticks a todo.
///
/// ```
/// let key = optimist::Key::new("Todo:1")?;
/// let _ = todo_crux::mutations::set_done(&key, true);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn set_done(key: &Key, done: bool) -> Mutation {
    let verb = if done { "tick" } else { "untick" };
    update(
        key,
        &format!("{verb} {key}"),
        Patch::new().set(key, "done", done),
        json!({"done": done}),
    )
}

/// Renames a todo.
///
/// ```
/// let key = optimist::Key::new("Todo:1")?;
/// let _ = todo_crux::mutations::rename(&key, "Buy oat milk");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn rename(key: &Key, title: &str) -> Mutation {
    update(
        key,
        &format!("rename {key} to {title:?}"),
        Patch::new().set(key, "title", title),
        json!({"title": title}),
    )
}

/// Deletes a todo: gone from the list at once, back in place if the server refuses.
///
/// ```
/// let key = optimist::Key::new("Todo:1")?;
/// let _ = todo_crux::mutations::delete(&key);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn delete(key: &Key) -> Mutation {
    let guess = Patch::new()
        .remove_item("ROOT_QUERY", LIST, key)
        .delete(key);
    let request = json!({"op": "delete", "todo": {"__ref": key.as_str()}});
    Mutation::new(&format!("delete {key}"), guess)
        .request(request)
        .scope(Scope::Item(key.clone()))
}

fn update(key: &Key, label: &str, guess: Patch, body: Json) -> Mutation {
    let request = json!({"op": "update", "todo": {"__ref": key.as_str()}, "body": body});
    Mutation::new(label, guess)
        .request(request)
        .scope(Scope::Item(key.clone()))
}
