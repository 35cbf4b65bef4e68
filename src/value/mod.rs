//! Values: JSON with references.
//!
//! A [`Value`] is JSON with one addition: a reference to another entity is a variant of its
//! own ([`Value::Ref`]), never an object that happens to look like one. A string of up to 23
//! bytes sits inline in its value ([`Str`]); longer strings, lists and objects are reference
//! counted (lists are persistent vectors), so cloning any value is O(1); this is what lets layers
//! and snapshots share data instead of copying it.
//!
//! Conversions to and from `serde_json::Value` use Apollo's `cache.extract()` format, where a
//! reference is `{"__ref": "Todo:1"}` (`json.rs`, which also keeps an embedded object of that
//! shape apart from a reference). Dropping a value never recurses more than a few levels, however
//! deep it is (`drop.rs`).

mod de;
mod drop;
mod json;
mod str;

pub use str::Str;

pub(crate) use de::{EntitySeed, Names, ValueSeed};
use drop::drop_list;
pub(crate) use drop::release;
#[cfg(feature = "graphql")]
pub(crate) use json::json_within;
pub(crate) use json::{entity_to_json, fields_bounded};

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde_json::Number;

use crate::entity::Entity;
use crate::field::FieldName;
use crate::key::Key;

/// A persistent list of values: O(1) clone, O(log n) insert anywhere, shared between versions.
///
/// It derefs to [`imbl::Vector`] for reading; [`List::make_mut`] gives a vector to edit (copy on
/// write: other holders keep the old version).
///
/// ```
/// use optimist::{List, Value};
///
/// let mut list: List = [1, 2].into_iter().map(Value::from).collect();
/// let before = list.clone();
/// list.make_mut().push_back(3.into());
/// assert_eq!(list.len(), 3);
/// assert_eq!(before.len(), 2);
/// ```
#[derive(Clone, Default)]
pub struct List(Arc<imbl::Vector<Value>>);

impl List {
    /// An empty list.
    ///
    /// ```
    /// assert!(optimist::List::new().is_empty());
    /// ```
    pub fn new() -> List {
        List::default()
    }

    /// The vector, to edit; copies it (in O(1), sharing its nodes) if the list is shared.
    ///
    /// ```
    /// let mut list = optimist::List::new();
    /// list.make_mut().push_front(1.into());
    /// assert_eq!(list.len(), 1);
    /// ```
    pub fn make_mut(&mut self) -> &mut imbl::Vector<Value> {
        Arc::make_mut(&mut self.0)
    }

    /// A list over this shared vector.
    pub(crate) fn from_shared(items: Arc<imbl::Vector<Value>>) -> List {
        List(items)
    }

    /// Whether two lists share one allocation (a cheap "certainly equal" test).
    ///
    /// ```
    /// let list = optimist::List::new();
    /// assert!(list.ptr_eq(&list.clone()));
    /// ```
    pub fn ptr_eq(&self, other: &List) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// The address of the allocation: equal for two lists exactly when
    /// [`ptr_eq`](List::ptr_eq), for as long as one of them is alive.
    #[cfg(feature = "graphql")]
    pub(crate) fn addr(&self) -> usize {
        Arc::as_ptr(&self.0).cast::<()>() as usize
    }
}

impl Drop for List {
    fn drop(&mut self) {
        // Only the last owner drops the items; taking them out first keeps deep lists from
        // recursing (see `drop.rs`).
        // The vector itself is dropped as usual (its nodes shared with other versions are
        // only released, never walked), inside a count of nesting levels.
        if Arc::strong_count(&self.0) == 1 {
            drop_list(std::mem::take(&mut self.0));
        }
    }
}

impl Deref for List {
    type Target = imbl::Vector<Value>;
    fn deref(&self) -> &imbl::Vector<Value> {
        &self.0
    }
}

impl PartialEq for List {
    fn eq(&self, other: &List) -> bool {
        self.ptr_eq(other) || self.0 == other.0
    }
}

impl fmt::Debug for List {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.iter()).finish()
    }
}

