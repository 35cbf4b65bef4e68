//! A persistent hash map whose nodes are exactly as long as what they hold.
//!
//! [`Trie`] is a hash array mapped trie: each level takes five bits of the key's 64-bit hash,
//! a node holds a bitmap of the positions in use and one slot per position (an entry, or a child
//! node one level down), and the slots sit in one shared array of exactly that length. A child
//! slot carries its node's bitmap, so a lookup costs one memory access per level: the array.
//! Fixed-width leaves (imbl's `HashMap` keeps 16 or 32 slots per leaf whatever it holds) cost
//! about 230 bytes per entry at 100,000 entries; these nodes cost about 50.
//!
//! Clone is O(1) (one reference count); a write copies the arrays on its path that a clone
//! shares and updates in place the ones it owns. Removing an entry folds a child node left with
//! one entry back into its parent, so the shape depends only on the keys present, never on the
//! history of writes: every node below the root holds at least two entries.
//!
//! Keys whose 64 hash bits all agree share a collision node at the bottom, searched linearly.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use triomphe::Arc;

use smallvec::SmallVec;

/// Hash bits consumed per level.
const BITS: u32 = 5;
/// A level's slot positions, as a mask of hash bits.
const POSITIONS: u64 = (1 << BITS) - 1;
/// At this shift the hash is used up: the node is a collision node, a plain list.
const HASH_BITS: u32 = u64::BITS;
/// Levels that use hash bits: one per five bits (the last has four).
const LEVELS: u32 = HASH_BITS.div_ceil(BITS);
/// Levels a path can have: those, and the collision node.
const MAX_DEPTH: usize = LEVELS as usize + 1;

/// A persistent map from `K` to `V`, hashed by `S`. O(log32 n) lookups, inserts and removals;
/// O(1) clones sharing every node.
pub(crate) struct Trie<K, V, S> {
    root: Node<K, V>,
    len: usize,
    hasher: S,
    /// The empty array a moved-out slot points to (see [`husk`]).
    empty: Slots<K, V>,
}

/// A node: which positions hold a slot, and the slots in position order. A collision node
/// (below the last hash bits) has no bitmap; its slots are entries with one hash.
struct Node<K, V> {
    map: u32,
    slots: Slots<K, V>,
}

/// A node's slots, in one shared array. triomphe's `Arc` counts strong references only: a
/// node's block is a word smaller than with std's (no weak count), 16 bytes of malloc's chunk
/// for most node sizes.
type Slots<K, V> = Arc<[Slot<K, V>]>;

/// The slots of `slots`, copied first if a clone shares them.
fn make_mut<K: Clone, V: Clone>(slots: &mut Slots<K, V>) -> &mut [Slot<K, V>] {
    if Arc::get_mut(slots).is_none() {
        *slots = slots.iter().cloned().collect();
    }
    Arc::get_mut(slots).expect("a freshly copied array has one owner")
}

enum Slot<K, V> {
    Entry(K, V),
    Child(Node<K, V>),
}

/// What a slot holds for the instant it is moved out of an array this write owns and is about
/// to drop: a child with no slots (an empty array shared by the whole map, so leaving one
/// costs a reference count). No reachable node holds one. A variant of its own would cost
/// every slot 8 bytes where a spare bit pattern of the entry already tells the variants apart
/// (the store's map: its cell's tag; a map whose keys and values have none pays a tag anyway).
fn husk<K, V>(empty: &Slots<K, V>) -> Slot<K, V> {
    Slot::Child(Node {
        map: 0,
        slots: Arc::clone(empty),
    })
}

impl<K, V> Clone for Node<K, V> {
    fn clone(&self) -> Self {
        Node {
            map: self.map,
            slots: Arc::clone(&self.slots),
        }
    }
}

