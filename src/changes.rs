//! Change sets: what a call did to the merged view, key by key and field by field, and what
//! happened to layers on the way.
//!
//! Every mutating call of the store returns a [`Changes`]; watchers and UI bridges read it to
//! re-render only what changed. It stands apart from the view because it is plain data about
//! two versions of it, built by diffing entities, and mergeable (a batch of calls is one
//! change set).

use std::fmt;

use crate::entity::Entity;
use crate::field::FieldName;
use crate::key::Key;
use crate::layer::LayerId;

/// What became of one key of the merged view.
///
/// ```
/// use optimist::{Change, Patch, Store};
/// let mut store = Store::new();
/// let created = store.write(Patch::new().set("Todo:1", "title", "a").set("Todo:1", "done", false))?;
/// assert_eq!(created.change("Todo:1"), Some(Change::Created));
/// let edited = store.write(Patch::new().set("Todo:1", "done", true))?;
/// assert!(matches!(edited.change("Todo:1"), Some(Change::Fields(fields)) if fields.len() == 1));
/// let deleted = store.write(Patch::new().delete("Todo:1"))?;
/// assert_eq!(deleted.change("Todo:1"), Some(Change::Deleted));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Change {
    /// The entity appeared.
    Created,
    /// The entity disappeared.
    Deleted,
    /// The entity is there before and after; these fields were added, removed or changed
    /// (sorted).
    Fields(Box<[FieldName]>),
}

impl Change {
    /// Whether `field` may have changed: always for a created or deleted entity.
    ///
    /// ```
    /// use optimist::{Change, FieldName};
    /// let change = Change::Fields(vec![FieldName::new("done")].into());
    /// assert!(change.touches("done") && !change.touches("title"));
    /// assert!(Change::Created.touches("title"));
    /// ```
    pub fn touches(&self, field: &str) -> bool {
        match self {
            Change::Fields(fields) => fields
                .binary_search_by(|name| name.as_str().cmp(field))
                .is_ok(),
            Change::Created | Change::Deleted => true,
        }
    }
}

/// What happened to a layer during a call.
///
/// ```
/// use optimist::{LayerEvent, Patch, Store};
/// let mut store = Store::new();
/// let (id, pushed) = store.push("edit", Patch::new().set("A:1", "x", 1))?;
/// assert_eq!(pushed.layers(), [(id, LayerEvent::Pushed)]);
/// let promoted = store.promote(id)?;
/// assert!(promoted.is_empty(), "the view did not change...");
/// assert_eq!(promoted.layers(), [(id, LayerEvent::Confirmed), (id, LayerEvent::Squashed)], "...but the layer did");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LayerEvent {
    /// An intent was pushed.
    Pushed,
    /// An observation was reserved (listed by the next call that returns [`Changes`]; layer
    /// watchers are told at once).
    Reserved,
    /// The layer was settled as success (promoted or confirmed); it waits for the layers below.
    Confirmed,
    /// The confirmed layer folded into base and is gone.
    Squashed,
    /// The layer failed and is gone.
    Failed,
    /// The layer was cancelled (explicitly, or its guard was dropped) and is gone.
    Cancelled,
    /// A temporary key its ops named was renamed.
    Remapped,
    /// The intent's mutation was handed out to be sent
    /// ([`Store::next_to_send`](crate::Store::next_to_send); listed by the next call that
    /// returns [`Changes`], layer watchers are told at once).
    Sent,
    /// The intent's mutation had an ambiguous outcome and waits to be sent again.
    Retrying,
    /// The intent was merged into a later one of its scope before it was sent, and is gone.
    Coalesced,
    /// The settled mutation's record was dismissed ([`Store::dismiss`](crate::Store::dismiss);
    /// its layer was gone already). Layer watchers are told at once.
    Dismissed,
    /// The layer went with the contents [`Store::load`](crate::Store::load) replaced (its
    /// mutation's record, if any, too).
    Unloaded,
    /// The layer came with the contents [`Store::load`](crate::Store::load) put in.
    Loaded,
}