impl FromIterator<Value> for List {
    fn from_iter<I: IntoIterator<Item = Value>>(iter: I) -> List {
        List(Arc::new(iter.into_iter().collect()))
    }
}

impl From<imbl::Vector<Value>> for List {
    fn from(items: imbl::Vector<Value>) -> List {
        List(Arc::new(items))
    }
}

impl<'a> IntoIterator for &'a List {
    type Item = &'a Value;
    type IntoIter = imbl::vector::Iter<'a, Value, imbl::shared_ptr::DefaultSharedPtr>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// A stored value: JSON, where a reference to another entity is [`Value::Ref`].
///
/// Every variant clones in O(1).
///
/// ```
/// use optimist::{Key, Value};
/// use serde_json::json;
///
/// let value = Value::from_json(json!({"owner": {"__ref": "User:1"}, "tags": ["a", "b"]}));
/// let Value::Object(object) = &value else { panic!("an object") };
/// assert_eq!(object.get("owner"), Some(&Value::Ref(Key::new("User:1")?)));
/// assert_eq!(value.to_json(), json!({"owner": {"__ref": "User:1"}, "tags": ["a", "b"]}));
/// # Ok::<(), optimist::KeyError>(())
/// ```
#[derive(Clone, PartialEq, Default)]
pub enum Value {
    /// JSON `null`.
    #[default]
    Null,
    /// A boolean.
    Bool(bool),
    /// A number: an integer (signed or unsigned 64-bit) or a finite float.
    Number(Number),
    /// A string (inline up to 23 bytes, shared beyond).
    String(Str),
    /// A reference to the entity with this key.
    Ref(Key),
    /// A list.
    List(List),
    /// An embedded object without identity of its own; it has the same representation as an
    /// entity's fields.
    Object(Entity),
}

impl Value {
    /// Converts from JSON in Apollo's format: an object whose only field is `"__ref"` with a
    /// string that is a valid key becomes a [`Value::Ref`]; an object whose only field is
    /// `"__object"` with an object is that object, as [`to_json`](Value::to_json) escapes an
    /// embedded object that would otherwise read as a reference; everything else maps one to
    /// one. It recurses once per level of nesting, as building or dropping the
    /// `serde_json::Value` does; for untrusted input of unknown depth use
    /// [`Value::from_json_bounded`]. O(size of the JSON).
    ///
    /// ```
    /// use optimist::Value;
    /// use serde_json::json;
    /// assert!(matches!(Value::from_json(json!({"__ref": "Todo:1"})), Value::Ref(_)));
    /// assert!(matches!(Value::from_json(json!({"__ref": ""})), Value::Object(_)));
    /// assert!(matches!(Value::from_json(json!({"__object": {"__ref": "Todo:1"}})), Value::Object(_)));
    /// ```
    pub fn from_json(json: serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => Value::Number(n),
            serde_json::Value::String(s) => Value::String(Str::from(s)),
            serde_json::Value::Array(items) => {
                Value::List(items.into_iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(mut map) => {
                let escaped = match json::shape(&map) {
                    json::Shape::Ref(key) => return Value::Ref(key),
                    json::Shape::Object(inner) => !std::ptr::eq(inner, &map),
                };
                if escaped
                    && let Some(serde_json::Value::Object(inner)) = map.remove(json::OBJECT_ESCAPE)
                {
                    map = inner;
                }
                Value::Object(Entity::from_fields(
                    map.into_iter()
                        .map(|(name, item)| (FieldName::new(&name), Value::from_json(item))),
                ))
            }
        }
    }

    /// Like [`Value::from_json`], but refuses input nested deeper than `max_depth` (returning
    /// `None`) instead of recursing without bound: use it on untrusted JSON. O(size of the
    /// JSON), recursion at most `max_depth` deep.
    ///
    /// ```
    /// use optimist::Value;
    /// use serde_json::json;
    /// assert!(Value::from_json_bounded(&json!({"a": [[1]]}), 3).is_some());
    /// assert!(Value::from_json_bounded(&json!({"a": [[1]]}), 2).is_none());
    /// ```
    pub fn from_json_bounded(json: &serde_json::Value, max_depth: usize) -> Option<Value> {
        json::from_json_bounded(json, max_depth)
    }

    /// Converts to JSON in Apollo's format (`{"__ref": "Todo:1"}` for a reference). An
    /// embedded object whose only field is `__ref` or `__object` is written as
    /// `{"__object": {...}}`, so that [`from_json`](Value::from_json) gives back an object,
    /// not a reference. O(size of the value); it does not recurse, however deep the value.
    ///
    /// ```
    /// use optimist::{Entity, Key, Value};
    /// use serde_json::json;
    ///
    /// let r = Value::Ref(Key::new("Todo:1")?);
    /// assert_eq!(r.to_json(), json!({"__ref": "Todo:1"}));
    /// let lookalike = Value::Object(Entity::new().with("__ref", "Todo:1"));
    /// assert_eq!(lookalike.to_json(), json!({"__object": {"__ref": "Todo:1"}}));
    /// assert_eq!(Value::from_json(lookalike.to_json()), lookalike);
    /// # Ok::<(), optimist::KeyError>(())
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        json::to_json(self, false)
    }

