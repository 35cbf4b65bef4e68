//! Watchers: callbacks told after a mutating call when, and only when, what they watch changed.
//!
//! A watcher watches an entity (or some of its fields), a query (a document with variables,
//! its result as JSON), or layer events. The store keeps an index from each key to the
//! watchers whose result read it, so after a call it looks only at the watchers of the keys
//! the call changed: the cost is proportional to the watchers affected, not to the watchers
//! registered. An affected query watcher reads again (through a kept [`Query`], which reuses
//! its result when nothing it read changed) and is told only if the new result differs.
//!
//! It stands apart from the store because it is derived state: it reads the store and the
//! [`Changes`] each call returns, and never changes the store.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use smallvec::SmallVec;

use crate::changes::{Changes, LayerEvent};
use crate::document::Document;
use crate::entity::Entity;
use crate::field::FieldName;
use crate::key::Key;
use crate::layer::LayerId;
use crate::patch::Hasher;
use crate::read::{Query, ReadError};
use crate::store::Store;
use crate::value::Value;

/// The id of a registered watcher, to [`unwatch`](Store::unwatch) it. `Debug` prints `W` and
/// its number.
///
/// ```
/// let mut store = optimist::Store::new();
/// let id = store.watch_entity("Todo:1", |_| {})?;
/// assert!(format!("{id:?}").starts_with('W'));
/// # Ok::<(), optimist::KeyError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WatchId(u64);

impl fmt::Debug for WatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "W{}", self.0)
    }
}

/// A query watcher's result: the JSON read, shared, or why it could not be read (a field
/// missing from the store, say, before the first answer arrived).
pub type QueryResult = Result<Arc<serde_json::Value>, ReadError>;

/// A tree watcher's result: the shared tree of [`Query::read_shared`] (unchanged subtrees are
/// the previous result's allocations), or why it could not be read.
pub type TreeResult = Result<Value, ReadError>;

type EntityFn = dyn Fn(Option<&Entity>) + Send + Sync;
type QueryFn = dyn Fn(&QueryResult) + Send + Sync;
type LayersFn = dyn Fn(&[(LayerId, LayerEvent)]) + Send + Sync;
type TreeFn = dyn Fn(&TreeResult) + Send + Sync;

enum Watcher {
    Entity {
        key: Key,
        /// `None`: every field.
        fields: Option<Box<[FieldName]>>,
        /// The entity last told (or read at registration): a change set says a key changed,
        /// not that it differs from what this watcher saw (a remap onto an equal entity, a
        /// batch that set a field and set it back).
        last: Option<Entity>,
        callback: Arc<EntityFn>,
    },
    Query {
        query: Box<Query>,
        /// The last result told (or read at registration).
        last: QueryResult,
        /// The keys the last read looked up, as indexed.
        deps: Vec<Key>,
        callback: Arc<QueryFn>,
    },
    Tree {
        query: Box<Query>,
        last: TreeResult,
        deps: Vec<Key>,
        callback: Arc<TreeFn>,
    },
    Layers {
        callback: Arc<LayersFn>,
    },
}

/// The registered watchers of a store.
#[derive(Default)]
pub(crate) struct Watchers {
    next: u64,
    entries: HashMap<WatchId, Watcher, Hasher>,
    /// For each key, the watchers whose result depends on it.
    by_key: HashMap<Key, SmallVec<[WatchId; 2]>, Hasher>,
    /// Watchers of layer events.
    layers: Vec<WatchId>,
    /// While a batch is open: how deep, and what its calls changed so far.
    batch: Option<(usize, Changes)>,
    /// Entity watchers whose key was remapped since the last notification: compared with what
    /// they were last told whatever the change set says, since the key they now read may not
    /// have changed at all (a watcher of a temporary key with no entity yet, remapped onto a
    /// key that has one).
    moved: Vec<WatchId>,
}

