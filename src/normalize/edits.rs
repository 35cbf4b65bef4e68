//! Relay's mutation directives carried out (`document/edits.rs` reads them): a field's
//! normalized value turned into the ops that edit the connections it names or delete the
//! entities it names. The ops go after every write of the payload, as Relay runs its handlers
//! after normalizing the response.
#![cfg_attr(not(feature = "graphql"), allow(dead_code))]

use serde_json::json;

use super::error::{Fail, NormalizeError};
use super::path::Path;
#[cfg(feature = "graphql")]
use crate::connection::parse_connection_id;
use crate::connection::{EditKind, insert_op, remove_op};
#[cfg(feature = "graphql")]
use crate::document::edits::ListEdit;
#[cfg(feature = "graphql")]
use crate::document::{DocumentError, Variables};
use crate::entity::Entity;
use crate::field::FieldName;
use crate::key::Key;
use crate::op::Op;
use crate::policy::Policies;
use crate::value::Value;

/// A directive's edit with its arguments resolved for one call.
pub(super) struct Edit {
    kind: EditKind,
    /// The connections named: the entity and the field each is stored in.
    connections: Vec<(Key, FieldName)>,
    typename: Option<String>,
}

impl Edit {
    #[cfg(feature = "graphql")]
    /// Resolves `connections` with the call's variables: a connection id, or a list of them.
    pub(super) fn resolve(
        edit: &ListEdit,
        variables: &Variables<'_>,
    ) -> Result<Edit, DocumentError> {
        let mut connections = Vec::new();
        let value = match &edit.connections {
            Some(arg) => arg.resolve(variables)?,
            None => None,
        };
        let ids: Vec<&serde_json::Value> = match &value {
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(serde_json::Value::Array(ids)) => ids.iter().collect(),
            Some(one) => vec![one],
        };
        for id in ids {
            let parsed = id.as_str().and_then(parse_connection_id);
            let Some(parsed) = parsed else {
                return Err(DocumentError::DirectiveArgument {
                    name: format!("{:?}", edit.kind),
                    message: format!(
                        "{id} is not a connection id (`<key>.<field>`, as Policies::connection_id gives)"
                    ),
                });
            };
            connections.push(parsed);
        }
        Ok(Edit {
            kind: edit.kind,
            connections,
            typename: edit.typename.clone(),
        })
    }

    /// The ops that carry out the edit on the field's normalized `value` (at `path`): each an
    /// entity's key and its op.
    pub(super) fn ops(
        &self,
        policies: &Policies,
        value: &Value,
        path: &Path<'_>,
        out: &mut Vec<(Key, Op)>,
    ) -> Result<(), Fail> {
        let items: Vec<&Value> = match value {
            Value::Null => return Ok(()),
            Value::List(items) => items.iter().filter(|item| !item.is_null()).collect(),
            one => vec![one],
        };
        for item in items {
            match self.kind {
                EditKind::AppendEdge | EditKind::PrependEdge => {
                    if !matches!(item, Value::Object(_)) {
                        return Err(fail(path, "an edge must be an object (`{ cursor node }`)"));
                    }
                    let front = self.kind == EditKind::PrependEdge;
                    for (key, field) in &self.connections {
                        out.push((key.clone(), insert_op(field, item.clone(), front)));
                    }
                }
                EditKind::AppendNode | EditKind::PrependNode => {
                    let Value::Ref(_) = item else {
                        return Err(fail(path, "a node must be an entity (with its key fields)"));
                    };
                    let edge = Entity::new()
                        .with("__typename", self.typename.as_deref().unwrap_or_default())
                        .with("cursor", Value::Null)
                        .with("node", item.clone());
                    let front = self.kind == EditKind::PrependNode;
                    for (key, field) in &self.connections {
                        out.push((
                            key.clone(),
                            insert_op(field, Value::Object(edge.clone()), front),
                        ));
                    }
                }
                EditKind::DeleteEdge => {
                    let id = id_of(item, path)?;
                    for (key, field) in &self.connections {
                        out.push((key.clone(), remove_op(field, &id)));
                    }
                }
                EditKind::DeleteRecord => {
                    let id = id_of(item, path)?;
                    out.push((self.record(policies, &id, path)?, Op::Delete));
                }
            }
        }
        Ok(())
    }

    /// The key of the entity `id` names: the id itself when it is a key (`Task:7`), else the
    /// key of a `typename:` object with that id.
    fn record(&self, policies: &Policies, id: &str, path: &Path<'_>) -> Result<Key, Fail> {
        if id.contains(':')
            && let Ok(key) = Key::new(id)
        {
            return Ok(key);
        }
        let Some(typename) = &self.typename else {
            return Err(fail(
                path,
                &format!("`{id}` is not a key: give the type, `@deleteRecord(typename: \"Task\")`"),
            ));
        };
        policies
            .identify(typename, &json!({ "id": id }))
            .map_err(|error| fail(path, &error.to_string()))
    }
}

/// The id an item of an id field holds (a string, or a number as text).
fn id_of(item: &Value, path: &Path<'_>) -> Result<String, Fail> {
    match item {
        Value::String(id) => Ok(id.to_string()),
        Value::Number(id) => Ok(id.to_string()),
        _ => Err(fail(path, "an id must be a string or a number")),
    }
}

fn fail(path: &Path<'_>, message: &str) -> Fail {
    Box::new(NormalizeError::ListDirective {
        path: path.render(),
        message: message.to_owned(),
    })
}
