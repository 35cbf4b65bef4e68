//! The layers on one key as a tree of [`Summary`]s, for a key under many layers: folding the
//! key takes a few summaries instead of every layer's ops, and taking one layer out composes
//! summaries again along one path. Failing L layers on one key one by one costs
//! O(L log L) summary steps instead of the O(L^2) ops of folding the rest each time.
//!
//! Exact by construction: a summary applies exactly as its ops do, or says it cannot, and the
//! fold then goes down to its halves and, at the bottom, applies the layer's ops. Nodes over
//! ops that cannot be summarised (list edits, updaters) are passed through the same way, so a
//! key whose layers are all opaque folds as it would without the tree, plus a walk of it.
//!
//! List inserts at the ends summarise too (`summary.rs`), a `unique` one only under a promise
//! the tree keeps: its item is in no list op of an earlier leaf, in no earlier write of its
//! field, under no earlier updater (recorded as leaves are built and pushed, in stack order, and
//! never forgotten while the tree lives), and not in the list below the tree (checked at each
//! fold: a leaf whose item is there is folded from its ops, as are the nodes above it). So an
//! app's thousand offline creates, each a unique insert of its own new item, fold in O(log L)
//! joins of persistent vectors plus one pass over the list below.
//!
//! It stands apart from the stack because it is a cache over it: the stack keeps one per key
//! that has many layers and drops it whenever a change is not an append or a removal
//! (`layer.rs`), and it is built again from the layers when the key is folded next.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hash, Hasher};

use foldhash::fast::FixedState;

use crate::entity::Entity;
use crate::field::FieldName;
use crate::layer::{Place, Slot};
use crate::op::Op;
use crate::summary::{Below, Summary};
use crate::value::Value;

/// A key folds through a tree from this many layers on; below it, applying every layer's ops
/// costs little, and a tree does not pay for itself.
pub(crate) const MIN_LAYERS: usize = 32;

/// Applies the ops of a run of layers (their slots, in stack order) to an entity, in one pass.
pub(crate) type ApplyRun<'a> = dyn Fn(&[Slot], Option<Entity>) -> Option<Entity> + 'a;

#[derive(Clone, Debug)]
pub(crate) struct FoldTree {
    /// The key's layers in stack order (by place), as built and appended: each one's place,
    /// and its slot while it is live (`None` once removed).
    leaves: Vec<(Place, Option<Slot>)>,
    /// A complete binary tree in an array: the root is node 1, node `i`'s halves are `2i` and
    /// `2i + 1`, and leaf `j` is node `width + j`. Each node holds the summary of the live
    /// layers below it (a removed layer's and an unused leaf's is the identity), `None` where
    /// they cannot be summarised.
    nodes: Vec<Option<Summary>>,
    /// Leaves the tree has room for (a power of two, at least twice the layers it was built
    /// with, so layers pushed on top are appended in place).
    width: usize,
    /// Leaves whose layer is live.
    live: usize,
    /// What the leaves so far do to lists, for the unique inserts' promise.
    lists: Lists,
}

/// What the leaves built or pushed so far do to lists (see the module documentation). Items
/// are known by a fingerprint of their field and value, equal for equal values; two values that
/// share one only make the tree fold more from ops.
#[derive(Clone, Debug, Default)]
struct Lists {
    /// Every list insert's and removal's item.
    touched: HashSet<u64, FixedState>,
    /// Fields some write has set.
    written: HashSet<FieldName, FixedState>,
    /// Whether some leaf runs an updater (which may put anything anywhere).
    updated: bool,
    /// The unique inserts summarised under the promise: for each item, its leaf.
    unique: HashMap<u64, usize, FixedState>,
    /// Their fields.
    unique_fields: Vec<FieldName>,
}

