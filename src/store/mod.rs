//! The store: base, the layer stack, and the overlay that materialises the view over both.
//!
//! This is the only stateful module. Everything it does reduces to one rule, DESIGN.md's first
//! invariant: for every key, `view[k] == apply(base[k], ops of the live layers on k, oldest
//! first)`. Each operation touches a known set of keys and recomputes the view for those keys
//! only, so a read never walks the layers: one lookup in base's map, whose slot of a layered
//! key holds the merged entity next to the confirmed one.

// The order of these modules is the order of `Store`'s methods on its docs page (rustdoc
// lists impl blocks as it meets them): the core calls first, then mutations, settling by
// hand, temporary keys, and last this file's own (looking inside).
mod basics;

mod mutate;

mod settle;

mod remap;

mod count;
mod error;
mod exact;
mod recompute;

pub use error::{ConfirmError, RemapError};
pub use remap::MAX_ALIASES;

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

use crate::changes::{Changed, Changes, LayerEvent, record};
use crate::entity::Entity;
use crate::guard::Abandoned;
use crate::key::Key;
use crate::layer::{LayerId, LayerInfo, Stack};
use crate::mutation::RetryPolicy;
use crate::mutation::records::Records;
use crate::op::{DuplicateUpdater, Updaters, apply_versioned};
use crate::patch::{OpsByKey, Patch, PatchError};
use crate::policy::Policies;
use crate::stale::Marks;
use crate::value::Value;
use crate::version;
use crate::view::{Aliases, Map, Overlay, Snapshot, View};
use remap::Temporaries;