impl<K: Clone, V: Clone> Clone for Slot<K, V> {
    fn clone(&self) -> Self {
        match self {
            Slot::Entry(key, value) => Slot::Entry(key.clone(), value.clone()),
            Slot::Child(node) => Slot::Child(node.clone()),
        }
    }
}

impl<K, V, S: Clone> Clone for Trie<K, V, S> {
    fn clone(&self) -> Self {
        Trie {
            root: self.root.clone(),
            len: self.len,
            hasher: self.hasher.clone(),
            empty: Arc::clone(&self.empty),
        }
    }
}

impl<K, V, S: Default> Default for Trie<K, V, S> {
    fn default() -> Self {
        Trie {
            root: Node::empty(),
            len: 0,
            hasher: S::default(),
            empty: std::iter::empty().collect(),
        }
    }
}

impl<K, V> Node<K, V> {
    fn empty() -> Self {
        Node {
            map: 0,
            slots: std::iter::empty().collect(),
        }
    }

    /// The slot at hash position `position`, with its index, if the node has one there.
    fn index(&self, position: u32) -> Option<usize> {
        let bit = 1u32 << position;
        (self.map & bit != 0).then(|| (self.map & (bit - 1)).count_ones() as usize)
    }
}

/// The position of `hash` in a node at `shift`.
fn position(hash: u64, shift: u32) -> u32 {
    // Masked to five bits: the cast cannot truncate.
    ((hash >> shift) & POSITIONS) as u32
}

/// The slots of `slots` with `slot` inserted at `at`: moved out of an array this write owns,
/// cloned out of a shared one.
fn inserted<K: Clone, V: Clone>(
    slots: &mut Slots<K, V>,
    at: usize,
    slot: Slot<K, V>,
    empty: &Slots<K, V>,
) -> Slots<K, V> {
    let len = slots.len();
    let mut slot = Some(slot);
    let mut new = move |old: &mut dyn FnMut(usize) -> Slot<K, V>, i: usize| match i.cmp(&at) {
        Ordering::Less => old(i),
        Ordering::Equal => slot.take().unwrap_or_else(|| husk(empty)),
        Ordering::Greater => old(i - 1),
    };
    // Built from an exact-size iterator: one allocation.
    match Arc::get_mut(slots) {
        Some(owned) => {
            let mut take = |i: usize| std::mem::replace(&mut owned[i], husk(empty));
            (0..=len).map(|i| new(&mut take, i)).collect()
        }
        None => {
            let shared = &**slots;
            let mut copy = |i: usize| shared[i].clone();
            (0..=len).map(|i| new(&mut copy, i)).collect()
        }
    }
}

/// The slots of `slots` without the one at `at`, and that one.
fn removed<K: Clone, V: Clone>(
    slots: &mut Slots<K, V>,
    at: usize,
    empty: &Slots<K, V>,
) -> (Slots<K, V>, Slot<K, V>) {
    let len = slots.len();
    let skip = |i: usize| if i < at { i } else { i + 1 };
    match Arc::get_mut(slots) {
        Some(owned) => {
            let out = std::mem::replace(&mut owned[at], husk(empty));
            let rest = (0..len - 1)
                .map(|i| std::mem::replace(&mut owned[skip(i)], husk(empty)))
                .collect();
            (rest, out)
        }
        None => {
            let rest = (0..len - 1).map(|i| slots[skip(i)].clone()).collect();
            (rest, slots[at].clone())
        }
    }
}

