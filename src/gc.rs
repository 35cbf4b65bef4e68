//! Garbage collection: removing from base what nothing can reach, and the app's retained keys.
//!
//! The roots are the root entities (`ROOT_QUERY` and the other keys without a `:`), the keys
//! the app retains, every key a watcher's result depends on (what watched queries read,
//! watched entities), every key a live layer touches or references in its ops, and the
//! temporary keys still waiting for a remap. An entity is reachable when a chain of refs leads
//! to it from a root, through base *or* the view: base's refs are what a layer's rollback
//! shows again, the view's are what a layer's guess shows now, so neither a failed optimistic
//! removal nor a pending create can lose what it needs (Apollo judges reachability from its
//! top optimistic layer and deletes from its root layer, so a gc during an optimistic removal
//! erases what the rollback shows; Relay holds gc while any optimistic update is applied).
//!
//! [`Store::gc`] removes every unreachable entity from base in one call: a mark from the
//! roots, then a sweep over base. Nothing runs on its own: the app calls it when it chooses
//! (after a refetch, on a timer, when memory is short). Data of queries nobody watches stays
//! as long as a root field reaches it; [`Store::evict_field`] on `ROOT_QUERY` drops such a
//! field, after which `gc` collects what only it reached.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use crate::changes::{Changes, record};
use crate::key::{IntoKey, Key, KeyError};
use crate::patch::Hasher;
use crate::rewrite::{refs_in_op, refs_in_value};
use crate::store::Store;

/// Keys the app retains, each with how many times it was retained.
#[derive(Clone, Default, PartialEq, Debug)]
pub(crate) struct Retained {
    counts: BTreeMap<Key, usize>,
}

impl Retained {
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&Key, usize)> {
        self.counts.iter().map(|(key, n)| (key, *n))
    }

    /// Retains `key` `times` more times (a saved count of 0 adds nothing).
    pub(crate) fn add(&mut self, key: Key, times: usize) {
        if times == 0 {
            return;
        }
        let count = self.counts.entry(key).or_default();
        *count = count.saturating_add(times);
    }

    /// `from`'s retains move to `to` (a remapped temporary key).
    pub(crate) fn rename(&mut self, from: &Key, to: &Key) {
        if let Some(n) = self.counts.remove(from) {
            self.add(to.clone(), n);
        }
    }
}

/// Why [`Store::release`] refused: the key was not retained (never, or released as many times
/// as it was retained). Nothing changed.
///
/// ```
/// let mut store = optimist::Store::new();
/// let err = store.release("Todo:1").unwrap_err();
/// assert_eq!(err.to_string(), "`Todo:1` is not retained");
/// ```
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum ReleaseError {
    /// The key is not a valid entity key.
    Key(KeyError),
    /// The key is not retained.
    NotRetained(Key),
}

impl fmt::Display for ReleaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReleaseError::Key(error) => error.fmt(f),
            ReleaseError::NotRetained(key) => write!(f, "`{key}` is not retained"),
        }
    }
}

impl std::error::Error for ReleaseError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReleaseError::Key(error) => Some(error),
            ReleaseError::NotRetained(_) => None,
        }
    }
}

impl From<KeyError> for ReleaseError {
    fn from(error: KeyError) -> ReleaseError {
        ReleaseError::Key(error)
    }
}

