//! Layer ids, layer states, the read-only [`LayerInfo`] of a live layer, and the ordered stack
//! of live layers.
//!
//! The stack owns request order and the index from each key to the layers that touch it; it
//! knows nothing of base or view. Ids are generation-checked slot keys tagged with the store
//! that issued them, so a stale id (its layer settled) or a foreign one (another store's) can
//! never reach a live layer.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use slotmap::SlotMap;
use smallvec::SmallVec;

use crate::entity::Entity;
use crate::fold_tree::{FoldTree, MIN_LAYERS};
use crate::key::Key;
use crate::op::{Op, Updaters, apply};
use crate::patch::{Hasher, OpsByKey, Patch};

slotmap::new_key_type! {
    /// Where a live layer sits in the slot map.
    pub(crate) struct Slot;
}

/// Issues a fresh number to every store, so ids of one store are foreign to every other.
pub(crate) fn next_store_tag() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Issues request numbers to layers: one counter for the whole program, so a store and its
/// clones never issue equal ids (a layer pushed on a clone is never mistaken for the
/// original's), and larger always means requested later.
fn next_layer_seq() -> u64 {
    LAYER_SEQ.fetch_add(1, Ordering::Relaxed)
}

static LAYER_SEQ: AtomicU64 = AtomicU64::new(1);

/// Makes every request number issued from now on larger than `seq` (a loaded store's layers
/// keep theirs).
pub(crate) fn issue_layer_seqs_after(seq: u64) {
    LAYER_SEQ.fetch_max(seq.saturating_add(1), Ordering::Relaxed);
}

/// The id of a layer, returned by [`Store::push`](crate::Store::push) and
/// [`Store::reserve`](crate::Store::reserve).
///
/// It cannot be forged (there is no public constructor) and never names another layer: once its
/// layer is settled and gone, the store reports the id as already settled instead of acting on a
/// newer layer. `Debug` prints `L` and the layer's request number (`L3`). Request numbers come
/// from one counter for the whole program: they grow in request order, are never reused, and a
/// store and its clones never issue the same one.
///
/// ```
/// use optimist::{Patch, Store};
/// let mut store = Store::new();
/// let (id, _) = store.push("like", Patch::new().increment("Post:1", "likes", 1))?;
/// assert!(format!("{id:?}").starts_with('L'));
/// store.fail(id)?;
/// assert!(store.fail(id).is_err(), "an id settles once");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct LayerId {
    pub(crate) store: u64,
    pub(crate) seq: u64,
    pub(crate) slot: Slot,
}

impl fmt::Debug for LayerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "L{}", self.seq)
    }
}

impl fmt::Display for LayerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "L{}", self.seq)
    }
}

/// Where a layer is in its life.
///
/// ```
/// use optimist::{LayerState, Patch, Store};
/// let mut store = Store::new();
/// let first = store.reserve("query");
/// let (second, _) = store.push("edit", Patch::new().set("A:1", "x", 1))?;
/// store.promote(second)?;
/// assert_eq!(store.layer(second).map(|l| l.state()), Some(LayerState::Confirmed));
/// assert_eq!(store.layer(first).map(|l| l.state()), Some(LayerState::Pending));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
pub enum LayerState {
    /// Waiting for the server's answer.
    Pending,
    /// The server answered with success; the layer waits for the pending layers below it to
    /// settle, then folds into base.
    Confirmed,
}

/// What a layer stands for, which decides where it sits in the stack.
///
/// * An **intent** is a user's mutation: it carries a guess (optimistic ops), goes on top when
///   pushed, and settles by [`promote`](crate::Store::promote) (its own ops),
///   [`confirm`](crate::Store::confirm) (the server's answer) or [`fail`](crate::Store::fail).
/// * An **observation** is a query or refetch: a slot with no guess, taken by
///   [`reserve`](crate::Store::reserve) and settled by its answer. It is placed directly below
///   the lowest pending intent (on top when none is pending): an observation never lands above
///   an intent that was still in flight when it was requested, since the server may have
///   answered it before it applied that intent.
///
/// ```
/// use optimist::{LayerKind, Patch, Store};
/// let mut store = Store::new();
/// let (save, _) = store.push("save", Patch::new().set("Todo:1", "done", true))?;
/// let refetch = store.reserve("refetch");
/// let order: Vec<_> = store.layers().map(|l| (l.id(), l.kind())).collect();
/// assert_eq!(order, [(refetch, LayerKind::Observation), (save, LayerKind::Intent)]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
pub enum LayerKind {
    /// A user's mutation, with a guess; pushed on top.
    Intent,
    /// A query's reserved slot, with no guess; placed below every intent still pending.
    Observation,
}

