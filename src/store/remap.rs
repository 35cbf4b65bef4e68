//! Temporary keys: minting them for optimistic creates, tracking where they occur, and renaming
//! one to the server's key in place when the create is answered.
//!
//! A temporary key is minted by the store, so no ref to it can predate it; from then on every
//! patch that enters the store is searched for refs to live temporary keys, and the entity keys
//! that hold one are remembered. Renaming visits exactly those entities (in base and in the
//! layers touching them) and the layers whose ops target the key: the cost is proportional to
//! where the key occurs, never to the size of the store. Afterwards the old key is an alias: it
//! reads as the new one, and patches that still name it are rewritten on the way in.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};

use super::{RemapError, Store};
use crate::changes::{Changes, LayerEvent};
use crate::key::{IntoKey, Key};
use crate::op::Op;
use crate::patch::{Hasher, KeyOps, OpsByKey, Patch, PatchError};
use crate::rewrite::{refs_in_op, rename_in_entity, rename_in_op};
use crate::version;

/// The id prefix of minted temporary keys.
pub(crate) const TEMPORARY_PREFIX: &str = "tmp~";

/// How many remapped keys keep resolving as aliases; past this, the oldest alias is dropped
/// (an app holding a temporary key that long after its create was answered reads nothing).
pub const MAX_ALIASES: usize = 65_536;

/// Live temporary keys, each with the entity keys whose entity (in base or in some layer's
/// ops) may reference it. A superset: an entry stays when the ref is overwritten.
pub(crate) type Temporaries = HashMap<Key, HashSet<Key, Hasher>, Hasher>;

/// One counter for the program, so temporary keys of different stores (and of a store and its
/// clones) never collide.
fn next_temporary() -> u64 {
    TEMPORARY.fetch_add(1, Ordering::Relaxed)
}

static TEMPORARY: AtomicU64 = AtomicU64::new(1);

/// Makes every temporary key minted from now on differ from `key` (one a loaded store holds).
pub(crate) fn mint_temporaries_after(key: &Key) {
    if let Some(n) = key
        .id()
        .and_then(|id| id.strip_prefix(TEMPORARY_PREFIX))
        .and_then(|n| n.parse::<u64>().ok())
    {
        TEMPORARY.fetch_max(n.saturating_add(1), Ordering::Relaxed);
    }
}