/// What one call (or a batch of calls) did: the keys of the merged view that changed and how,
/// the server writes left out as older than the data below them, and what happened to layers.
///
/// A key is listed when its entity appeared, disappeared, or now compares unequal; a call that
/// rewrites an entity with equal values does not list it.
///
/// ```
/// use optimist::{Patch, Store};
/// let mut store = Store::new();
/// let changes = store.write(Patch::new().set("B:1", "x", 1).set("A:1", "x", 1))?;
/// assert_eq!(changes.keys().iter().map(|k| k.as_str()).collect::<Vec<_>>(), ["A:1", "B:1"]);
/// assert!(store.write(Patch::new().set("A:1", "x", 1))?.is_empty(), "same value, no change");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default, PartialEq)]
pub struct Changes {
    /// Sorted, no duplicates.
    keys: Vec<Key>,
    /// `views[i]` is `keys[i]`'s view before and after (unequal): what became of it is
    /// worked out when asked, so a call that nobody asks pays two pointer copies per key.
    views: Vec<(Option<Entity>, Option<Entity>)>,
    /// Sorted, no duplicates.
    ignored: Vec<Key>,
    /// In the order they happened.
    layers: Vec<(LayerId, LayerEvent)>,
}

impl Changes {
    /// Builds a change set from per-key views before and after, in the order they happened (a
    /// key may repeat: its first view before and last view after are kept, and a key whose
    /// two are equal is left out).
    pub(crate) fn new(
        mut changed: Vec<Changed>,
        mut ignored: Vec<Key>,
        layers: Vec<(LayerId, LayerEvent)>,
    ) -> Changes {
        sort_by_key_text(&mut changed);
        let mut keys: Vec<Key> = Vec::with_capacity(changed.len());
        let mut views: Vec<(Option<Entity>, Option<Entity>)> = Vec::with_capacity(changed.len());
        for (key, before, after) in changed {
            if keys.last() == Some(&key) {
                let (first, _) = views.pop().expect("keys and views are parallel");
                if same(first.as_ref(), after.as_ref()) {
                    keys.pop();
                } else {
                    views.push((first, after));
                }
            } else {
                keys.push(key);
                views.push((before, after));
            }
        }
        ignored.sort_unstable();
        ignored.dedup();
        Changes {
            keys,
            views,
            ignored,
            layers,
        }
    }

