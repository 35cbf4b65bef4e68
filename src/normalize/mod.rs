//! Normalization: a JSON payload in, a [`Patch`] out.
//!
//! Every object with a typename and an identity (found through [`Policies`]) becomes an entity
//! of its own and is replaced by a [`Value::Ref`]; objects without one stay embedded in their
//! parent. With a [`Document`] the walk follows the selection set exactly (aliases, arguments,
//! fragments, `@skip` / `@include`); without one, every field is written under its plain name.
//! The result is one field-level write per entity, so the same payload can go into base, be
//! pushed as a layer, or confirm one. This module knows nothing of the store or of layers, and a
//! failed normalization is an error and no patch at all: a failed write writes nothing.
//!
//! The walk is recursive, but never deeper than [`Policies::depth_limit`] levels of objects and
//! lists, so hostile input cannot exhaust the stack.
//!
//! This file holds the entry points. A document is first compiled for the call's variables into
//! a plan (`plan.rs`); the walk (`walk.rs`) then turns the payload into writes, taking key text
//! from `key.rs`, sorting and merging fields with `fields.rs`, tracking its place with `path.rs`
//! and reporting through `error.rs`.

mod collect;
mod diagnostic;
mod edits;
mod error;
mod fields;
mod identify;
mod key;
mod path;
mod payload;
mod plan;
mod stream;
#[cfg(all(test, feature = "graphql"))]
mod stream_tests;
#[cfg(test)]
mod tests;
mod walk;

use std::rc::Rc;

use serde_json::{Map, Value as Json};

#[cfg(feature = "graphql")]
use crate::document::Document;
use crate::key::Key;
use crate::patch::Patch;
#[cfg(doc)]
use crate::policy::KeyFields;
use crate::policy::Policies;
#[cfg(doc)]
use crate::value::Value;

pub use diagnostic::Diagnostic;
pub use error::NormalizeError;
use error::kind;
pub use payload::Payload;
use payload::parse;
pub(crate) use payload::to_json;
pub(crate) use payload::{Source, Text, source};
#[cfg(feature = "graphql")]
use plan::Compiler;
use plan::Plan;
use walk::Writer;

/// Normalizes a payload without a document: every field of every object is written under its
/// plain name, and the payload's top-level fields go to `root`.
///
/// An object with a string `__typename` and an identity (see [`KeyFields`]; by default its `id`,
/// else its `_id`) becomes the entity `Type:id` and is replaced by a reference; an object without
/// one stays embedded; a list keeps its shape, with references in place of entities. An entity
/// reached twice is merged. The root entity gets `__typename` from its key (`Query` for
/// `ROOT_QUERY`, `Todo` for `Todo:1`) unless the payload has its own. O(size of the payload),
/// recursion bounded by [`Policies::depth_limit`].
///
/// ```
/// use optimist::{Key, Store, Value, normalize};
/// use serde_json::json;
///
/// let mut store = Store::new();
/// let payload = json!({"todos": [
///     {"__typename": "Todo", "id": 1, "title": "Buy milk", "owner": {"__typename": "User", "id": "u1"}},
///     {"__typename": "Todo", "id": 2, "title": "Walk", "owner": null},
/// ]});
/// store.write(normalize(store.policies(), &Key::root_query(), &payload)?)?;
/// assert_eq!(store.get_field("Todo:1", "title"), Some(&Value::from("Buy milk")));
/// assert_eq!(store.get_field("Todo:1", "owner"), Some(&Value::Ref(Key::new("User:u1")?)));
/// assert_eq!(store.get_field("ROOT_QUERY", "__typename"), Some(&Value::from("Query")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn normalize<'a>(
    policies: &Policies,
    root: &Key,
    payload: impl Payload<'a>,
) -> Result<Patch, NormalizeError> {
    write_root(policies, root, payload, None)
}

/// The payload's top-level object written as `root`: streamed from text, walked as a tree
/// when it is one or when the stream hands over.
fn write_root<'a>(
    policies: &Policies,
    root: &Key,
    payload: impl Payload<'a>,
    plan: Option<&Rc<Plan<'_>>>,
) -> Result<Patch, NormalizeError> {
    let tree = |payload: &Json| {
        let data = root_object(payload)?;
        let mut writer = Writer::new(policies);
        writer.root(root, data, plan).map_err(|error| *error)?;
        Ok(writer.finish())
    };
    match source(payload) {
        Source::Tree(json) => tree(json),
        Source::Text(text) => match stream::root(policies, root, text, plan) {
            Some(patch) => Ok(patch),
            None => tree(&parse(text)?),
        },
    }
}

