//! Watchers: callbacks told after a mutating call when, and only when, what they watch changed.
//!
//! A watcher watches an entity (or some of its fields), a query (a document with variables,
//! its result as JSON), or layer events. The store keeps an index from each key to the
//! watchers whose result read it, so after a call it looks only at the watchers of the keys
//! the call changed: the cost is proportional to the watchers affected, not to the watchers
//! registered. An affected query watcher reads again (through a kept [`Query`], which reuses
//! its result when nothing it read changed) and is told only if the new result differs.
//!
//! A query watcher can also be told with a [`Snapshot`] of the store its result was read
//! from, for a reader on another thread (see [`Store::watch_query_snapshot`]).
//!
//! A callback is the app's code, and may panic: the panic propagates out of the store call
//! that told it, after that call's change was applied in full. The watchers are put back into
//! the store as the panic unwinds (a drop guard, not a `catch_unwind`), each indexed under what
//! it last read, and those the panic kept from being told are told at the next change to what
//! they watch.
//!
//! It stands apart from the store because it is derived state: it reads the store and the
//! [`Changes`] each call returns, and never changes the store.

mod mutations;
pub use mutations::MutationsChanged;
mod notify;
mod register;
#[cfg(feature = "graphql")]
mod snapshot;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use smallvec::SmallVec;

use crate::changes::{Changes, LayerEvent};
use crate::entity::Entity;
use crate::field::FieldName;
use crate::key::Key;
use crate::layer::LayerId;
use crate::patch::Hasher;
#[cfg(feature = "graphql")]
use crate::read::{Query, ReadError};
use crate::store::Store;
#[cfg(feature = "graphql")]
use crate::value::Value;
#[cfg(feature = "graphql")]
use crate::view::Snapshot;

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

#[cfg(feature = "graphql")]
/// A query watcher's result: the JSON read, shared, or why it could not be read (a field
/// missing from the store, say, before the first answer arrived).
pub type QueryResult = Result<Arc<serde_json::Value>, ReadError>;

#[cfg(feature = "graphql")]
/// A tree watcher's result: the shared tree of [`Query::read_shared`] (unchanged subtrees are
/// the previous result's allocations), or why it could not be read.
pub type TreeResult = Result<Value, ReadError>;

type EntityFn = dyn Fn(Option<&Entity>) + Send + Sync;
#[cfg(feature = "graphql")]
type QueryFn = dyn Fn(&QueryResult) + Send + Sync;
type LayersFn = dyn Fn(&[(LayerId, LayerEvent)]) + Send + Sync;
#[cfg(feature = "graphql")]
type TreeFn = dyn Fn(&TreeResult) + Send + Sync;
#[cfg(feature = "graphql")]
type SnapshotFn = dyn Fn(&QueryResult, &Snapshot) + Send + Sync;

#[cfg(feature = "graphql")]
/// How a query watcher is told of a new result.
enum Tell {
    /// With the result.
    Result(Arc<QueryFn>),
    /// With the result and a snapshot of the store it was read from.
    Snapshot(Arc<SnapshotFn>),
}

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
    #[cfg(feature = "graphql")]
    Query {
        query: Box<Query>,
        /// The last result told (or read at registration).
        last: QueryResult,
        /// The keys the last read looked up, as indexed.
        deps: Vec<Key>,
        callback: Tell,
    },
    #[cfg(feature = "graphql")]
    Tree {
        query: Box<Query>,
        last: TreeResult,
        /// The keys the last read looked up, as indexed; shared with the other watchers of
        /// the same read.
        deps: Arc<[Key]>,
        callback: Arc<TreeFn>,
    },
    Layers {
        callback: Arc<LayersFn>,
    },
    Mutations {
        callback: Arc<mutations::MutationsFn>,
    },
}

/// The registered watchers of a store.
#[derive(Default)]
pub(crate) struct Watchers {
    next: u64,
    entries: HashMap<WatchId, Watcher, Hasher>,
    by_key: ByKey,
    /// Watchers of layer events.
    layers: Vec<WatchId>,
    /// While a batch is open: how deep, and what its calls changed so far.
    batch: Option<(usize, Changes)>,
    /// Entity watchers whose key was remapped since the last notification: compared with what
    /// they were last told whatever the change set says, since the key they now read may not
    /// have changed at all (a watcher of a temporary key with no entity yet, remapped onto a
    /// key that has one).
    moved: Vec<WatchId>,
    /// How many of the store's layer events not yet returned in a `Changes` layer watchers
    /// were told already (or the open batch holds): those of calls that returned no `Changes`.
    told: usize,
    #[cfg(feature = "graphql")]
    /// The query watchers of each tag, oldest first (see `Store::tag_watch`).
    tags: HashMap<Arc<str>, Vec<WatchId>, Hasher>,
}

/// For each key, the watchers whose result depends on it.
type ByKey = HashMap<Key, SmallVec<[WatchId; 2]>, Hasher>;

/// Forgets that `id` depends on `keys`.
fn unindex(by_key: &mut ByKey, id: WatchId, keys: &[Key]) {
    for key in keys {
        if let Some(list) = by_key.get_mut(key) {
            list.retain(|w| *w != id);
            if list.is_empty() {
                by_key.remove(key);
            }
        }
    }
}

#[cfg(feature = "graphql")]
/// `id` depends on the keys `added` from now on, and no longer on `gone`.
fn reindex(by_key: &mut ByKey, id: WatchId, gone: &[Key], added: Vec<Key>) {
    unindex(by_key, id, gone);
    for key in added {
        by_key.entry(key).or_default().push(id);
    }
}