impl<K, V, S> Trie<K, V, S>
where
    K: Clone + Eq + Hash,
    V: Clone,
    S: BuildHasher,
{
    /// The number of entries. O(1).
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether the map has no entries.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether `key` has an entry.
    pub(crate) fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.get(key).is_some()
    }

    /// The keys, in hash order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &K> {
        self.iter().map(|(key, _)| key)
    }

    fn hash<Q: Hash + ?Sized>(&self, key: &Q) -> u64 {
        self.hasher.hash_one(key)
    }

    /// The value under `key`: one array access per level.
    pub(crate) fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let mut hash = self.hash(key);
        let (mut map, mut slots) = (self.root.map, &*self.root.slots);
        for _ in 0..LEVELS {
            let bit = 1u32 << (hash & POSITIONS);
            if map & bit == 0 {
                return None;
            }
            match slots.get((map & (bit - 1)).count_ones() as usize)? {
                Slot::Entry(found, value) => return same(found.borrow(), key).then_some(value),
                Slot::Child(child) => (map, slots) = (child.map, &*child.slots),
            }
            hash >>= BITS;
        }
        slots.iter().find_map(|slot| match slot {
            Slot::Entry(found, value) if found.borrow() == key => Some(value),
            _ => None,
        })
    }

    /// Sets `key` to `value`, returning the value it replaces.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        let mut old = None;
        self.upsert(key, |found| match found {
            Some(found) => {
                old = Some(std::mem::replace(found, value));
                None
            }
            None => Some(value),
        });
        old
    }

    /// One walk to `key`: `change(Some(value))` changes its value in place, or, if the key is
    /// absent, what `change(None)` returns is inserted (nothing for `None`). Copies the shared
    /// arrays on its path (the contents stay the same where nothing is changed or added).
    /// Returns whether an entry was added.
    pub(crate) fn upsert(
        &mut self,
        key: K,
        change: impl FnOnce(Option<&mut V>) -> Option<V>,
    ) -> bool {
        let hash = self.hash(&key);
        let added = upsert_in(
            &mut self.root,
            hash,
            0,
            key,
            change,
            &self.hasher,
            &self.empty,
        );
        if added {
            self.len += 1;
        }
        added
    }

    /// Removes `key`, returning its entry; copies nothing when the key is absent.
    pub(crate) fn remove<Q>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.get(key)?;
        let hash = self.hash(key);
        let entry = remove_in(&mut self.root, hash, 0, key, &self.empty)?;
        self.len -= 1;
        Some(entry)
    }

    /// A map of `entries` (of equal keys, the last), built bottom up: each array is allocated
    /// once, at its final length, and no key is compared with another unless their 64 hash
    /// bits agree. The same map as inserting them one by one, node for node, for a fraction of
    /// the cost (a load of a saved store of 100,000 entities).
    pub(crate) fn from_entries(entries: impl IntoIterator<Item = (K, V)>, hasher: S) -> Self {
        let entries: Vec<(K, V)> = entries.into_iter().collect();
        let mut order: Vec<(u64, usize, u64)> = entries
            .iter()
            .enumerate()
            .map(|(at, (key, _))| {
                let hash = hasher.hash_one(key);
                (path_order(hash), at, hash)
            })
            .collect();
        let mut entries: Vec<Option<(K, V)>> = entries.into_iter().map(Some).collect();
        // By path, then by place: of equal keys, the last wins below.
        order.sort_unstable();
        let hashes: Vec<u64> = order.iter().map(|&(.., hash)| hash).collect();
        let mut entries = order.iter().filter_map(|&(_, at, _)| entries[at].take());
        let (map, slots, len) = built_node(&hashes, &mut entries, 0);
        Trie {
            root: Node {
                map,
                slots: slots.into(),
            },
            len,
            hasher,
            empty: std::iter::empty().collect(),
        }
    }

    /// The entries, in hash order.
    pub(crate) fn iter(&self) -> Iter<'_, K, V> {
        let mut stack = SmallVec::new();
        stack.push(self.root.slots.iter());
        Iter { stack }
    }
}

/// `hash` with its five-bit positions reversed (the root's position in the top bits): sorted by
/// it, entries come in the order a depth-first walk of the trie meets them.
fn path_order(hash: u64) -> u64 {
    let mut order = 0;
    for level in 0..LEVELS {
        let shift = level * BITS;
        let width = BITS.min(HASH_BITS - shift);
        order = (order << width) | ((hash >> shift) & ((1 << width) - 1));
    }
    order
}

