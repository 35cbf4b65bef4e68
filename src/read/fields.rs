//! What a document read depends on, field by field: the `(entity, field)` pairs it looks up.
//! Invalidation marks them (everything a query read) and asks whether a query read a marked
//! one; kept queries and watchers record only the entities they read, which is enough to know
//! when to read again.

use std::cell::RefCell;

use super::{ReadError, Source, Start, run_on};
use crate::document::Document;
use crate::entity::Entity;
use crate::policy::Policies;

/// What a read looked up: `(entity key, store field name)` pairs, sorted, without repeats.
pub(crate) type FieldsRead = Vec<(Box<str>, Box<str>)>;

/// A source that notes each field a read looks up on an entity.
struct FieldRecording<'a, S> {
    source: &'a S,
    seen: RefCell<Vec<(Box<str>, Box<str>)>>,
}

impl<S: Source> Source for FieldRecording<'_, S> {
    fn entity(&self, key: &str) -> Option<&Entity> {
        self.source.entity(key)
    }

    /// The `__typename` the cache adds is not something the query asked for: invalidating it
    /// would leave the query stale until an answer that holds it, which one that does not ask
    /// for it may never be.
    fn field(&self, key: &str, field: &str, implicit: bool) {
        if !implicit {
            self.seen.borrow_mut().push((key.into(), field.into()));
        }
    }
}

/// The `(entity key, store field name)` pairs a read of `doc`'s operation over `source` looks
/// up, sorted and without repeats, present or missing (a missing field does not stop the
/// walk). O(size of the read).
pub(crate) fn fields_read<S: Source>(
    source: &S,
    policies: &Policies,
    doc: &Document,
    variables: &serde_json::Value,
) -> Result<FieldsRead, ReadError> {
    let recording = FieldRecording {
        source,
        seen: RefCell::default(),
    };
    let missing = RefCell::new(Vec::new());
    let read: Result<serde::de::IgnoredAny, ReadError> = run_on(
        &recording,
        policies,
        doc,
        Start::Query,
        variables,
        Some(&missing),
    );
    match read {
        // A missing root still says which root field the query wants: nothing is cached.
        Ok(_) | Err(ReadError::MissingRoot { .. }) => {}
        Err(error) => return Err(error),
    }
    let mut seen = recording.seen.into_inner();
    seen.sort_unstable();
    seen.dedup();
    Ok(seen)
}