    /// The referenced key, if this is a [`Value::Ref`].
    ///
    /// ```
    /// use optimist::{Key, Value};
    /// assert_eq!(Value::Ref(Key::new("A:1")?).as_ref_key().map(Key::as_str), Some("A:1"));
    /// # Ok::<(), optimist::KeyError>(())
    /// ```
    pub fn as_ref_key(&self) -> Option<&Key> {
        match self {
            Value::Ref(key) => Some(key),
            _ => None,
        }
    }

    /// The string, if this is a [`Value::String`].
    ///
    /// ```
    /// assert_eq!(optimist::Value::from("hi").as_str(), Some("hi"));
    /// ```
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The number as `i64`, if it is an integer in range.
    ///
    /// ```
    /// assert_eq!(optimist::Value::from(7).as_i64(), Some(7));
    /// ```
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    /// The number as `f64`, if this is a number.
    ///
    /// ```
    /// assert_eq!(optimist::Value::from(1.5).as_f64(), Some(1.5));
    /// ```
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => n.as_f64(),
            _ => None,
        }
    }

    /// The boolean, if this is a [`Value::Bool`].
    ///
    /// ```
    /// assert_eq!(optimist::Value::from(true).as_bool(), Some(true));
    /// ```
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The list, if this is a [`Value::List`].
    ///
    /// ```
    /// use optimist::Value;
    /// assert_eq!(Value::from_json(serde_json::json!([1, 2])).as_list().map(|l| l.len()), Some(2));
    /// ```
    pub fn as_list(&self) -> Option<&List> {
        match self {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    /// Whether this is [`Value::Null`].
    ///
    /// ```
    /// assert!(optimist::Value::Null.is_null());
    /// ```
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::String(s) => write!(f, "{:?}", &**s),
            Value::Ref(key) => write!(f, "&{key}"),
            Value::List(items) => fmt::Debug::fmt(items, f),
            Value::Object(entity) => fmt::Debug::fmt(entity, f),
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

macro_rules! from_integer {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(n: $t) -> Value {
                Value::Number(Number::from(n))
            }
        }
    )*};
}
from_integer!(i8, i16, i32, i64, u8, u16, u32, u64, isize, usize);

impl From<f64> for Value {
    /// A finite float becomes a number; NaN and infinities, which JSON cannot hold, become
    /// [`Value::Null`] (as in `serde_json`).
    fn from(n: f64) -> Value {
        Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(Str::from(s))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(Str::from(s))
    }
}

impl From<Key> for Value {
    fn from(key: Key) -> Value {
        Value::Ref(key)
    }
}

impl From<&Key> for Value {
    fn from(key: &Key) -> Value {
        Value::Ref(key.clone())
    }
}

impl From<Entity> for Value {
    fn from(entity: Entity) -> Value {
        Value::Object(entity)
    }
}