    /// The changed keys, sorted.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// let changes = store.write(Patch::new().set("B:1", "x", 1).set("A:1", "x", 1))?;
    /// assert_eq!(changes.keys()[0].as_str(), "A:1");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// Whether `key` changed.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// let changes = store.write(Patch::new().set("B:1", "x", 1).set("A:1", "x", 1))?;
    /// assert!(changes.contains("B:1") && !changes.contains("C:1"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn contains(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// What became of `key`, if it changed.
    ///
    /// ```
    /// use optimist::{Change, Patch, Store};
    /// let mut store = Store::new();
    /// let changes = store.write(Patch::new().set("A:1", "x", 1))?;
    /// assert_eq!(changes.change("A:1"), Some(Change::Created));
    /// assert_eq!(changes.change("B:1"), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn change(&self, key: &str) -> Option<Change> {
        let (before, after) = &self.views[self.position(key)?];
        diff(before.as_ref(), after.as_ref())
    }

    /// The view of `key` before and after, if it changed (`None` inside: absent).
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("A:1", "x", 1))?;
    /// let changes = store.write(Patch::new().set("A:1", "x", 2))?;
    /// let (before, after) = changes.views("A:1").unwrap();
    /// assert_eq!(before.and_then(|e| e.get("x")).and_then(|v| v.as_i64()), Some(1));
    /// assert_eq!(after.and_then(|e| e.get("x")).and_then(|v| v.as_i64()), Some(2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn views(&self, key: &str) -> Option<(Option<&Entity>, Option<&Entity>)> {
        let (before, after) = &self.views[self.position(key)?];
        Some((before.as_ref(), after.as_ref()))
    }

    /// Whether `field` of `key` may have changed (it did, or the entity appeared or
    /// disappeared).
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("Todo:1", "title", "a").set("Todo:1", "done", false))?;
    /// let (_, changes) = store.push("tick", Patch::new().set("Todo:1", "done", true))?;
    /// assert!(changes.field_changed("Todo:1", "done"));
    /// assert!(!changes.field_changed("Todo:1", "title"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn field_changed(&self, key: &str, field: &str) -> bool {
        self.views(key)
            .is_some_and(|(before, after)| match (before, after) {
                (Some(before), Some(after)) => before.get(field) != after.get(field),
                _ => true,
            })
    }

    /// Every changed key with what became of it, sorted by key.
    ///
    /// ```
    /// use optimist::{Change, Patch, Store};
    /// let mut store = Store::new();
    /// let changes = store.write(Patch::new().set("A:1", "x", 1))?;
    /// assert_eq!(changes.iter().map(|(k, c)| (k.as_str(), c.clone())).collect::<Vec<_>>(), [("A:1", Change::Created)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&Key, Change)> {
        self.keys
            .iter()
            .zip(&self.views)
            .map(|(key, (before, after))| {
                // Keys are listed only when their views differ, so `diff` always finds a change;
                // the empty field list is never handed out.
                let change = diff(before.as_ref(), after.as_ref())
                    .unwrap_or_else(|| Change::Fields(Box::default()));
                (key, change)
            })
    }

    /// The keys for which this call's server write was left out because its version was older
    /// than the entity's version below it (see
    /// [`Policies::version_field`](crate::Policies::version_field)), sorted. A key listed here
    /// changed nothing, so it is in [`keys`](Changes::keys) only if another op of the call
    /// changed it.
    ///
    /// ```
    /// use optimist::{Patch, Policies, Store};
    /// let mut store = Store::with_policies(Policies::new().version_field("Todo", "v"));
    /// store.write(Patch::new().set("Todo:1", "v", 2))?;
    /// assert!(store.write(Patch::new().set("Todo:1", "v", 3))?.ignored().is_empty());
    /// assert_eq!(store.write(Patch::new().set("Todo:1", "v", 1))?.ignored().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ignored(&self) -> &[Key] {
        &self.ignored
    }

    /// What happened to layers, in order: so a status display (a "saving…" spinner) can follow
    /// layers when the view does not change, as on a promote.
    ///
    /// ```
    /// use optimist::{LayerEvent, Patch, Store};
    /// let mut store = Store::new();
    /// let (id, _) = store.push("edit", Patch::new().set("A:1", "x", 1))?;
    /// assert_eq!(store.fail(id)?.layers(), [(id, LayerEvent::Failed)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn layers(&self) -> &[(LayerId, LayerEvent)] {
        &self.layers
    }

    /// Whether the merged view did not change (layers may have: see
    /// [`layers`](Changes::layers)).
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// let changes = store.write(Patch::new().set("B:1", "x", 1).set("A:1", "x", 1))?;
    /// assert!(!changes.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// How many keys changed.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// let changes = store.write(Patch::new().set("B:1", "x", 1).set("A:1", "x", 1))?;
    /// assert_eq!(changes.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// This change set followed by `later`, as one: a batch of calls reported once. A key
    /// changed by both is reported by its net change, from its view before the first to its
    /// view after the last (created then deleted is no change at all).
    ///
    /// ```
    /// use optimist::{Change, Patch, Store};
    /// let mut store = Store::new();
    /// let mut batch = store.write(Patch::new().set("A:1", "x", 1))?;
    /// batch = batch.merge(store.write(Patch::new().set("A:1", "y", 2).set("B:1", "x", 1))?);
    /// assert_eq!(batch.change("A:1"), Some(Change::Created));
    /// assert_eq!(batch.len(), 2);
    /// batch = batch.merge(store.write(Patch::new().delete("B:1"))?);
    /// assert!(!batch.contains("B:1"), "created and deleted within the batch: no net change");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn merge(self, later: Changes) -> Changes {
        let changed = self
            .keys
            .into_iter()
            .zip(self.views)
            .chain(later.keys.into_iter().zip(later.views))
            .map(|(key, (before, after))| (key, before, after))
            .collect();
        let ignored = self.ignored.into_iter().chain(later.ignored).collect();
        let layers = self.layers.into_iter().chain(later.layers).collect();
        Changes::new(changed, ignored, layers)
    }

    /// The same change set without its first `n` layer events.
    pub(crate) fn skip_layers(mut self, n: usize) -> Changes {
        self.layers.drain(..n.min(self.layers.len()));
        self
    }

    /// The same change set with `events` after its own layer events.
    pub(crate) fn and_layers(mut self, events: &[(LayerId, LayerEvent)]) -> Changes {
        self.layers.extend_from_slice(events);
        self
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.keys.binary_search_by(|k| k.as_str().cmp(key)).ok()
    }
}

