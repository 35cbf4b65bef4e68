//! The schemaless read: an entity with every reference followed, without a document.

use super::Source;
use crate::entity::Entity;
use crate::value::Value;

/// The schemaless walk of [`Store::read_tree`](crate::Store::read_tree).
pub(super) struct Tree<'s, S: ?Sized> {
    pub(super) source: &'s S,
    /// Keys of the entities being expanded, outermost first.
    pub(super) on_path: Vec<&'s str>,
    pub(super) limit: usize,
}

impl<'s, S: Source + ?Sized> Tree<'s, S> {
    pub(super) fn entity(&mut self, key: &'s str, entity: &'s Entity) -> serde_json::Value {
        self.on_path.push(key);
        let fields = entity
            .iter()
            .map(|(name, value)| {
                let value = self.value(value).unwrap_or(serde_json::Value::Null);
                (name.to_string(), value)
            })
            .collect();
        self.on_path.pop();
        serde_json::Value::Object(fields)
    }

    /// `None` for a reference to an absent entity.
    fn value(&mut self, value: &'s Value) -> Option<serde_json::Value> {
        Some(match value {
            Value::Ref(key) => {
                let key = key.as_str();
                if self.on_path.len() > self.limit || self.on_path.contains(&key) {
                    return Some(value.to_json());
                }
                let entity = self.source.entity(key)?;
                self.entity(key, entity)
            }
            Value::List(items) => items.iter().filter_map(|item| self.value(item)).collect(),
            Value::Object(object) => serde_json::Value::Object(
                object
                    .iter()
                    .map(|(name, item)| {
                        let item = self.value(item).unwrap_or(serde_json::Value::Null);
                        (name.to_string(), item)
                    })
                    .collect(),
            ),
            scalar => scalar.to_json(),
        })
    }
}