impl Clone for Watchers {
    /// A clone of a store starts with no watchers: callbacks belong to the store they were
    /// registered on.
    fn clone(&self) -> Watchers {
        Watchers::default()
    }
}

impl Watchers {
    fn add(&mut self, watcher: Watcher, deps: &[Key]) -> WatchId {
        self.next += 1;
        let id = WatchId(self.next);
        for key in deps {
            self.by_key.entry(key.clone()).or_default().push(id);
        }
        if matches!(watcher, Watcher::Layers { .. }) {
            self.layers.push(id);
        }
        self.entries.insert(id, watcher);
        id
    }

    fn unindex(&mut self, id: WatchId, keys: &[Key]) {
        for key in keys {
            if let Some(list) = self.by_key.get_mut(key) {
                list.retain(|w| *w != id);
                if list.is_empty() {
                    self.by_key.remove(key);
                }
            }
        }
    }

    /// Entity watchers of `from` watch `to` from now on (a remapped temporary key).
    pub(crate) fn rekey(&mut self, from: &Key, to: &Key) {
        let Some(ids) = self.by_key.get(from).cloned() else {
            return;
        };
        for id in ids {
            if let Some(Watcher::Entity { key, .. }) = self.entries.get_mut(&id) {
                *key = to.clone();
                self.unindex(id, std::slice::from_ref(from));
                self.by_key.entry(to.clone()).or_default().push(id);
                self.moved.push(id);
            }
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

impl Store {
    /// Watches the entity `key` of the merged view: `callback` is called with the new entity
    /// (`None`: gone) after every call that changed it, once per call (or per
    /// [`batch`](Store::batch)). A remapped temporary key is watched as the key it became.
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

    /// Watches a query: `doc`'s operation read with `variables` through the merged view, as
    /// [`read_query`](Store::read_query) gives it. It is read once now (see
    /// [`watched`](Store::watched)); `callback` is then called with the new result after every
    /// call that changed it, and only then: a change to an entity the query read, in a field
    /// it does not select, reads again but tells nothing. Dependencies follow the result: an
    /// entity a list starts to reference is watched from then on.
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
        let mut query = Query::new(doc, variables);
        let last = query.read(self);
        let deps = query.dependencies();
        let watcher = Watcher::Query {
            query: Box::new(query),
            last,
            deps: deps.clone(),
            callback: Arc::new(callback),
        };
        self.watchers.add(watcher, &deps)
    }

    /// Watches a query as [`watch_query`](Store::watch_query) does, and hands `callback` the
    /// result deserialized into the caller's type `T` (from the shared JSON, without copying
    /// it), each time it changed.
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
        self.watch_query(doc, variables, move |result| {
            callback(match result {
                Ok(json) => T::deserialize(&**json).map_err(|error| ReadError::Deserialize {
                    path: String::new(),
                    message: error.to_string(),
                }),
                Err(error) => Err(error.clone()),
            })
        })
    }

    /// Watches a query as a shared tree ([`Query::read_shared`]): `callback` gets the new tree
    /// after every call that changed the result, and its unchanged subtrees are the previous
    /// tree's allocations, so a UI that diffs by pointer re-renders only what changed. A
    /// change costs re-reading what changed, not the whole result: the watcher to use for
    /// long lists.
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
        let mut query = Query::new(doc, variables);
        let last = query.read_shared(self);
        let deps: Vec<Key> = query.shared_dependencies().iter().cloned().collect();
        let watcher = Watcher::Tree {
            query: Box::new(query),
            last,
            deps: deps.clone(),
            callback: Arc::new(callback),
        };
        self.watchers.add(watcher, &deps)
    }

    /// Watches layer events (pushed, reserved, confirmed, squashed, failed, cancelled,
    /// remapped): `callback` is called with the events of every call that had some, so a
    /// status display follows layers even when the view does not change (a promote).
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

