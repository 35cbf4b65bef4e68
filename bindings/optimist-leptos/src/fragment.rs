//! Fragments: a component reads a GraphQL fragment on one entity
//! ([`optimist::Store::watch_fragment`], Apollo's `useFragment`, Relay's `useFragment`) for as
//! long as it lives, typed, told only when what the fragment selects changed.

use leptos::prelude::*;
use optimist::{Document, IntoKey, KeyError, ReadError};
use serde::de::DeserializeOwned;

use crate::context::use_client;
use crate::entity::unwatch_on_cleanup;

/// Watches the fragment of `doc` named `fragment` (or its only one) on the entity `key`, with
/// `variables`, for as long as the current component lives: a signal of the fragment's data
/// as `T` (`Err` while the entity lacks a field the fragment selects, or when the data does not
/// fit `T`), read once now and set only by calls that changed what the fragment reads (a
/// field it does not select changing tells nothing; entities reached through references are
/// followed as they come and go). `None` only until the first read reaches the component's
/// thread. Read as [`optimist::Store::read_fragment_as`] and
/// [`watch_fragment_as`](optimist::Store::watch_fragment_as) read (no JSON, errors with their
/// path): after a change, every [`Shared`](optimist::Shared) part of `T` whose data did not
/// change is the `Arc` the last change gave, so a fragment over a long list re-renders the
/// rows that changed (the first change after mounting builds every part once).
///
/// # Errors
///
/// A `key` that is not an entity key (nothing is registered).
///
/// # Panics
///
/// Without a client in context ([`provide_client`](crate::provide_client)).
///
/// ```
/// use leptos::prelude::*;
/// use optimist::{Client, Document, Patch, Store};
/// use std::sync::{Arc, Mutex};
///
/// #[derive(Clone, Debug, PartialEq, serde::Deserialize)]
/// struct Title { title: String }
///
/// let client = Arc::new(Mutex::new(Client::new(Store::new())));
/// client.lock().unwrap().store_mut()
///     .write(Patch::new().set("Todo:1", "__typename", "Todo").set("Todo:1", "title", "a"))
///     .unwrap();
/// Owner::new().with(|| {
///     optimist_leptos::provide_client(client.clone());
///     let doc = Document::parse("fragment T on Todo { title }").unwrap();
///     let title = optimist_leptos::use_fragment::<Title>(doc, None, "Todo:1", serde_json::json!({})).unwrap();
///     let shown = move || title.get_untracked().and_then(Result::ok).map(|t| t.title);
///     assert_eq!(shown().as_deref(), Some("a"));
///     client.lock().unwrap().store_mut().push("rename", Patch::new().set("Todo:1", "title", "b")).unwrap();
///     assert_eq!(shown().as_deref(), Some("b"));
/// });
/// ```
#[track_caller]
pub fn use_fragment<T>(
    doc: Document,
    fragment: Option<&str>,
    key: impl IntoKey,
    variables: serde_json::Value,
) -> Result<Signal<Option<Result<T, ReadError>>>, KeyError>
where
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    let client = use_client();
    let shown = ArcRwSignal::new(None);
    let tell = {
        let (shown, deliver) = (shown.clone(), client.deliver().clone());
        move |result: Result<T, ReadError>| {
            let shown = shown.clone();
            deliver.run(move || shown.set(Some(result)));
        }
    };
    let key = key.into_key()?;
    let id = {
        let mut locked = client.lock();
        let mut store = locked.store_mut();
        // Typed as the store reads it (no JSON; errors name their path); after a change, the
        // `Shared` parts of `T` whose data did not change are the last result's.
        let now = store.read_fragment_as::<T>(&doc, fragment, key.as_str(), &variables);
        let id = store.watch_fragment_as(doc, fragment, key, variables, tell)?;
        let shown = shown.clone();
        client.deliver().run(move || shown.set(Some(now)));
        id
    };
    unwatch_on_cleanup(client, id);
    Ok(shown.into())
}
