//! The schemaless read: an entity with every reference followed, without a document.
//!
//! The walk counts every level it descends (references, embedded objects and lists alike)
//! against the depth limit, and every node it builds against the node budget, so a snapshot
//! that `restore` accepted can neither overflow the stack nor make it build 2^n nodes from a
//! diamond-shaped graph of n entities.

use super::{ReadError, Source};
use crate::entity::Entity;
use crate::value::Value;

/// The schemaless walk of [`Store::read_tree`](crate::Store::read_tree).
pub(super) struct Tree<'s, S: ?Sized> {
    pub(super) source: &'s S,
    /// Keys of the entities being expanded, outermost first.
    pub(super) on_path: Vec<&'s str>,
    /// Where the walk is, for an error: store field names and list indices.
    pub(super) path: Vec<Segment<'s>>,
    pub(super) limit: usize,
    /// Nodes the walk may still build.
    pub(super) budget: usize,
    /// The budget it started with, for the error.
    pub(super) max_nodes: usize,
}

#[derive(Clone, Copy)]
pub(super) enum Segment<'s> {
    Field(&'s str),
    Index(usize),
}

impl<'s, S: Source + ?Sized> Tree<'s, S> {
    fn node(&mut self) -> Result<(), ReadError> {
        match self.budget.checked_sub(1) {
            Some(left) => {
                self.budget = left;
                Ok(())
            }
            None => Err(ReadError::TooLarge {
                limit: self.max_nodes,
            }),
        }
    }

    fn too_deep(&self) -> ReadError {
        let mut path = String::new();
        for (i, segment) in self.path.iter().enumerate() {
            if i > 0 {
                path.push('.');
            }
            match segment {
                Segment::Field(name) => path.push_str(name),
                Segment::Index(index) => path.push_str(&index.to_string()),
            }
        }
        ReadError::TooDeep {
            path,
            limit: self.limit,
        }
    }

    pub(super) fn entity(
        &mut self,
        key: &'s str,
        entity: &'s Entity,
    ) -> Result<serde_json::Value, ReadError> {
        self.on_path.push(key);
        let fields = self.fields(entity);
        self.on_path.pop();
        fields
    }

    fn fields(&mut self, entity: &'s Entity) -> Result<serde_json::Value, ReadError> {
        self.node()?;
        if self.path.len() > self.limit {
            return Err(self.too_deep());
        }
        let mut out = serde_json::Map::new();
        for (name, value) in entity.iter() {
            self.path.push(Segment::Field(name.as_str()));
            let value = self.value(value);
            self.path.pop();
            out.insert(name.to_string(), value?.unwrap_or(serde_json::Value::Null));
        }
        Ok(serde_json::Value::Object(out))
    }

    /// `None` for a reference to an absent entity.
    pub(super) fn value(
        &mut self,
        value: &'s Value,
    ) -> Result<Option<serde_json::Value>, ReadError> {
        Ok(Some(match value {
            Value::Ref(key) => {
                let key = key.as_str();
                if self.path.len() > self.limit || self.on_path.contains(&key) {
                    self.node()?;
                    return Ok(Some(value.to_json()));
                }
                let Some(entity) = self.source.entity(key) else {
                    return Ok(None);
                };
                self.entity(key, entity)?
            }
            Value::List(items) => {
                self.node()?;
                if self.path.len() > self.limit {
                    return Err(self.too_deep());
                }
                let mut out = Vec::with_capacity(items.len());
                for (index, item) in items.iter().enumerate() {
                    self.path.push(Segment::Index(index));
                    let item = self.value(item);
                    self.path.pop();
                    if let Some(item) = item? {
                        out.push(item);
                    }
                }
                serde_json::Value::Array(out)
            }
            Value::Object(object) => self.fields(object)?,
            scalar => {
                self.node()?;
                scalar.to_json()
            }
        }))
    }
}