    /// Removes a watcher; `false` if it was not registered (or already removed).
    ///
    /// ```
    /// let mut store = optimist::Store::new();
    /// let id = store.watch_layers(|_| {});
    /// assert!(store.unwatch(id));
    /// assert!(!store.unwatch(id));
    /// ```
    pub fn unwatch(&mut self, id: WatchId) -> bool {
        let Some(watcher) = self.watchers.entries.remove(&id) else {
            return false;
        };
        match watcher {
            Watcher::Entity { key, .. } => self.watchers.unindex(id, &[key]),
            Watcher::Query { deps, .. } | Watcher::Tree { deps, .. } => {
                self.watchers.unindex(id, &deps)
            }
            Watcher::Layers { .. } => self.watchers.layers.retain(|w| *w != id),
        }
        true
    }

    /// A query watcher's last result (the one it was last told, or read at registration);
    /// `None` if `id` is not a query watcher.
    ///
    /// ```
    /// use optimist::{Document, Patch, Store};
    /// let mut store = Store::new();
    /// let id = store.watch_query(Document::parse("{ a }")?, serde_json::json!({}), |_| {});
    /// assert!(store.watched(id).unwrap().is_err(), "nothing to read yet");
    /// store.write(Patch::new().set("ROOT_QUERY", "a", 1))?;
    /// assert_eq!(**store.watched(id).unwrap().as_ref().unwrap(), serde_json::json!({"a": 1}));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn watched(&self, id: WatchId) -> Option<&QueryResult> {
        match self.watchers.entries.get(&id)? {
            Watcher::Query { last, .. } => Some(last),
            _ => None,
        }
    }

    /// How many watchers are registered.
    ///
    /// ```
    /// let mut store = optimist::Store::new();
    /// store.watch_layers(|_| {});
    /// assert_eq!(store.watcher_count(), 1);
    /// ```
    pub fn watcher_count(&self) -> usize {
        self.watchers.len()
    }

    /// Runs `calls` with notifications held, then tells each affected watcher once, of the
    /// result after all of them: a batch of calls (an answer written as several patches, a
    /// refetch and the settling of the layers it unblocks) re-renders once.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let mut store = Store::new();
    /// let told = Arc::new(AtomicUsize::new(0));
    /// let count = told.clone();
    /// store.watch_entity("Todo:1", move |_| { count.fetch_add(1, Ordering::Relaxed); })?;
    /// store.batch(|store| {
    ///     store.write(Patch::new().set("Todo:1", "title", "a"))?;
    ///     store.write(Patch::new().set("Todo:1", "done", false))
    /// })?;
    /// assert_eq!(told.load(Ordering::Relaxed), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn batch<T>(&mut self, calls: impl FnOnce(&mut Store) -> T) -> T {
        match &mut self.watchers.batch {
            Some((depth, _)) => *depth += 1,
            None => self.watchers.batch = Some((1, Changes::default())),
        }
        let out = calls(self);
        if let Some((depth, changes)) = &mut self.watchers.batch {
            *depth -= 1;
            if *depth == 0 {
                let changes = std::mem::take(changes);
                self.watchers.batch = None;
                self.notify(&changes);
            }
        }
        out
    }

    /// Tells the watchers that `changes` affect; called at the end of every mutating call.
    pub(crate) fn notify(&mut self, changes: &Changes) {
        if self.watchers.is_empty() {
            return;
        }
        if let Some((_, held)) = &mut self.watchers.batch {
            *held = std::mem::take(held).merge(changes.clone());
            return;
        }
        let mut watchers = std::mem::take(&mut self.watchers);
        if !changes.layers().is_empty() {
            for id in &watchers.layers {
                if let Some(Watcher::Layers { callback }) = watchers.entries.get(id) {
                    callback(changes.layers());
                }
            }
        }
        // Tree watchers of one document (the same parsed one, or a clone) and equal variables
        // share one read per notification: a hundred watchers of one list read it once.
        type Shared = (
            TreeResult,
            std::rc::Rc<std::collections::HashSet<Key, Hasher>>,
        );
        let mut reads: HashMap<(usize, String), Shared> = HashMap::new();
        // The watchers of the changed keys, each once, in registration order.
        let mut affected: Vec<WatchId> = Vec::new();
        for (key, change) in changes.iter() {
            for id in watchers.by_key.get(key).into_iter().flatten() {
                let hit = match watchers.entries.get(id) {
                    Some(Watcher::Entity {
                        fields: Some(fields),
                        ..
                    }) => fields.iter().any(|f| change.touches(f)),
                    Some(_) => true,
                    None => false,
                };
                if hit {
                    affected.push(*id);
                }
            }
        }
        affected.append(&mut watchers.moved);
        affected.sort_unstable();
        affected.dedup();
        for id in affected {
            let mut reindex: Option<(Vec<Key>, Vec<Key>)> = None;
            match watchers.entries.get_mut(&id) {
                Some(Watcher::Entity {
                    key,
                    fields,
                    last,
                    callback,
                }) => {
                    let now = self.get(key);
                    if !same_entity(last.as_ref(), now, fields.as_deref()) {
                        *last = now.cloned();
                        callback(now);
                    }
                }
                Some(Watcher::Query {
                    query,
                    last,
                    deps,
                    callback,
                }) => {
                    let now = query.read(self);
                    let same = match (&now, &*last) {
                        (Ok(a), Ok(b)) => Arc::ptr_eq(a, b) || a == b,
                        (Err(a), Err(b)) => a == b,
                        _ => false,
                    };
                    let new_deps = query.dependencies();
                    if new_deps != *deps {
                        reindex = Some((std::mem::replace(deps, new_deps.clone()), new_deps));
                    }
                    if !same {
                        *last = now;
                        callback(last);
                    }
                }
                Some(Watcher::Tree {
                    query,
                    last,
                    deps,
                    callback,
                }) => {
                    let identity = query.identity();
                    let (now, new_deps) = match reads.get(&identity) {
                        Some((result, deps)) => (result.clone(), deps.clone()),
                        None => {
                            let now = query.read_shared(self);
                            let deps = std::rc::Rc::new(query.shared_dependencies().clone());
                            reads.insert(identity, (now.clone(), deps.clone()));
                            (now, deps)
                        }
                    };
                    // Reindexed only by what differs: the keys no longer read, and the new.
                    let same_deps = new_deps.len() == deps.len()
                        && deps.iter().all(|key| new_deps.contains(key));
                    if !same_deps {
                        let gone: Vec<Key> = deps
                            .iter()
                            .filter(|k| !new_deps.contains(*k))
                            .cloned()
                            .collect();
                        let old: std::collections::HashSet<&Key> = deps.iter().collect();
                        let added: Vec<Key> = new_deps
                            .iter()
                            .filter(|k| !old.contains(k))
                            .cloned()
                            .collect();
                        *deps = new_deps.iter().cloned().collect();
                        reindex = Some((gone, added));
                    }
                    if now != *last {
                        *last = now;
                        callback(last);
                    }
                }
                Some(Watcher::Layers { .. }) | None => {}
            }
            if let Some((old, new)) = reindex {
                watchers.unindex(id, &old);
                for key in new {
                    watchers.by_key.entry(key).or_default().push(id);
                }
            }
        }
        self.watchers = watchers;
    }
}

/// Whether an entity watcher of `fields` (`None`: all) sees no difference between `then` and
/// `now`: both absent, or both there with equal watched fields.
fn same_entity(then: Option<&Entity>, now: Option<&Entity>, fields: Option<&[FieldName]>) -> bool {
    match (then, now) {
        (None, None) => true,
        (Some(a), Some(b)) => match fields {
            _ if a.ptr_eq(b) => true,
            None => a == b,
            Some(fields) => fields
                .iter()
                .all(|f| a.get(f.as_str()) == b.get(f.as_str())),
        },
        _ => false,
    }
}
