//! Evict: removing cached data from base directly, whatever the server says.
//!
//! [`Store::evict`] drops an entity, [`Store::evict_field`] one field (or every field of a
//! name, whatever its arguments). Refs to an evicted entity read as dangling, as for a delete:
//! dropped from lists, `null` for a single ref. Layers on top stay and rebase, so a pending
//! guess still shows over what is left.
//!
//! To evict *optimistically*, inside a layer, push the same removal as an op of that layer:
//! [`Patch::delete`](crate::Patch::delete) for an entity,
//! [`Patch::remove_field`](crate::Patch::remove_field) for a field. The view hides the data at
//! once, base keeps it, and a failure of the layer brings it back exactly (what Apollo's
//! `evict` inside an optimistic update cannot do, its #10289); a promote makes it an eviction
//! from base.

use crate::changes::{Changes, record};
use crate::field::FieldName;
use crate::key::{IntoKey, KeyError};
use crate::stale::matches_field;
use crate::store::Store;

/// ## Evicting
///
/// Drop an entity or a field now, in base and in every layer (Apollo's `cache.evict`).
impl Store {
    /// Removes the entity `key` from base, and its stale marks. The view changes where no
    /// layer covers the key; a layer's ops on it re-apply on nothing. Evicting what base
    /// lacks changes nothing. Returns the view's changes. O(log N + ops of the layers on
    /// the key).
    ///
    /// ```
    /// use optimist::{Key, Patch, Store};
    /// let mut store = Store::new();
    /// let list = vec![Key::new("Todo:1")?, Key::new("Todo:2")?];
    /// store.write(Patch::new().set("ROOT_QUERY", "todos", list).set("Todo:1", "t", 1).set("Todo:2", "t", 2))?;
    /// let changes = store.evict("Todo:2")?;
    /// assert!(changes.contains("Todo:2") && !store.contains("Todo:2"));
    /// let read = store.read_tree("ROOT_QUERY")?;
    /// assert_eq!(read, Some(serde_json::json!({"todos": [{"t": 1}]})), "a dangling ref is dropped");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evict(&mut self, key: impl IntoKey) -> Result<Changes, KeyError> {
        self.exact(|this| {
            let key = this.resolved(key.into_key()?);
            this.drain_abandoned();
            let mut changes = Vec::new();
            if this.base.contains_key(&key) {
                let before = this.get(&key).cloned();
                this.set_base(&key, None);
                let after = this.recompute(&key);
                record(&mut changes, &key, before.as_ref(), after.as_ref());
            }
            this.stale.remove_key(&key);
            Ok(this.finish(changes, Vec::new()))
        })
    }

    /// Removes one field of the entity `key` from base, and its stale mark. `field` is a store
    /// field name: with arguments (`todos({"done":true})`) that field; without (`todos`),
    /// every field of that name, whatever its arguments. The entity stays, with its other
    /// fields (an entity left with none stays, empty). Returns the view's changes.
    /// O(fields of the entity + ops of the layers on the key).
    ///
    /// ```
    /// use optimist::{FieldName, Patch, Store, ROOT_QUERY};
    /// use serde_json::json;
    ///
    /// let mut store = Store::new();
    /// let page = |n: i64| FieldName::with_args("todos", &json!({"page": n}));
    /// store.write(Patch::new().set(ROOT_QUERY, page(1), 1).set(ROOT_QUERY, page(2), 2).set(ROOT_QUERY, "me", 3))?;
    /// store.evict_field(ROOT_QUERY, page(1).as_str())?;
    /// assert!(store.get_field(ROOT_QUERY, page(1).as_str()).is_none());
    /// assert!(store.get_field(ROOT_QUERY, page(2).as_str()).is_some());
    /// store.evict_field(ROOT_QUERY, "todos")?; // every page
    /// assert_eq!(store.get(ROOT_QUERY).map(|e| e.len()), Some(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evict_field(&mut self, key: impl IntoKey, field: &str) -> Result<Changes, KeyError> {
        self.exact(|this| {
            let key = this.resolved(key.into_key()?);
            this.drain_abandoned();
            let mut changes = Vec::new();
            let evicted: Vec<FieldName> = this
                .base
                .get(&key)
                .map(|entity| {
                    entity
                        .iter()
                        .map(|(name, _)| name)
                        .filter(|name| matches_field(name, field))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            if let (false, Some(entity)) = (evicted.is_empty(), this.base.get(&key)) {
                let kept = crate::entity::Entity::from_sorted(
                    entity
                        .iter()
                        .filter(|(name, _)| !evicted.contains(name))
                        .map(|(name, value)| (name.clone(), value.clone()))
                        .collect(),
                );
                let before = this.get(&key).cloned();
                this.set_base(&key, Some(kept));
                let after = this.recompute(&key);
                record(&mut changes, &key, before.as_ref(), after.as_ref());
                for name in &evicted {
                    this.stale.remove_field(&key, name.as_str());
                }
            }
            Ok(this.finish(changes, Vec::new()))
        })
    }
}