impl From<serde_json::Value> for Value {
    /// See [`Value::from_json`].
    fn from(json: serde_json::Value) -> Value {
        Value::from_json(json)
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Value {
        Value::Number(n)
    }
}

impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(items: Vec<T>) -> Value {
        Value::List(items.into_iter().map(Into::into).collect())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(item: Option<T>) -> Value {
        item.map_or(Value::Null, Into::into)
    }
}

/// Serialises as [`Value::to_json`] writes (Apollo's format, escaped lookalikes). A value
/// nested deeper than [`DEFAULT_MAX_DEPTH`](crate::DEFAULT_MAX_DEPTH) is a serialiser error,
/// not a recursion without bound.
impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Bounded {
            value: self,
            depth: crate::policy::DEFAULT_MAX_DEPTH,
        }
        .serialize(serializer)
    }
}

/// A value serialised with at most `depth` more levels.
pub(crate) struct Bounded<'a> {
    pub(crate) value: &'a Value,
    pub(crate) depth: usize,
}

impl serde::Serialize for Bounded<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeMap, SerializeSeq};
        let deeper = |value| {
            self.depth
                .checked_sub(1)
                .map(|depth| Bounded { value, depth })
                .ok_or_else(|| {
                    S::Error::custom(format_args!(
                        "value nests deeper than {} levels",
                        crate::policy::DEFAULT_MAX_DEPTH
                    ))
                })
        };
        match self.value {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Number(n) => n.serialize(serializer),
            Value::String(s) => serializer.serialize_str(s),
            Value::Ref(key) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("__ref", key.as_str())?;
                map.end()
            }
            Value::List(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&deeper(item)?)?;
                }
                seq.end()
            }
            Value::Object(entity) if json::needs_wrap(entity) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry(
                    json::OBJECT_ESCAPE,
                    &crate::entity::BoundedFields {
                        entity,
                        depth: self.depth,
                    },
                )?;
                map.end()
            }
            Value::Object(entity) => crate::entity::BoundedFields {
                entity,
                depth: self.depth,
            }
            .serialize(serializer),
        }
    }
}

/// Reads what [`Serialize`](serde::Serialize) writes; deeper than
/// [`DEFAULT_MAX_DEPTH`](crate::DEFAULT_MAX_DEPTH) is an error.
impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        use serde::de::DeserializeSeed;
        let names = Names::default();
        ValueSeed {
            names: &names,
            limit: crate::policy::DEFAULT_MAX_DEPTH,
        }
        .deserialize(deserializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_stay_small() {
        // Every entity field pays for a `Value`; keep it at three words.
        assert!(
            std::mem::size_of::<Value>() <= 24,
            "{}",
            std::mem::size_of::<Value>()
        );
    }

    #[test]
    fn json_round_trips_in_apollo_format() {
        let json = json!({
            "a": null, "b": true, "c": -3, "d": 1.5, "e": u64::MAX, "f": "text",
            "g": {"__ref": "Todo:1"}, "h": [1, {"__ref": "Todo:2"}, [null]],
            "i": {"nested": {"__ref": "User:9"}, "x": 1},
            "j": {"__ref": "Todo:1", "other": 1},
        });
        let value = Value::from_json(json.clone());
        assert_eq!(value.to_json(), json);
        assert_eq!(serde_json::to_value(&value).unwrap(), json);
        let back: Value = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn a_ref_object_with_other_fields_or_a_bad_key_stays_an_object() {
        assert!(matches!(
            Value::from_json(json!({"__ref": "Todo:1", "x": 1})),
            Value::Object(_)
        ));
        assert!(matches!(
            Value::from_json(json!({"__ref": 5})),
            Value::Object(_)
        ));
        assert!(matches!(
            Value::from_json(json!({"__ref": ":x"})),
            Value::Object(_)
        ));
    }

    #[test]
    fn non_finite_floats_become_null() {
        assert_eq!(Value::from(f64::NAN), Value::Null);
        assert_eq!(Value::from(f64::INFINITY), Value::Null);
    }
}