/// Where a layer sits in the stack: ordered oldest (bottom) first. An intent's place is
/// `(seq, MAX)`; an observation reserved while intent `i` was the lowest pending one sits at
/// `(i.seq, seq)`, just below `i` and above everything older than `i` (observations anchored
/// at the same intent keep request order among themselves); an observation reserved with no
/// intent pending sits at `(seq, 0)`, on top.
pub(crate) type Place = (u64, u64);

/// One live layer.
#[derive(Clone, PartialEq, Debug)]
pub(crate) struct Layer {
    pub(crate) label: Arc<str>,
    pub(crate) kind: LayerKind,
    pub(crate) state: LayerState,
    /// Request order: larger is newer. Unique in the program.
    pub(crate) seq: u64,
    /// The layer's place in the stack (see [`Place`]).
    pub(crate) place: Place,
    /// For an observation: the seq of the lowest intent pending when it was reserved (every
    /// intent pending then has a seq at least this), `u64::MAX` if none was. For an intent:
    /// its own seq.
    pub(crate) anchor: u64,
    pub(crate) ops: OpsByKey,
    /// The store's count of marking calls when the layer was made (its request sent): its
    /// answer, folding into base, clears the stale marks set by then, not those set after (the
    /// request may predate the change they announce).
    pub(crate) epoch: u64,
}

/// A live layer, as [`Store::layers`](crate::Store::layers) and
/// [`Store::layer`](crate::Store::layer) show it.
///
/// ```
/// use optimist::{LayerState, Patch, Store};
/// let mut store = Store::new();
/// let (id, _) = store.push("rename", Patch::new().set("A:1", "name", "b"))?;
/// let layer = store.layer(id).unwrap();
/// assert_eq!((layer.id(), layer.label(), layer.state()), (id, "rename", LayerState::Pending));
/// assert_eq!(layer.keys().count(), 1);
/// assert_eq!(layer.ops("A:1").len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy)]
pub struct LayerInfo<'a> {
    pub(crate) id: LayerId,
    pub(crate) layer: &'a Layer,
}

impl<'a> LayerInfo<'a> {
    /// The layer's id.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// let (id, _) = store.push("rename", Patch::new().set("A:1", "name", "b"))?;
    /// let layer = store.layer(id).unwrap();
    /// assert_eq!(layer.id(), id);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn id(&self) -> LayerId {
        self.id
    }

    /// The label given when it was pushed or reserved.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// let (id, _) = store.push("rename", Patch::new().set("A:1", "name", "b"))?;
    /// let layer = store.layer(id).unwrap();
    /// assert_eq!(layer.label(), "rename");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn label(&self) -> &'a str {
        &self.layer.label
    }

    /// Intent (a mutation, with a guess) or observation (a query's slot).
    ///
    /// ```
    /// use optimist::{LayerKind, Store};
    /// let mut store = Store::new();
    /// let id = store.reserve("refetch");
    /// assert_eq!(store.layer(id).unwrap().kind(), LayerKind::Observation);
    /// ```
    pub fn kind(&self) -> LayerKind {
        self.layer.kind
    }

    /// Pending, or confirmed and waiting for a layer below.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// let (id, _) = store.push("rename", Patch::new().set("A:1", "name", "b"))?;
    /// let layer = store.layer(id).unwrap();
    /// assert_eq!(layer.state(), optimist::LayerState::Pending);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn state(&self) -> LayerState {
        self.layer.state
    }

    /// The keys its ops touch, in no particular order.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// let (id, _) = store.push("rename", Patch::new().set("A:1", "name", "b"))?;
    /// let layer = store.layer(id).unwrap();
    /// assert_eq!(layer.keys().map(|k| k.as_str()).collect::<Vec<_>>(), ["A:1"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &'a Key> + use<'a> {
        self.layer.ops.keys()
    }

    /// Its ops on one key, in order (empty if none).
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// let (id, _) = store.push("rename", Patch::new().set("A:1", "name", "b"))?;
    /// let layer = store.layer(id).unwrap();
    /// assert_eq!((layer.ops("A:1").len(), layer.ops("B:1").len()), (1, 0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ops(&self, key: &str) -> &'a [Op] {
        self.layer.ops.get(key).map_or(&[], |ops| ops.as_slice())
    }

    /// Its ops as a patch (a copy).
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// let (id, _) = store.push("rename", Patch::new().set("A:1", "name", "b"))?;
    /// let layer = store.layer(id).unwrap();
    /// assert_eq!(layer.to_patch(), Patch::new().set("A:1", "name", "b"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_patch(&self) -> Patch {
        Patch::from_ops(self.layer.ops.clone())
    }
}