impl fmt::Debug for Changes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Changes");
        s.field("keys", &self.iter().collect::<Vec<_>>());
        if !self.ignored.is_empty() {
            s.field("ignored", &self.ignored);
        }
        if !self.layers.is_empty() {
            s.field("layers", &self.layers);
        }
        s.finish()
    }
}

/// A key's view before and after a change.
pub(crate) type Changed = (Key, Option<Entity>, Option<Entity>);

/// Changes at or below this many are sorted in place.
const SMALL: usize = 32;

/// Sorts `changed` by key, a repeated key's changes in the order they happened. A long list
/// (a load diffing 100,000 keys) is sorted by each key's first 16 bytes held beside its place,
/// reading the key's text only where two agree, and then moved into that order once.
fn sort_by_key_text(changed: &mut Vec<Changed>) {
    if changed.len() <= SMALL {
        // Stable: a repeated key's changes stay in the order they happened.
        changed.sort_by(|a, b| a.0.cmp(&b.0));
        return;
    }
    let mut order: Vec<(u128, usize)> = changed
        .iter()
        .enumerate()
        .map(|(at, (key, ..))| (text_prefix(key.as_str()), at))
        .collect();
    order.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| changed[a.1].0.cmp(&changed[b.1].0))
            .then(a.1.cmp(&b.1))
    });
    let mut taken: Vec<Option<Changed>> = std::mem::take(changed).into_iter().map(Some).collect();
    changed.extend(order.iter().filter_map(|&(_, at)| taken[at].take()));
}

/// The first 16 bytes of `text`, zero-padded, as a number that orders as the texts do: of two
/// texts with unequal prefixes, the smaller prefix is the smaller text.
fn text_prefix(text: &str) -> u128 {
    let mut bytes = [0u8; 16];
    let head = &text.as_bytes()[..text.len().min(16)];
    bytes[..head.len()].copy_from_slice(head);
    u128::from_be_bytes(bytes)
}

/// Whether two views of one key are equal (cheaply when they share an allocation).
pub(crate) fn same(a: Option<&Entity>, b: Option<&Entity>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a.ptr_eq(b) || a == b,
        _ => false,
    }
}

/// Notes `key` in `out` if its view went from `before` to something else.
pub(crate) fn record(
    out: &mut Vec<Changed>,
    key: &Key,
    before: Option<&Entity>,
    after: Option<&Entity>,
) {
    if !same(before, after) {
        out.push((key.clone(), before.cloned(), after.cloned()));
    }
}

