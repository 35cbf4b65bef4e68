//! Entities: a component watches one entity of the store's merged view
//! ([`optimist::Store::watch_entity`] / [`watch_fields`](optimist::Store::watch_fields)) for as
//! long as it lives, and sees it as a signal told only when it changed.

use leptos::prelude::*;
use optimist::{Entity, FieldName, IntoKey, KeyError, WatchId};

use crate::context::{SharedClient, use_client};

/// Watches the entity `key` (pending mutations' guesses included) for as long as the current
/// component lives: a signal of the entity (`None`: not in the store), set only by calls that
/// changed it. A temporary key its create remapped is followed to the key it became.
///
/// # Errors
///
/// A `key` that is not an entity key (`Type:id`, or a root such as `ROOT_QUERY`).
///
/// # Panics
///
/// Without a client in context ([`provide_client`](crate::provide_client)).
///
/// ```
/// use leptos::prelude::*;
/// use optimist::{Client, Patch, Store};
/// use std::sync::{Arc, Mutex};
///
/// let client = Arc::new(Mutex::new(Client::new(Store::new())));
/// client.lock().unwrap().store_mut().write(Patch::new().set("Todo:1", "done", false)).unwrap();
/// Owner::new().with(|| {
///     optimist_leptos::provide_client(client.clone());
///     let todo = optimist_leptos::use_entity("Todo:1").unwrap();
///     let done = move || todo.with_untracked(|t| t.as_ref().and_then(|t| t.get("done")).and_then(|v| v.as_bool()));
///     assert_eq!(done(), Some(false));
///     let (id, _) = client.lock().unwrap().store_mut().push("tick", Patch::new().set("Todo:1", "done", true)).unwrap();
///     assert_eq!(done(), Some(true));
///     client.lock().unwrap().store_mut().fail(id).unwrap();
///     assert_eq!(done(), Some(false));
/// });
/// ```
#[track_caller]
pub fn use_entity(key: impl IntoKey) -> Result<Signal<Option<Entity>>, KeyError> {
    watch(key, None)
}

/// Watches some fields of the entity `key`, as [`use_entity`] does: the signal is set only
/// by calls that changed one of `fields` (or made the entity appear or disappear), so a row
/// showing a title and a checkbox is not told of other fields' changes.
///
/// # Errors
///
/// A `key` that is not an entity key.
///
/// # Panics
///
/// Without a client in context ([`provide_client`](crate::provide_client)).
///
/// ```
/// use leptos::prelude::*;
/// use optimist::{Client, Patch, Store};
/// use std::sync::{Arc, Mutex};
///
/// let client = Arc::new(Mutex::new(Client::new(Store::new())));
/// client.lock().unwrap().store_mut().write(Patch::new().set("Todo:1", "done", false).set("Todo:1", "notes", "")).unwrap();
/// Owner::new().with(|| {
///     optimist_leptos::provide_client(client.clone());
///     let todo = optimist_leptos::use_entity_fields("Todo:1", ["done"]).unwrap();
///     let notes = move || todo.get_untracked().and_then(|t| t.get("notes").and_then(|v| v.as_str().map(String::from)));
///     client.lock().unwrap().store_mut().write(Patch::new().set("Todo:1", "notes", "later")).unwrap();
///     assert_eq!(notes().as_deref(), Some(""), "another field changed: not told");
///     client.lock().unwrap().store_mut().write(Patch::new().set("Todo:1", "done", true)).unwrap();
///     assert_eq!(notes().as_deref(), Some("later"), "told: the entity as it is now");
/// });
/// ```
#[track_caller]
pub fn use_entity_fields<F: Into<FieldName>>(
    key: impl IntoKey,
    fields: impl IntoIterator<Item = F>,
) -> Result<Signal<Option<Entity>>, KeyError> {
    watch(key, Some(fields.into_iter().map(Into::into).collect()))
}

/// Registers the watcher (of `fields`, or of the whole entity), its signal, and its removal.
#[track_caller]
fn watch(
    key: impl IntoKey,
    fields: Option<Vec<FieldName>>,
) -> Result<Signal<Option<Entity>>, KeyError> {
    let client = use_client();
    let key = key.into_key()?;
    let shown = ArcRwSignal::new(None);
    let tell = {
        let (shown, deliver) = (shown.clone(), client.deliver().clone());
        move |entity: Option<&Entity>| {
            let (shown, entity) = (shown.clone(), entity.cloned());
            deliver.run(move || shown.set(entity));
        }
    };
    let id = {
        let mut locked = client.lock();
        let mut store = locked.store_mut();
        let id = match fields {
            None => store.watch_entity(&key, tell)?,
            Some(fields) => store.watch_fields(&key, fields, tell)?,
        };
        let now = store.resolve(key.as_str()).unwrap_or(&key);
        let (shown, entity) = (shown.clone(), store.get(now).cloned());
        client.deliver().run(move || shown.set(entity));
        id
    };
    unwatch_on_cleanup(client, id);
    Ok(shown.into())
}

/// Removes the store watcher `id` when the current component goes.
pub(crate) fn unwatch_on_cleanup(client: SharedClient, id: WatchId) {
    on_cleanup(move || {
        client.lock().store_mut().unwatch(id);
    });
}