impl PartialEq for LayerInfo<'_> {
    fn eq(&self, other: &LayerInfo<'_>) -> bool {
        self.id == other.id && self.layer == other.layer
    }
}

impl fmt::Debug for LayerInfo<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut keys: Vec<&Key> = self.keys().collect();
        keys.sort_unstable();
        write!(
            f,
            "{:?} {:?} {:?} {:?} {:?}",
            self.id,
            self.kind(),
            self.label(),
            self.state(),
            keys
        )
    }
}

/// The live layers in request order, with an index from each key to the layers touching it.
#[derive(Clone, Default)]
pub(crate) struct Stack {
    /// Shared with the store's clones until one of them changes a layer (copy on write), so
    /// cloning a store copies a pointer per layer, not its ops.
    layers: SlotMap<Slot, Arc<Layer>>,
    /// Stack order, oldest (bottom) first.
    order: BTreeMap<Place, Slot>,
    /// The seqs of the pending intents, oldest first: the first is where a new observation
    /// goes.
    pending_intents: BTreeMap<u64, Slot>,
    /// For each key, the live layers whose ops touch it, in stack order. Keys no layer touches
    /// are absent (never an empty list).
    by_key: HashMap<Key, SmallVec<[Slot; 2]>, Hasher>,
    /// For keys under many layers, their ops on the key as a tree of summaries (see
    /// `fold_tree.rs`), kept in step by pushes and removals and dropped by any other change to
    /// the key's layers or their ops. `None`: folded once since such a change, without a tree;
    /// the next fold builds one (a key folded once after each change, as a remap or a confirm
    /// leaves it, would pay for a tree it never uses). See [`Stack::fold`].
    folds: HashMap<Key, Option<FoldTree>, Hasher>,
}

impl Stack {
    pub(crate) fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Pushes an intent on top, made when the marking count was `epoch`, and returns its slot
    /// and seq.
    pub(crate) fn push(&mut self, label: Arc<str>, ops: OpsByKey, epoch: u64) -> (Slot, u64) {
        let seq = next_layer_seq();
        let keys: Vec<Key> = ops.keys().cloned().collect();
        let place = (seq, u64::MAX);
        let slot = self.layers.insert(Arc::new(Layer {
            label,
            kind: LayerKind::Intent,
            state: LayerState::Pending,
            seq,
            place,
            anchor: seq,
            ops,
            epoch,
        }));
        self.order.insert(place, slot);
        self.pending_intents.insert(seq, slot);
        for key in keys {
            if !self.folds.is_empty()
                && let Some(fold) = self.folds.get_mut(&key)
                && let Some(tree) = fold
            {
                let ops = self.layers[slot].ops.get(&key).map_or(&[][..], |ops| ops);
                if !tree.push(place, slot, ops) {
                    *fold = None;
                }
            }
            // The new layer is on top, so appending keeps each list in stack order.
            self.by_key.entry(key).or_default().push(slot);
        }
        (slot, seq)
    }

    /// Places an observation with no ops directly below the lowest pending intent (on top if
    /// none is pending), made when the marking count was `epoch`, and returns its slot and seq.
    pub(crate) fn reserve(&mut self, label: Arc<str>, epoch: u64) -> (Slot, u64) {
        let seq = next_layer_seq();
        let (place, anchor) = match self.pending_intents.keys().next() {
            Some(&lowest) => ((lowest, seq), lowest),
            None => ((seq, 0), u64::MAX),
        };
        let slot = self.layers.insert(Arc::new(Layer {
            label,
            kind: LayerKind::Observation,
            state: LayerState::Pending,
            seq,
            place,
            anchor,
            ops: OpsByKey::default(),
            epoch,
        }));
        self.order.insert(place, slot);
        (slot, seq)
    }

    /// Puts back a layer loaded from a saved store, at its own place; refused if the place or
    /// the request number is taken.
    pub(crate) fn restore(&mut self, layer: Layer) -> Result<Slot, String> {
        if self.order.contains_key(&layer.place) {
            return Err(format!("two layers at place {:?}", layer.place));
        }
        let (seq, place, pending_intent) = (
            layer.seq,
            layer.place,
            layer.kind == LayerKind::Intent && layer.state == LayerState::Pending,
        );
        let keys: Vec<Key> = layer.ops.keys().cloned().collect();
        let slot = self.layers.insert(Arc::new(layer));
        self.order.insert(place, slot);
        if pending_intent && self.pending_intents.insert(seq, slot).is_some() {
            return Err(format!("two layers with request number {seq}"));
        }
        for key in keys {
            self.index(&key, slot);
        }
        Ok(slot)
    }