/// The node at `shift` holding the next `hashes.len()` entries of `entries` (in path order,
/// with those hashes): its bitmap and slots, and how many entries it keeps.
fn built_node<K: Eq, V>(
    hashes: &[u64],
    entries: &mut impl Iterator<Item = (K, V)>,
    shift: u32,
) -> (u32, Vec<Slot<K, V>>, usize) {
    let mut slots: Vec<Slot<K, V>> = Vec::new();
    if shift >= HASH_BITS {
        // One hash: a collision node, of equal keys the last.
        for (key, value) in entries.take(hashes.len()) {
            match slots
                .iter_mut()
                .find(|slot| matches!(slot, Slot::Entry(other, _) if *other == key))
            {
                Some(slot) => *slot = Slot::Entry(key, value),
                None => slots.push(Slot::Entry(key, value)),
            }
        }
        let kept = slots.len();
        return (0, slots, kept);
    }
    let (mut map, mut kept) = (0, 0);
    let mut rest = hashes;
    while let Some(&first) = rest.first() {
        let here = position(first, shift);
        let run = rest
            .iter()
            .position(|&hash| position(hash, shift) != here)
            .unwrap_or(rest.len());
        map |= 1 << here;
        if run == 1 {
            let Some((key, value)) = entries.next() else {
                break; // not reached: one entry per hash
            };
            slots.push(Slot::Entry(key, value));
            kept += 1;
        } else {
            let (child_map, mut child, child_kept) =
                built_node(&rest[..run], entries, shift + BITS);
            kept += child_kept;
            // A child left with one entry (equal keys folded into one) gives it up: it sits
            // here, as a removal would leave it.
            slots.push(match child.pop() {
                Some(entry @ Slot::Entry(..)) if child_kept == 1 => entry,
                last => {
                    child.extend(last);
                    Slot::Child(Node {
                        map: child_map,
                        slots: child.into(),
                    })
                }
            });
        }
        rest = &rest[run..];
    }
    (map, slots, kept)
}

fn upsert_in<K, V, S>(
    node: &mut Node<K, V>,
    hash: u64,
    shift: u32,
    key: K,
    change: impl FnOnce(Option<&mut V>) -> Option<V>,
    hasher: &S,
    empty: &Slots<K, V>,
) -> bool
where
    K: Clone + Eq + Hash,
    V: Clone,
    S: BuildHasher,
{
    if shift >= HASH_BITS {
        let found = node
            .slots
            .iter()
            .position(|slot| matches!(slot, Slot::Entry(other, _) if *other == key));
        if let Some(at) = found {
            if let Slot::Entry(_, value) = &mut make_mut(&mut node.slots)[at] {
                change(Some(value));
            }
            return false;
        }
        let Some(value) = change(None) else {
            return false;
        };
        let end = node.slots.len();
        node.slots = inserted(&mut node.slots, end, Slot::Entry(key, value), empty);
        return true;
    }
    let position = position(hash, shift);
    let Some(at) = node.index(position) else {
        let Some(value) = change(None) else {
            return false;
        };
        let bit = 1u32 << position;
        let at = (node.map & (bit - 1)).count_ones() as usize;
        node.slots = inserted(&mut node.slots, at, Slot::Entry(key, value), empty);
        node.map |= bit;
        return true;
    };
    // What the position holds, read before any array is copied.
    let this_key = matches!(&node.slots[at], Slot::Entry(found, _) if *found == key);
    if this_key {
        if let Slot::Entry(_, value) = slot_mut(node, at) {
            change(Some(value));
        }
        return false;
    }
    if let Slot::Child(_) = &node.slots[at] {
        return match slot_mut(node, at) {
            Slot::Child(child) => upsert_in(child, hash, shift + BITS, key, change, hasher, empty),
            Slot::Entry(..) => false,
        };
    }
    let Some(value) = change(None) else {
        return false;
    };
    // Another key holds the position: both go one level down.
    let slot = slot_mut(node, at);
    if let Slot::Entry(other, other_value) = std::mem::replace(slot, husk(empty)) {
        let other_hash = hasher.hash_one(&other);
        *slot = Slot::Child(pair(
            (other, other_value, other_hash),
            (key, value, hash),
            shift + BITS,
        ));
    }
    true
}

