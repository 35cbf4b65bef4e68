//! One entity of the merged view as a signal: the store's entity watcher, told only when the
//! entity changed (a pending mutation's guess, its failure, a server write, a refetch).

use dioxus_core::{use_drop, use_hook};
use dioxus_signals::{CopyValue, ReadableExt, SyncSignal, WritableExt};
use optimist::{Entity, IntoKey, Key, KeyError, WatchId};

use crate::context::{SharedClient, lock, use_client};
use crate::signals::{SyncReadSignal, pair, set};

/// The entity `key` of the merged view (pending guesses included), as a signal: `None` while
/// the store has none (and for a malformed key, which no entity has). The component
/// re-renders when the entity changed, and only then: a write of equal values, or a change to
/// another entity, tells nothing.
///
/// Call it on every render with the key of this render: a new key is watched from then on. A
/// temporary key that was remapped (a create the server answered) keeps showing the entity
/// under its new key.
///
/// # Panics
///
/// When no client is provided above the component (see [`use_client`]).
///
/// ```
/// use dioxus::prelude::*;
/// use optimist::{Client, Patch, Store};
/// use optimist_dioxus::{lock, shared, use_entity};
///
/// fn Title() -> Element {
///     let todo = use_entity("Todo:1");
///     let title = todo.read().as_ref().and_then(|t| t.get("title")?.as_str().map(String::from));
///     let title = title.unwrap_or_default();
///     rsx! { "{title}" }
/// }
///
/// let client = shared(Client::new(Store::new()));
/// let mut dom = VirtualDom::new(Title).with_root_context(client.clone());
/// dom.rebuild_in_place();
/// assert_eq!(dioxus_ssr::render(&dom), "");
/// let (rename, _) = lock(&client).store_mut().push("rename", Patch::new().set("Todo:1", "title", "milk"))?;
/// dom.render_immediate(&mut dioxus::core::NoOpMutations);
/// assert_eq!(dioxus_ssr::render(&dom), "milk");
/// lock(&client).store_mut().fail(rename)?;
/// dom.render_immediate(&mut dioxus::core::NoOpMutations);
/// assert_eq!(dioxus_ssr::render(&dom), "");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn use_entity(key: impl IntoKey) -> SyncReadSignal<Option<Entity>> {
    let key = key.into_key();
    let client = use_client();
    let watched = use_hook(|| {
        let (signal, view) = pair(None);
        let watch = watch(&client, &key, signal);
        CopyValue::new(Watched {
            client: client.clone(),
            key: key.clone(),
            watch,
            signal,
            view,
        })
    });
    if watched.peek().key != key {
        let mut watched = watched;
        let mut entry = watched.write();
        if let Some(old) = entry.watch {
            lock(&entry.client).store_mut().unwatch(old);
        }
        entry.watch = watch(&entry.client, &key, entry.signal);
        entry.key = key;
    }
    use_drop(move || {
        let entry = watched.peek();
        if let Some(watch) = entry.watch {
            lock(&entry.client).store_mut().unwatch(watch);
        }
    });
    watched.peek().view
}

struct Watched {
    client: SharedClient,
    key: Result<Key, KeyError>,
    /// `None` for a malformed key.
    watch: Option<WatchId>,
    signal: SyncSignal<Option<Entity>>,
    view: SyncReadSignal<Option<Entity>>,
}

/// Watches `key` into `signal`, and shows its entity now.
fn watch(
    client: &SharedClient,
    key: &Result<Key, KeyError>,
    signal: SyncSignal<Option<Entity>>,
) -> Option<WatchId> {
    let Ok(key) = key else {
        set(signal, None);
        return None;
    };
    let mut client = lock(client);
    let mut store = client.store_mut();
    let watch = store
        .watch_entity(key, move |entity| set(signal, entity.cloned()))
        .ok();
    set(signal, store.get(key.as_str()).cloned());
    watch
}