/// A normalized entity store with an optimistic layer stack.
///
/// * **Base** holds confirmed server truth. It changes only by [`write`](Store::write) (a
///   direct write, such as a server push) and by folding confirmed layers into it bottom-up.
/// * **Layers** are of two kinds ([`LayerKind`](crate::LayerKind)). An *intent* (a mutation,
///   [`push`](Store::push)) carries a guess and goes on top. An *observation* (a query,
///   [`reserve`](Store::reserve)) is a slot for an answer still to come, placed directly below
///   the lowest pending intent: a query never lands above a mutation that was in flight when
///   it was sent. [`promote`](Store::promote) and [`confirm`](Store::confirm) settle a layer as
///   success, [`fail`](Store::fail) and [`cancel`](Store::cancel) remove one exactly, wherever
///   it is in the stack.
/// * **The view** is what readers see: base with every live layer's ops applied on top, kept
///   materialised (an overlay over base of the keys layers touch) so [`get`](Store::get) never
///   walks the layers.
///
/// A confirmed layer folds into base as soon as every layer below it has settled, so answers
/// land in base in request order whatever order they arrive in.
///
/// Every mutating call returns the [`Changes`] it made to the view.
///
/// The methods below come in groups, each under its heading: **the core calls**
/// ([`new`](Store::new), [`write`](Store::write), [`push`](Store::push),
/// [`confirm`](Store::confirm), [`fail`](Store::fail), [`get`](Store::get)); mutations and
/// the outbox ([`mutate`](Store::mutate), [`next_to_send`](Store::next_to_send),
/// [`report`](Store::report)); settling layers by hand; temporary keys
/// ([`remap`](Store::remap)); looking inside (iteration, layers, revisions); reading through
/// GraphQL documents ([`read_query`](Store::read_query)); watching
/// ([`watch_entity`](Store::watch_entity), [`watch_query`](Store::watch_query)); invalidation
/// ([`invalidate`](Store::invalidate)); evicting and garbage collection
/// ([`evict`](Store::evict), [`gc`](Store::gc)); saving and loading
/// ([`save_json`](Store::save_json)); the async bridges (features `tokio`, `futures`). An
/// app that fetches queries uses the store through a [`Client`](crate::Client), which adds
/// the query lifecycle over it.
///
/// `clone` is O(L + K) for L live layers touching K keys, independent of the number of
/// entities: base, the overlay and the aliases are persistent maps (O(1) to clone), the layers
/// are shared with the clone until one side changes one (a pointer each), and the stack's
/// order, pending-intent index and key index are plain collections copied entry by entry.
///
/// ```
/// use optimist::{Patch, Store};
///
/// let mut store = Store::new();
/// store.write(Patch::new().set("Post:1", "likes", 9000))?;
///
/// // Two optimistic mutations in flight.
/// let (plus, _) = store.push("+1000", Patch::new().increment("Post:1", "likes", 1000))?;
/// let (minus, _) = store.push("-1", Patch::new().increment("Post:1", "likes", -1))?;
/// assert_eq!(store.get_field("Post:1", "likes").and_then(|v| v.as_i64()), Some(9999));
///
/// // The first fails: its op is taken out, the second rebases on what is left.
/// let changes = store.fail(plus)?;
/// assert!(changes.contains("Post:1"));
/// assert_eq!(store.get_field("Post:1", "likes").and_then(|v| v.as_i64()), Some(8999));
///
/// // The second succeeds and lands in base.
/// store.promote(minus)?;
/// assert_eq!(store.get_confirmed("Post:1").and_then(|e| e.get("likes")).and_then(|v| v.as_i64()), Some(8999));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Store {
    /// Tags this store's layer ids, so another store's ids are recognised as foreign.
    pub(crate) tag: u64,
    /// Confirmed server truth. It shares nodes with nothing but the caller's snapshots, so a
    /// write updates it in place.
    pub(crate) base: Map,
    /// The view where it may differ from base: for exactly the keys some live layer touches,
    /// `apply(base[k], the layers' ops on k)`, `None` where they delete the entity. Every other
    /// key reads through to base. Empty when no layer is live.
    pub(crate) overlay: Overlay,
    /// The view's size minus base's: over the overlay's keys, whether the view has the key
    /// minus whether base has it. Kept by every change to base or the overlay (see
    /// `count.rs`), so `len` is O(1).
    overlay_delta: isize,
    /// Live layers, oldest first; the bottom one is always pending (confirmed layers at the
    /// bottom are folded into base at once).
    pub(crate) stack: Stack,
    pub(crate) updaters: Updaters,
    /// How payloads are normalized and fragments matched.
    policies: Policies,
    /// Taken afresh from a global counter whenever the view changes, so two stores (or a
    /// store and its clone) with equal revisions have equal views.
    revision: u64,
    /// The keys each of the last few revisions changed, oldest first: `(from, to, keys)`, each
    /// entry's `from` the previous entry's `to`. Lets a kept read check what changed since its
    /// revision without looking at everything it read.
    recent: VecDeque<(u64, u64, Arc<[Key]>)>,
    /// The number of keys in `recent`, summed.
    recent_keys: usize,
    /// Temporary keys minted and not yet remapped, with the entities that may reference them.
    pub(crate) temps: Temporaries,
    /// Remapped temporary keys, to the key each became; at most `MAX_ALIASES`.
    pub(crate) aliases: Aliases,
    /// The keys of `aliases`, oldest first, to drop the oldest beyond the bound.
    pub(crate) alias_order: VecDeque<Key>,
    /// Ids queued by dropped guards, cancelled at the start of the next mutating call.
    abandoned: Abandoned,
    /// The keys whose view changed by cancelling abandoned layers, each with its view before
    /// (the first time), not yet reported: the next `Changes` reports each key's net change.
    drained: Vec<(Key, Option<Entity>)>,
    /// The abandoned ids the current call took from the guards' queue (`exact.rs` queues them
    /// again if an updater's panic puts the store back).
    cancelled_abandoned: Vec<LayerId>,
    /// Inside a call that kept a copy of the store to put back (`exact.rs`).
    in_exact: bool,
    /// What happened to layers since the last reported `Changes`, in order.
    pub(crate) events: Vec<(LayerId, LayerEvent)>,
    /// Registered watchers (a clone starts with none).
    pub(crate) watchers: crate::watch::Watchers,
    /// A record for every pending intent, and settled ones up to a bound.
    pub(crate) mutations: Records,
    /// The retry policy of mutations made without one.
    retry_policy: RetryPolicy,
    /// Fields marked as needing a refetch.
    pub(crate) stale: Marks,
    /// Keys the app retains through `gc`.
    pub(crate) retained: crate::gc::Retained,
}

/// How many revisions [`Store::changed_since`] can look back at most.
const RECENT_REVISIONS: usize = 64;
/// How many changed keys [`Store::changed_since`] keeps at most (beyond the newest revision's).
const RECENT_KEYS: usize = 65_536;

impl Default for Store {
    fn default() -> Store {
        Store::new()
    }
}

