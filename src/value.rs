//! Values, entities and store field names.
//!
//! A [`Value`] is JSON with one addition: a reference to another entity is a variant of its
//! own ([`Value::Ref`]), never an object that happens to look like one. Strings, lists and
//! objects are reference counted (lists are persistent vectors), so cloning any value is O(1);
//! this is what lets layers and snapshots share data instead of copying it.
//!
//! Conversions to and from `serde_json::Value` use Apollo's `cache.extract()` format, where a
//! reference is `{"__ref": "Todo:1"}`.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde_json::Number;

use crate::key::Key;

/// The name of a field as the store keeps it: a plain name (`title`), or a name followed by its
/// arguments canonically serialised, as Apollo stores them (`todos({"first":10})`).
///
/// ```
/// use optimist::FieldName;
/// use serde_json::json;
///
/// let plain = FieldName::new("title");
/// assert_eq!(plain.as_str(), "title");
///
/// let with_args = FieldName::with_args("todos", &json!({"where": {"b": 2, "a": 1}, "first": 10}));
/// assert_eq!(with_args.as_str(), r#"todos({"first":10,"where":{"a":1,"b":2}})"#);
/// assert_eq!(with_args.name(), "todos");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct FieldName(Arc<str>);

impl Ord for FieldName {
    /// By text; interned names that share an allocation compare equal without reading it.
    fn cmp(&self, other: &FieldName) -> std::cmp::Ordering {
        if Arc::ptr_eq(&self.0, &other.0) {
            return std::cmp::Ordering::Equal;
        }
        self.0.cmp(&other.0)
    }
}

impl PartialOrd for FieldName {
    fn partial_cmp(&self, other: &FieldName) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl FieldName {
    /// A field name with no arguments.
    ///
    /// ```
    /// assert_eq!(optimist::FieldName::new("done").as_str(), "done");
    /// ```
    pub fn new(name: &str) -> FieldName {
        intern(name)
    }

    /// A field name with arguments: `name(<args as canonical JSON>)`, object keys sorted at every
    /// depth. Arguments that are `null` or an empty object give the plain name, as in Apollo.
    ///
    /// ```
    /// use optimist::FieldName;
    /// use serde_json::json;
    ///
    /// assert_eq!(FieldName::with_args("todos", &json!({})).as_str(), "todos");
    /// assert_eq!(FieldName::with_args("user", &json!({"id": "1"})).as_str(), r#"user({"id":"1"})"#);
    /// ```
    pub fn with_args(name: &str, args: &serde_json::Value) -> FieldName {
        match args {
            serde_json::Value::Null => FieldName::new(name),
            serde_json::Value::Object(map) if map.is_empty() => FieldName::new(name),
            _ => {
                let mut text = String::with_capacity(name.len() + 16);
                text.push_str(name);
                text.push('(');
                write_canonical(&mut text, args);
                text.push(')');
                FieldName(Arc::from(text))
            }
        }
    }

    /// The whole store field name.
    ///
    /// ```
    /// assert_eq!(optimist::FieldName::new("done").as_str(), "done");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The field's name without its arguments.
    ///
    /// ```
    /// use optimist::FieldName;
    /// assert_eq!(FieldName::with_args("todos", &serde_json::json!({"first": 1})).name(), "todos");
    /// ```
    pub fn name(&self) -> &str {
        match self.0.find('(') {
            Some(at) => &self.0[..at],
            None => &self.0,
        }
    }
}

/// Names longer than this are not interned: they are mostly names with arguments, which vary.
const INTERN_MAX_LEN: usize = 32;
/// The per-thread interning table is cleared when it reaches this size, so memory stays bounded
/// whatever names a program makes up.
const INTERN_CAPACITY: usize = 4096;

thread_local! {
    static NAMES: std::cell::RefCell<std::collections::HashSet<FieldName, foldhash::fast::RandomState>> =
        std::cell::RefCell::default();
}

/// Returns a shared `FieldName` for short names: every entity then points at one allocation
/// per name (less memory, and the bytes a field lookup compares stay in cache). The table is
/// per thread, so interning takes no lock; equal names from two threads are two allocations,
/// which only costs memory (equality compares text).
fn intern(name: &str) -> FieldName {
    if name.len() > INTERN_MAX_LEN {
        return FieldName(Arc::from(name));
    }
    NAMES.with(|names| {
        let mut names = names.borrow_mut();
        if let Some(found) = names.get(name) {
            return found.clone();
        }
        if names.len() >= INTERN_CAPACITY {
            names.clear();
        }
        let fresh = FieldName(Arc::from(name));
        names.insert(fresh.clone());
        fresh
    })
}

/// Writes `value` as JSON with object keys sorted at every depth.
fn write_canonical(out: &mut String, value: &serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(out, item);
            }
            out.push('}');
        }
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(out, item);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

