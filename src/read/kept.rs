//! Kept reads: a read that remembers every entity it looked up and the revision it was made
//! at, so reading it again is free while none of them changed. [`Query`](crate::Query) keeps a
//! document's read this way; [`FieldTree`] keeps a REST query's read (one root field with every
//! reference followed), which needs no document and so no `graphql` feature.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use super::tree::{Segment, Tree};
use super::{ReadError, Source};
use crate::entity::Entity;
use crate::field::FieldName;
use crate::key::Key;
use crate::store::Store;
use crate::view::View;

/// Each key a read looked up, with its entity then (`None`: absent).
pub(crate) type Deps = HashMap<Box<str>, Option<Entity>, foldhash::fast::RandomState>;

/// The view, noting every entity a read looks up, and the fields it looks up on root
/// entities (`ROOT_QUERY` holds every query's root fields: a read depends on its own only).
pub(crate) struct Recording<'a> {
    pub(crate) view: View<'a>,
    pub(crate) deps: RefCell<Deps>,
    pub(crate) root_fields: RefCell<Vec<(Box<str>, Box<str>)>>,
}

impl<'a> Recording<'a> {
    pub(crate) fn new(view: View<'a>) -> Recording<'a> {
        Recording {
            view,
            deps: RefCell::default(),
            root_fields: RefCell::default(),
        }
    }

    /// Notes that the read looked up `field` of the entity `key`.
    pub(crate) fn note_field(&self, key: &str, field: &str) {
        if is_root(key) {
            self.root_fields
                .borrow_mut()
                .push((key.into(), field.into()));
        }
    }

    /// The kept read of what was recorded, at `revision`.
    pub(crate) fn into_last(self, revision: u64, result: Arc<serde_json::Value>) -> Last {
        let mut root_fields = self.root_fields.into_inner();
        root_fields.sort_unstable();
        root_fields.dedup();
        Last {
            revision,
            deps: self.deps.into_inner(),
            root_fields,
            result,
        }
    }
}

/// A root entity's key (`ROOT_QUERY`, `ROOT_MUTATION`): no `:`.
fn is_root(key: &str) -> bool {
    !key.contains(':')
}

impl Source for Recording<'_> {
    fn entity(&self, key: &str) -> Option<&Entity> {
        let entity = self.view.get(key);
        let mut deps = self.deps.borrow_mut();
        if !deps.contains_key(key) {
            deps.insert(key.into(), entity.cloned());
        }
        entity
    }

    #[cfg(feature = "graphql")]
    fn field(&self, key: &str, field: &str, _implicit: bool) {
        self.note_field(key, field);
    }
}

/// The last successful read.
pub(crate) struct Last {
    pub(crate) revision: u64,
    /// Every entity the read looked up, as it was then (`None`: absent).
    pub(crate) deps: Deps,
    /// The fields looked up on root entities, sorted: a root entity in `deps` counts as
    /// unchanged while these are (by value). A root entity with none listed counts whole.
    pub(crate) root_fields: Vec<(Box<str>, Box<str>)>,
    pub(crate) result: Arc<serde_json::Value>,
}

impl Last {
    /// Whether the result still is what a read of `store` would give: the same revision, or
    /// no entity it looked up changed since.
    pub(crate) fn holds(&self, store: &Store) -> bool {
        if self.revision == store.revision() {
            return true;
        }
        // What changed since, while the store remembers: O(keys changed).
        if let Some(mut changed) = store.changed_since(self.revision) {
            return changed.all(|key| self.unchanged(key.as_str(), store));
        }
        // Further back: compare every entity the read looked up, O(entities read).
        self.deps.keys().all(|key| self.unchanged(key, store))
    }

    /// Whether what the read looked up of `key` is as it was: the same entity (or absent
    /// both times), or a root entity whose fields the read looked up are equal.
    fn unchanged(&self, key: &str, store: &Store) -> bool {
        let Some(then) = self.deps.get(key) else {
            return true;
        };
        match (then, store.get(key)) {
            (None, None) => true,
            (Some(then), Some(now)) if then.ptr_eq(now) => true,
            (Some(then), Some(now)) if is_root(key) => {
                let start = self.root_fields.partition_point(|(k, _)| &**k < key);
                let mut fields = self.root_fields[start..]
                    .iter()
                    .take_while(|(k, _)| &**k == key)
                    .peekable();
                fields.peek().is_some()
                    && fields.all(|(_, field)| then.get(field) == now.get(field))
            }
            _ => false,
        }
    }
}

/// One field of one entity (a REST list under `ROOT_QUERY`), read as JSON with every
/// reference followed ([`Store::read_tree`]'s rules: a reference to an absent entity is left
/// out of a list, `null` elsewhere; cycles end in `{"__ref": ..}`), kept as [`Last`].
pub(crate) struct FieldTree {
    key: Key,
    field: FieldName,
    last: Option<Last>,
}

impl FieldTree {
    pub(crate) fn new(key: Key, field: FieldName) -> FieldTree {
        FieldTree {
            key,
            field,
            last: None,
        }
    }

    /// The field's tree in `store`'s view, the last one (the same `Arc`) while it holds;
    /// [`ReadError::MissingField`] when the entity or the field is absent.
    pub(crate) fn read(&mut self, store: &Store) -> Result<Arc<serde_json::Value>, ReadError> {
        if let Some(last) = &mut self.last
            && last.holds(store)
        {
            last.revision = store.revision();
            return Ok(last.result.clone());
        }
        self.last = None;
        let recording = Recording::new(store.view());
        recording.note_field(self.key.as_str(), self.field.as_str());
        let missing = || ReadError::MissingField {
            path: self.field.to_string(),
        };
        let read = {
            let value = recording
                .entity(self.key.as_str())
                .and_then(|entity| entity.get(self.field.as_str()));
            match value {
                None => Err(missing()),
                Some(value) => {
                    let limit = store.policies().depth_limit();
                    let budget = store.policies().node_limit();
                    let mut tree = Tree {
                        source: &recording,
                        on_path: vec![self.key.as_str()],
                        path: vec![Segment::Field(self.field.as_str())],
                        limit,
                        budget,
                        max_nodes: budget,
                    };
                    tree.value(value)
                        .map(|tree| tree.unwrap_or(serde_json::Value::Null))
                }
            }
        };
        let result = Arc::new(read?);
        self.last = Some(recording.into_last(store.revision(), result.clone()));
        Ok(result)
    }

    /// The field it reads.
    pub(crate) fn field(&self) -> &FieldName {
        &self.field
    }

    /// Whether the store marked stale, by a call after its invalidation count was `after`, a
    /// field this read returns: the field itself, or any field of an entity it reached (the
    /// tree holds them all). O(entities read).
    pub(crate) fn is_marked(&self, store: &Store, after: u64) -> bool {
        if store.stale.is_empty() {
            return false;
        }
        if store
            .stale
            .marked_after(self.key.as_str(), self.field.as_str(), after)
        {
            return true;
        }
        self.last.iter().any(|last| {
            last.deps
                .keys()
                .any(|key| **key != *self.key.as_str() && store.stale.key_marked_after(key, after))
        })
    }
}
