//! Entities: the fields of one stored object, as a small sorted array.
//!
//! An [`Entity`] maps [`FieldName`]s to [`Value`]s: its values in one shared allocation, its
//! names, sorted, in a [`Shape`] that every entity with the same names shares, so a clone is
//! O(1), a field read scans a handful of names, and an entity costs its values and a header of
//! three words. It stands apart from [`Value`] because its layout (sorted, copy on write,
//! linear scan for small sizes) is the store's hot path and has invariants of its own.

use std::fmt;

use triomphe::ThinArc;

use crate::field::FieldName;
use crate::shape::Shape;
use crate::value::Value;

/// The fields of one entity (or of an embedded object): store field names to values.
///
/// Fields are kept sorted by name; the values sit in one shared allocation and the names in a
/// list shared by all entities with the same names. A clone is O(1), a read is a search over a
/// handful of names, and a change copies the values once (copy on write).
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
#[derive(Clone)]
pub struct Entity {
    /// The values, in the order of the names of the shape in the header (sorted, no
    /// duplicates); one pointer wide.
    record: ThinArc<Shape, Value>,
}

/// An entity's fields in name order, as [`Entity::iter`] gives them.
pub(crate) type Fields<'a> =
    std::iter::Zip<std::slice::Iter<'a, FieldName>, std::slice::Iter<'a, Value>>;

