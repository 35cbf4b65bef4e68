//! The merged view and snapshots of it.
//!
//! The view is base under an overlay that holds only the keys live layers touch. Base and the
//! overlay's merged entities share one persistent map ([`Map`]), so reading either side is one
//! lookup however many layers are live; it never walks the layers. This module owns the read
//! side so the store and its snapshots share one definition.

use std::fmt;

use crate::entity::Entity;
use crate::key::Key;
use crate::patch::Hasher;
use crate::trie::Trie;

/// Base and the view in one persistent map, so that a read of either side is one lookup at
/// any depth of the stack: a key no live layer touches holds its confirmed entity once
/// ([`Cell::Base`]); a key some layer touches holds both its confirmed entity and its merged
/// one ([`Cell::Layered`], boxed, so a cell is two words: the entity's pointer and a tag). O(1) clone,
/// structural sharing between versions, in-place updates of nodes no clone shares.
///
/// The store keeps the layered side equal to its overlay (see `Store::set_overlay`): the
/// overlay says which keys are layered, this map answers reads.
#[derive(Clone, Default)]
pub(crate) struct Map {
    cells: Cells,
    /// How many cells have a confirmed entity: base's size.
    len: usize,
}

type Cells = Trie<Key, Cell, Hasher>;

#[derive(Clone)]
enum Cell {
    /// No live layer touches the key: base and view agree.
    Base(Entity),
    /// Some live layer touches the key.
    Layered(Box<Layered>),
}

#[derive(Clone)]
struct Layered {
    /// Base's entity (`None`: base lacks the key).
    base: Option<Entity>,
    /// The view's (`None`: the layers delete it).
    view: Option<Entity>,
}

impl Cell {
    fn base(&self) -> Option<&Entity> {
        match self {
            Cell::Base(entity) => Some(entity),
            Cell::Layered(layered) => layered.base.as_ref(),
        }
    }

    fn view(&self) -> Option<&Entity> {
        match self {
            Cell::Base(entity) => Some(entity),
            Cell::Layered(layered) => layered.view.as_ref(),
        }
    }
}

impl Map {
    /// Base's entity under `key`. One lookup.
    pub(crate) fn get(&self, key: &str) -> Option<&Entity> {
        self.cells.get(key)?.base()
    }

    /// The view's entity under `key`: the merged one where a layer touches the key, base's
    /// elsewhere. One lookup.
    pub(crate) fn get_view(&self, key: &str) -> Option<&Entity> {
        self.cells.get(key)?.view()
    }

    pub(crate) fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Base's size.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// A base of `entities` and no layered keys (of equal keys, the last), built in one pass:
    /// how a saved store's base is loaded.
    pub(crate) fn from_base(entities: impl IntoIterator<Item = (Key, Entity)>) -> Map {
        let cells = Cells::from_entries(
            entities
                .into_iter()
                .map(|(key, entity)| (key, Cell::Base(entity))),
            Hasher::default(),
        );
        Map {
            len: cells.len(),
            cells,
        }
    }

    /// Sets `key` in base; a layered key keeps its view.
    pub(crate) fn insert(&mut self, key: Key, entity: Entity) {
        let mut counted = false;
        self.cells.upsert(key, |cell| match cell {
            Some(Cell::Base(old)) => {
                *old = entity;
                None
            }
            Some(Cell::Layered(layered)) => {
                counted = layered.base.replace(entity).is_none();
                None
            }
            None => {
                counted = true;
                Some(Cell::Base(entity))
            }
        });
        if counted {
            self.len += 1;
        }
    }

    /// Removes `key` from base; a layered key keeps its view.
    pub(crate) fn remove(&mut self, key: &str) {
        match self.cells.remove(key) {
            None => {}
            Some((_, Cell::Base(_))) => self.len -= 1,
            // Rare: a layer touches the key; its view stays.
            Some((key, Cell::Layered(mut layered))) => {
                if layered.base.take().is_some() {
                    self.len -= 1;
                }
                self.cells.insert(key, Cell::Layered(layered));
            }
        }
    }

    /// Removes from base every key that `keep` refuses, none of them layered, and returns them
    /// with their entities, in the map's order. Few go one by one; when a quarter of the map
    /// or more goes, the map is built again from what stays: a removal copies the arrays on
    /// its path that a clone shares, where a build allocates each array once.
    pub(crate) fn remove_unkept(&mut self, keep: impl Fn(&Key) -> bool) -> Vec<(Key, Entity)> {
        // `keep` is asked once per key; its answers, in the map's order, serve a build too.
        let mut kept: Vec<bool> = Vec::with_capacity(self.cells.len());
        let mut removed: Vec<(Key, Entity)> = Vec::new();
        for (key, cell) in self.cells.iter() {
            let stays = !matches!(cell, Cell::Base(_)) || keep(key);
            if let (false, Cell::Base(entity)) = (stays, cell) {
                removed.push((key.clone(), entity.clone()));
            }
            kept.push(stays);
        }
        if removed.len() * 4 >= self.cells.len() {
            let staying = self
                .cells
                .iter()
                .zip(kept)
                .filter(|(_, stays)| *stays)
                .map(|((key, cell), _)| (key.clone(), cell.clone()));
            self.cells = Cells::from_entries(staying.collect::<Vec<_>>(), Hasher::default());
        } else {
            for (key, _) in &removed {
                self.cells.remove(key);
            }
        }
        self.len -= removed.len();
        removed
    }