/// The fingerprint of an item of a list field (see [`Lists`]): lists and objects are known
/// only by their kind, so it never walks a value.
fn fingerprint(field: &FieldName, item: &Value) -> u64 {
    let mut hasher = FixedState::default().build_hasher();
    field.hash(&mut hasher);
    match item {
        Value::Null => 0u8.hash(&mut hasher),
        Value::Bool(b) => (1u8, b).hash(&mut hasher),
        Value::Number(n) => (2u8, n).hash(&mut hasher),
        Value::String(s) => (3u8, s).hash(&mut hasher),
        Value::Ref(key) => (4u8, key).hash(&mut hasher),
        Value::List(_) => 5u8.hash(&mut hasher),
        Value::Object(_) => 6u8.hash(&mut hasher),
    }
    hasher.finish()
}

impl Lists {
    /// Records the ops of leaf `at` and says whether each unique insert among them keeps the
    /// promise (if not, the leaf is folded from its ops).
    fn record(&mut self, at: usize, ops: &[Op]) -> bool {
        let mut promised = true;
        for op in ops {
            match op {
                Op::ListInsert {
                    field,
                    item,
                    unique,
                    ..
                } => {
                    let print = fingerprint(field, item);
                    if *unique {
                        if self.updated
                            || self.written.contains(field)
                            || self.touched.contains(&print)
                        {
                            promised = false;
                        } else {
                            self.unique.insert(print, at);
                            if !self.unique_fields.contains(field) {
                                self.unique_fields.push(field.clone());
                            }
                        }
                    }
                    self.touched.insert(print);
                }
                Op::ListRemove { field, item } => {
                    self.touched.insert(fingerprint(field, item));
                }
                Op::Write(fields) => {
                    self.written
                        .extend(fields.iter().map(|(name, _)| name.clone()));
                }
                Op::Update { .. } => self.updated = true,
                Op::RemoveField(_) | Op::Delete | Op::Increment { .. } => {}
            }
        }
        promised
    }

    /// The leaves whose unique insert's item is in the list below the tree, ascending.
    fn seen_below(&self, below: Option<&Entity>) -> Vec<usize> {
        let Some(below) = below.filter(|_| !self.unique.is_empty()) else {
            return Vec::new();
        };
        let mut seen = Vec::new();
        for field in &self.unique_fields {
            if let Some(Value::List(list)) = below.get(field) {
                let prints = list.iter().map(|item| fingerprint(field, item));
                seen.extend(prints.filter_map(|print| self.unique.get(&print)));
            }
        }
        seen.sort_unstable();
        seen.dedup();
        seen
    }
}

impl FoldTree {
    /// The tree of a key's layers, in stack order: each one's place, slot and ops on the key.
    pub(crate) fn build<'a>(
        layers: impl ExactSizeIterator<Item = (Place, Slot, &'a [Op])>,
    ) -> FoldTree {
        let width = (2 * layers.len()).next_power_of_two();
        let mut tree = FoldTree {
            leaves: Vec::with_capacity(width),
            nodes: vec![Some(Summary::identity()); 2 * width],
            width,
            live: layers.len(),
            lists: Lists::default(),
        };
        for (at, (place, slot, ops)) in layers.enumerate() {
            tree.leaves.push((place, Some(slot)));
            tree.nodes[width + at] = tree.leaf(at, ops);
        }
        for node in (1..width).rev() {
            tree.nodes[node] = tree.compose(node);
        }
        tree
    }

    /// The summary of leaf `at`'s ops, recorded for the promise; `None` where they cannot be
    /// summarised or break it.
    fn leaf(&mut self, at: usize, ops: &[Op]) -> Option<Summary> {
        if self.lists.record(at, ops) {
            Summary::of(ops)
        } else {
            None
        }
    }

    /// The leaves below node `node`: `lo..hi`.
    fn span(&self, node: usize) -> (usize, usize) {
        let level = node.ilog2();
        let size = self.width >> level;
        let lo = (node - (1 << level)) * size;
        (lo, lo + size)
    }

    /// The summary of node `node`'s halves, one after the other.
    fn compose(&self, node: usize) -> Option<Summary> {
        let (lower, upper) = (&self.nodes[2 * node], &self.nodes[2 * node + 1]);
        lower.as_ref()?.then(upper.as_ref()?)
    }