/// The slot at `at` of `node`, its array copied first if a clone shares it.
fn slot_mut<K: Clone, V: Clone>(node: &mut Node<K, V>, at: usize) -> &mut Slot<K, V> {
    &mut make_mut(&mut node.slots)[at]
}

/// The node at `shift` holding two entries whose hashes agree above it.
fn pair<K, V>(a: (K, V, u64), b: (K, V, u64), shift: u32) -> Node<K, V> {
    if shift >= HASH_BITS {
        return Node {
            map: 0,
            slots: [Slot::Entry(a.0, a.1), Slot::Entry(b.0, b.1)]
                .into_iter()
                .collect(),
        };
    }
    let (pa, pb) = (position(a.2, shift), position(b.2, shift));
    if pa == pb {
        return Node {
            map: 1 << pa,
            slots: [Slot::Child(pair(a, b, shift + BITS))]
                .into_iter()
                .collect(),
        };
    }
    let (first, second) = if pa < pb { (a, b) } else { (b, a) };
    Node {
        map: (1 << pa) | (1 << pb),
        slots: [
            Slot::Entry(first.0, first.1),
            Slot::Entry(second.0, second.1),
        ]
        .into_iter()
        .collect(),
    }
}

fn remove_in<K, V, Q>(
    node: &mut Node<K, V>,
    hash: u64,
    shift: u32,
    key: &Q,
    empty: &Slots<K, V>,
) -> Option<(K, V)>
where
    K: Clone + Borrow<Q>,
    V: Clone,
    Q: Eq + ?Sized,
{
    let (at, bit) = if shift >= HASH_BITS {
        let at = node
            .slots
            .iter()
            .position(|slot| matches!(slot, Slot::Entry(found, _) if found.borrow() == key))?;
        (at, 0)
    } else {
        let position = position(hash, shift);
        (node.index(position)?, 1u32 << position)
    };
    if let Slot::Entry(found, _) = &node.slots[at] {
        if found.borrow() != key {
            return None;
        }
        let (rest, out) = removed(&mut node.slots, at, empty);
        node.slots = rest;
        node.map &= !bit;
        return match out {
            Slot::Entry(found, value) => Some((found, value)),
            _ => None,
        };
    }
    let slots = make_mut(&mut node.slots);
    let Slot::Child(child) = &mut slots[at] else {
        return None;
    };
    let out = remove_in(child, hash, shift + BITS, key, empty)?;
    // A child left with one entry folds into this node.
    if child.slots.len() == 1 && matches!(child.slots[0], Slot::Entry(..)) {
        let (_, last) = removed(&mut child.slots, 0, empty);
        slots[at] = last;
    }
    Some(out)
}

/// Maps are equal when they hold the same entries, whatever their hashers.
impl<K, V, S> PartialEq for Trie<K, V, S>
where
    K: Clone + Eq + Hash,
    V: Clone + PartialEq,
    S: BuildHasher,
{
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len
            && self
                .iter()
                .all(|(key, value)| other.get(key) == Some(value))
    }
}