    /// Sets the view's side of `key`: `Some(entity)` layers it with that merged entity
    /// (`None`: deleted in the view), `None` unlayers it (the view reads base again).
    pub(crate) fn set_view(&mut self, key: &Key, view: Option<Option<Entity>>) {
        match view {
            Some(view) => {
                self.cells.upsert(key.clone(), |cell| match cell {
                    Some(Cell::Layered(layered)) => {
                        layered.view = view;
                        None
                    }
                    Some(cell) => {
                        let base = cell.base().cloned();
                        *cell = Cell::Layered(Box::new(Layered { base, view }));
                        None
                    }
                    None => Some(Cell::Layered(Box::new(Layered { base: None, view }))),
                });
            }
            None => {
                let Some(Cell::Layered(layered)) = self.cells.get(key.as_str()) else {
                    return;
                };
                match layered.base.clone() {
                    Some(base) => {
                        self.cells.insert(key.clone(), Cell::Base(base));
                    }
                    None => {
                        self.cells.remove(key.as_str());
                    }
                }
            }
        }
    }

    /// Base's entries, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&Key, &Entity)> {
        self.cells
            .iter()
            .filter_map(|(key, cell)| Some((key, cell.base()?)))
    }

    /// Base's keys.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &Key> {
        self.iter().map(|(key, _)| key)
    }

    /// Whether the map's count of cells agrees with the cells it holds. O(cells); for the
    /// invariant checks.
    pub(crate) fn check_count(&self) -> Result<(), String> {
        let held = self.cells.iter().count();
        if held == self.cells.len() {
            Ok(())
        } else {
            Err(format!(
                "base's map counts {} cells and holds {held}",
                self.cells.len()
            ))
        }
    }

    /// The layered keys, with their merged entities. O(cells); for the invariant checks.
    pub(crate) fn layered(&self) -> impl Iterator<Item = (&Key, Option<&Entity>)> {
        self.cells.iter().filter_map(|(key, cell)| match cell {
            Cell::Base(_) => None,
            Cell::Layered(layered) => Some((key, layered.view.as_ref())),
        })
    }

    /// The view's entries, in no particular order.
    pub(crate) fn iter_view(&self) -> impl Iterator<Item = (&Key, &Entity)> {
        self.cells
            .iter()
            .filter_map(|(key, cell)| Some((key, cell.view()?)))
    }
}

impl fmt::Debug for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Maps are equal when their bases are (the view's side is derived from the layers).
impl PartialEq for Map {
    fn eq(&self, other: &Map) -> bool {
        self.len == other.len
            && self
                .iter()
                .all(|(key, entity)| other.get(key) == Some(entity))
    }
}

/// Keys touched by live layers, to their merged entity (`None`: deleted by a layer).
pub(crate) type Overlay = Trie<Key, Option<Entity>, Hasher>;

/// Temporary keys that were remapped, to the key they became.
pub(crate) type Aliases = Trie<Key, Key, Hasher>;

/// Base under the overlay: what readers see.
#[derive(Clone, Copy)]
pub(crate) struct View<'a> {
    pub(crate) base: &'a Map,
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

    /// One lookup, however many layers are live.
    fn get_exact(self, key: &str) -> Option<&'a Entity> {
        self.base.get_view(key)
    }

    /// Counted from the cells: O(entities). For the invariant checks (the store keeps its
    /// count as it goes).
    pub(crate) fn len(self) -> usize {
        self.base.iter_view().count()
    }

    pub(crate) fn iter(self) -> impl Iterator<Item = (&'a Key, &'a Entity)> {
        self.base.iter_view()
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
            .field("revision", &self.revision)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_is_two_words() {
        // An entity is one pointer; the layered side is boxed, so a cell is that pointer and
        // the tag that tells the sides apart.
        assert_eq!(size_of::<Entity>(), size_of::<usize>());
        assert_eq!(size_of::<Cell>(), 2 * size_of::<usize>());
    }

    #[test]
    fn a_slot_of_the_map_is_as_small_as_its_entry() {
        // The trie tells a child slot from an entry by a bit pattern no entry has: the cell's
        // spare tags. A key (two words) and a cell (two) make a slot of four words.
        assert_eq!(
            crate::trie::slot_size::<Key, Cell>(),
            size_of::<(Key, Cell)>()
        );
        assert_eq!(size_of::<(Key, Cell)>(), 4 * size_of::<usize>());
    }

    #[test]
    fn base_and_view_sides_of_one_map() {
        let key = |text: &str| Key::new(text).unwrap();
        let one = Entity::new().with("n", 1);
        let two = Entity::new().with("n", 2);
        let mut map = Map::default();
        map.insert(key("A:1"), one.clone());
        map.set_view(&key("A:1"), Some(Some(two.clone())));
        map.set_view(&key("A:2"), Some(Some(one.clone())));
        map.set_view(&key("A:3"), Some(None));
        assert_eq!(
            (map.get("A:1"), map.get_view("A:1")),
            (Some(&one), Some(&two))
        );
        assert_eq!((map.get("A:2"), map.get_view("A:2")), (None, Some(&one)));
        assert_eq!(map.len(), 1, "only A:1 is in base");
        map.insert(key("A:3"), two.clone());
        assert_eq!((map.get("A:3"), map.get_view("A:3")), (Some(&two), None));
        map.remove("A:1");
        assert_eq!((map.get("A:1"), map.get_view("A:1")), (None, Some(&two)));
        assert_eq!(map.len(), 1);
        for layered in ["A:1", "A:2", "A:3"] {
            map.set_view(&key(layered), None);
        }
        assert_eq!(
            map.get_view("A:3"),
            Some(&two),
            "unlayered: the view reads base"
        );
        assert_eq!((map.get_view("A:1"), map.get_view("A:2")), (None, None));
        assert_eq!(map.layered().count(), 0);
        assert_eq!(map.iter().count(), 1);
    }
}