    /// Sets leaf `at`'s summary and composes again the nodes above it.
    fn set(&mut self, at: usize, summary: Option<Summary>) {
        let mut node = self.width + at;
        self.nodes[node] = summary;
        while node > 1 {
            node /= 2;
            self.nodes[node] = self.compose(node);
        }
    }

    /// Appends the layer now on top of the key, at `place`; `false` if the tree has no room
    /// left (the caller drops it).
    pub(crate) fn push(&mut self, place: Place, slot: Slot, ops: &[Op]) -> bool {
        if self.leaves.len() == self.width {
            return false;
        }
        debug_assert!(self.leaves.last().is_none_or(|(last, _)| *last < place));
        self.leaves.push((place, Some(slot)));
        self.live += 1;
        let at = self.leaves.len() - 1;
        let summary = self.leaf(at, ops);
        self.set(at, summary);
        true
    }

    /// Takes out the layer at `place`; `false` once fewer than half its leaves are live, so
    /// the caller drops it (built again, compact, when the key is folded next).
    pub(crate) fn remove(&mut self, place: Place) -> bool {
        if let Ok(at) = self.leaves.binary_search_by(|(p, _)| p.cmp(&place))
            && self.leaves[at].1.take().is_some()
        {
            self.live -= 1;
            self.set(at, Some(Summary::identity()));
        }
        2 * self.live >= self.leaves.len()
    }

    /// The key folded from `below` through every live layer, exactly as applying their ops in
    /// order gives it; `layers` applies the ops of a run of layers, in one pass, where
    /// summaries cannot.
    pub(crate) fn fold(&self, below: Option<Entity>, layers: &ApplyRun<'_>) -> Option<Entity> {
        let mut walk = Walk {
            seen: self.lists.seen_below(below.as_ref()),
            entity: below,
            unapplied: Vec::new(),
        };
        self.fold_node(1, &mut walk, layers);
        walk.catch_up(layers);
        walk.entity
    }

    fn fold_node(&self, node: usize, walk: &mut Walk, layers: &ApplyRun<'_>) {
        match &self.nodes[node] {
            // Only removed layers (or room for more) below: nothing to do.
            Some(summary) if summary.is_identity() => return,
            Some(summary) => {
                walk.catch_up(layers);
                // The promise holds below this node unless a leaf under it inserts an item
                // that is in the list below the tree.
                let (lo, hi) = self.span(node);
                let first = walk.seen.partition_point(|&at| at < lo);
                let below = match walk.seen.get(first) {
                    Some(&at) if at < hi => Below::Unknown,
                    _ => Below::Unseen,
                };
                if let Some(folded) = summary.apply(walk.entity.as_ref(), below) {
                    walk.entity = folded;
                    return;
                }
            }
            None => {}
        }
        if node >= self.width {
            if let Some((_, Some(slot))) = self.leaves.get(node - self.width) {
                walk.unapplied.push(*slot);
            }
            return;
        }
        self.fold_node(2 * node, walk, layers);
        self.fold_node(2 * node + 1, walk, layers);
    }

    /// The live layers' slots, in stack order (for the stack's check).
    pub(crate) fn slots(&self) -> impl Iterator<Item = Slot> + '_ {
        self.leaves.iter().filter_map(|(_, slot)| *slot)
    }
}

/// A fold under way: the entity so far, and the layers after it whose ops are still to be
/// applied to it (a run of layers no summary covers is applied in one pass, as the plain fold
/// does, instead of freezing an entity after each).
struct Walk {
    entity: Option<Entity>,
    unapplied: Vec<Slot>,
    /// The leaves whose unique insert's item is in the list below the tree, ascending.
    seen: Vec<usize>,
}

impl Walk {
    fn catch_up(&mut self, layers: &ApplyRun<'_>) {
        if !self.unapplied.is_empty() {
            self.entity = layers(&self.unapplied, self.entity.take());
            self.unapplied.clear();
        }
    }
}
