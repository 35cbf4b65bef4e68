//! Entities: the fields of one stored object, as a small sorted array.
//!
//! An [`Entity`] maps [`FieldName`]s to [`Value`]s in one shared allocation kept sorted by name,
//! so a clone is O(1) and a field read scans a handful of names. It stands apart from
//! [`Value`] because its layout (sorted, copy on write, linear scan for small sizes) is the
//! store's hot path and has invariants of its own.

use std::fmt;
use std::sync::Arc;

use crate::field::FieldName;
use crate::value::Value;

/// The fields of one entity (or of an embedded object): store field names to values.
///
/// Fields are kept sorted by name in one shared allocation, so a clone is O(1), a read is a
/// binary search over a handful of fields, and a change copies the fields once (copy on write).
/// Entities are small in practice; a field map with thousands of fields still works, at
/// O(fields) per change.
///
/// ```
/// use optimist::{Entity, Value};
///
/// let todo = Entity::new().with("title", "Buy milk").with("done", false);
/// assert_eq!(todo.get("title").and_then(Value::as_str), Some("Buy milk"));
/// assert_eq!(todo.len(), 2);
/// assert_eq!(todo.to_json(), serde_json::json!({"done": false, "title": "Buy milk"}));
/// ```
#[derive(Clone, PartialEq, Default)]
pub struct Entity {
    /// Sorted by field name, no duplicates.
    fields: Arc<[(FieldName, Value)]>,
}

impl Entity {
    /// An entity with no fields.
    ///
    /// ```
    /// assert!(optimist::Entity::new().is_empty());
    /// ```
    pub fn new() -> Entity {
        Entity::default()
    }

    /// Builds an entity from fields; when a name repeats, the last value wins.
    ///
    /// ```
    /// use optimist::{Entity, FieldName, Value};
    /// let e = Entity::from_fields([(FieldName::new("a"), Value::from(1)), (FieldName::new("a"), Value::from(2))]);
    /// assert_eq!(e.get("a"), Some(&Value::from(2)));
    /// ```
    pub fn from_fields(fields: impl IntoIterator<Item = (FieldName, Value)>) -> Entity {
        let mut fields: Vec<(FieldName, Value)> = fields.into_iter().collect();
        // Stable sort keeps repeated names in input order, so the last one can win.
        fields.sort_by(|a, b| a.0.cmp(&b.0));
        let mut deduped: Vec<(FieldName, Value)> = Vec::with_capacity(fields.len());
        for (name, value) in fields {
            match deduped.last_mut() {
                Some(last) if last.0 == name => last.1 = value,
                _ => deduped.push((name, value)),
            }
        }
        Entity::from_sorted(deduped)
    }

    /// Builds from fields already sorted by name without duplicates.
    pub(crate) fn from_sorted(fields: Vec<(FieldName, Value)>) -> Entity {
        debug_assert!(fields.windows(2).all(|w| w[0].0 < w[1].0));
        Entity {
            fields: Arc::from(fields),
        }
    }

    /// This entity with `field` set to `value` (a builder for tests and examples; each call
    /// copies the fields).
    ///
    /// ```
    /// let e = optimist::Entity::new().with("count", 1);
    /// assert_eq!(e.get("count").and_then(|v| v.as_i64()), Some(1));
    /// ```
    pub fn with(self, field: impl Into<FieldName>, value: impl Into<Value>) -> Entity {
        let mut fields = self.fields.to_vec();
        set_field(&mut fields, field.into(), value.into());
        Entity::from_sorted(fields)
    }

    /// The value of a field.
    ///
    /// ```
    /// assert!(optimist::Entity::new().get("missing").is_none());
    /// ```
    pub fn get(&self, field: &str) -> Option<&Value> {
        let fields = &*self.fields;
        if fields.len() <= LINEAR_SCAN_MAX {
            // A name's length sits in its (fat) pointer, inline in this array: comparing
            // lengths first touches no other memory, and only a same-length name is compared.
            return fields
                .iter()
                .find(|(name, _)| name.len() == field.len() && name.as_str() == field)
                .map(|(_, value)| value);
        }
        fields
            .binary_search_by(|(name, _)| name.as_str().cmp(field))
            .ok()
            .map(|at| &fields[at].1)
    }

    /// Whether the entity has this field.
    ///
    /// ```
    /// assert!(optimist::Entity::new().with("a", 1).contains("a"));
    /// ```
    pub fn contains(&self, field: &str) -> bool {
        self.get(field).is_some()
    }