/// ## Looking inside: entities, layers, revisions, policies
///
/// Iterate the merged view or base, list the layers and what they touch, take a snapshot,
/// follow the store's revision, and register the named updaters patches can call.
impl Store {
    /// The view's revision: it changes whenever a call changes the merged view (whenever it
    /// returns non-empty [`Changes`]), and only then. Revisions come from one counter for the
    /// whole program, so equal revisions mean equal views, even across clones.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// let before = store.revision();
    /// store.write(Patch::new().set("A:1", "x", 1))?;
    /// assert_ne!(store.revision(), before);
    /// let after = store.revision();
    /// store.write(Patch::new().set("A:1", "x", 1))?; // no change
    /// assert_eq!(store.revision(), after);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The keys whose view changed since `revision`, if `revision` is one of this store's recent
    /// revisions (the last 64, fewer after changes of more than 65,536 keys in all; none before
    /// a single call that changed more than 65,536 keys, whose keys are not copied); `None` if
    /// it is older or not of this store's lineage. Keys may repeat.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// let start = store.revision();
    /// store.write(Patch::new().set("A:1", "x", 1))?;
    /// store.write(Patch::new().set("B:1", "x", 1))?;
    /// let changed: Vec<&str> = store.changed_since(start).unwrap().map(|k| k.as_str()).collect();
    /// assert_eq!(changed, ["A:1", "B:1"]);
    /// assert_eq!(store.changed_since(store.revision()).unwrap().count(), 0);
    /// assert!(store.changed_since(0).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn changed_since(&self, revision: u64) -> Option<impl Iterator<Item = &Key>> {
        let start = if revision == self.revision {
            self.recent.len()
        } else {
            self.recent
                .iter()
                .position(|(from, _, _)| *from == revision)?
        };
        Some(
            self.recent
                .range(start..)
                .flat_map(|(_, _, keys)| keys.iter()),
        )
    }

    /// The store's type policies.
    ///
    /// ```
    /// assert!(optimist::Store::new().policies().depth_limit() > 0);
    /// ```
    pub fn policies(&self) -> &Policies {
        &self.policies
    }

    /// The merged view: base under the overlay.
    /// The tag this store's layer ids carry.
    pub(crate) fn tag(&self) -> u64 {
        self.tag
    }

    pub(crate) fn view(&self) -> View<'_> {
        View {
            base: &self.base,
            aliases: &self.aliases,
        }
    }

    /// Base, for the read and export modules.
    pub(crate) fn base_map(&self) -> &Map {
        &self.base
    }

    /// Registers a named updater for [`Op::Update`](crate::Op::Update) (see [`Updaters::register`]).
    ///
    /// # Panics
    ///
    /// The store never panics on its own, but it runs updaters inside its calls, while they
    /// change it: a panic in an updater propagates out of the call that ran it (`write`,
    /// `push`, `mutate`, `confirm`, `fail`, `report`, `remap`, `evict`, `gc`, `load`, ...) and
    /// leaves the store **exactly as it was before that call** (data, layers, mutation records,
    /// abandoned layers still queued), with every watcher registered and none told. To put it
    /// back, a store with updaters registered copies itself at the start of each such call:
    /// O(L + K) for L live layers touching K keys (see [`Store`]'s `clone`); a store without
    /// updaters pays nothing. (A watcher, by contrast, runs once the call is applied: its
    /// panic leaves the call applied in full; see [`watch_entity`](Store::watch_entity).)
    ///
    /// On a versioned type ([`Policies::version_field`]), an updater whose result holds
    /// something other than a version in the version field changes nothing: the store lets no
    /// invalid version in, and a patch's checks cannot see what an updater will return.
    ///
    /// ```
    /// use optimist::{Patch, Store, Value};
    ///
    /// let mut store = Store::new();
    /// store.register_updater("double", |entity, _args| {
    ///     let entity = entity?.clone();
    ///     let n = entity.get("n").and_then(Value::as_i64)?;
    ///     Some(entity.with("n", n * 2))
    /// })?;
    /// store.write(Patch::new().set("A:1", "n", 21))?;
    /// store.push("double", Patch::new().update("A:1", "double", Value::Null))?;
    /// assert_eq!(store.get_field("A:1", "n"), Some(&Value::from(42)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn register_updater<F>(&mut self, name: &str, updater: F) -> Result<(), DuplicateUpdater>
    where
        F: Fn(Option<&Entity>, &Value) -> Option<Entity> + Send + Sync + 'static,
    {
        self.updaters.register(name, updater)
    }

    /// The registered updaters: the app's, each field policy's merge, and the two every store
    /// has for list directives ([`CONNECTION_INSERT`](crate::CONNECTION_INSERT),
    /// [`CONNECTION_REMOVE`](crate::CONNECTION_REMOVE)).
    ///
    /// ```
    /// let store = optimist::Store::new();
    /// assert_eq!(store.updaters().names().count(), 2);
    /// assert!(store.updaters().contains(optimist::CONNECTION_INSERT));
    /// ```
    pub fn updaters(&self) -> &Updaters {
        &self.updaters
    }

    // ----- reads -----

    /// Whether the merged view has this entity.
    ///
    /// ```
    /// assert!(!optimist::Store::new().contains("Todo:1"));
    /// ```
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The number of entities in the merged view. O(1): the store keeps the count.
    ///
    /// ```
    /// assert_eq!(optimist::Store::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.base.len().saturating_add_signed(self.overlay_delta)
    }

    /// Whether the merged view has no entities.
    ///
    /// ```
    /// assert!(optimist::Store::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every entity of the merged view, in no particular order.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("A:1", "x", 1).set("A:2", "x", 2))?;
    /// assert_eq!(store.iter().count(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &Entity)> {
        self.view().iter()
    }

    /// Every entity of base, in no particular order.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// store.push("optimistic", Patch::new().set("A:1", "x", 1))?;
    /// assert_eq!(store.iter_confirmed().count(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn iter_confirmed(&self) -> impl Iterator<Item = (&Key, &Entity)> {
        self.base.iter()
    }

    /// The live layers, oldest (first requested) first.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// let a = store.reserve("refetch");
    /// let (b, _) = store.push("edit", Patch::new().set("A:1", "x", 1))?;
    /// let ids: Vec<_> = store.layers().map(|layer| layer.id()).collect();
    /// assert_eq!(ids, [a, b]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn layers(&self) -> impl DoubleEndedIterator<Item = LayerInfo<'_>> + ExactSizeIterator {
        self.stack.slots().map(|slot| self.info(slot))
    }

    /// One live layer, or `None` if the id is settled and gone or belongs to another store.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// let id = store.reserve("refetch");
    /// assert_eq!(store.layer(id).map(|l| l.label().to_owned()), Some("refetch".to_owned()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn layer(&self, id: LayerId) -> Option<LayerInfo<'_>> {
        if id.store != self.tag {
            return None;
        }
        let layer = self.stack.get(id.slot)?;
        (layer.seq == id.seq).then(|| self.info(id.slot))
    }

    /// The live layers whose ops touch `key`, oldest first: who makes this key differ from
    /// base.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// let (id, _) = store.push("edit", Patch::new().set("A:1", "x", 1))?;
    /// assert_eq!(store.layers_touching("A:1").collect::<Vec<_>>(), [id]);
    /// assert_eq!(store.layers_touching("A:2").count(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn layers_touching(&self, key: &str) -> impl DoubleEndedIterator<Item = LayerId> + '_ {
        self.stack
            .touching(key)
            .iter()
            .map(|slot| self.id_of(*slot))
    }

    /// Whether some live layer touches `key`, so its view may differ from base.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// let (id, _) = store.push("edit", Patch::new().set("A:1", "x", 1))?;
    /// assert!(store.is_pending("A:1"));
    /// store.promote(id)?;
    /// assert!(!store.is_pending("A:1"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_pending(&self, key: &str) -> bool {
        !self.stack.touching(key).is_empty()
    }

    /// An O(1), `Send + Sync` snapshot of base and of the merged view as they are now.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("A:1", "x", 1))?;
    /// let snapshot = store.snapshot();
    /// store.write(Patch::new().set("A:1", "x", 2))?;
    /// let reader = std::thread::spawn(move || snapshot.get("A:1").and_then(|e| e.get("x").cloned()));
    /// assert_eq!(reader.join().unwrap(), Some(1.into()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            base: self.base.clone(),
            aliases: self.aliases.clone(),
            len: self.len(),
            revision: self.revision,
        }
    }

    // ----- writes -----

    pub(crate) fn write_now(&mut self, patch: Patch) -> Result<Changes, PatchError> {
        self.drain_abandoned();
        let ops = self.admit(patch)?;
        let (changes, ignored) = self.write_ops(&ops);
        Ok(self.finish(changes, ignored))
    }

    /// Writes admitted ops into base under every layer; returns the keys whose view changed
    /// and those left out as older than base.
    pub(crate) fn write_ops(&mut self, ops: &OpsByKey) -> (Vec<Changed>, Vec<Key>) {
        let mut changes = Vec::new();
        let mut ignored = Vec::new();
        for (key, key_ops) in ops {
            let old = self.base.get(key);
            if self
                .policies
                .version_field_of_key(key)
                .is_some_and(|field| version::is_stale(key_ops, old, field))
            {
                ignored.push(key.clone());
                continue;
            }
            let version = self.policies.version_field_of_key(key).map(|f| f.as_str());
            let written = apply_versioned(old, key_ops, &self.updaters, version);
            self.stale.clear_written(key, key_ops, u64::MAX);
            if self.stack.touching(key).is_empty() {
                // No layer touches the key: its view is base, before and after.
                record(&mut changes, key, old, written.as_ref());
                self.set_base(key, written);
            } else {
                let before = self.get(key).cloned();
                self.set_base(key, written);
                let after = self.recompute(key);
                record(&mut changes, key, before.as_ref(), after.as_ref());
            }
        }
        (changes, ignored)
    }

    /// Pushes an intent's layer; returns its id and the keys whose view changed.
    pub(crate) fn push_layer(
        &mut self,
        label: Arc<str>,
        patch: Patch,
    ) -> Result<(LayerId, Vec<Changed>), PatchError> {
        self.drain_abandoned();
        let ops = self.admit(patch)?;
        // The new layer is on top, so its ops apply on top of the current view.
        let mut changes = Vec::new();
        let mut updates = Vec::with_capacity(ops.len());
        for (key, key_ops) in &ops {
            // Keys are resolved (no alias among them): the view is the overlay's entry, or
            // base's, which tells whether base has the key at no extra cost.
            let (before, in_base) = match self.overlay.get(key) {
                Some(over) => (over.as_ref(), None),
                None => {
                    let base = self.base.get(key);
                    (base, Some(base.is_some()))
                }
            };
            let version = self.policies.version_field_of_key(key).map(|f| f.as_str());
            let after = apply_versioned(before, key_ops, &self.updaters, version);
            record(&mut changes, key, before, after.as_ref());
            updates.push((key.clone(), after, in_base));
        }
        let (slot, seq) = self.stack.push(label, ops, self.stale.epoch());
        for (key, entity, in_base) in updates {
            self.set_overlay(&key, Some(entity), in_base);
        }
        let id = LayerId {
            store: self.tag,
            seq,
            slot,
        };
        self.events.push((id, LayerEvent::Pushed));
        Ok((id, changes))
    }
}