/// ## Temporary keys
///
/// A created item shows at once under a temporary key; when the server names it, one
/// [`remap`](Store::remap) moves every reference to it, in base and in every layer.
impl Store {
    /// Mints a fresh temporary key for an entity of `typename` that the client creates before
    /// the server has given it an id (`Todo:tmp~7`). Write the optimistic create under it, then
    /// [`remap`](Store::remap) it to the server's key when the answer comes. Temporary ids are
    /// unique in the program; their form (`tmp~` and a number) is reserved.
    ///
    /// ```
    /// use optimist::{ListPosition, Patch, Store};
    /// let mut store = Store::new();
    /// let tmp = store.temporary_key("Todo")?;
    /// assert_eq!(tmp.typename(), Some("Todo"));
    /// store.push("create", Patch::new()
    ///     .set(&tmp, "title", "Buy milk")
    ///     .insert_unique("ROOT_QUERY", "todos", tmp.clone(), ListPosition::End))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn temporary_key(&mut self, typename: &str) -> Result<Key, crate::KeyError> {
        let key = Key::entity(typename, &format!("{TEMPORARY_PREFIX}{}", next_temporary()))?;
        self.temps.insert(key.clone(), HashSet::default());
        Ok(key)
    }

    /// The live temporary keys with the entities that may reference each, sorted (for a save).
    pub(crate) fn temporaries(&self) -> Vec<(Key, Vec<Key>)> {
        let mut temps: Vec<(Key, Vec<Key>)> = self
            .temps
            .iter()
            .map(|(key, holders)| {
                let mut holders: Vec<Key> = holders.iter().cloned().collect();
                holders.sort_unstable();
                (key.clone(), holders)
            })
            .collect();
        temps.sort_unstable();
        temps
    }

    /// Puts back a saved store's temporary keys and aliases (oldest first), and makes sure
    /// keys minted from now on differ from them.
    pub(crate) fn load_temporaries(
        &mut self,
        temps: Vec<(Key, Vec<Key>)>,
        aliases: Vec<(Key, Key)>,
    ) -> Result<(), crate::LoadError> {
        let temporary = |key: &Key| {
            key.typename().is_some() && key.id().is_some_and(|id| id.starts_with(TEMPORARY_PREFIX))
        };
        if aliases.len() > MAX_ALIASES {
            return Err(crate::LoadError::Invalid(format!(
                "{} aliases, more than {MAX_ALIASES}",
                aliases.len()
            )));
        }
        for (key, holders) in temps {
            if !temporary(&key) {
                return Err(crate::LoadError::Invalid(format!(
                    "`{key}` is not a temporary key"
                )));
            }
            mint_temporaries_after(&key);
            self.temps.insert(key, holders.into_iter().collect());
        }
        for (from, to) in aliases {
            if !temporary(&from)
                || self.temps.contains_key(&from)
                || from == to
                || from.typename() != to.typename()
            {
                return Err(crate::LoadError::Invalid(format!(
                    "`{from}` cannot be an alias of `{to}`"
                )));
            }
            mint_temporaries_after(&from);
            if self.aliases.insert(from.clone(), to).is_none() {
                self.alias_order.push_back(from);
            }
        }
        Ok(())
    }

    /// Whether `key` is a temporary key of this store that has not been remapped yet.
    ///
    /// ```
    /// let mut store = optimist::Store::new();
    /// let tmp = store.temporary_key("Todo")?;
    /// assert!(store.is_temporary(&tmp));
    /// assert!(!store.is_temporary("Todo:1"));
    /// # Ok::<(), optimist::KeyError>(())
    /// ```
    pub fn is_temporary(&self, key: &str) -> bool {
        self.temps.contains_key(key)
    }

    /// The key a remapped temporary key became, if `key` is one.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// let tmp = store.temporary_key("Todo")?;
    /// store.push("create", Patch::new().set(&tmp, "title", "a"))?;
    /// store.remap(&tmp, "Todo:6")?;
    /// assert_eq!(store.resolve(&tmp).map(|k| k.as_str()), Some("Todo:6"));
    /// assert_eq!(store.resolve("Todo:6"), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resolve(&self, key: &str) -> Option<&Key> {
        self.aliases.get(key)
    }

    /// Renames the temporary key `from` to the server's key `to`, everywhere, in place: the
    /// entity in base, refs to it inside base entities and inside every layer's ops (lists and
    /// embedded objects included), and the ops of every layer that target it. Layers keep their
    /// place, ids and states. If `to` already exists, `from`'s entity merges into it as a write
    /// would (its fields over `to`'s; in base, subject to `to`'s version), and in a layer that
    /// touches both, the ops on `from` follow those on `to`. Afterwards `from` is an alias of
    /// `to`: reads through it see `to` (a UI's list keys stay stable) and patches that still
    /// name it are rewritten to `to` on the way in, so a late edit under the temporary key
    /// lands on the real entity. Aliases are kept for the last [`MAX_ALIASES`] remaps. If `to`
    /// is itself a remapped key, `from` is remapped onto the key `to` became. A base merge left
    /// out for `to`'s version is reported in [`Changes::ignored`].
    ///
    /// `to` must be of `from`'s type ([`RemapError::OtherType`]): what was let in under one
    /// type's rules (a field that is another type's version field) is never judged by
    /// another's. Refused, the store is left as it was.
    ///
    /// Call it when the create's answer arrives, then settle the create's layer (typically with
    /// [`confirm_keeping_relative`](Store::confirm_keeping_relative), which keeps its list
    /// insert). Cost: proportional to the places `from` occurs (the entities that reference it,
    /// the layers on them and on `from`), plus the length of each list that holds it.
    ///
    /// ```
    /// use optimist::{ListPosition, Patch, Store, Value};
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("ROOT_QUERY", "todos", Vec::<Value>::new()))?;
    /// let tmp = store.temporary_key("Todo")?;
    /// let (create, _) = store.push("create", Patch::new()
    ///     .set(&tmp, "title", "Buy milk")
    ///     .insert_unique("ROOT_QUERY", "todos", tmp.clone(), ListPosition::End))?;
    /// // The user ticks the new todo while its create is still in flight.
    /// let (tick, _) = store.push("tick", Patch::new().set(&tmp, "done", true))?;
    ///
    /// // The server answers the create: id 6.
    /// store.remap(&tmp, "Todo:6")?;
    /// store.confirm_keeping_relative(create, Patch::new().set("Todo:6", "title", "Buy milk").set("Todo:6", "done", false))?;
    /// assert_eq!(store.get_field("Todo:6", "done"), Some(&Value::from(true)), "the tick is kept, on the real key");
    /// assert_eq!(store.get_field(&tmp, "done"), Some(&Value::from(true)), "the old key reads through");
    /// store.promote(tick)?;
    /// assert!(store.iter_confirmed().all(|(key, _)| key != &tmp), "no trace but the alias");
    /// let todos = store.get_field("ROOT_QUERY", "todos").and_then(|v| v.as_list()).unwrap();
    /// assert_eq!(todos.iter().filter_map(|v| v.as_ref_key()).map(|k| k.as_str()).collect::<Vec<_>>(), ["Todo:6"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn remap(&mut self, from: impl IntoKey, to: impl IntoKey) -> Result<Changes, RemapError> {
        self.exact(|this| {
            let result = this.remap_now(from, to);
            this.report_drained();
            result
        })
    }

    fn remap_now(&mut self, from: impl IntoKey, to: impl IntoKey) -> Result<Changes, RemapError> {
        self.drain_abandoned();
        let from = match from.into_key() {
            Ok(key) if self.temps.contains_key(&key) => key,
            Ok(key) => return Err(RemapError::NotTemporary(key)),
            Err(error) => return Err(RemapError::InvalidKey(error)),
        };
        let to = to.into_key().map_err(RemapError::InvalidKey)?;
        // Onto a key that was itself remapped: onto the key it became.
        let to = self.aliases.get(&to).cloned().unwrap_or(to);
        if to == from {
            return Err(RemapError::SameKey(to));
        }
        if to.typename().is_none() {
            return Err(RemapError::NotAnEntity(to));
        }
        if to.typename() != from.typename() {
            return Err(RemapError::OtherType { from, to });
        }
        if self.temps.contains_key(&to) {
            return Err(RemapError::OntoTemporary(to));
        }

        let sites = self.temps.remove(&from).unwrap_or_default();
        let rename = |key: &Key| (*key == from).then(|| to.clone());
        let mut keys: Vec<Key> = vec![from.clone(), to.clone()];
        keys.extend(sites.iter().filter(|k| **k != from && **k != to).cloned());
        let before = self.view_of(&keys);
        let mut ignored = Vec::new();

        // The entity itself, in base: merged into `to` as a direct write would be.
        self.stale.rename(&from, &to);
        self.retained.rename(&from, &to);
        if let Some(entity) = self.base.get(&from).cloned() {
            self.set_base(&from, None);
            let entity = rename_in_entity(&entity, &rename).unwrap_or(entity);
            let write = [Op::Write(entity)];
            let stale = self
                .policies
                .version_field_of_key(&to)
                .is_some_and(|field| version::is_stale(&write, self.base.get(&to), field));
            if stale {
                ignored.push(to.clone());
            } else {
                let merged = crate::op::apply(self.base.get(&to), &write, &self.updaters);
                self.set_base(&to, merged);
            }
        }
        // The layers whose ops are rewritten, for `Changes::layers`.
        let mut rewritten = Vec::new();
        // Ops targeting it, in every layer: moved onto `to`, after the layer's own ops on `to`.
        for slot in self.stack.touching(&from).to_vec() {
            rewritten.push(slot);
            let Some(ops) = self.stack.ops_mut(slot) else {
                continue;
            };
            let mut moved = ops.remove(&from).unwrap_or_default();
            for op in &mut moved {
                rename_in_op(op, &rename);
            }
            ops.entry(to.clone()).or_default().extend(moved);
            self.stack.unindex_key(&from, slot);
            self.stack.index(&to, slot);
        }
        // Refs to it, in the entities that may hold one (and `to`, which may have taken some).
        for site in sites.iter().chain(std::iter::once(&to)) {
            if let Some(entity) = self.base.get(site)
                && let Some(renamed) = rename_in_entity(entity, &rename)
            {
                self.set_base(site, Some(renamed));
            }
            for slot in self.stack.touching(site).to_vec() {
                if let Some(ops) = self.stack.ops_mut(slot).and_then(|ops| ops.get_mut(site)) {
                    let mut any = false;
                    for op in ops.iter_mut() {
                        any |= rename_in_op(op, &rename);
                    }
                    if any && !rewritten.contains(&slot) {
                        rewritten.push(slot);
                    }
                }
            }
        }
        // Other temporary keys referenced from `from`'s entity are now referenced from `to`'s.
        for holders in self.temps.values_mut() {
            if holders.remove(&from) {
                holders.insert(to.clone());
            }
        }

        self.aliases.insert(from.clone(), to.clone());
        self.alias_order.push_back(from.clone());
        while self.alias_order.len() > MAX_ALIASES {
            if let Some(oldest) = self.alias_order.pop_front() {
                self.aliases.remove(&oldest);
            }
        }
        for slot in rewritten {
            let id = self.id_of(slot);
            self.events.push((id, LayerEvent::Remapped));
        }
        self.mutations.rename(&from, &to);
        let changes = self.recompute_all(&keys, before);
        // After the refold (which may run an updater that panics, putting the store back):
        // the watchers are the store's own, never put back.
        self.watchers.rekey(&from, &to);
        Ok(self.finish(changes, ignored))
    }

    /// Checks a patch on its way into the store and turns it into ops: its keys and updater
    /// names are valid and its version fields hold versions; refs and keys naming a remapped
    /// temporary key are rewritten to the key it became; refs to live temporary keys are noted.
    /// Nothing is changed when it is refused.
    pub(crate) fn admit(&mut self, patch: Patch) -> Result<OpsByKey, PatchError> {
        patch.validate(&self.updaters)?;
        patch.validate_versions(&self.policies)?;
        let mut ops = patch.into_ops();
        if !self.aliases.is_empty() {
            ops = self.resolve_aliases(ops);
        }
        if !self.temps.is_empty() {
            for (key, key_ops) in &ops {
                for op in key_ops {
                    refs_in_op(op, &mut |target| {
                        if let Some(holders) = self.temps.get_mut(target) {
                            holders.insert(key.clone());
                        }
                    });
                }
            }
        }
        Ok(ops)
    }

    /// Notes the refs to live temporary keys inside an entity about to be put in base under
    /// `key` by other means than a patch (a restore).
    pub(crate) fn note_temporary_refs(&mut self, key: &Key, entity: &crate::Entity) {
        if self.temps.is_empty() {
            return;
        }
        for (_, value) in entity.iter() {
            crate::rewrite::refs_in_value(value, &mut |target| {
                if let Some(holders) = self.temps.get_mut(target) {
                    holders.insert(key.clone());
                }
            });
        }
    }

    /// Rewrites keys and refs naming an alias to the key it became. A patch that names a key
    /// and also an alias of it gets, on that key, its own ops first, then those of the
    /// aliases in key order (as `remap` orders them in a layer): the patch keeps no order
    /// between its keys, so the order must not come from the map's iteration.
    fn resolve_aliases(&self, mut ops: OpsByKey) -> OpsByKey {
        let rename = |key: &Key| self.aliases.get(key).cloned();
        for key_ops in ops.values_mut() {
            for op in key_ops.iter_mut() {
                rename_in_op(op, &rename);
            }
        }
        if !ops.keys().any(|key| self.aliases.contains_key(key)) {
            return ops;
        }
        // Ops under a remapped key follow those the patch has under the key it became.
        let (aliased, mut resolved): (OpsByKey, OpsByKey) = ops
            .into_iter()
            .partition(|(key, _)| self.aliases.contains_key(key));
        let mut aliased: Vec<(Key, KeyOps)> = aliased.into_iter().collect();
        aliased.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (key, key_ops) in aliased {
            let key = rename(&key).unwrap_or(key);
            resolved
                .entry(key)
                .or_insert_with(KeyOps::new)
                .extend(key_ops);
        }
        resolved
    }

    /// Forgets temporary keys among `keys` that nothing holds any more (no layer touches them
    /// and base has no entity under them), so a create that failed leaves no trace. Refs to
    /// them that remain read as dangling, as refs to a deleted entity do.
    pub(crate) fn forget_temporaries(&mut self, keys: &[Key]) {
        if self.temps.is_empty() {
            return;
        }
        for key in keys {
            if self.temps.contains_key(key)
                && self.stack.touching(key).is_empty()
                && !self.base.contains_key(key)
            {
                self.temps.remove(key);
            }
        }
    }
}
