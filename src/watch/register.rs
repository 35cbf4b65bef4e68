//! Registering watchers: one method per kind of thing watched, each reading the current
//! result once so that the first notification is a real change.

use std::sync::Arc;

#[cfg(feature = "graphql")]
use super::{QueryResult, Tell, TreeResult};
use super::{WatchId, Watcher};
use crate::changes::LayerEvent;
#[cfg(feature = "graphql")]
use crate::document::Document;
use crate::entity::Entity;
use crate::field::FieldName;
#[cfg(feature = "graphql")]
use crate::key::Key;
use crate::layer::LayerId;
#[cfg(feature = "graphql")]
use crate::read::{Query, ReadError};
use crate::store::Store;

/// ## Watching
///
/// Register a callback on an entity, some of its fields, a GraphQL query or fragment, or the
/// layers' events: it is told after every call that changed what it watches, and only then.
impl Store {
    /// Watches the entity `key` of the merged view: `callback` is called with the new entity
    /// (`None`: gone) after every call that changed it, once per call (or per
    /// [`batch`](Store::batch)). A remapped temporary key is watched as the key it became.
    ///
    /// # Panics
    ///
    /// A panic in `callback` propagates out of the store call that told it, once that call's
    /// change is applied in full: the store stays consistent and every watcher registered. The
    /// watchers the panic kept from being told are told at the next change to what they watch.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let mut store = Store::new();
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let log = seen.clone();
    /// store.watch_entity("Todo:1", move |todo| {
    ///     log.lock().unwrap().push(todo.and_then(|t| t.get("done")).and_then(|v| v.as_bool()));
    /// })?;
    /// store.write(Patch::new().set("Todo:1", "done", false))?;
    /// let (tick, _) = store.push("tick", Patch::new().set("Todo:1", "done", true))?;
    /// store.write(Patch::new().set("Todo:2", "done", true))?; // another entity: not told
    /// store.fail(tick)?;
    /// assert_eq!(*seen.lock().unwrap(), [Some(false), Some(true), Some(false)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn watch_entity(
        &mut self,
        key: impl crate::IntoKey,
        callback: impl Fn(Option<&Entity>) + Send + Sync + 'static,
    ) -> Result<WatchId, crate::KeyError> {
        let key = key.into_key()?;
        self.settle_abandoned();
        let key = self.resolve(&key).cloned().unwrap_or(key);
        let watcher = Watcher::Entity {
            key: key.clone(),
            fields: None,
            last: self.get(&key).cloned(),
            callback: Arc::new(callback),
        };
        Ok(self.watchers.add(watcher, &[key]))
    }

    /// Watches some fields of the entity `key`: `callback` is called with the entity after
    /// every call that changed one of `fields` (or made the entity appear or disappear), not
    /// when only other fields changed.
    ///
    /// # Panics
    ///
    /// A panic in `callback` propagates out of the store call that told it, once that call's
    /// change is applied in full: the store stays consistent and every watcher registered. The
    /// watchers the panic kept from being told are told at the next change to what they watch.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("Todo:1", "title", "a").set("Todo:1", "done", false))?;
    /// let told = Arc::new(AtomicUsize::new(0));
    /// let count = told.clone();
    /// store.watch_fields("Todo:1", ["done"], move |_| { count.fetch_add(1, Ordering::Relaxed); })?;
    /// store.write(Patch::new().set("Todo:1", "title", "b"))?;
    /// assert_eq!(told.load(Ordering::Relaxed), 0);
    /// store.write(Patch::new().set("Todo:1", "done", true))?;
    /// assert_eq!(told.load(Ordering::Relaxed), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn watch_fields<F: Into<FieldName>>(
        &mut self,
        key: impl crate::IntoKey,
        fields: impl IntoIterator<Item = F>,
        callback: impl Fn(Option<&Entity>) + Send + Sync + 'static,
    ) -> Result<WatchId, crate::KeyError> {
        let key = key.into_key()?;
        self.settle_abandoned();
        let key = self.resolve(&key).cloned().unwrap_or(key);
        let mut fields: Vec<FieldName> = fields.into_iter().map(Into::into).collect();
        fields.sort_unstable();
        fields.dedup();
        let watcher = Watcher::Entity {
            key: key.clone(),
            fields: Some(fields.into()),
            last: self.get(&key).cloned(),
            callback: Arc::new(callback),
        };
        Ok(self.watchers.add(watcher, &[key]))
    }

    #[cfg(feature = "graphql")]
    /// Watches a query: `doc`'s operation read with `variables` through the merged view, as
    /// [`read_query`](Store::read_query) gives it. It is read once now (see
    /// [`watched`](Store::watched)); `callback` is then called with the new result after every
    /// call that changed it, and only then: a change to an entity the query read, in a field
    /// it does not select, reads again but tells nothing. Dependencies follow the result: an
    /// entity a list starts to reference is watched from then on.
    ///
    /// # Panics
    ///
    /// A panic in `callback` propagates out of the store call that told it, once that call's
    /// change is applied in full: the store stays consistent and every watcher registered. The
    /// watchers the panic kept from being told are told at the next change to what they watch.
    ///
    /// ```
    /// use optimist::{Document, Patch, Store};
    /// use serde_json::json;
    /// use std::sync::{Arc, Mutex};
    ///
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("ROOT_QUERY", "todo", optimist::Key::new("Todo:1")?)
    ///     .set("Todo:1", "title", "a").set("Todo:1", "count", 0))?;
    /// let told = Arc::new(Mutex::new(Vec::new()));
    /// let log = told.clone();
    /// let id = store.watch_query(Document::parse("{ todo { title } }")?, json!({}), move |result| {
    ///     log.lock().unwrap().push(result.as_ref().ok().map(|r| (**r).clone()));
    /// });
    /// store.write(Patch::new().set("Todo:1", "count", 1))?; // not selected: nobody told
    /// store.push("rename", Patch::new().set("Todo:1", "title", "b"))?;
    /// assert_eq!(*told.lock().unwrap(), [Some(json!({"todo": {"title": "b"}}))]);
    /// assert_eq!(**store.watched(id).unwrap().as_ref().unwrap(), json!({"todo": {"title": "b"}}));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn watch_query(
        &mut self,
        doc: Document,
        variables: serde_json::Value,
        callback: impl Fn(&QueryResult) + Send + Sync + 'static,
    ) -> WatchId {
        self.add_query(Query::new(doc, variables), Tell::Result(Arc::new(callback)))
    }

    #[cfg(feature = "graphql")]
    /// Registers a query watcher told through `tell`, reading it once now.
    pub(super) fn add_query(&mut self, mut query: Query, tell: Tell) -> WatchId {
        self.settle_abandoned();
        let last = query.read(self);
        let deps = query.dependencies();
        let watcher = Watcher::Query {
            query: Box::new(query),
            last,
            deps: deps.clone(),
            callback: tell,
        };
        self.watchers.add(watcher, &deps)
    }

    #[cfg(feature = "graphql")]
    /// Watches a query as [`watch_query`](Store::watch_query) does, and hands `callback` the
    /// result deserialized into the caller's type `T` each time it changed: read as a shared
    /// tree ([`watch_query_tree`](Store::watch_query_tree)), and deserialized as
    /// [`Query::read_as`] does, so every [`Shared`](crate::Shared) part of `T` whose data did
    /// not change is the `Arc` the last call gave (a list of 10,000 rows with one changed
    /// deserializes that row alone). [`watched`](Store::watched) does not know it (it keeps no
    /// JSON).
    ///
    /// # Panics
    ///
    /// A panic in `callback` propagates out of the store call that told it, once that call's
    /// change is applied in full: the store stays consistent and every watcher registered. The
    /// watchers the panic kept from being told are told at the next change to what they watch.
    ///
    /// ```
    /// use optimist::{Document, Patch, Store};
    /// use std::sync::{Arc, Mutex};
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Data { count: i64 }
    ///
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("ROOT_QUERY", "count", 1))?;
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let log = seen.clone();
    /// store.watch_query_as(Document::parse("{ count }")?, serde_json::json!({}), move |data: Result<Data, _>| {
    ///     log.lock().unwrap().push(data.map(|d| d.count).ok());
    /// });
    /// store.push("bump", Patch::new().increment("ROOT_QUERY", "count", 1))?;
    /// assert_eq!(*seen.lock().unwrap(), [Some(2)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn watch_query_as<T: serde::de::DeserializeOwned>(
        &mut self,
        doc: Document,
        variables: serde_json::Value,
        callback: impl Fn(Result<T, ReadError>) + Send + Sync + 'static,
    ) -> WatchId {
        self.add_tree(Query::new(doc, variables), Arc::new(typed(callback)))
    }

    #[cfg(feature = "graphql")]
    /// Watches a fragment of `doc` (the one named `fragment`, or its only one) on the entity
    /// `key`: read once now (see [`watched`](Store::watched)) as
    /// [`read_fragment`](Store::read_fragment) gives it, then `callback` is called with the
    /// new result after every call that changed it, and only then (Apollo's `watchFragment`,
    /// Relay's `useFragment`): a change to a field the fragment does not select tells
    /// nothing, and entities it reaches through references are watched as they come and go.
    /// `Err(KeyError)` for a malformed key (nothing registered).
    ///
    /// # Panics
    ///
    /// A panic in `callback` propagates out of the store call that told it, once that call's
    /// change is applied in full: the store stays consistent and every watcher registered. The
    /// watchers the panic kept from being told are told at the next change to what they watch.
    ///
    /// ```
    /// use optimist::{Document, Patch, Store};
    /// use serde_json::json;
    /// use std::sync::{Arc, Mutex};
    ///
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("Todo:1", "__typename", "Todo").set("Todo:1", "title", "a"))?;
    /// let told = Arc::new(Mutex::new(Vec::new()));
    /// let log = told.clone();
    /// let doc = Document::parse("fragment Title on Todo { title }")?;
    /// let id = store.watch_fragment(doc, None, "Todo:1", json!({}), move |result| {
    ///     log.lock().unwrap().push(result.as_ref().ok().map(|r| r["title"].clone()));
    /// })?;
    /// store.write(Patch::new().set("Todo:1", "done", true))?; // not selected: nobody told
    /// let (rename, _) = store.push("rename", Patch::new().set("Todo:1", "title", "b"))?;
    /// store.fail(rename)?;
    /// assert_eq!(*told.lock().unwrap(), [Some(json!("b")), Some(json!("a"))]);
    /// // Like `read_fragment`, the result names the entity's type.
    /// assert_eq!(**store.watched(id).unwrap().as_ref().unwrap(), json!({"__typename": "Todo", "title": "a"}));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn watch_fragment(
        &mut self,
        doc: Document,
        fragment: Option<&str>,
        key: impl crate::IntoKey,
        variables: serde_json::Value,
        callback: impl Fn(&QueryResult) + Send + Sync + 'static,
    ) -> Result<WatchId, crate::KeyError> {
        let query = Query::fragment(doc, fragment, key, variables)?;
        Ok(self.add_query(query, Tell::Result(Arc::new(callback))))
    }

    #[cfg(feature = "graphql")]
    /// Watches a fragment as [`watch_fragment`](Store::watch_fragment) does, and hands
    /// `callback` the result deserialized into the caller's type `T`, each time it changed,
    /// reusing the [`Shared`](crate::Shared) parts whose data did not change, as
    /// [`watch_query_as`](Store::watch_query_as) does.
    ///
    /// # Panics
    ///
    /// A panic in `callback` propagates out of the store call that told it, once that call's
    /// change is applied in full: the store stays consistent and every watcher registered. The
    /// watchers the panic kept from being told are told at the next change to what they watch.
    ///
    /// ```
    /// use optimist::{Document, Patch, Store};
    /// use std::sync::{Arc, Mutex};
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Done { done: bool }
    ///
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("Todo:1", "__typename", "Todo").set("Todo:1", "done", false))?;
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let log = seen.clone();
    /// let doc = Document::parse("fragment D on Todo { done }")?;
    /// store.watch_fragment_as(doc, None, "Todo:1", serde_json::Value::Null, move |done: Result<Done, _>| {
    ///     log.lock().unwrap().push(done.map(|d| d.done).ok());
    /// })?;
    /// store.push("tick", Patch::new().set("Todo:1", "done", true))?;
    /// assert_eq!(*seen.lock().unwrap(), [Some(true)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn watch_fragment_as<T: serde::de::DeserializeOwned>(
        &mut self,
        doc: Document,
        fragment: Option<&str>,
        key: impl crate::IntoKey,
        variables: serde_json::Value,
        callback: impl Fn(Result<T, ReadError>) + Send + Sync + 'static,
    ) -> Result<WatchId, crate::KeyError> {
        let query = Query::fragment(doc, fragment, key, variables)?;
        Ok(self.add_tree(query, Arc::new(typed(callback))))
    }

    #[cfg(feature = "graphql")]
    /// Watches a query as a shared tree ([`Query::read_shared`]): `callback` gets the new tree
    /// after every call that changed the result, and its unchanged subtrees are the previous
    /// tree's allocations, so a UI that diffs by pointer re-renders only what changed. A
    /// change costs re-reading what changed, not the whole result: the watcher to use for
    /// long lists.
    ///
    /// # Panics
    ///
    /// A panic in `callback` propagates out of the store call that told it, once that call's
    /// change is applied in full: the store stays consistent and every watcher registered. The
    /// watchers the panic kept from being told are told at the next change to what they watch.
    ///
    /// ```
    /// use optimist::{Document, Patch, Store, Value};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("ROOT_QUERY", "count", 1))?;
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let log = seen.clone();
    /// store.watch_query_tree(Document::parse("{ count }")?, serde_json::json!({}), move |tree| {
    ///     log.lock().unwrap().push(tree.as_ref().unwrap().to_json());
    /// });
    /// store.push("bump", Patch::new().increment("ROOT_QUERY", "count", 1))?;
    /// assert_eq!(*seen.lock().unwrap(), [serde_json::json!({"count": 2})]);
    /// # let _ = Value::Null;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn watch_query_tree(
        &mut self,
        doc: Document,
        variables: serde_json::Value,
        callback: impl Fn(&TreeResult) + Send + Sync + 'static,
    ) -> WatchId {
        self.add_tree(Query::new(doc, variables), Arc::new(callback))
    }

    #[cfg(feature = "graphql")]
    /// Registers a tree watcher of `query`, reading it once now.
    fn add_tree(&mut self, mut query: Query, callback: Arc<super::TreeFn>) -> WatchId {
        self.settle_abandoned();
        let last = query.read_shared(self);
        let deps: Arc<[Key]> = query.shared_dependencies().iter().cloned().collect();
        let watcher = Watcher::Tree {
            query: Box::new(query),
            last,
            deps: deps.clone(),
            callback,
        };
        self.watchers.add(watcher, &deps)
    }

    /// Watches layer events (pushed, reserved, confirmed, squashed, failed, cancelled,
    /// remapped): `callback` is called with the events of every call that had some, so a
    /// status display follows layers even when the view does not change (a promote). Calls
    /// that return no [`Changes`](crate::Changes) are no exception: a
    /// [`reserve`](Store::reserve), a [`next_to_send`](Store::next_to_send), an
    /// [`interrupt`](Store::interrupt) or a refused call tells the watcher on that call of its
    /// events (reserved, sent, retrying) and of the cancels of layers whose guards were dropped;
    /// the next `Changes` a call returns lists those events again, but the watcher is not told
    /// them twice.
    ///
    /// # Panics
    ///
    /// A panic in `callback` propagates out of the store call that told it, once that call's
    /// change is applied in full: the store stays consistent and every watcher registered. The
    /// watchers the panic kept from being told are told at the next change to what they watch.
    ///
    /// ```
    /// use optimist::{LayerEvent, Patch, Store};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let mut store = Store::new();
    /// let events = Arc::new(Mutex::new(Vec::new()));
    /// let log = events.clone();
    /// store.watch_layers(move |batch| log.lock().unwrap().extend_from_slice(batch));
    /// let (id, _) = store.push("save", Patch::new().set("Todo:1", "done", true))?;
    /// store.promote(id)?;
    /// assert_eq!(*events.lock().unwrap(), [
    ///     (id, LayerEvent::Pushed), (id, LayerEvent::Confirmed), (id, LayerEvent::Squashed),
    /// ]);
    ///
    /// // A reservation returns no `Changes`: told at once all the same.
    /// let refetch = store.reserve_guarded("refetch");
    /// let refetch_id = refetch.id();
    /// drop(refetch); // its task was cancelled: the next call cancels it
    /// let next = store.reserve("next");
    /// assert_eq!(events.lock().unwrap()[3..], [
    ///     (refetch_id, LayerEvent::Reserved), (refetch_id, LayerEvent::Cancelled), (next, LayerEvent::Reserved),
    /// ]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn watch_layers(
        &mut self,
        callback: impl Fn(&[(LayerId, LayerEvent)]) + Send + Sync + 'static,
    ) -> WatchId {
        let watcher = Watcher::Layers {
            callback: Arc::new(callback),
        };
        self.watchers.add(watcher, &[])
    }
}

#[cfg(feature = "graphql")]
/// A tree watcher's callback that hands `callback` the tree as `T`, reusing the
/// [`Shared`](crate::Shared) parts of the last result whose subtree did not change.
fn typed<T: serde::de::DeserializeOwned>(
    callback: impl Fn(Result<T, ReadError>) + Send + Sync + 'static,
) -> impl Fn(&TreeResult) + Send + Sync + 'static {
    let memo = std::sync::Mutex::new(crate::read::Typed::default());
    move |tree: &TreeResult| {
        let typed = match tree {
            // A panic in a type's `Deserialize` leaves the memo whole (it is put back as the
            // read unwinds): the lock's poison says nothing about it.
            Ok(tree) => memo
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .read(tree),
            Err(error) => Err(error.clone()),
        };
        callback(typed);
    }
}

impl Store {
    /// Before a watcher reads its first value: the layers of dropped guards are cancelled and
    /// the watchers already registered told, as any other call does first, so the new watcher
    /// does not start from a view that still shows an abandoned layer.
    fn settle_abandoned(&mut self) {
        self.drain_abandoned();
        self.report_drained();
    }
}
