//! Invalidation: stale marks on what needs a refetch. The app marks an entity, some of its
//! fields, a root field, everything a query read, or everything the queries of a tag read;
//! a mutation refused for a version conflict marks what it touched. A mark lasts until fresh
//! data for that field is written into base (a direct write, a confirmed answer folding in):
//! a field written or removed is fresh, a deleted entity has nothing left to refetch, while
//! increments, list edits and updaters leave a field as stale as it was. An answer folding in
//! clears only the marks set before its layer was made (reserved or pushed: its request
//! sent): a mark set while the request was out may announce a change the answer predates.
//!
//! Marks are data, not queries: a query is stale when it reads a marked field, so two queries
//! that read the same field are stale together and one refetch makes both fresh. Marks change
//! nothing in the view; they tell the app what to fetch again ([`Store::stale`], watched
//! queries most recently watched first).
//!
//! It stands apart from the store's view: marks are derived from nothing and change no data.

mod marks;
#[cfg(feature = "graphql")]
mod query;

pub(crate) use marks::Marks;

use crate::entity::Entity;
use crate::field::FieldName;
use crate::key::{IntoKey, Key, KeyError};
use crate::store::Store;

/// ## Invalidation: stale marks
///
/// Mark an entity or a field stale (what to refetch), ask what is stale, clear marks. A mark
/// is cleared by an answer to a request made after it, never by one made before: what
/// counts is when the answer's layer was reserved or pushed, not when its answer came.
impl Store {
    /// Marks every field the entity `key` has (in base or in the view) as stale: it needs a
    /// refetch. The data stays and reads as before. Returns how many fields were newly
    /// marked: 0 for an entity the store does not hold. O(F log S) for F fields and S marks.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("Todo:1", "title", "a").set("Todo:1", "done", false))?;
    /// assert_eq!(store.invalidate("Todo:1")?, 2);
    /// assert!(store.is_stale("Todo:1"));
    /// store.write(Patch::new().set("Todo:1", "title", "b"))?; // a partial refetch
    /// assert!(store.is_field_stale("Todo:1", "done") && !store.is_field_stale("Todo:1", "title"));
    /// store.write(Patch::new().set("Todo:1", "done", true))?;
    /// assert!(!store.is_stale("Todo:1"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn invalidate(&mut self, key: impl IntoKey) -> Result<usize, KeyError> {
        let key = self.resolved(key.into_key()?);
        let fields = self.fields_held(&key, |_| true);
        Ok(self.stale.mark(&key, fields))
    }

    /// Marks one field of the entity `key` as stale. `field` is a store field name: with
    /// arguments (`todos({"done":true})`, see [`FieldName::with_args`]) it names that field;
    /// without (`todos`), every field of that name the entity holds, whatever its arguments.
    /// So `invalidate_field(ROOT_QUERY, "todos")` marks every cached `todos` list, and with
    /// arguments only that one. Returns how many fields were newly marked (0 when the entity
    /// holds none of that name). O(F log S).
    ///
    /// ```
    /// use optimist::{FieldName, Patch, Store, ROOT_QUERY};
    /// use serde_json::json;
    ///
    /// let mut store = Store::new();
    /// let done = FieldName::with_args("todos", &json!({"done": true}));
    /// let open = FieldName::with_args("todos", &json!({"done": false}));
    /// store.write(Patch::new().set(ROOT_QUERY, done.clone(), 1).set(ROOT_QUERY, open.clone(), 2).set(ROOT_QUERY, "me", 3))?;
    /// assert_eq!(store.invalidate_field(ROOT_QUERY, done.as_str())?, 1);
    /// assert_eq!(store.invalidate_field(ROOT_QUERY, "todos")?, 1, "the other variant");
    /// assert!(store.is_field_stale(ROOT_QUERY, open.as_str()));
    /// assert!(!store.is_field_stale(ROOT_QUERY, "me"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn invalidate_field(&mut self, key: impl IntoKey, field: &str) -> Result<usize, KeyError> {
        let key = self.resolved(key.into_key()?);
        let fields = self.fields_held(&key, |name| matches_field(name, field));
        Ok(self.stale.mark(&key, fields))
    }

    /// Whether some field of the entity `key` is marked stale. O(log S).
    ///
    /// ```
    /// assert!(!optimist::Store::new().is_stale("Todo:1"));
    /// ```
    pub fn is_stale(&self, key: &str) -> bool {
        self.stale
            .contains_key(self.resolve(key).map_or(key, Key::as_str))
    }

    /// Whether the field `field` (a store field name) of the entity `key` is marked stale.
    /// O(log S).
    ///
    /// ```
    /// assert!(!optimist::Store::new().is_field_stale("Todo:1", "title"));
    /// ```
    pub fn is_field_stale(&self, key: &str, field: &str) -> bool {
        self.stale
            .contains(self.resolve(key).map_or(key, Key::as_str), field)
    }

    /// The entities with a field marked stale, in key order.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("B:1", "x", 1).set("A:1", "x", 1))?;
    /// store.invalidate("B:1")?;
    /// store.invalidate("A:1")?;
    /// assert_eq!(store.stale_keys().map(|k| k.as_str()).collect::<Vec<_>>(), ["A:1", "B:1"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stale_keys(&self) -> impl Iterator<Item = &Key> {
        self.stale.keys()
    }

    /// Every stale mark, `(entity, field)`, by key then field. [`stale_count`](Store::stale_count)
    /// of them.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("A:1", "x", 1).set("A:1", "y", 1))?;
    /// store.invalidate_field("A:1", "y")?;
    /// let marks: Vec<_> = store.stale_fields().map(|(k, f)| (k.as_str(), f.as_str())).collect();
    /// assert_eq!(marks, [("A:1", "y")]);
    /// assert_eq!(store.stale_count(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stale_fields(&self) -> impl Iterator<Item = (&Key, &FieldName)> {
        self.stale.iter()
    }

    /// How many `(entity, field)` marks there are. O(1).
    ///
    /// ```
    /// assert_eq!(optimist::Store::new().stale_count(), 0);
    /// ```
    pub fn stale_count(&self) -> usize {
        self.stale.len()
    }

    /// Drops every stale mark (after a full refetch the app did outside the store, say).
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("A:1", "x", 1))?;
    /// store.invalidate("A:1")?;
    /// store.clear_stale();
    /// assert!(!store.is_stale("A:1"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn clear_stale(&mut self) {
        self.stale.clear();
    }

    /// `key`, or the key it was remapped to.
    pub(crate) fn resolved(&self, key: Key) -> Key {
        self.resolve(&key).cloned().unwrap_or(key)
    }

    /// The fields of `key` in base and in the view that `keep` accepts, each once.
    fn fields_held(&self, key: &Key, keep: impl Fn(&FieldName) -> bool) -> Vec<FieldName> {
        let mut names: Vec<FieldName> = [self.get_confirmed(key), self.get(key)]
            .into_iter()
            .flatten()
            .flat_map(Entity::iter)
            .map(|(name, _)| name)
            .filter(|name| keep(name))
            .cloned()
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }
}

/// Whether the store field `name` is what `pattern` names: itself, or, for a pattern without
/// arguments, any field of that name.
pub(crate) fn matches_field(name: &FieldName, pattern: &str) -> bool {
    if pattern.contains('(') {
        name.as_str() == pattern
    } else {
        name.name() == pattern
    }
}
