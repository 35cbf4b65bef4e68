//! An object's fields as the walk builds them: sorted by name, and Apollo's merge of a field
//! (or an entity) written twice within one payload.
//!
//! Entities keep their fields sorted; these helpers restore that order when fragments or a
//! repeated entity break it, without knowing anything of plans or keys.

use crate::entity::Entity;
use crate::field::FieldName;
use crate::value::Value;

/// An object's fields, by name; sorted once frozen.
pub(super) type Fields = Vec<(FieldName, Value)>;

/// Sorts fields by name; a name given twice (through fragments) keeps both, deep-merged.
pub(super) fn freeze(mut fields: Fields) -> Fields {
    // Plans list their fields in name order, and so does a JSON object, so this is the usual
    // case; strictly increasing also means no name repeats.
    if fields.is_sorted_by(|a, b| a.0 < b.0) {
        return fields;
    }
    fields.sort_by(|a, b| a.0.cmp(&b.0));
    fields.dedup_by(|later, earlier| {
        if later.0 != earlier.0 {
            return false;
        }
        let old = std::mem::take(&mut earlier.1);
        earlier.1 = merge(old, std::mem::take(&mut later.1));
        true
    });
    fields
}

/// Merges `incoming` into sorted fields, deep-merging a field both have.
pub(super) fn merge_fields(into: &mut Fields, incoming: Fields) {
    for (name, value) in incoming {
        match into.binary_search_by(|(n, _)| n.cmp(&name)) {
            Ok(at) => {
                let old = std::mem::take(&mut into[at].1);
                into[at].1 = merge(old, value);
            }
            Err(at) => into.insert(at, (name, value)),
        }
    }
}

/// Apollo's merge of two writes of one field within one payload: embedded objects field by
/// field, lists of one length item by item, anything else the later value. Recursion is bounded
/// by the depth of values the walk built.
pub(super) fn merge(old: Value, new: Value) -> Value {
    match (old, new) {
        (Value::Object(old), Value::Object(new)) => {
            let mut fields = old.to_vec();
            merge_fields(&mut fields, new.to_vec());
            Value::Object(Entity::from_sorted(fields))
        }
        (Value::List(old), Value::List(new)) if old.len() == new.len() => Value::List(
            old.iter()
                .zip(new.iter())
                .map(|(a, b)| merge(a.clone(), b.clone()))
                .collect(),
        ),
        (_, new) => new,
    }
}