    pub(crate) fn get(&self, slot: Slot) -> Option<&Layer> {
        self.layers.get(slot).map(|layer| &**layer)
    }

    /// The layer's ops, for rewriting in place (the caller keeps the key index right: see
    /// [`Stack::reindex`]).
    pub(crate) fn ops_mut(&mut self, slot: Slot) -> Option<&mut OpsByKey> {
        let layer = self.layers.get_mut(slot)?;
        for key in layer.ops.keys() {
            Self::drop_fold(&mut self.folds, key);
        }
        Some(&mut Arc::make_mut(layer).ops)
    }

    pub(crate) fn set_state(&mut self, slot: Slot, state: LayerState) {
        if let Some(layer) = self.layers.get_mut(slot) {
            let layer = Arc::make_mut(layer);
            layer.state = state;
            if state != LayerState::Pending {
                self.pending_intents.remove(&layer.seq);
            }
        }
    }

    /// Removes a layer, returning it. O(k log L + k x M): per key it touches, a binary search
    /// by place in that key's list, then the shift of what lies above it (M, a memmove).
    pub(crate) fn remove(&mut self, slot: Slot) -> Option<Layer> {
        let place = self.layers.get(slot)?.place;
        for key in self.layers[slot].ops.keys() {
            if let Some(list) = self.by_key.get_mut(key) {
                Self::unindex_at(&self.layers, list, slot, place);
            }
            if !self.folds.is_empty()
                && let Some(fold) = self.folds.get_mut(key)
                && fold.as_mut().is_some_and(|tree| !tree.remove(place))
            {
                *fold = None;
            }
        }
        let layer = Arc::unwrap_or_clone(self.layers.remove(slot)?);
        self.order.remove(&layer.place);
        self.pending_intents.remove(&layer.seq);
        for key in layer.ops.keys() {
            if self.by_key.get(key).is_some_and(|list| list.is_empty()) {
                self.by_key.remove(key);
                Self::drop_fold(&mut self.folds, key);
            }
        }
        Some(layer)
    }

    /// The maximal run of confirmed layers at the bottom, oldest first.
    pub(crate) fn confirmed_bottom(&self) -> Vec<Slot> {
        self.order
            .values()
            .take_while(|slot| self.layers[**slot].state == LayerState::Confirmed)
            .copied()
            .collect()
    }

    /// Removes `run`, the bottom layers of the stack oldest first (as
    /// [`confirmed_bottom`](Stack::confirmed_bottom) gives them), returning them in that order.
    /// Linear in the run's ops: on every key, the run's layers are the first entries of its
    /// list, so each list loses a prefix in one drain.
    pub(crate) fn remove_bottom(&mut self, run: &[Slot]) -> Vec<Layer> {
        let mut prefix: HashMap<Key, usize, Hasher> = HashMap::default();
        let mut removed = Vec::with_capacity(run.len());
        for slot in run {
            let Some(layer) = self.layers.remove(*slot).map(Arc::unwrap_or_clone) else {
                continue;
            };
            self.order.remove(&layer.place);
            self.pending_intents.remove(&layer.seq);
            for key in layer.ops.keys() {
                *prefix.entry(key.clone()).or_default() += 1;
                if !self.folds.is_empty()
                    && let Some(fold) = self.folds.get_mut(key)
                    && fold.as_mut().is_some_and(|tree| !tree.remove(layer.place))
                {
                    *fold = None;
                }
            }
            removed.push(layer);
        }
        for (key, count) in prefix {
            if let Some(list) = self.by_key.get_mut(&key) {
                debug_assert!(list.iter().take(count).all(|slot| run.contains(slot)));
                list.drain(..count.min(list.len()));
                if list.is_empty() {
                    self.by_key.remove(&key);
                    Self::drop_fold(&mut self.folds, &key);
                }
            }
        }
        removed
    }