/// Normalizes a payload of any shape (a REST list, an object, a scalar) as the one field
/// `field` of `root`: what [`normalize`] makes of `{field: payload}`, without building it.
/// Paths of [`Policies::type_at`] start at `field`'s name, whatever its arguments, so
/// `GET /todos`'s array written at `todos` (or at `todos({"page":2})`) is typed by
/// `type_at("todos", "Todo")`. Other fields of `root` are left as they are.
///
/// ```
/// use optimist::{Key, Policies, Store, Value, normalize_at};
/// use serde_json::json;
///
/// let mut store = Store::with_policies(Policies::new().type_at("todos", "Todo"));
/// let answer = json!([{"id": 1, "title": "a", "done": false, "version": 3}]); // GET /todos
/// store.write(normalize_at(store.policies(), &Key::root_query(), "todos", &answer)?)?;
/// let list = store.get_field("ROOT_QUERY", "todos").and_then(Value::as_list).unwrap();
/// assert_eq!(list[0].as_ref_key().map(|key| key.as_str()), Some("Todo:1"));
/// assert_eq!(store.get_field("Todo:1", "__typename"), Some(&Value::from("Todo")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn normalize_at<'a>(
    policies: &Policies,
    root: &Key,
    field: &str,
    payload: impl Payload<'a>,
) -> Result<Patch, NormalizeError> {
    let tree = |payload: &Json| {
        let mut writer = Writer::new(policies);
        writer
            .root_field(root, field, payload)
            .map_err(|error| *error)?;
        Ok(writer.finish())
    };
    match source(payload) {
        Source::Tree(json) => tree(json),
        Source::Text(text) => match stream::root_field(policies, root, field, text) {
            Some(patch) => Ok(patch),
            None => tree(&parse(text)?),
        },
    }
}

/// Normalizes one object of type `typename` (a REST answer to `POST /todos` or
/// `PATCH /todos/1`) as the entity its key fields name: the key ([`Policies::identify`]) and the
/// patch ([`normalize`] into that key), so the answer can confirm a layer and the key can
/// [`remap`](crate::Store::remap) a temporary one. Nested objects are typed by
/// [`Policies::field_type`] (path types apply under root entities only). A missing or wrongly
/// typed id is an error, and no patch.
///
/// ```
/// use optimist::{Key, Patch, Policies, Store, Value, normalize_entity};
/// use serde_json::json;
///
/// let mut store = Store::with_policies(Policies::new().field_type("Todo", "owner", "User"));
/// let tmp = store.temporary_key("Todo")?;
/// let (create, _) = store.push("POST /todos", Patch::new().set(tmp.clone(), "title", "a"))?;
///
/// let answer = json!({"id": 17, "title": "a", "owner": {"id": 2, "name": "Ann"}});
/// let (key, patch) = normalize_entity(store.policies(), "Todo", &answer)?;
/// assert_eq!(key.as_str(), "Todo:17");
/// store.remap(&tmp, &key)?;
/// store.confirm(create, patch)?;
/// assert_eq!(store.get_field("Todo:17", "owner"), Some(&Value::Ref(Key::new("User:2")?)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn normalize_entity<'a>(
    policies: &Policies,
    typename: &str,
    payload: impl Payload<'a>,
) -> Result<(Key, Patch), NormalizeError> {
    // The key is read before the walk, from the object as a tree: text is parsed (one entity).
    let parsed;
    let payload = match source(payload) {
        Source::Tree(json) => json,
        Source::Text(text) => {
            parsed = parse(text)?;
            &parsed
        }
    };
    let key = policies.identify(typename, payload)?;
    let patch = normalize(policies, &key, payload)?;
    Ok((key, patch))
}

