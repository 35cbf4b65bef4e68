//! What a read of a watched document looks up, walked by the reference over its own view.
//!
//! The documents are the small selections `strategies::document` writes (`{ a l { n b } }`,
//! space-separated tokens, over `ROOT_QUERY`). A read looks up each selected field of each
//! entity it stands on (the root, even when absent, and each entity a ref under a
//! sub-selection reaches), present or not; a missing field does not stop it. Under a
//! sub-selection a ref to an absent entity reads as nothing, a list reads each item, an
//! embedded object is read without being an entity (its fields are no lookups), and a
//! scalar is the wrong shape: the read fails. Without a sub-selection a value is read as
//! stored, refs not followed. Written from the read's documentation, not from the store.

use std::collections::BTreeSet;

use optimist::Value;

use crate::reference::{Entities, Fields, all_keys, leak};

/// The root every document is read from.
pub(crate) const ROOT: &str = "ROOT_QUERY";

/// One selected field, with its sub-selection if it has one.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Sel {
    pub(crate) field: &'static str,
    pub(crate) sub: Option<Vec<Sel>>,
}

/// The selection of a document as `strategies::document` writes it.
pub(crate) fn parse(doc: &str) -> Vec<Sel> {
    let mut tokens = doc.split_whitespace().peekable();
    assert_eq!(tokens.next(), Some("{"), "a selection: {doc}");
    let set = parse_set(&mut tokens);
    assert!(tokens.next().is_none(), "one selection: {doc}");
    set
}

/// A selection set after its `{`, through its `}`.
fn parse_set<'a>(tokens: &mut std::iter::Peekable<impl Iterator<Item = &'a str>>) -> Vec<Sel> {
    let mut set = Vec::new();
    loop {
        match tokens.next().expect("a closed selection") {
            "}" => return set,
            "{" => panic!("a selection set with no field"),
            name => {
                let sub = (tokens.peek() == Some(&"{")).then(|| {
                    tokens.next();
                    parse_set(tokens)
                });
                set.push(Sel {
                    field: leak(name),
                    sub,
                });
            }
        }
    }
}

/// What a read looked up: `(entity, field)` pairs, and the entities it stood on (the root
/// among them).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Looked {
    pub(crate) fields: BTreeSet<(&'static str, &'static str)>,
    pub(crate) keys: BTreeSet<&'static str>,
}

/// A read failed: a scalar under a sub-selection.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct WrongShape;

/// What a read of `sel` over `view` looks up, or that it fails.
pub(crate) fn read(view: &Entities, sel: &[Sel]) -> Result<Looked, WrongShape> {
    let mut looked = Looked::default();
    let empty = Fields::new();
    let root = view.get(ROOT).unwrap_or(&empty);
    object(view, Some(ROOT), root, sel, &mut looked)?;
    Ok(looked)
}

/// The reference's name for the key a ref names, if it is one the reference knows.
fn known(value: &optimist::Key) -> Option<&'static str> {
    all_keys().find(|key| *key == value.as_str())
}

/// An object under a selection: an entity (with its key) or an embedded object (without).
fn object(
    view: &Entities,
    key: Option<&'static str>,
    entity: &Fields,
    sel: &[Sel],
    looked: &mut Looked,
) -> Result<(), WrongShape> {
    if let Some(key) = key {
        looked.keys.insert(key);
    }
    for Sel { field, sub } in sel {
        if let Some(key) = key {
            looked.fields.insert((key, field));
        }
        if let (Some(value), Some(sub)) = (entity.get(*field), sub) {
            selected(view, value, sub, looked)?;
        }
    }
    Ok(())
}

/// A value under a (non-empty) sub-selection.
fn selected(
    view: &Entities,
    value: &Value,
    sel: &[Sel],
    looked: &mut Looked,
) -> Result<(), WrongShape> {
    match value {
        Value::Null => Ok(()),
        Value::Bool(_) | Value::Number(_) | Value::String(_) => Err(WrongShape),
        Value::Ref(target) => match known(target).and_then(|k| Some((k, view.get(k)?))) {
            Some((key, entity)) => object(view, Some(key), entity, sel, looked),
            None => Ok(()),
        },
        Value::List(items) => items
            .iter()
            .try_for_each(|item| selected(view, item, sel, looked)),
        Value::Object(fields) => {
            let fields: Fields = fields
                .iter()
                .map(|(name, v)| (name.as_str().to_owned(), v.clone()))
                .collect();
            object(view, None, &fields, sel, looked)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_parse_as_written() {
        let sel = parse("{ a l { n b { v } } }");
        assert_eq!(sel.len(), 2);
        assert_eq!(sel[0].field, "a");
        let inner = sel[1].sub.as_ref().expect("a sub-selection");
        assert_eq!(inner[1].sub.as_ref().map(Vec::len), Some(1));
    }
}