impl Clone for Watchers {
    /// A clone of a store starts with no watchers: callbacks belong to the store they were
    /// registered on.
    fn clone(&self) -> Watchers {
        // The clone inherits the store's unreported events: whoever watches the clone later
        // is not told of those told here.
        Watchers {
            told: self.told,
            ..Watchers::default()
        }
    }
}

impl Watchers {
    fn add(&mut self, watcher: Watcher, deps: &[Key]) -> WatchId {
        self.next += 1;
        let id = WatchId(self.next);
        for key in deps {
            self.by_key.entry(key.clone()).or_default().push(id);
        }
        if matches!(watcher, Watcher::Layers { .. } | Watcher::Mutations { .. }) {
            self.layers.push(id);
        }
        self.entries.insert(id, watcher);
        id
    }

    /// Entity watchers of `from`, and fragment watchers on it, watch `to` from now on (a
    /// remapped temporary key). Both are compared again at the next notification (a
    /// fragment watcher reads again, from `to`).
    pub(crate) fn rekey(&mut self, from: &Key, to: &Key) {
        let Some(ids) = self.by_key.get(from).cloned() else {
            return;
        };
        for id in ids {
            match self.entries.get_mut(&id) {
                Some(Watcher::Entity { key, .. }) => {
                    *key = to.clone();
                    unindex(&mut self.by_key, id, std::slice::from_ref(from));
                    self.by_key.entry(to.clone()).or_default().push(id);
                    self.moved.push(id);
                }
                #[cfg(feature = "graphql")]
                Some(Watcher::Query { query, .. }) => {
                    let fragment_on_from = query.rekey(from, to);
                    if fragment_on_from {
                        self.moved.push(id);
                    }
                }
                _ => {}
            }
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    #[cfg(feature = "graphql")]
    /// The query of a query or tree watcher.
    pub(crate) fn query(&self, id: WatchId) -> Option<&Query> {
        match self.entries.get(&id)? {
            Watcher::Query { query, .. } | Watcher::Tree { query, .. } => Some(query),
            Watcher::Entity { .. } | Watcher::Layers { .. } | Watcher::Mutations { .. } => None,
        }
    }

    #[cfg(feature = "graphql")]
    /// The query and tree watchers whose last read failed. O(watchers).
    pub(crate) fn failed_queries(&self) -> impl Iterator<Item = WatchId> + '_ {
        self.entries
            .iter()
            .filter_map(|(id, watcher)| match watcher {
                Watcher::Query { last: Err(_), .. } | Watcher::Tree { last: Err(_), .. } => {
                    Some(*id)
                }
                _ => None,
            })
    }

    /// The watchers whose result depends on `key`.
    pub(crate) fn watching(&self, key: &str) -> &[WatchId] {
        self.by_key.get(key).map_or(&[], |ids| ids.as_slice())
    }

    /// Every key some watcher's result depends on.
    pub(crate) fn watched_keys(&self) -> impl Iterator<Item = &Key> {
        self.by_key.keys()
    }

    #[cfg(feature = "graphql")]
    /// Tags a query or tree watcher; `false` if `id` is not one.
    pub(crate) fn tag(&mut self, id: WatchId, tag: &str) -> bool {
        if self.query(id).is_none() {
            return false;
        }
        let ids = self.tags.entry(Arc::from(tag)).or_default();
        if !ids.contains(&id) {
            ids.push(id);
        }
        true
    }

    #[cfg(feature = "graphql")]
    /// The watchers tagged `tag`, oldest first.
    pub(crate) fn tagged(&self, tag: &str) -> &[WatchId] {
        self.tags.get(tag).map_or(&[], Vec::as_slice)
    }

    #[cfg(feature = "graphql")]
    /// Forgets `id`'s tags.
    fn untag(&mut self, id: WatchId) {
        if self.tags.is_empty() {
            return;
        }
        self.tags.retain(|_, ids| {
            ids.retain(|w| *w != id);
            !ids.is_empty()
        });
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

/// ## Managing watchers, batching
///
/// Remove a watcher, read what it last saw, and [`batch`](Store::batch) calls so that
/// watchers are told once, at the end.
impl Store {
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
            Watcher::Entity { key, .. } => unindex(&mut self.watchers.by_key, id, &[key]),
            #[cfg(feature = "graphql")]
            Watcher::Query { deps, .. } => unindex(&mut self.watchers.by_key, id, &deps),
            #[cfg(feature = "graphql")]
            Watcher::Tree { deps, .. } => unindex(&mut self.watchers.by_key, id, &deps),
            Watcher::Layers { .. } | Watcher::Mutations { .. } => {
                self.watchers.layers.retain(|w| *w != id)
            }
        }
        #[cfg(feature = "graphql")]
        self.watchers.untag(id);
        true
    }

    #[cfg(feature = "graphql")]
    /// A JSON query watcher's last result (the one it was last told, or read at registration):
    /// one of [`watch_query`](Store::watch_query), [`watch_fragment`](Store::watch_fragment) and
    /// their siblings that hand out [`QueryResult`]s; `None` for any other `id`.
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
    /// # Panics
    ///
    /// If `calls` panics, the panic propagates after the batch is closed: what the calls
    /// before the panic changed stays applied, and the watchers are told of it (a watcher
    /// that panics then propagates its own panic instead), so none is left holding a result
    /// the store no longer has, and later calls tell them as before.
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
        // The app's code: the batch is closed whether it returns or panics.
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| calls(self)));
        if let Some((depth, changes)) = &mut self.watchers.batch {
            *depth -= 1;
            if *depth == 0 {
                let changes = std::mem::take(changes);
                self.watchers.batch = None;
                self.deliver(&changes, 0);
            }
        }
        match out {
            Ok(out) => out,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}
