//! Apollo's snapshot format: `extract` writes the store as `cache.extract()` does, `restore`
//! reads it back into base.
//!
//! It stands apart from the store's core operations because it is a format, not a mechanism:
//! a restore is a base write of every key at once.

use std::fmt;

use crate::changes::Changes;
use crate::entity::Entity;
use crate::key::Key;
use crate::store::Store;
use crate::value::fields_bounded;
use crate::view::Map;

/// ## Extracting and restoring
///
/// Base as plain JSON (Apollo's `cache.extract()` / `restore()`), for server rendering or
/// seeding a store.
impl Store {
    /// The store in Apollo's `cache.extract()` format: an object from each key to its entity's
    /// fields, references as `{"__ref": key}`. With `optimistic`, the merged view; without, base.
    /// An embedded object that would read back as a reference (its only field is `__ref`, or
    /// `__object`) is written `{"__object": {...}}`, so [`restore`](Store::restore) gives back
    /// exactly what was extracted. O(size of the store + N log N to sort the keys); values are
    /// converted without recursion, however deep (a value built in code deeper than
    /// [`DEFAULT_MAX_DEPTH`](crate::DEFAULT_MAX_DEPTH) is written out, and `restore` refuses it).
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// use serde_json::json;
    ///
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("Todo:1", "done", false))?;
    /// store.push("tick", Patch::new().set("Todo:1", "done", true))?;
    /// assert_eq!(store.extract(false), json!({"Todo:1": {"done": false}}));
    /// assert_eq!(store.extract(true), json!({"Todo:1": {"done": true}}));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn extract(&self, optimistic: bool) -> serde_json::Value {
        let mut entries: Vec<(&Key, &Entity)> = if optimistic {
            self.iter().collect()
        } else {
            self.base.iter().collect()
        };
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        serde_json::Value::Object(
            entries
                .into_iter()
                .map(|(key, entity)| (key.to_string(), entity.to_json()))
                .collect(),
        )
    }

    /// Replaces base with a snapshot in [`extract`](Store::extract)'s (Apollo's) format:
    /// entities not in the snapshot are removed from base. An entry nested deeper than
    /// [`Policies::depth_limit`](crate::Policies::depth_limit) is refused (the conversion
    /// recurses at most that deep). O(size of the snapshot + keys recomputed). Live layers stay and rebase on the
    /// new base. Apollo's `__META` entry (its garbage collector's extra roots) is accepted and
    /// ignored. A bad snapshot changes nothing.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// use serde_json::json;
    ///
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("Todo:1", "done", false))?;
    /// let saved = store.extract(false);
    ///
    /// let mut other = Store::new();
    /// other.write(Patch::new().set("Todo:2", "done", true))?;
    /// other.restore(&saved)?;
    /// assert_eq!(other.extract(false), saved);
    /// assert!(other.restore(&json!({"": {}})).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn restore(&mut self, snapshot: &serde_json::Value) -> Result<Changes, RestoreError> {
        self.exact(|this| {
            let serde_json::Value::Object(entries) = snapshot else {
                return Err(RestoreError::NotAnObject);
            };
            let limit = this.policies().depth_limit();
            let mut base = Map::default();
            for (text, fields) in entries {
                if text == "__META" {
                    continue;
                }
                let key = Key::new(text).map_err(|error| RestoreError::BadKey {
                    key: text.clone(),
                    error,
                })?;
                let serde_json::Value::Object(fields) = fields else {
                    return Err(RestoreError::EntityNotAnObject { key: text.clone() });
                };
                // An entry is its entity's fields as they are (never a reference, never escaped).
                let Some(entity) = limit
                    .checked_sub(1)
                    .and_then(|limit| fields_bounded(fields, limit))
                else {
                    return Err(RestoreError::TooDeep {
                        key: text.clone(),
                        limit,
                    });
                };
                base.insert(key, entity);
            }
            this.drain_abandoned();
            let keys: Vec<Key> = this.base.keys().chain(base.keys()).cloned().collect();
            let before = this.view_of(&keys);
            for (key, entity) in base.iter() {
                this.note_temporary_refs(key, entity);
            }
            this.base = base;
            this.base_replaced();
            let changes = this.recompute_all(&keys, before);
            Ok(this.finish(changes, Vec::new()))
        })
    }
}

/// Why [`Store::restore`] refused a snapshot. A refused snapshot changes nothing.
///
/// ```
/// use optimist::{RestoreError, Store};
/// let err = Store::new().restore(&serde_json::json!({"Todo:1": 5})).unwrap_err();
/// assert_eq!(err.to_string(), "snapshot entry `Todo:1` is not an object");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RestoreError {
    /// The snapshot is not a JSON object.
    NotAnObject,
    /// A snapshot key is not a valid entity key.
    BadKey {
        /// The key as written in the snapshot.
        key: String,
        /// Why it is not valid.
        error: crate::key::KeyError,
    },
    /// A snapshot entry is not an object of fields.
    EntityNotAnObject {
        /// The entry's key.
        key: String,
    },
    /// A snapshot entry nests deeper than the store's depth limit.
    TooDeep {
        /// The entry's key.
        key: String,
        /// The limit.
        limit: usize,
    },
}

impl fmt::Display for RestoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RestoreError::NotAnObject => {
                f.write_str("a snapshot must be a JSON object of entities")
            }
            RestoreError::BadKey { key, error } => {
                write!(f, "snapshot key `{key}` is invalid: {error}")
            }
            RestoreError::EntityNotAnObject { key } => {
                write!(f, "snapshot entry `{key}` is not an object")
            }
            RestoreError::TooDeep { key, limit } => {
                write!(f, "snapshot entry `{key}` nests deeper than {limit} levels")
            }
        }
    }
}

impl std::error::Error for RestoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RestoreError::BadKey { error, .. } => Some(error),
            _ => None,
        }
    }
}
