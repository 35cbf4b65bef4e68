//! Values to and from Apollo's `cache.extract()` JSON, exactly: what goes out comes back equal.
//!
//! Apollo writes a reference as `{"__ref": "Todo:1"}`, so an embedded object that happens to
//! have that shape would come back as a reference. Such an object (one field, named `__ref` or
//! [`OBJECT_ESCAPE`]) is written wrapped, `{"__object": {"__ref": "Todo:1"}}`, and read back
//! unwrapped; every other value is written as Apollo writes it. Going out never recurses (an
//! explicit stack), so a value built in code however deep converts; coming in is bounded.

use serde_json::{Map, Value as Json};

use super::{List, Value};
use crate::entity::Entity;
use crate::field::FieldName;
use crate::key::Key;

/// The field that wraps an embedded object which would otherwise read back as a reference.
pub(crate) const OBJECT_ESCAPE: &str = "__object";

/// Whether an embedded object must be wrapped to read back as itself.
pub(crate) fn needs_wrap(entity: &Entity) -> bool {
    entity.len() == 1
        && entity
            .iter()
            .next()
            .is_some_and(|(name, _)| name.as_str() == "__ref" || name.as_str() == OBJECT_ESCAPE)
}

/// What one JSON object in a value position stands for.
pub(crate) enum Shape<'j> {
    /// `{"__ref": key}`.
    Ref(Key),
    /// An embedded object: these fields (unwrapped when it was escaped).
    Object(&'j Map<String, Json>),
}

pub(crate) fn shape(map: &Map<String, Json>) -> Shape<'_> {
    if map.len() == 1 {
        match map.iter().next() {
            Some((name, Json::String(text))) if name == "__ref" => {
                if let Ok(key) = Key::new(text) {
                    return Shape::Ref(key);
                }
            }
            Some((name, Json::Object(inner))) if name == OBJECT_ESCAPE => {
                return Shape::Object(inner);
            }
            _ => {}
        }
    }
    Shape::Object(map)
}

#[cfg(feature = "graphql")]
/// `Some` when `json` nests at most `limit` levels of arrays and objects; the recursion stops
/// at the limit.
pub(crate) fn json_within(json: &Json, limit: usize) -> bool {
    match json {
        Json::Array(items) => limit > 0 && items.iter().all(|item| json_within(item, limit - 1)),
        Json::Object(map) => limit > 0 && map.values().all(|item| json_within(item, limit - 1)),
        _ => true,
    }
}

/// Converts untrusted JSON, refusing more than `limit` levels (recursion bounded by it).
pub(crate) fn from_json_bounded(json: &Json, limit: usize) -> Option<Value> {
    Some(match json {
        Json::Array(items) => {
            let limit = limit.checked_sub(1)?;
            Value::List(
                items
                    .iter()
                    .map(|item| from_json_bounded(item, limit))
                    .collect::<Option<List>>()?,
            )
        }
        Json::Object(map) => match shape(map) {
            Shape::Ref(key) => Value::Ref(key),
            Shape::Object(fields) => Value::Object(fields_bounded(fields, limit.checked_sub(1)?)?),
        },
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => Value::Number(n.clone()),
        Json::String(s) => Value::from(s.as_str()),
    })
}

/// The fields of a JSON object, each value bounded by `limit`.
pub(crate) fn fields_bounded(map: &Map<String, Json>, limit: usize) -> Option<Entity> {
    Some(Entity::from_fields(
        map.iter()
            .map(|(name, item)| {
                Some((
                    FieldName::from(name.as_str()),
                    from_json_bounded(item, limit)?,
                ))
            })
            .collect::<Option<Vec<_>>>()?,
    ))
}

/// A container being converted, with what it has converted so far.
enum Frame<'a> {
    List {
        items: imbl::vector::Iter<'a, Value, imbl::shared_ptr::DefaultSharedPtr>,
        out: Vec<Json>,
    },
    Object {
        fields: crate::entity::Fields<'a>,
        out: Map<String, Json>,
        /// The field whose value is being converted.
        name: Option<&'a FieldName>,
        wrap: bool,
    },
}

impl<'a> Frame<'a> {
    fn next_child(&mut self) -> Option<&'a Value> {
        match self {
            Frame::List { items, .. } => items.next(),
            Frame::Object { fields, name, .. } => {
                let (field, value) = fields.next()?;
                *name = Some(field);
                Some(value)
            }
        }
    }

    fn accept(&mut self, json: Json) {
        match self {
            Frame::List { out, .. } => out.push(json),
            Frame::Object { out, name, .. } => {
                if let Some(name) = name.take() {
                    out.insert(name.to_string(), json);
                }
            }
        }
    }

    fn finish(self) -> Json {
        match self {
            Frame::List { out, .. } => Json::Array(out),
            Frame::Object {
                out, wrap: false, ..
            } => Json::Object(out),
            Frame::Object {
                out, wrap: true, ..
            } => {
                let mut wrapper = Map::new();
                wrapper.insert(OBJECT_ESCAPE.to_owned(), Json::Object(out));
                Json::Object(wrapper)
            }
        }
    }
}

/// A scalar's JSON, or the frame of a container (pushed).
fn open<'a>(value: &'a Value, stack: &mut Vec<Frame<'a>>, top: bool) -> Option<Json> {
    Some(match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => Json::Number(n.clone()),
        Value::String(s) => Json::String(s.to_string()),
        Value::Ref(key) => {
            let mut map = Map::new();
            map.insert("__ref".into(), Json::String(key.to_string()));
            Json::Object(map)
        }
        Value::List(items) => {
            stack.push(Frame::List {
                items: items.iter(),
                out: Vec::with_capacity(items.len()),
            });
            return None;
        }
        Value::Object(entity) => {
            stack.push(Frame::Object {
                fields: entity.fields(),
                out: Map::new(),
                name: None,
                wrap: !top && needs_wrap(entity),
            });
            return None;
        }
    })
}

/// `value` as JSON; with `top`, an object is an entity's fields (never wrapped). O(size of the
/// value), with an explicit stack instead of recursion.
pub(crate) fn to_json(value: &Value, top: bool) -> Json {
    let mut stack = Vec::new();
    let done = open(value, &mut stack, top);
    run(stack, done)
}

/// An entity's fields as a JSON object, as [`to_json`] does.
pub(crate) fn entity_to_json(entity: &Entity) -> Json {
    let stack = vec![Frame::Object {
        fields: entity.fields(),
        out: Map::new(),
        name: None,
        wrap: false,
    }];
    run(stack, None)
}

fn run<'a>(mut stack: Vec<Frame<'a>>, mut done: Option<Json>) -> Json {
    loop {
        if let Some(json) = done.take() {
            match stack.last_mut() {
                None => return json,
                Some(frame) => frame.accept(json),
            }
        }
        let Some(frame) = stack.last_mut() else {
            return Json::Null;
        };
        match frame.next_child() {
            Some(child) => done = open(child, &mut stack, false),
            None => done = stack.pop().map(Frame::finish),
        }
    }
}
