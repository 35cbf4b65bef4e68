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

/// The view, noting every entity a read looks up.
pub(crate) struct Recording<'a> {
    pub(crate) view: View<'a>,
    pub(crate) deps: RefCell<Deps>,
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
}

/// The last successful read.
pub(crate) struct Last {
    pub(crate) revision: u64,
    /// Every entity the read looked up, as it was then (`None`: absent).
    pub(crate) deps: Deps,
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
            return !changed.any(|key| self.deps.contains_key(key.as_str()));
        }
        // Further back: compare every entity the read looked up, O(entities read).
        self.deps
            .iter()
            .all(|(key, then)| match (then, store.get(key)) {
                (None, None) => true,
                (Some(then), Some(now)) => then.ptr_eq(now),
                _ => false,
            })
    }
}

/// One field of one entity (a REST list under `ROOT_QUERY`), read as JSON with every
/// reference followed ([`Store::read_tree`]'s rules: a reference to an absent entity is left
/// out of a list, `null` elsewhere; cycles end in `{"__ref": ..}`), kept as [`Last`].
// reason: the REST field reads of the query records (src/client/, on another branch) call it;
// nothing on this branch does yet.
#[allow(dead_code)]
pub(crate) struct FieldTree {
    key: Key,
    field: FieldName,
    last: Option<Last>,
}

// reason: as for the struct: its caller is on another branch.
#[allow(dead_code)]
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
        let recording = Recording {
            view: store.view(),
            deps: RefCell::default(),
        };
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
        self.last = Some(Last {
            revision: store.revision(),
            deps: recording.deps.into_inner(),
            result: result.clone(),
        });
        Ok(result)
    }

    /// The keys the last successful read looked up.
    pub(crate) fn dependencies(&self) -> impl Iterator<Item = &str> {
        self.last
            .iter()
            .flat_map(|last| last.deps.keys().map(|key| &**key))
    }
}
