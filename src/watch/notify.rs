//! Telling watchers: after a call, the watchers of the keys it changed read again and are told
//! if their result differs; layer watchers are told of the call's layer events.

#[cfg(feature = "graphql")]
use std::collections::{HashMap, HashSet};
#[cfg(feature = "graphql")]
use std::sync::Arc;

#[cfg(feature = "graphql")]
use super::{Tell, TreeResult, reindex};
use super::{WatchId, Watcher, Watchers};
use crate::changes::Changes;
use crate::entity::Entity;
use crate::field::FieldName;
#[cfg(feature = "graphql")]
use crate::key::Key;
#[cfg(feature = "graphql")]
use crate::patch::Hasher;
use crate::store::Store;
#[cfg(feature = "graphql")]
use crate::value::Value;
#[cfg(feature = "graphql")]
use crate::view::Snapshot;

impl Store {
    /// Ends a call that returns `changes`: tells the watchers it affects (or holds them for the
    /// open batch). Its first layer events may have been told already, by calls since the last
    /// returned `Changes` that returned none (see [`notify_unreported`](Store::notify_unreported)):
    /// those are not told again.
    pub(crate) fn notify(&mut self, changes: &Changes) {
        let told = std::mem::take(&mut self.watchers.told);
        if self.watchers.is_empty() {
            return;
        }
        if let Some((_, held)) = &mut self.watchers.batch {
            *held = std::mem::take(held).merge(changes.clone().skip_layers(told));
            return;
        }
        self.deliver(changes, told);
    }

    /// Ends a call that returns no `Changes` (a reservation; a call refused after it cancelled
    /// the layers of dropped guards): tells the watchers what `changes` (the cancels' effect on
    /// the view) affect, and layer watchers the events not told yet, on this call. All of it is
    /// still listed by the next `Changes` a call returns; nobody is told of it twice.
    pub(crate) fn notify_unreported(&mut self, changes: Changes) {
        let told = std::mem::replace(&mut self.watchers.told, self.events.len());
        let fresh = self.events.get(told..).unwrap_or_default();
        if self.watchers.is_empty() || (changes.is_empty() && fresh.is_empty()) {
            return;
        }
        let changes = changes.and_layers(fresh);
        if let Some((_, held)) = &mut self.watchers.batch {
            *held = std::mem::take(held).merge(changes);
            return;
        }
        self.deliver(&changes, 0);
    }

    /// Tells the watchers that `changes` affect, and layer watchers its layer events but the
    /// first `skip`.
    ///
    /// A callback that panics unwinds through here: the watchers go back into the store on the
    /// way out ([`Telling`]), each indexed under the keys its last read looked up, and those
    /// remapped and not yet compared are still compared at the next notification. The watchers
    /// the panic kept from being told keep what they were told last, so the next change to what
    /// they watch tells them.
    pub(super) fn deliver(&mut self, changes: &Changes, skip: usize) {
        if self.watchers.is_empty() {
            return;
        }
        let mut telling = Telling {
            watchers: std::mem::take(&mut self.watchers),
            store: self,
        };
        let (store, watchers) = (&*telling.store, &mut telling.watchers);
        let events = changes.layers().get(skip..).unwrap_or_default();
        if !events.is_empty() {
            // Read once, for every mutations watcher, after the call.
            let mut mutations = None;
            for id in &watchers.layers {
                match watchers.entries.get(id) {
                    Some(Watcher::Layers { callback }) => callback(events),
                    Some(Watcher::Mutations { callback }) => {
                        let told = mutations
                            .get_or_insert_with(|| super::mutations::changed(store, events));
                        if let Some(told) = told {
                            callback(told);
                        }
                    }
                    _ => {}
                }
            }
        }
        // Tree watchers of one document (the same parsed one, or a clone) and equal variables
        // share one read per notification: a hundred watchers of one list read it once.
        #[cfg(feature = "graphql")]
        let mut reads: HashMap<(usize, String, crate::read::Origin), SharedRead> = HashMap::new();
        #[cfg(feature = "graphql")]
        let mut snapshot: Option<Snapshot> = None;
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
        // Forgotten only once all are compared: a panic leaves them for the next notification.
        affected.extend_from_slice(&watchers.moved);
        affected.sort_unstable();
        affected.dedup();
        for id in affected {
            // Each watcher is reindexed before it is told, so a panicking callback leaves its
            // index in step with the keys it now reads.
            match watchers.entries.get_mut(&id) {
                Some(Watcher::Entity {
                    key,
                    fields,
                    last,
                    callback,
                }) => {
                    let now = store.get(key);
                    if !same_entity(last.as_ref(), now, fields.as_deref()) {
                        *last = now.cloned();
                        callback(now);
                    }
                }
                #[cfg(feature = "graphql")]
                Some(Watcher::Query {
                    query,
                    last,
                    deps,
                    callback,
                }) => {
                    let now = query.read(store);
                    let same = match (&now, &*last) {
                        (Ok(a), Ok(b)) => Arc::ptr_eq(a, b) || a == b,
                        (Err(a), Err(b)) => a == b,
                        _ => false,
                    };
                    let new_deps = query.dependencies();
                    if new_deps != *deps {
                        let old = std::mem::replace(deps, new_deps.clone());
                        reindex(&mut watchers.by_key, id, &old, new_deps);
                    }
                    if !same {
                        *last = now;
                        match callback {
                            Tell::Result(callback) => callback(last),
                            // One snapshot for every such watcher told now: the state they
                            // all read, as this call left it.
                            Tell::Snapshot(callback) => {
                                callback(last, snapshot.get_or_insert_with(|| store.snapshot()))
                            }
                        }
                    }
                }
                #[cfg(feature = "graphql")]
                Some(Watcher::Tree {
                    query,
                    last,
                    deps,
                    callback,
                }) => {
                    let read = reads.entry(query.identity()).or_insert_with(|| {
                        let result = query.read_shared(store);
                        let keys = query.shared_dependencies();
                        SharedRead {
                            result,
                            deps: keys.iter().cloned().collect(),
                            keys: keys.clone(),
                            deps_compared: Vec::new(),
                            results_compared: Vec::new(),
                        }
                    });
                    if !read.same_deps(deps) {
                        // Reindexed only by what differs: the keys no longer read, and the new.
                        let gone: Vec<Key> = deps
                            .iter()
                            .filter(|k| !read.keys.contains(*k))
                            .cloned()
                            .collect();
                        let old: HashSet<&Key> = deps.iter().collect();
                        let added: Vec<Key> = read
                            .deps
                            .iter()
                            .filter(|k| !old.contains(k))
                            .cloned()
                            .collect();
                        reindex(&mut watchers.by_key, id, &gone, added);
                    }
                    // Watchers of one read share its key list, so the next notification
                    // compares it once for all of them.
                    *deps = read.deps.clone();
                    if !read.same_result(last) {
                        *last = read.result.clone();
                        callback(last);
                    }
                }
                Some(Watcher::Layers { .. } | Watcher::Mutations { .. }) | None => {}
            }
        }
        watchers.moved.clear();
    }
}