impl Default for Entity {
    fn default() -> Entity {
        Entity::from_sorted(Vec::new())
    }
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
        // In place: of a run of one name, the last value stays, in the run's first place.
        fields.dedup_by(|later, kept| {
            let repeated = later.0 == kept.0;
            if repeated {
                std::mem::swap(&mut later.1, &mut kept.1);
            }
            repeated
        });
        Entity::from_sorted(fields)
    }

    /// The names, sorted.
    fn names(&self) -> &[FieldName] {
        self.record.header.header.names()
    }

    /// The values, in the order of the names.
    fn values(&self) -> &[Value] {
        &self.record.slice
    }

    /// Builds from fields already sorted by name without duplicates; the names' shape comes
    /// from this thread's cache when it has them.
    pub(crate) fn from_sorted(fields: Vec<(FieldName, Value)>) -> Entity {
        debug_assert!(fields.windows(2).all(|w| w[0].0 < w[1].0));
        let shape = Shape::of(fields.iter().map(|(name, _)| name));
        Entity {
            record: ThinArc::from_header_and_iter(shape, fields.into_iter().map(|(_, v)| v)),
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
        let mut fields = self.to_vec();
        set_field(&mut fields, field.into(), value.into());
        Entity::from_sorted(fields)
    }

    /// The value of a field.
    ///
    /// ```
    /// assert!(optimist::Entity::new().get("missing").is_none());
    /// ```
    pub fn get(&self, field: &str) -> Option<&Value> {
        let names = self.names();
        let at = if names.len() <= LINEAR_SCAN_MAX {
            // A name's length sits in its (fat) pointer, inline in this array: comparing
            // lengths first touches no other memory, and only a same-length name is compared
            // (by address first: an interned name read by its own text costs no comparison).
            names.iter().position(|name| {
                name.len() == field.len()
                    && (std::ptr::eq(name.as_str(), field) || name.as_str() == field)
            })?
        } else {
            names
                .binary_search_by(|name| name.as_str().cmp(field))
                .ok()?
        };
        self.values().get(at)
    }

    /// The entity's own name of the field `field`, shared with it (no allocation).
    pub(crate) fn name_of(&self, field: &str) -> Option<&FieldName> {
        self.names().iter().find(|name| name.as_str() == field)
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
        self.fields()
    }

    /// The fields in name order, as a named iterator type.
    pub(crate) fn fields(&self) -> Fields<'_> {
        self.names().iter().zip(self.values())
    }

    /// The number of fields.
    ///
    /// ```
    /// assert_eq!(optimist::Entity::new().with("a", 1).len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.values().len()
    }

    /// Whether the entity has no fields.
    ///
    /// ```
    /// assert!(optimist::Entity::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.values().is_empty()
    }

    /// Whether two entities share one allocation (a cheap "certainly equal" test).
    ///
    /// ```
    /// let a = optimist::Entity::new().with("x", 1);
    /// assert!(a.ptr_eq(&a.clone()));
    /// ```
    pub fn ptr_eq(&self, other: &Entity) -> bool {
        std::ptr::eq(&*self.record, &*other.record)
    }

    /// The address of the allocation: equal for two entities exactly when
    /// [`ptr_eq`](Entity::ptr_eq), for as long as one of them is alive.
    #[cfg(feature = "graphql")]
    pub(crate) fn addr(&self) -> usize {
        std::ptr::from_ref(&*self.record).cast::<()>() as usize
    }

    /// The fields as JSON in Apollo's format (see [`Value::to_json`]). O(size of the entity),
    /// without recursion.
    ///
    /// ```
    /// let e = optimist::Entity::new().with("a", 1);
    /// assert_eq!(e.to_json(), serde_json::json!({"a": 1}));
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        crate::value::entity_to_json(self)
    }

    /// Builds an entity from a JSON object in Apollo's format (see [`Value::from_json`]);
    /// `None` if `json` is not an object. O(size of the JSON), recursing once per level.
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
        self.fields()
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect()
    }

    /// These fields with `written`'s merged over them, as a vector to edit: one pass over both
    /// sorted arrays, and fields about to be overwritten are never cloned.
    pub(crate) fn merged(&self, written: &Entity) -> Vec<(FieldName, Value)> {
        let (ours, theirs) = (self.names(), written.names());
        let (our_values, their_values) = (self.values(), written.values());
        let mut out = Vec::with_capacity(ours.len() + theirs.len());
        let pair = |names: &[FieldName], values: &[Value], at: usize| {
            (names[at].clone(), values[at].clone())
        };
        let (mut i, mut j) = (0, 0);
        while i < ours.len() && j < theirs.len() {
            match ours[i].cmp(&theirs[j]) {
                std::cmp::Ordering::Less => {
                    out.push(pair(ours, our_values, i));
                    i += 1;
                }
                std::cmp::Ordering::Greater => {
                    out.push(pair(theirs, their_values, j));
                    j += 1;
                }
                std::cmp::Ordering::Equal => {
                    out.push(pair(theirs, their_values, j));
                    i += 1;
                    j += 1;
                }
            }
        }
        out.extend((i..ours.len()).map(|at| pair(ours, our_values, at)));
        out.extend((j..theirs.len()).map(|at| pair(theirs, their_values, at)));
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

impl PartialEq for Entity {
    fn eq(&self, other: &Entity) -> bool {
        self.ptr_eq(other)
            || (self.record.header.header == other.record.header.header
                && self.values() == other.values())
    }
}

impl Drop for Entity {
    fn drop(&mut self) {
        // Only the last owner drops the fields; nested containers are taken out first so that
        // deep values do not recurse (see `value/drop.rs`). Entities of scalars and references
        // skip all of it.
        if ThinArc::strong_count(&self.record) == 1
            && self
                .values()
                .iter()
                .any(|value| matches!(value, Value::List(_) | Value::Object(_)))
        {
            self.record.with_arc_mut(|record| {
                if let Some(record) = triomphe::Arc::get_mut(record) {
                    crate::value::release(record.slice_mut().iter_mut().map(std::mem::take));
                }
            });
        }
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

/// Serialises as a map of fields, each value as [`Value`] serialises.
impl serde::Serialize for Entity {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        BoundedFields {
            entity: self,
            depth: crate::policy::DEFAULT_MAX_DEPTH,
        }
        .serialize(serializer)
    }
}

/// An entity's fields serialised with at most `depth` more levels.
pub(crate) struct BoundedFields<'a> {
    pub(crate) entity: &'a Entity,
    pub(crate) depth: usize,
}

impl serde::Serialize for BoundedFields<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeMap};
        let Some(depth) = self.depth.checked_sub(1) else {
            return Err(S::Error::custom(format_args!(
                "value nests deeper than {} levels",
                crate::policy::DEFAULT_MAX_DEPTH
            )));
        };
        let mut map = serializer.serialize_map(Some(self.entity.len()))?;
        for (name, value) in self.entity.iter() {
            map.serialize_entry(name.as_str(), &crate::value::Bounded { value, depth })?;
        }
        map.end()
    }
}

/// Reads a map of fields; values nested deeper than
/// [`DEFAULT_MAX_DEPTH`](crate::DEFAULT_MAX_DEPTH) are an error.
impl<'de> serde::Deserialize<'de> for Entity {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Entity, D::Error> {
        use serde::de::DeserializeSeed;
        let names = crate::value::Names::default();
        crate::value::EntitySeed {
            names: &names,
            limit: crate::policy::DEFAULT_MAX_DEPTH - 1,
        }
        .deserialize(deserializer)
    }
}

/// The typename of an object, which fragments and policies are matched against: its stored
/// `__typename`, or a root entity's (the entity `key`, if it is one).
pub(crate) fn typename_of<'a>(entity: &'a Entity, key: Option<&str>) -> Option<&'a str> {
    match entity.get("__typename") {
        Some(value) => value.as_str(),
        None => crate::key::root_typename(key?),
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