/// ## Garbage collection
///
/// Keep what the roots and retained keys reach; remove the rest
/// ([`gc`](Store::gc), Apollo's `cache.gc` with `retain` / `release`).
impl Store {
    /// Retains the entity `key` (and what it references) through [`gc`](Store::gc), until
    /// [`release`](Store::release)d as many times as it was retained: for a screen that shows
    /// an entity no watched query reads. The key need not exist yet. Retains are counted, kept
    /// by saves and clones, and follow a remap of a temporary key. O(log R) for R retained
    /// keys.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("Todo:1", "title", "a").set("Todo:2", "title", "b"))?;
    /// store.retain("Todo:1")?;
    /// let removed = store.gc();
    /// assert_eq!(removed.keys().iter().map(|k| k.as_str()).collect::<Vec<_>>(), ["Todo:2"]);
    /// assert!(store.contains("Todo:1"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn retain(&mut self, key: impl IntoKey) -> Result<(), KeyError> {
        let key = self.resolved(key.into_key()?);
        self.retained.add(key, 1);
        Ok(())
    }

    /// Undoes one [`retain`](Store::retain). A key released as many times as it was retained
    /// is no longer a root; its entity stays until a [`gc`](Store::gc) finds it unreachable.
    /// Refused with [`ReleaseError::NotRetained`], changing nothing, for a key that is not
    /// retained. O(log R).
    ///
    /// ```
    /// use optimist::{ReleaseError, Store};
    /// let mut store = Store::new();
    /// store.retain("Todo:1")?;
    /// store.release("Todo:1")?;
    /// assert!(matches!(store.release("Todo:1"), Err(ReleaseError::NotRetained(_))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn release(&mut self, key: impl IntoKey) -> Result<(), ReleaseError> {
        let key = self.resolved(key.into_key()?);
        match self.retained.counts.get_mut(&key) {
            Some(1) => {
                self.retained.counts.remove(&key);
                Ok(())
            }
            Some(n) => {
                *n -= 1;
                Ok(())
            }
            None => Err(ReleaseError::NotRetained(key)),
        }
    }

    /// The retained keys, in key order, each with how many times it is retained.
    ///
    /// ```
    /// let mut store = optimist::Store::new();
    /// store.retain("Todo:1")?;
    /// store.retain("Todo:1")?;
    /// let retained: Vec<_> = store.retained().map(|(k, n)| (k.as_str(), n)).collect();
    /// assert_eq!(retained, [("Todo:1", 2)]);
    /// # Ok::<(), optimist::KeyError>(())
    /// ```
    pub fn retained(&self) -> impl Iterator<Item = (&Key, usize)> {
        self.retained.iter()
    }

    /// Removes from base every entity that no root reaches, and returns what that changed:
    /// each removed key, its entity before, nothing after. Stale marks of removed entities go
    /// with them; watchers are not told (none watches an unreachable key).
    ///
    /// The roots: the root entities (`ROOT_QUERY` and the other keys without a `:`), the
    /// [retained](Store::retain) keys, every key a watcher's result depends on, every key a
    /// live layer touches or references in its ops, and the temporary keys not yet remapped.
    /// Refs are followed from them through base and the view alike. Nothing runs on its own;
    /// data that only a root field reaches stays until that field is
    /// [evicted](Store::evict_field) or written without it.
    ///
    /// Never removes what a live layer needs: its keys and the keys its ops reference are
    /// roots, and refs are followed through base and the view alike, so a failed layer's
    /// rollback and a rebase find everything they read.
    ///
    /// O(R + E + N): R reachable entities, E refs among them, N entities in base (the sweep),
    /// plus O(log N) per removal.
    ///
    /// ```
    /// use optimist::{Key, Patch, Store};
    /// let mut store = Store::new();
    /// let list = |ids: &[&str]| ids.iter().map(|id| Key::new(id).unwrap()).collect::<Vec<_>>();
    /// store.write(Patch::new().set("ROOT_QUERY", "todos", list(&["Todo:1", "Todo:2"])).set("Todo:1", "t", 1).set("Todo:2", "t", 2))?;
    /// // Deleted by another client: the refetch no longer lists it.
    /// store.write(Patch::new().set("ROOT_QUERY", "todos", list(&["Todo:1"])))?;
    /// assert!(store.contains("Todo:2"), "still cached");
    /// let removed = store.gc();
    /// assert!(removed.contains("Todo:2") && !store.contains("Todo:2"));
    /// assert!(store.contains("Todo:1"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn gc(&mut self) -> Changes {
        self.exact(|this| {
            this.drain_abandoned();
            let reached = this.reachable();
            // What a layer touches is a root, so nothing removed has a view of its own: its
            // view was base.
            let removed = this
                .base
                .remove_unkept(|key| reached.contains(key.as_str()));
            let mut changes = Vec::with_capacity(removed.len());
            for (key, before) in &removed {
                this.stale.remove_key(key);
                record(&mut changes, key, Some(before), None);
            }
            this.finish(changes, Vec::new())
        })
    }

    /// Every key reachable from a root through base or the view.
    fn reachable(&self) -> HashSet<Key, Hasher> {
        let mut reached: HashSet<Key, Hasher> = HashSet::default();
        let mut work: Vec<Key> = Vec::new();
        let mut reach = |key: &Key, work: &mut Vec<Key>| {
            if !reached.contains(key) {
                reached.insert(key.clone());
                work.push(key.clone());
            }
        };
        for key in self.base.keys().filter(|key| key.is_root()) {
            reach(key, &mut work);
        }
        for (key, _) in self.retained.iter() {
            reach(key, &mut work);
        }
        for key in self.watchers.watched_keys() {
            reach(key, &mut work);
        }
        for key in self.temps.keys() {
            reach(key, &mut work);
        }
        for slot in self.stack.slots() {
            let Some(layer) = self.stack.get(slot) else {
                continue;
            };
            for (key, ops) in &layer.ops {
                reach(key, &mut work);
                for op in ops {
                    refs_in_op(op, &mut |target| reach(target, &mut work));
                }
            }
        }
        while let Some(key) = work.pop() {
            let base = self.base.get(&key);
            let view = self.get(&key);
            for entity in [base, view.filter(|v| base.is_none_or(|b| !b.ptr_eq(v)))]
                .into_iter()
                .flatten()
            {
                for (_, value) in entity.iter() {
                    refs_in_value(value, &mut |target| reach(target, &mut work));
                }
            }
        }
        reached
    }
}