    /// Indexes `slot` under `key` (in stack order) if it is not already there.
    pub(crate) fn index(&mut self, key: &Key, slot: Slot) {
        let Some(place) = self.layers.get(slot).map(|layer| layer.place) else {
            return;
        };
        let list = self.by_key.entry(key.clone()).or_default();
        if list.contains(&slot) {
            return;
        }
        // Not necessarily on top: the tree is built again when the key is folded next.
        Self::drop_fold(&mut self.folds, key);
        let layers = &self.layers;
        let at = list.partition_point(|other| layers[*other].place < place);
        list.insert(at, slot);
    }

    /// Drops `slot` from the index of `key`.
    pub(crate) fn unindex_key(&mut self, key: &Key, slot: Slot) {
        self.unindex(key, slot);
    }

    /// Replaces a layer's ops, returning the old ones.
    pub(crate) fn replace_ops(&mut self, slot: Slot, ops: OpsByKey) -> OpsByKey {
        let old = match self.layers.get_mut(slot) {
            Some(layer) => std::mem::replace(&mut Arc::make_mut(layer).ops, ops),
            None => return OpsByKey::default(),
        };
        for key in old.keys() {
            self.unindex(key, slot);
        }
        let keys: Vec<Key> = self.layers[slot].ops.keys().cloned().collect();
        for key in keys {
            self.index(&key, slot);
        }
        old
    }

    fn unindex(&mut self, key: &Key, slot: Slot) {
        let Some(place) = self.layers.get(slot).map(|layer| layer.place) else {
            return;
        };
        Self::drop_fold(&mut self.folds, key);
        if let Some(list) = self.by_key.get_mut(key) {
            Self::unindex_at(&self.layers, list, slot, place);
            if list.is_empty() {
                self.by_key.remove(key);
            }
        }
    }

    /// Drops `slot` (a live layer at `place`) from a key's list, found by binary search: the
    /// list is in stack order, that is by place.
    fn unindex_at(
        layers: &SlotMap<Slot, Arc<Layer>>,
        list: &mut SmallVec<[Slot; 2]>,
        slot: Slot,
        place: Place,
    ) {
        let at = list.partition_point(|other| layers[*other].place < place);
        if list.get(at) == Some(&slot) {
            list.remove(at);
        }
    }

    /// The oldest live layer.
    pub(crate) fn bottom(&self) -> Option<Slot> {
        self.order.values().next().copied()
    }

    /// The slots of the layers touching `key`, in stack order.
    pub(crate) fn touching(&self, key: &str) -> &[Slot] {
        self.by_key.get(key).map_or(&[], |list| list.as_slice())
    }