    /// The fields in name order.
    ///
    /// ```
    /// let e = optimist::Entity::new().with("b", 2).with("a", 1);
    /// let names: Vec<&str> = e.iter().map(|(name, _)| name.as_str()).collect();
    /// assert_eq!(names, ["a", "b"]);
    /// ```
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&FieldName, &Value)> {
        self.fields.iter().map(|(name, value)| (name, value))
    }

    /// The number of fields.
    ///
    /// ```
    /// assert_eq!(optimist::Entity::new().with("a", 1).len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether the entity has no fields.
    ///
    /// ```
    /// assert!(optimist::Entity::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Whether two entities share one allocation (a cheap "certainly equal" test).
    ///
    /// ```
    /// let a = optimist::Entity::new().with("x", 1);
    /// assert!(a.ptr_eq(&a.clone()));
    /// ```
    pub fn ptr_eq(&self, other: &Entity) -> bool {
        Arc::ptr_eq(&self.fields, &other.fields)
    }

    /// The fields as JSON in Apollo's format.
    ///
    /// ```
    /// let e = optimist::Entity::new().with("a", 1);
    /// assert_eq!(e.to_json(), serde_json::json!({"a": 1}));
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.fields
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_json()))
                .collect(),
        )
    }

    /// Builds an entity from a JSON object in Apollo's format; `None` if `json` is not an object.
    ///
    /// ```
    /// let e = optimist::Entity::from_json(serde_json::json!({"a": 1})).unwrap();
    /// assert_eq!(e.get("a").and_then(|v| v.as_i64()), Some(1));
    /// assert!(optimist::Entity::from_json(serde_json::json!([1])).is_none());
    /// ```
    pub fn from_json(json: serde_json::Value) -> Option<Entity> {
        match json {
            serde_json::Value::Object(map) => {
                Some(Entity::from_fields(map.into_iter().map(|(name, item)| {
                    (FieldName::from(name), Value::from_json(item))
                })))
            }
            _ => None,
        }
    }

    /// The fields as a vector to edit; [`Entity::from_sorted`] freezes it again.
    pub(crate) fn to_vec(&self) -> Vec<(FieldName, Value)> {
        self.fields.to_vec()
    }

    /// These fields with `written`'s merged over them, as a vector to edit: one pass over both
    /// sorted arrays, and fields about to be overwritten are never cloned.
    pub(crate) fn merged(&self, written: &Entity) -> Vec<(FieldName, Value)> {
        let (ours, theirs) = (&*self.fields, &*written.fields);
        let mut out = Vec::with_capacity(ours.len() + theirs.len());
        let (mut i, mut j) = (0, 0);
        while i < ours.len() && j < theirs.len() {
            match ours[i].0.cmp(&theirs[j].0) {
                std::cmp::Ordering::Less => {
                    out.push(ours[i].clone());
                    i += 1;
                }
                std::cmp::Ordering::Greater => {
                    out.push(theirs[j].clone());
                    j += 1;
                }
                std::cmp::Ordering::Equal => {
                    out.push(theirs[j].clone());
                    i += 1;
                    j += 1;
                }
            }
        }
        out.extend_from_slice(&ours[i..]);
        out.extend_from_slice(&theirs[j..]);
        out
    }
}

/// Entities with at most this many fields are searched linearly (see [`Entity::get`]).
const LINEAR_SCAN_MAX: usize = 12;

/// Sets `field` in a sorted field vector.
pub(crate) fn set_field(fields: &mut Vec<(FieldName, Value)>, field: FieldName, value: Value) {
    match fields.binary_search_by(|(name, _)| name.cmp(&field)) {
        Ok(at) => fields[at].1 = value,
        Err(at) => fields.insert(at, (field, value)),
    }
}

impl fmt::Debug for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl FromIterator<(FieldName, Value)> for Entity {
    fn from_iter<I: IntoIterator<Item = (FieldName, Value)>>(iter: I) -> Entity {
        Entity::from_fields(iter)
    }
}

impl serde::Serialize for Entity {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (name, value) in self.iter() {
            map.serialize_entry(name.as_str(), value)?;
        }
        map.end()
    }
}

impl<'de> serde::Deserialize<'de> for Entity {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Entity, D::Error> {
        let map = serde_json::Map::deserialize(deserializer)?;
        Ok(Entity::from_fields(map.into_iter().map(|(name, item)| {
            (FieldName::from(name), Value::from_json(item))
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_keep_fields_sorted_and_last_write_wins() {
        let e = Entity::from_fields([
            (FieldName::new("b"), Value::from(1)),
            (FieldName::new("a"), Value::from(2)),
            (FieldName::new("b"), Value::from(3)),
        ]);
        let names: Vec<_> = e.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(e.get("b"), Some(&Value::from(3)));
        assert_eq!(e.get("c"), None);
    }
}