impl<K, V, S> fmt::Debug for Trie<K, V, S>
where
    K: Clone + Eq + Hash + fmt::Debug,
    V: Clone + fmt::Debug,
    S: BuildHasher,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Whether two keys are equal; a key looked up by a clone of the stored one (a long `Key` shares
/// its text) is told equal by address, without comparing the text.
fn same<Q: Eq + ?Sized>(found: &Q, key: &Q) -> bool {
    std::ptr::eq(found, key) || found == key
}

/// The entries of a [`Trie`], depth first.
pub(crate) struct Iter<'a, K, V> {
    stack: SmallVec<[std::slice::Iter<'a, Slot<K, V>>; MAX_DEPTH]>,
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let top = self.stack.last_mut()?;
            match top.next() {
                None => {
                    self.stack.pop();
                }
                Some(Slot::Entry(key, value)) => return Some((key, value)),
                Some(Slot::Child(child)) => self.stack.push(child.slots.iter()),
            }
        }
    }
}

/// The bytes one slot of a `Trie<K, V>` takes, for the store's test of its map.
#[cfg(test)]
pub(crate) const fn slot_size<K, V>() -> usize {
    size_of::<Slot<K, V>>()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::hash::{BuildHasherDefault, Hasher};

    use proptest::prelude::*;

    use super::*;

    /// Hashes a number to itself: tests choose the hashes, collisions included.
    #[derive(Default)]
    struct Identity(u64);

    impl Hasher for Identity {
        fn finish(&self) -> u64 {
            self.0
        }
        fn write(&mut self, bytes: &[u8]) {
            for &byte in bytes {
                self.0 = (self.0 << 8) | u64::from(byte);
            }
        }
        fn write_u64(&mut self, n: u64) {
            self.0 = n;
        }
    }

    /// A key with a chosen hash: `hash` then a tiebreak that the hash ignores.
    #[derive(Clone, Debug, PartialEq, Eq)]
    struct Chosen {
        hash: u64,
        tiebreak: u8,
    }

    impl Hash for Chosen {
        fn hash<H: Hasher>(&self, state: &mut H) {
            state.write_u64(self.hash);
        }
    }

    type Test = Trie<Chosen, u32, BuildHasherDefault<Identity>>;

    /// The shape rule: a node below the root holds two entries or more, and a collision node
    /// sits only below the last hash bits; the count agrees with the entries.
    fn check(trie: &Test) {
        fn walk(node: &Node<Chosen, u32>, shift: u32, root: bool) -> usize {
            let mut entries = 0;
            if shift < HASH_BITS {
                assert_eq!(node.map.count_ones() as usize, node.slots.len());
            }
            for slot in node.slots.iter() {
                entries += match slot {
                    Slot::Entry(..) => 1,
                    Slot::Child(child) => walk(child, shift + BITS, false),
                };
            }
            assert!(root || entries >= 2, "a child with {entries} entries");
            entries
        }
        assert_eq!(walk(&trie.root, 0, true), trie.len());
    }

    #[derive(Clone, Debug)]
    enum Op {
        Insert(Chosen, u32),
        Remove(Chosen),
        Bump(Chosen),
        /// Keep a clone: the later writes must not show through it.
        Snapshot,
    }

    fn chosen() -> impl Strategy<Value = Chosen> {
        // Few distinct hashes (sharing low bits, high bits, or all of them), two keys a hash.
        let hash = prop_oneof![
            0u64..8,
            (0u64..8).prop_map(|n| n << 60),
            (0u64..8).prop_map(|n| n.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            any::<u64>(),
        ];
        (hash, 0u8..2).prop_map(|(hash, tiebreak)| Chosen { hash, tiebreak })
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (chosen(), any::<u32>()).prop_map(|(key, value)| Op::Insert(key, value)),
            3 => chosen().prop_map(Op::Remove),
            1 => chosen().prop_map(Op::Bump),
            1 => Just(Op::Snapshot),
        ]
    }

    fn contents(trie: &Test) -> Vec<(Chosen, u32)> {
        let mut all: Vec<_> = trie.iter().map(|(k, v)| (k.clone(), *v)).collect();
        all.sort_by_key(|(k, _)| (k.hash, k.tiebreak));
        all
    }

    proptest! {
        #[test]
        fn agrees_with_a_hash_map(ops in proptest::collection::vec(op(), 0..200)) {
            let mut trie = Test::default();
            let mut model: HashMap<(u64, u8), u32> = HashMap::new();
            let mut snapshots: Vec<(Test, Vec<(Chosen, u32)>)> = Vec::new();
            for op in ops {
                match op {
                    Op::Insert(key, value) => {
                        let expected = model.insert((key.hash, key.tiebreak), value);
                        prop_assert_eq!(trie.insert(key, value), expected);
                    }
                    Op::Remove(key) => {
                        let expected = model.remove(&(key.hash, key.tiebreak));
                        prop_assert_eq!(trie.remove(&key).map(|(_, v)| v), expected);
                    }
                    Op::Bump(key) => {
                        let expected = model.get_mut(&(key.hash, key.tiebreak)).map(|v| {
                            *v = v.wrapping_add(1);
                            *v
                        });
                        let added = trie.upsert(key.clone(), |found| {
                            if let Some(v) = found {
                                *v = v.wrapping_add(1);
                            }
                            None
                        });
                        prop_assert!(!added, "nothing to add: the change gives None");
                        prop_assert_eq!(trie.get(&key).copied(), expected);
                    }
                    Op::Snapshot => snapshots.push((trie.clone(), contents(&trie))),
                }
                check(&trie);
                prop_assert_eq!(trie.len(), model.len());
                for ((hash, tiebreak), value) in &model {
                    let key = Chosen { hash: *hash, tiebreak: *tiebreak };
                    prop_assert_eq!(trie.get(&key), Some(value));
                }
                let mut expected: Vec<_> = model
                    .iter()
                    .map(|(&(hash, tiebreak), &v)| (Chosen { hash, tiebreak }, v))
                    .collect();
                expected.sort_by_key(|(k, _)| (k.hash, k.tiebreak));
                prop_assert_eq!(contents(&trie), expected);
            }
            for (snapshot, taken) in &snapshots {
                check(snapshot);
                prop_assert_eq!(&contents(snapshot), taken);
            }
        }
    }

    /// Every node, depth first: its bitmap, then per slot the entry or the child's layout.
    fn layout(trie: &Test) -> Vec<(u32, Option<(Chosen, u32)>)> {
        fn walk(node: &Node<Chosen, u32>, out: &mut Vec<(u32, Option<(Chosen, u32)>)>) {
            out.push((node.map, None));
            for slot in node.slots.iter() {
                match slot {
                    Slot::Entry(key, value) => out.push((0, Some((key.clone(), *value)))),
                    Slot::Child(child) => walk(child, out),
                }
            }
            out.push((u32::MAX, None));
        }
        let mut out = Vec::new();
        walk(&trie.root, &mut out);
        out
    }

    proptest! {
        #[test]
        fn a_built_map_is_the_inserted_one_node_for_node(
            entries in proptest::collection::vec((chosen(), any::<u32>()), 0..300)
        ) {
            let mut inserted = Test::default();
            for (key, value) in entries.clone() {
                inserted.insert(key, value);
            }
            let built = Test::from_entries(entries, Default::default());
            check(&built);
            prop_assert_eq!(built.len(), inserted.len());
            prop_assert_eq!(layout(&built), layout(&inserted));
        }
    }

    #[test]
    fn a_removal_folds_the_path_back() {
        let mut trie = Test::default();
        let deep = |tiebreak| Chosen { hash: 7, tiebreak };
        trie.insert(deep(0), 0);
        trie.insert(deep(1), 1);
        // Same 64 bits: a chain of single-child nodes down to a collision node.
        assert!(matches!(&trie.root.slots[0], Slot::Child(_)));
        trie.remove(&deep(0));
        check(&trie);
        assert!(
            matches!(&trie.root.slots[0], Slot::Entry(key, 1) if *key == deep(1)),
            "the last entry is back in the root"
        );
    }
}