/// The store's watchers, taken out of it while they are told (a callback runs while the store
/// is read) and put back when this is dropped, on return or while a panicking callback unwinds.
struct Telling<'s> {
    store: &'s mut Store,
    watchers: Watchers,
}

impl Drop for Telling<'_> {
    fn drop(&mut self) {
        self.store.watchers = std::mem::take(&mut self.watchers);
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

#[cfg(feature = "graphql")]
/// One read shared by the tree watchers of a document and variables during a notification,
/// and what it was compared with already: watchers told the same result (or indexed from the
/// same key list) last time are compared once for all of them, not once each (a hundred
/// watchers of a list of a thousand items would walk it a hundred times).
struct SharedRead {
    result: TreeResult,
    /// The keys the read looked up, as a list the watchers share...
    deps: Arc<[Key]>,
    /// ...and as a set.
    keys: HashSet<Key, Hasher>,
    /// Earlier key lists, and whether each holds the same keys as `deps`.
    deps_compared: Vec<(Arc<[Key]>, bool)>,
    /// Earlier results, and whether each equals `result`.
    results_compared: Vec<(TreeResult, bool)>,
}

#[cfg(feature = "graphql")]
impl SharedRead {
    /// Whether the key list `then` holds the keys this read looked up.
    fn same_deps(&mut self, then: &Arc<[Key]>) -> bool {
        if Arc::ptr_eq(then, &self.deps) {
            return true;
        }
        if let Some((_, same)) = self
            .deps_compared
            .iter()
            .find(|(k, _)| Arc::ptr_eq(k, then))
        {
            return *same;
        }
        // A read looks each key up once, so equal lengths and every old key read again
        // mean the same keys.
        let same = then.len() == self.deps.len() && then.iter().all(|k| self.keys.contains(k));
        self.deps_compared.push((then.clone(), same));
        same
    }

    /// Whether the result `then` (a watcher's last) equals this read's.
    fn same_result(&mut self, then: &TreeResult) -> bool {
        if same_tree(then, &self.result) {
            return true;
        }
        if let Some((_, same)) = self
            .results_compared
            .iter()
            .find(|(r, _)| same_tree(r, then))
        {
            return *same;
        }
        let same = *then == self.result;
        self.results_compared.push((then.clone(), same));
        same
    }
}

#[cfg(feature = "graphql")]
/// Whether two results are the same allocation (so equal, without looking inside).
fn same_tree(a: &TreeResult, b: &TreeResult) -> bool {
    match (a, b) {
        (Ok(Value::Object(a)), Ok(Value::Object(b))) => a.ptr_eq(b),
        (Ok(Value::List(a)), Ok(Value::List(b))) => a.ptr_eq(b),
        _ => false,
    }
}
