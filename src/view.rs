//! The merged view and snapshots of it.
//!
//! The view is base under an overlay that holds only the keys live layers touch: reading it is
//! an overlay lookup (a small map) and, for keys no layer touches, a base lookup; it never
//! walks the layers. This module owns the read side of that pair so the store and its
//! snapshots share one definition.

use std::fmt;

use crate::entity::Entity;
use crate::key::Key;
use crate::patch::Hasher;

/// A persistent map from keys to entities: O(1) clone, structural sharing between versions,
/// in-place updates of nodes no clone shares.
pub(crate) type Map = imbl::GenericHashMap<Key, Entity, Hasher, imbl::shared_ptr::DefaultSharedPtr>;

/// Keys touched by live layers, to their merged entity (`None`: deleted by a layer).
pub(crate) type Overlay =
    imbl::GenericHashMap<Key, Option<Entity>, Hasher, imbl::shared_ptr::DefaultSharedPtr>;

/// Temporary keys that were remapped, to the key they became.
pub(crate) type Aliases =
    imbl::GenericHashMap<Key, Key, Hasher, imbl::shared_ptr::DefaultSharedPtr>;

/// Base under the overlay: what readers see.
#[derive(Clone, Copy)]
pub(crate) struct View<'a> {
    pub(crate) base: &'a Map,
    pub(crate) overlay: &'a Overlay,
    pub(crate) aliases: &'a Aliases,
}

impl<'a> View<'a> {
    /// The entity under `key`; a remapped temporary key reads as the key it became.
    pub(crate) fn get(self, key: &str) -> Option<&'a Entity> {
        match self.get_exact(key) {
            None if !self.aliases.is_empty() => self.get_exact(self.aliases.get(key)?),
            found => found,
        }
    }

    /// The entity under `key` in base, through an alias as [`get`](View::get) reads.
    pub(crate) fn get_confirmed(self, key: &str) -> Option<&'a Entity> {
        match self.base.get(key) {
            None if !self.aliases.is_empty() => self.base.get(self.aliases.get(key)?),
            found => found,
        }
    }

    fn get_exact(self, key: &str) -> Option<&'a Entity> {
        if self.overlay.is_empty() {
            return self.base.get(key);
        }
        match self.overlay.get(key) {
            Some(over) => over.as_ref(),
            None => self.base.get(key),
        }
    }

    /// O(keys in the overlay).
    pub(crate) fn len(self) -> usize {
        let mut len = self.base.len();
        for (key, over) in self.overlay.iter() {
            match (self.base.contains_key(key), over.is_some()) {
                (true, false) => len -= 1,
                (false, true) => len += 1,
                _ => {}
            }
        }
        len
    }

    pub(crate) fn iter(self) -> impl Iterator<Item = (&'a Key, &'a Entity)> {
        let overlay = self.overlay;
        self.base
            .iter()
            .filter(move |(key, _)| !overlay.contains_key(*key))
            .chain(
                overlay
                    .iter()
                    .filter_map(|(key, over)| Some((key, over.as_ref()?))),
            )
    }
}

/// An O(1) snapshot of a store's base and merged view, from
/// [`Store::snapshot`](crate::Store::snapshot). It is `Send + Sync`: hand it to another thread
/// (a renderer, a serialiser) while the store moves on.
///
/// ```
/// fn assert_send_sync<T: Send + Sync>() {}
/// assert_send_sync::<optimist::Snapshot>();
/// ```
#[derive(Clone)]
pub struct Snapshot {
    pub(crate) base: Map,
    pub(crate) overlay: Overlay,
    pub(crate) aliases: Aliases,
    /// The view's size, as the store counted it.
    pub(crate) len: usize,
    /// The store's revision when this was taken.
    pub(crate) revision: u64,
}

impl Snapshot {
    fn view(&self) -> View<'_> {
        View {
            base: &self.base,
            overlay: &self.overlay,
            aliases: &self.aliases,
        }
    }

    /// The entity in the merged view.
    ///
    /// ```
    /// assert!(optimist::Store::new().snapshot().get("A:1").is_none());
    /// ```
    pub fn get(&self, key: &str) -> Option<&Entity> {
        self.view().get(key)
    }

    /// The entity in base; a remapped temporary key reads as the key it became.
    ///
    /// ```
    /// assert!(optimist::Store::new().snapshot().get_confirmed("A:1").is_none());
    /// ```
    pub fn get_confirmed(&self, key: &str) -> Option<&Entity> {
        self.view().get_confirmed(key)
    }

    /// Every entity of the merged view, in no particular order.
    ///
    /// ```
    /// assert_eq!(optimist::Store::new().snapshot().iter().count(), 0);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &Entity)> {
        self.view().iter()
    }

    /// Every entity of base, in no particular order.
    ///
    /// ```
    /// assert_eq!(optimist::Store::new().snapshot().iter_confirmed().count(), 0);
    /// ```
    pub fn iter_confirmed(&self) -> impl Iterator<Item = (&Key, &Entity)> {
        self.base.iter()
    }

    /// The number of entities in the merged view. O(1).
    ///
    /// ```
    /// assert_eq!(optimist::Store::new().snapshot().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// The store's [`revision`](crate::Store::revision) when the snapshot was taken: two
    /// snapshots of one store with equal revisions hold equal views, and of two snapshots the
    /// one with the larger revision was taken later. Compare it with the store's to tell
    /// whether the store has moved on since.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// let snapshot = store.snapshot();
    /// assert_eq!(snapshot.revision(), store.revision());
    /// store.write(Patch::new().set("A:1", "x", 1))?;
    /// assert!(store.snapshot().revision() > snapshot.revision());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Whether the merged view is empty.
    ///
    /// ```
    /// assert!(optimist::Store::new().snapshot().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("base", &self.base.len())
            .field("overlay", &self.overlay.len())
            .field("revision", &self.revision)
            .finish()
    }
}