    /// The layers touching `key` with their ops on it, in stack order.
    pub(crate) fn layers_on<'a>(
        &'a self,
        key: &'a str,
    ) -> impl Iterator<Item = (Slot, &'a Layer, &'a [Op])> + 'a {
        self.touching(key).iter().filter_map(move |slot| {
            let layer: &Layer = &self.layers[*slot];
            Some((*slot, layer, layer.ops.get(key)?.as_slice()))
        })
    }

    /// `key` folded from `below` through the ops of every layer touching it, as [`apply`]
    /// gives it. Under at least [`MIN_LAYERS`] layers, through the key's [`FoldTree`], built
    /// now if the key was folded once already since its layers last changed other than by a
    /// push or a removal. For a key folded with no version rule: the tree knows nothing of
    /// layer states.
    pub(crate) fn fold(
        &mut self,
        key: &Key,
        below: Option<&Entity>,
        updaters: &Updaters,
    ) -> Option<Entity> {
        let layers = &self.layers;
        // The ops of a run of layers, applied in one pass.
        let run = |slots: &[Slot], below: Option<&Entity>| {
            let ops = slots.iter().filter_map(|slot| layers[*slot].ops.get(key));
            apply(below, ops.flatten(), updaters)
        };
        let layer = |slots: &[Slot], below: Option<Entity>| run(slots, below.as_ref());
        let slots = self.by_key.get(key).map_or(&[][..], |list| list.as_slice());
        if slots.len() < MIN_LAYERS {
            Self::drop_fold(&mut self.folds, key);
            return run(slots, below);
        }
        match self.folds.get_mut(key) {
            Some(Some(tree)) => tree.fold(below.cloned(), &layer),
            Some(fold) => {
                let tree = fold.insert(FoldTree::build(slots.iter().map(|slot| {
                    let layer = &layers[*slot];
                    let ops = layer.ops.get(key).map_or(&[][..], |ops| ops);
                    (layer.place, *slot, ops)
                })));
                tree.fold(below.cloned(), &layer)
            }
            None => {
                self.folds.insert(key.clone(), None);
                run(slots, below)
            }
        }
    }

    /// Drops what `key` has of a fold tree (most stores have none: no hashing then).
    fn drop_fold(folds: &mut HashMap<Key, Option<FoldTree>, Hasher>, key: &Key) {
        if !folds.is_empty() {
            folds.remove(key);
        }
    }

    /// Slots in stack order, oldest first.
    pub(crate) fn slots(&self) -> impl DoubleEndedIterator<Item = Slot> + ExactSizeIterator + '_ {
        self.order.values().copied()
    }

    /// Every key some layer touches.
    pub(crate) fn touched_keys(&self) -> impl Iterator<Item = &Key> {
        self.by_key.keys()
    }

    /// Checks the index against the layers; used by `Store::check_invariants`.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.order.len() != self.layers.len() {
            return Err(format!(
                "order lists {} layers, the slot map holds {}",
                self.order.len(),
                self.layers.len()
            ));
        }
        for (place, slot) in &self.order {
            match self.layers.get(*slot) {
                Some(layer) if layer.place == *place => {}
                _ => {
                    return Err(format!(
                        "order entry {place:?} names a missing or moved layer"
                    ));
                }
            }
        }
        let pending: Vec<u64> = self
            .slots()
            .map(|slot| &self.layers[slot])
            .filter(|layer| layer.kind == LayerKind::Intent && layer.state == LayerState::Pending)
            .map(|layer| layer.seq)
            .collect();
        if !pending.iter().eq(self.pending_intents.keys()) {
            return Err("the pending-intent index differs from the layers".into());
        }
        // Intents keep request order among themselves, observations too.
        for kind in [LayerKind::Intent, LayerKind::Observation] {
            let seqs: Vec<u64> = self
                .slots()
                .map(|slot| &self.layers[slot])
                .filter(|layer| layer.kind == kind)
                .map(|layer| layer.seq)
                .collect();
            if seqs.windows(2).any(|w| w[0] > w[1]) {
                return Err(format!("{kind:?} layers are out of request order"));
            }
        }
        // Invariant 6: no observation sits above an intent that was pending when it was
        // reserved (every such intent has a seq at least the observation's anchor).
        let mut intents_below: Vec<&Layer> = Vec::new();
        for slot in self.slots() {
            let layer = &self.layers[slot];
            match layer.kind {
                LayerKind::Intent => intents_below.push(layer),
                LayerKind::Observation => {
                    if let Some(intent) = intents_below
                        .iter()
                        .find(|intent| layer.anchor <= intent.seq && intent.seq < layer.seq)
                    {
                        return Err(format!(
                            "observation L{} sits above intent L{}, pending when it was reserved",
                            layer.seq, intent.seq
                        ));
                    }
                }
            }
        }
        let mut expected: HashMap<&Key, Vec<Slot>> = HashMap::new();
        for slot in self.slots() {
            for key in self.layers[slot].ops.keys() {
                expected.entry(key).or_default().push(slot);
            }
        }
        if expected.len() != self.by_key.len() {
            return Err("the key index and the layers' keys differ".into());
        }
        for (key, slots) in expected {
            if self.touching(key) != slots.as_slice() {
                return Err(format!(
                    "the key index for `{key}` is not the touching layers in request order"
                ));
            }
        }
        for (key, tree) in &self.folds {
            let fits = match tree {
                Some(tree) => tree.slots().eq(self.touching(key).iter().copied()),
                None => self.by_key.contains_key(key),
            };
            if !fits {
                return Err(format!("the fold tree of `{key}` is not its layers"));
            }
        }
        Ok(())
    }
}

/// Why the store refused a layer id. A refused call changes nothing.
///
/// ```
/// use optimist::{LayerError, Patch, Store};
/// let mut store = Store::new();
/// let (id, _) = store.push("edit", Patch::new().set("A:1", "x", 1))?;
/// store.promote(id)?;
/// assert!(matches!(store.fail(id), Err(LayerError::AlreadySettled(_))));
/// let other = Store::new();
/// # let _ = other;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LayerError {
    /// The layer was already settled (confirmed, promoted or failed); settling it again would
    /// apply it twice, so nothing was done.
    AlreadySettled(LayerId),
    /// The id was issued by another store, so it names no layer of this one.
    UnknownLayer(LayerId),
}

impl fmt::Display for LayerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayerError::AlreadySettled(id) => write!(f, "layer {id} is already settled"),
            LayerError::UnknownLayer(id) => write!(f, "layer {id} was not issued by this store"),
        }
    }
}

impl std::error::Error for LayerError {}
