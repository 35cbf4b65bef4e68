//! Finding and renaming entity references inside values and ops.
//!
//! When an optimistic create is confirmed, its temporary key is renamed to the server's key
//! everywhere it occurs: in refs inside base entities and inside every layer's ops. The store
//! decides where to look; this module only walks one value or op, so it knows nothing of base
//! or layers. Walks use an explicit work list, not recursion, so a deeply nested value cannot
//! exhaust the stack while it is searched.

use crate::entity::Entity;
use crate::key::Key;
use crate::op::{ListPosition, Op};
use crate::value::Value;

/// Calls `found` with every key referenced inside `value`.
pub(crate) fn refs_in_value<'a>(value: &'a Value, found: &mut impl FnMut(&'a Key)) {
    let mut work: Vec<&'a Value> = vec![value];
    while let Some(value) = work.pop() {
        match value {
            Value::Ref(key) => found(key),
            Value::List(items) => work.extend(items.iter()),
            Value::Object(fields) => work.extend(fields.iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

/// Calls `found` with every key referenced inside `op`'s values (written fields, list items
/// and anchors, updater arguments).
pub(crate) fn refs_in_op<'a>(op: &'a Op, found: &mut impl FnMut(&'a Key)) {
    match op {
        Op::Write(fields) => fields.iter().for_each(|(_, v)| refs_in_value(v, found)),
        Op::ListInsert { item, at, .. } => {
            refs_in_value(item, found);
            if let ListPosition::Before(anchor) | ListPosition::After(anchor) = at {
                refs_in_value(anchor, found);
            }
        }
        Op::ListRemove { item, .. } => refs_in_value(item, found),
        Op::Update { args, .. } => refs_in_value(args, found),
        Op::RemoveField(_) | Op::Delete | Op::Increment { .. } => {}
    }
}

/// Whether `value` references a key for which `hit` holds.
fn mentions(value: &Value, hit: &impl Fn(&Key) -> bool) -> bool {
    let mut any = false;
    refs_in_value(value, &mut |key| any |= hit(key));
    any
}

/// `value` with every ref for which `rename` gives a key renamed to it, or `None` if no ref
/// was renamed. Only the branches that hold a renamed ref are copied.
pub(crate) fn rename_in_value(
    value: &Value,
    rename: &impl Fn(&Key) -> Option<Key>,
) -> Option<Value> {
    if !mentions(value, &|key| rename(key).is_some()) {
        return None;
    }
    Some(match value {
        Value::Ref(key) => Value::Ref(rename(key).unwrap_or_else(|| key.clone())),
        Value::List(items) => Value::List(
            items
                .iter()
                .map(|item| rename_in_value(item, rename).unwrap_or_else(|| item.clone()))
                .collect(),
        ),
        Value::Object(fields) => Value::Object(rename_in_entity(fields, rename)?),
        other => other.clone(),
    })
}

/// `entity` with its refs renamed, or `None` if none was.
pub(crate) fn rename_in_entity(
    entity: &Entity,
    rename: &impl Fn(&Key) -> Option<Key>,
) -> Option<Entity> {
    if !entity
        .iter()
        .any(|(_, v)| mentions(v, &|key| rename(key).is_some()))
    {
        return None;
    }
    Some(Entity::from_sorted(
        entity
            .iter()
            .map(|(name, v)| {
                (
                    name.clone(),
                    rename_in_value(v, rename).unwrap_or_else(|| v.clone()),
                )
            })
            .collect(),
    ))
}

/// Renames refs inside `op` in place; returns whether any was renamed.
pub(crate) fn rename_in_op(op: &mut Op, rename: &impl Fn(&Key) -> Option<Key>) -> bool {
    let mut changed = false;
    let mut fix = |value: &mut Value| {
        if let Some(renamed) = rename_in_value(value, rename) {
            *value = renamed;
            changed = true;
        }
    };
    match op {
        Op::Write(fields) => {
            if let Some(renamed) = rename_in_entity(fields, rename) {
                *fields = renamed;
                changed = true;
            }
        }
        Op::ListInsert { item, at, .. } => {
            fix(item);
            if let ListPosition::Before(anchor) | ListPosition::After(anchor) = at {
                fix(anchor);
            }
        }
        Op::ListRemove { item, .. } => fix(item),
        Op::Update { args, .. } => fix(args),
        Op::RemoveField(_) | Op::Delete | Op::Increment { .. } => {}
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> Key {
        Key::new(text).unwrap()
    }

    #[test]
    fn renames_refs_at_any_depth_and_copies_only_what_changes() {
        let tmp = key("Todo:tmp~1");
        let real = key("Todo:6");
        let rename = |k: &Key| (*k == tmp).then(|| real.clone());
        let untouched = Value::from(vec![Value::Ref(key("Todo:1"))]);
        let value = Value::from(vec![
            untouched.clone(),
            Value::Object(Entity::new().with("todo", Value::Ref(tmp.clone()))),
        ]);
        let renamed = rename_in_value(&value, &rename).unwrap();
        let expected = Value::from(vec![
            untouched.clone(),
            Value::Object(Entity::new().with("todo", Value::Ref(real.clone()))),
        ]);
        assert_eq!(renamed, expected);
        assert_eq!(rename_in_value(&untouched, &rename), None);
        let mut found = Vec::new();
        refs_in_value(&renamed, &mut |k| found.push(k.clone()));
        found.sort();
        assert_eq!(found, [key("Todo:1"), real]);
    }

    #[test]
    fn renames_inside_every_op_that_holds_values() {
        let tmp = key("Todo:tmp~1");
        let rename = |k: &Key| (*k == tmp).then(|| key("Todo:6"));
        let mut insert = Op::ListInsert {
            field: "l".into(),
            item: Value::Ref(tmp.clone()),
            at: ListPosition::After(Value::Ref(tmp.clone())),
            unique: true,
        };
        assert!(rename_in_op(&mut insert, &rename));
        let mut found = Vec::new();
        refs_in_op(&insert, &mut |k| found.push(k.as_str().to_owned()));
        assert_eq!(found, ["Todo:6", "Todo:6"]);
        let mut delete = Op::Delete;
        assert!(!rename_in_op(&mut delete, &rename));
    }
}