impl Deref for FieldName {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for FieldName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for FieldName {
    fn from(name: &str) -> FieldName {
        FieldName::new(name)
    }
}

impl From<String> for FieldName {
    fn from(name: String) -> FieldName {
        FieldName::new(&name)
    }
}

impl From<&FieldName> for FieldName {
    fn from(name: &FieldName) -> FieldName {
        name.clone()
    }
}

impl fmt::Debug for FieldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for FieldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

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

    /// Whether two lists share one allocation (a cheap "certainly equal" test).
    ///
    /// ```
    /// let list = optimist::List::new();
    /// assert!(list.ptr_eq(&list.clone()));
    /// ```
    pub fn ptr_eq(&self, other: &List) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
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
    /// A string.
    String(Arc<str>),
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
    /// string that is a valid key becomes a [`Value::Ref`]; everything else maps one to one.
    ///
    /// ```
    /// use optimist::Value;
    /// assert!(matches!(Value::from_json(serde_json::json!({"__ref": "Todo:1"})), Value::Ref(_)));
    /// assert!(matches!(Value::from_json(serde_json::json!({"__ref": ""})), Value::Object(_)));
    /// ```
    pub fn from_json(json: serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => Value::Number(n),
            serde_json::Value::String(s) => Value::String(Arc::from(s)),
            serde_json::Value::Array(items) => {
                Value::List(items.into_iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(map) => {
                if map.len() == 1
                    && let Some(serde_json::Value::String(text)) = map.get("__ref")
                    && let Ok(key) = Key::new(text)
                {
                    return Value::Ref(key);
                }
                Value::Object(Entity::from_fields(
                    map.into_iter()
                        .map(|(name, item)| (FieldName::new(&name), Value::from_json(item))),
                ))
            }
        }
    }

    /// Like [`Value::from_json`], but refuses input nested deeper than `max_depth` (returning
    /// `None`) instead of recursing without bound: use it on untrusted JSON.
    ///
    /// ```
    /// use optimist::Value;
    /// use serde_json::json;
    /// assert!(Value::from_json_bounded(&json!({"a": [[1]]}), 3).is_some());
    /// assert!(Value::from_json_bounded(&json!({"a": [[1]]}), 2).is_none());
    /// ```
    pub fn from_json_bounded(json: &serde_json::Value, max_depth: usize) -> Option<Value> {
        Some(match json {
            serde_json::Value::Array(items) => {
                let depth = max_depth.checked_sub(1)?;
                Value::List(
                    items
                        .iter()
                        .map(|item| Value::from_json_bounded(item, depth))
                        .collect::<Option<List>>()?,
                )
            }
            serde_json::Value::Object(map) => {
                if map.len() == 1
                    && let Some(serde_json::Value::String(text)) = map.get("__ref")
                    && let Ok(key) = Key::new(text)
                {
                    return Some(Value::Ref(key));
                }
                let depth = max_depth.checked_sub(1)?;
                Value::Object(Entity::from_fields(
                    map.iter()
                        .map(|(name, item)| {
                            Some((
                                FieldName::from(name.as_str()),
                                Value::from_json_bounded(item, depth)?,
                            ))
                        })
                        .collect::<Option<Vec<_>>>()?,
                ))
            }
            scalar => Value::from_json(scalar.clone()),
        })
    }

    /// Converts to JSON in Apollo's format (`{"__ref": "Todo:1"}` for a reference).
    ///
    /// ```
    /// use optimist::{Key, Value};
    /// let r = Value::Ref(Key::new("Todo:1")?);
    /// assert_eq!(r.to_json(), serde_json::json!({"__ref": "Todo:1"}));
    /// # Ok::<(), optimist::KeyError>(())
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => serde_json::Value::Number(n.clone()),
            Value::String(s) => serde_json::Value::String(s.to_string()),
            Value::Ref(key) => {
                let mut map = serde_json::Map::new();
                map.insert("__ref".into(), serde_json::Value::String(key.to_string()));
                serde_json::Value::Object(map)
            }
            Value::List(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_json).collect())
            }
            Value::Object(entity) => entity.to_json(),
        }
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
        Value::String(Arc::from(s))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(Arc::from(s))
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

impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
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
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Object(entity) => entity.serialize(serializer),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        serde_json::Value::deserialize(deserializer).map(Value::from_json)
    }
}

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
    fn field_arguments_are_canonical() {
        let a = FieldName::with_args("f", &json!({"b": [ {"y": 1, "x": 2} ], "a": "s\"q"}));
        assert_eq!(a.as_str(), r#"f({"a":"s\"q","b":[{"x":2,"y":1}]})"#);
        assert_eq!(a.name(), "f");
        assert_eq!(FieldName::with_args("f", &json!(null)).as_str(), "f");
    }

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

    #[test]
    fn non_finite_floats_become_null() {
        assert_eq!(Value::from(f64::NAN), Value::Null);
        assert_eq!(Value::from(f64::INFINITY), Value::Null);
    }
}