/// What became of a key whose view went from `before` to `after`, or `None` if it did not
/// change. O(fields) when both are there (the field arrays are sorted), O(1) when they share
/// their allocation.
pub(crate) fn diff(before: Option<&Entity>, after: Option<&Entity>) -> Option<Change> {
    match (before, after) {
        (None, None) => None,
        (None, Some(_)) => Some(Change::Created),
        (Some(_), None) => Some(Change::Deleted),
        (Some(a), Some(b)) => {
            if a.ptr_eq(b) {
                return None;
            }
            let mut changed: Vec<FieldName> = Vec::new();
            let mut left = a.iter().peekable();
            let mut right = b.iter().peekable();
            loop {
                match (left.peek(), right.peek()) {
                    (None, None) => break,
                    (Some((name, _)), None) => {
                        changed.push((*name).clone());
                        left.next();
                    }
                    (None, Some((name, _))) => {
                        changed.push((*name).clone());
                        right.next();
                    }
                    (Some((l, lv)), Some((r, rv))) => match l.cmp(r) {
                        std::cmp::Ordering::Less => {
                            changed.push((*l).clone());
                            left.next();
                        }
                        std::cmp::Ordering::Greater => {
                            changed.push((*r).clone());
                            right.next();
                        }
                        std::cmp::Ordering::Equal => {
                            if lv != rv {
                                changed.push((*l).clone());
                            }
                            left.next();
                            right.next();
                        }
                    },
                }
            }
            (!changed.is_empty()).then(|| Change::Fields(changed.into()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The long-list sort orders as a stable sort by key text does (the reference):
        /// keys sharing 16 bytes and more, ending in NULs, repeated, short and long lists.
        #[test]
        fn a_long_list_sorts_as_a_stable_sort_by_key(
            picks in proptest::collection::vec((0usize..6, 0u8..4, 0u16..40), 0..120)
        ) {
            let stems = ["A", "Item:", "Item:\0", "VeryLongTypename:", "VeryLongTypename:\0\0", "B"];
            let changed: Vec<Changed> = picks
                .iter()
                .map(|&(stem, tail, mark)| {
                    let key = Key::new(&format!("{}{}", stems[stem], "x".repeat(usize::from(tail) + 1))).unwrap();
                    (key, Some(Entity::new().with("mark", mark)), None)
                })
                .collect();
            let mut expected = changed.clone();
            expected.sort_by(|a, b| a.0.as_str().as_bytes().cmp(b.0.as_str().as_bytes()));
            let mut sorted = changed;
            sort_by_key_text(&mut sorted);
            proptest::prop_assert!(sorted == expected);
        }
    }

    #[test]
    fn diff_lists_added_removed_and_changed_fields() {
        let a = Entity::new().with("a", 1).with("b", 2).with("c", 3);
        let b = Entity::new().with("b", 2).with("c", 4).with("d", 5);
        let Some(Change::Fields(fields)) = diff(Some(&a), Some(&b)) else {
            panic!("fields changed")
        };
        let names: Vec<&str> = fields.iter().map(|f| f.as_str()).collect();
        assert_eq!(names, ["a", "c", "d"]);
        assert_eq!(diff(Some(&a), Some(&a.clone())), None);
        assert_eq!(
            diff(
                Some(&a),
                Some(&Entity::new().with("a", 1).with("b", 2).with("c", 3))
            ),
            None
        );
        assert_eq!(diff(None, Some(&a)), Some(Change::Created));
        assert_eq!(diff(Some(&a), None), Some(Change::Deleted));
    }

    #[test]
    fn changes_of_one_key_merge_into_their_net_change() {
        let k = Key::new("A:1").unwrap();
        let a = Entity::new().with("a", 1);
        let b = Entity::new().with("a", 2).with("b", 1);
        let merged = Changes::new(
            vec![
                (k.clone(), Some(a.clone()), Some(b.clone())),
                (k.clone(), Some(b.clone()), Some(a.clone().with("b", 1))),
            ],
            vec![],
            vec![],
        );
        assert_eq!(
            merged.change("A:1"),
            Some(Change::Fields(vec![FieldName::new("b")].into()))
        );
        let gone = Changes::new(
            vec![
                (k.clone(), None, Some(a.clone())),
                (k.clone(), Some(a.clone()), None),
            ],
            vec![],
            vec![],
        );
        assert!(gone.is_empty());
        let back = Changes::new(
            vec![(k.clone(), Some(a.clone()), None), (k, None, Some(a))],
            vec![],
            vec![],
        );
        assert!(
            back.is_empty(),
            "deleted and made again as it was: no change"
        );
    }
}
