//! Store field names: a name, or a name with its arguments canonically serialised.
//!
//! Every entity field is keyed by a [`FieldName`], so short names are interned (one shared
//! allocation per name per thread) and comparisons can often stop at a pointer. The canonical
//! argument text is what makes `todos({"first":10})` the same field however the arguments were
//! ordered; it stands apart from values because it owns naming, not data.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

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
    /// O(size of `args`), without recursion, however deep they nest.
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
        bare_name(&self.0)
    }
}

/// The name of a store field name without its arguments (`todos({"page":2})` -> `todos`).
pub(crate) fn bare_name(field: &str) -> &str {
    match field.find('(') {
        Some(at) => &field[..at],
        None => field,
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

/// Writes `value` as JSON with object keys sorted at every depth. It keeps its own stack rather
/// than recursing, so arguments of any depth serialise. O(size · log of the widest object).
fn write_canonical(out: &mut String, value: &serde_json::Value) {
    /// The rest of an array or (sorted) object being written.
    enum Frame<'a> {
        Array(std::slice::Iter<'a, serde_json::Value>),
        Object(std::vec::IntoIter<(&'a String, &'a serde_json::Value)>),
    }
    let mut stack: Vec<(Frame<'_>, bool)> = Vec::new();
    let mut next = Some(value);
    loop {
        if let Some(value) = next.take() {
            match value {
                serde_json::Value::Object(map) => {
                    let mut entries: Vec<_> = map.iter().collect();
                    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
                    out.push('{');
                    stack.push((Frame::Object(entries.into_iter()), true));
                }
                serde_json::Value::Array(items) => {
                    out.push('[');
                    stack.push((Frame::Array(items.iter()), true));
                }
                scalar => out.push_str(&scalar.to_string()),
            }
        }
        let Some((frame, first)) = stack.last_mut() else {
            return;
        };
        let item = match frame {
            Frame::Array(items) => items.next().map(|item| (None, item)),
            Frame::Object(entries) => entries.next().map(|(key, item)| (Some(key), item)),
        };
        match item {
            Some((key, item)) => {
                if !std::mem::take(first) {
                    out.push(',');
                }
                if let Some(key) = key {
                    out.push_str(&serde_json::Value::String(key.clone()).to_string());
                    out.push(':');
                }
                next = Some(item);
            }
            None => {
                out.push(match frame {
                    Frame::Array(_) => ']',
                    Frame::Object(_) => '}',
                });
                stack.pop();
            }
        }
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

/// As its text (`todos({"first":10})` for a field with arguments).
impl serde::Serialize for FieldName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for FieldName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<FieldName, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(FieldName::new(&text))
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn field_arguments_are_canonical() {
        let a = FieldName::with_args("f", &json!({"b": [ {"y": 1, "x": 2} ], "a": "s\"q"}));
        assert_eq!(a.as_str(), r#"f({"a":"s\"q","b":[{"x":2,"y":1}]})"#);
        assert_eq!(a.name(), "f");
        assert_eq!(FieldName::with_args("f", &json!(null)).as_str(), "f");
    }
}
