//! A typed GraphQL fragment on one entity as a signal: the store's fragment watcher (Apollo's
//! `watchFragment`, Relay's `useFragment`), told only when what the fragment reads changed.
//! Feature `graphql` (on by default).

use dioxus_core::{use_drop, use_hook};
use dioxus_signals::{CopyValue, ReadableExt, SyncSignal, WritableExt};
use optimist::{Document, IntoKey, Key, KeyError, ReadError, WatchId};
use serde::de::DeserializeOwned;

use crate::context::{SharedClient, lock, use_client};
use crate::signals::{SyncReadSignal, pair, set};

/// The fragment of `doc` (the one named `fragment`, or its only one) read on the entity `key`
/// with `variables`, deserialized into `T`, as a signal: `Some(Ok(data))`, `Some(Err(_))` when
/// the store cannot give it (the entity or a selected field missing, a type `T` refuses), and
/// `None` for a malformed key. Written when what the fragment selects changed, and only then:
/// a field it does not select, or another entity, re-renders nothing; entities it reaches
/// through references are watched as they come and go. Read as
/// [`optimist::Store::read_fragment_as`] and
/// [`watch_fragment_as`](optimist::Store::watch_fragment_as) read (no JSON, errors with their
/// path): after a change, every [`Shared`](optimist::Shared) part of `T` whose data did not
/// change is the `Arc` the last change gave, so a fragment over a long list re-renders the
/// rows that changed (the first change after mounting builds every part once).
///
/// Call it on every render: a new key or new variables are watched from then on; the
/// document and the fragment's name are read once, when the component mounts.
///
/// Feature `graphql` (on by default).
///
/// # Panics
///
/// When no client is provided above the component (see [`use_client`]).
///
/// ```
/// use dioxus::prelude::*;
/// use optimist::{Client, Document, Patch, Store};
/// use optimist_dioxus::{lock, shared, use_fragment};
///
/// #[derive(Clone, serde::Deserialize)]
/// struct Done { done: bool }
///
/// fn Check() -> Element {
///     let doc = use_hook(|| Document::parse("fragment Done on Todo { done }").expect("parses"));
///     let done = use_fragment::<Done>(&doc, None, "Todo:1", serde_json::Value::Null);
///     let shown = match &*done.read() {
///         Some(Ok(todo)) => if todo.done { "[x]" } else { "[ ]" },
///         _ => "?",
///     };
///     rsx! { "{shown}" }
/// }
///
/// let client = shared(Client::new(Store::new()));
/// lock(&client).store_mut().write(Patch::new().set("Todo:1", "__typename", "Todo").set("Todo:1", "done", false))?;
/// let mut dom = VirtualDom::new(Check).with_root_context(client.clone());
/// dom.rebuild_in_place();
/// assert_eq!(dioxus_ssr::render(&dom), "[ ]");
/// lock(&client).store_mut().push("tick", Patch::new().set("Todo:1", "done", true))?;
/// dom.render_immediate(&mut dioxus::core::NoOpMutations);
/// assert_eq!(dioxus_ssr::render(&dom), "[x]");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn use_fragment<T>(
    doc: &Document,
    fragment: Option<&str>,
    key: impl IntoKey,
    variables: serde_json::Value,
) -> SyncReadSignal<Option<Result<T, ReadError>>>
where
    T: DeserializeOwned + Send + Sync + 'static,
{
    let key = key.into_key();
    let client = use_client();
    let watched = use_hook(|| {
        let (signal, view) = pair(None);
        let target = Target {
            doc: doc.clone(),
            fragment: fragment.map(str::to_owned),
            key: key.clone(),
            variables: variables.clone(),
        };
        let watch = watch(&client, &target, signal);
        CopyValue::new(Watched {
            client: client.clone(),
            target,
            watch,
            signal,
            view,
        })
    });
    let moved = {
        let entry = watched.peek();
        entry.target.key != key || entry.target.variables != variables
    };
    if moved {
        let mut watched = watched;
        let mut entry = watched.write();
        if let Some(old) = entry.watch {
            lock(&entry.client).store_mut().unwatch(old);
        }
        entry.target.key = key;
        entry.target.variables = variables;
        entry.watch = watch(&entry.client, &entry.target, entry.signal);
    }
    use_drop(move || {
        let entry = watched.peek();
        if let Some(watch) = entry.watch {
            lock(&entry.client).store_mut().unwatch(watch);
        }
    });
    watched.peek().view
}

/// What is watched.
struct Target {
    doc: Document,
    fragment: Option<String>,
    key: Result<Key, KeyError>,
    variables: serde_json::Value,
}

struct Watched<T: 'static> {
    client: SharedClient,
    target: Target,
    /// `None` for a malformed key.
    watch: Option<WatchId>,
    signal: SyncSignal<Option<Result<T, ReadError>>>,
    view: SyncReadSignal<Option<Result<T, ReadError>>>,
}

/// Watches `target` into `signal`, and shows its read now: both typed as the store reads
/// (no JSON, errors with their path), so after a change the `Shared` parts of `T` whose data
/// did not change are the last change's.
fn watch<T: DeserializeOwned + Send + Sync + 'static>(
    client: &SharedClient,
    target: &Target,
    signal: SyncSignal<Option<Result<T, ReadError>>>,
) -> Option<WatchId> {
    let Ok(key) = &target.key else {
        set(signal, None);
        return None;
    };
    let mut client = lock(client);
    let mut store = client.store_mut();
    let now = store.read_fragment_as::<T>(
        &target.doc,
        target.fragment.as_deref(),
        key.as_str(),
        &target.variables,
    );
    let watch = store
        .watch_fragment_as(
            target.doc.clone(),
            target.fragment.as_deref(),
            key,
            target.variables.clone(),
            move |result| set(signal, Some(result)),
        )
        .ok()?;
    set(signal, Some(now));
    Some(watch)
}