#[cfg(feature = "graphql")]
/// Normalizes the response `data` of the operation in `doc`, following its selection set
/// exactly, into the operation's root (`ROOT_QUERY`, `ROOT_MUTATION` or `ROOT_SUBSCRIPTION`).
///
/// Fields are stored under their store names (the real name, with the arguments resolved from
/// `variables` and the declared defaults: `todos({"first":10})`), whatever their alias. Fields
/// skipped by `@skip` / `@include` are not written. A fragment with a type condition applies when
/// [`Policies::type_matches`] says so for the object's `__typename`; on an object without a
/// typename it applies when the data has every field the fragment selects directly. Every
/// selected field must be in the data (`__typename` is written when present, never required).
/// As in Apollo, identity is read from the data whatever the document selects: an unselected
/// `id` still makes the object an entity, and is stored with it.
///
/// Cost: O(document) to compile it (variables borrowed, never copied), then linear in the
/// payload times the selections that apply to each object: fields are collected once per
/// list of selection sets and typename (GraphQL's field collection, memoised), and a field
/// selected several times (directly or through fragments) is walked once with all its
/// sub-selections. Recursion is bounded by [`Policies::depth_limit`].
///
/// ```
/// use optimist::{Document, Store, Value, normalize_query};
/// use serde_json::json;
///
/// let doc = Document::parse("query($first: Int) { list: todos(first: $first) { id title } }")?;
/// let data = json!({"list": [{"__typename": "Todo", "id": "1", "title": "Buy milk", "extra": 1}]});
/// let mut store = Store::new();
/// store.write(normalize_query(store.policies(), &doc, &json!({"first": 10}), &data)?)?;
/// let list = store.get_field("ROOT_QUERY", r#"todos({"first":10})"#).and_then(Value::as_list).unwrap();
/// assert_eq!(list[0].as_ref_key().map(|key| key.as_str()), Some("Todo:1"));
/// assert_eq!(store.get_field("Todo:1", "extra"), None, "only selected fields are written");
///
/// let missing = normalize_query(store.policies(), &doc, &json!({}), &json!({"list": [{"id": "2"}]}));
/// assert_eq!(missing.unwrap_err().path(), "list.0.title");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn normalize_query<'a>(
    policies: &Policies,
    doc: &Document,
    variables: &Json,
    data: impl Payload<'a>,
) -> Result<Patch, NormalizeError> {
    let operation = doc.operation()?;
    let variables = doc.variables(variables)?;
    let plan = Compiler::new(variables).compile(&operation.selection)?;
    write_root(policies, &operation.kind.root_key(), data, Some(&plan))
}

#[cfg(feature = "graphql")]
/// Normalizes `data` as the entity `id` through one fragment of `doc`: the one named
/// `fragment`, or the document's only fragment when `None`.
///
/// The fragment's own type condition is not checked (writing it is the caller's assertion);
/// fragments nested in it follow the rules of [`normalize_query`]. A `__typename` in `data` must
/// agree with the typename of `id`; when `data` has none, the entity gets the one of `id`. Cost
/// as [`normalize_query`].
///
/// ```
/// use optimist::{Document, Key, Store, Value, normalize_fragment};
/// use serde_json::json;
///
/// let doc = Document::parse("fragment Done on Todo { done }")?;
/// let id = Key::new("Todo:1")?;
/// let mut store = Store::new();
/// store.write(normalize_fragment(store.policies(), &doc, None, &id, &json!(null), &json!({"done": true}))?)?;
/// assert_eq!(store.get_field("Todo:1", "done"), Some(&Value::from(true)));
/// assert_eq!(store.get_field("Todo:1", "__typename"), Some(&Value::from("Todo")));
///
/// let wrong = json!({"__typename": "User", "done": true});
/// assert!(normalize_fragment(store.policies(), &doc, None, &id, &json!(null), &wrong).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn normalize_fragment<'a>(
    policies: &Policies,
    doc: &Document,
    fragment: Option<&str>,
    id: &Key,
    variables: &Json,
    data: impl Payload<'a>,
) -> Result<Patch, NormalizeError> {
    let fragment = doc.fragment(fragment)?;
    let variables = doc.variables(variables)?;
    let plan = Compiler::new(variables).compile(&fragment.selection)?;
    write_root(policies, id, data, Some(&plan))
}

fn root_object(payload: &Json) -> Result<&Map<String, Json>, NormalizeError> {
    match payload {
        Json::Object(map) => Ok(map),
        other => Err(NormalizeError::NotAnObject { found: kind(other) }),
    }
}
