//! Stale marks: entities known to need a refetch (a mutation refused for a version conflict
//! touched them). A mark lasts until fresh data for the entity is written into base.
//!
//! It stands apart from the store's view: a mark changes no data, it tells the app what to
//! fetch again.

use std::collections::BTreeSet;

use crate::key::Key;

/// The stale entity keys.
#[derive(Clone, Default, PartialEq, Debug)]
pub(crate) struct Stale {
    keys: BTreeSet<Key>,
}

impl Stale {
    pub(crate) fn mark(&mut self, key: Key) {
        self.keys.insert(key);
    }

    /// Fresh data for `key` reached base.
    pub(crate) fn clear(&mut self, key: &Key) {
        if !self.keys.is_empty() {
            self.keys.remove(key);
        }
    }

    pub(crate) fn contains(&self, key: &str) -> bool {
        self.keys.contains(key)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Key> {
        self.keys.iter()
    }
}

impl crate::Store {
    /// Marks the entity `key` as stale: it needs a refetch. The mark lasts until fresh data
    /// for the key is written into base (a write, a confirmed answer folding in). The data
    /// itself stays and reads as before. O(log S) for S stale keys.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("Todo:1", "title", "a"))?;
    /// store.mark_stale("Todo:1")?;
    /// assert!(store.is_stale("Todo:1"));
    /// store.write(Patch::new().set("Todo:1", "title", "b"))?; // the refetch
    /// assert!(!store.is_stale("Todo:1"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn mark_stale(&mut self, key: impl crate::IntoKey) -> Result<(), crate::KeyError> {
        let key = key.into_key()?;
        let key = self.resolve(&key).cloned().unwrap_or(key);
        self.stale.mark(key);
        Ok(())
    }

    /// Whether the entity `key` is marked stale. O(log S).
    ///
    /// ```
    /// assert!(!optimist::Store::new().is_stale("Todo:1"));
    /// ```
    pub fn is_stale(&self, key: &str) -> bool {
        match self.resolve(key) {
            Some(key) => self.stale.contains(key),
            None => self.stale.contains(key),
        }
    }

    /// The entities marked stale, in key order: what to refetch.
    ///
    /// ```
    /// let mut store = optimist::Store::new();
    /// store.mark_stale("B:1")?;
    /// store.mark_stale("A:1")?;
    /// assert_eq!(store.stale().map(|k| k.as_str()).collect::<Vec<_>>(), ["A:1", "B:1"]);
    /// # Ok::<(), optimist::KeyError>(())
    /// ```
    pub fn stale(&self) -> impl Iterator<Item = &Key> {
        self.stale.iter()
    }
}