impl PartialEq for Store {
    /// Stores are equal when what can be observed is: base, the view, the live layers (request
    /// numbers, labels, kinds, states and ops, in order), the mutation records, the stale marks,
    /// the retained keys and the names of the registered updaters. Layer ids are compared by
    /// request number, so a store loaded from a saved one can equal it.
    fn eq(&self, other: &Store) -> bool {
        let mut names: Vec<&str> = self.updaters.names().collect();
        let mut other_names: Vec<&str> = other.updaters.names().collect();
        names.sort_unstable();
        other_names.sort_unstable();
        self.base == other.base
            && self.overlay == other.overlay
            && self.aliases == other.aliases
            && names == other_names
            && self.layers().len() == other.layers().len()
            && self
                .layers()
                .zip(other.layers())
                .all(|(a, b)| a.id.seq == b.id.seq && a.layer == b.layer)
            && self.mutations.pending().count() == other.mutations.pending().count()
            && self
                .mutations
                .pending()
                .zip(other.mutations.pending())
                .all(|(a, b)| a.same_as(b))
            && self.stale == other.stale
            && self.retained == other.retained
    }
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("base", &self.base.len())
            .field("overlay", &self.overlay.len())
            .field("layers", &self.layers().collect::<Vec<_>>())
            .finish()
    }
}
