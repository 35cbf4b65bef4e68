//! Relay's declarative mutation directives on a field: `@appendEdge`, `@prependEdge`,
//! `@appendNode`, `@prependNode`, `@deleteEdge` and `@deleteRecord`, read from the document into
//! a [`ListEdit`] that normalizing the field's value carries out (`normalize/edits.rs`).
//!
//! They are the client's: [`Document::request_text`](super::Document::request_text) leaves them
//! out of the text sent, with the variables only they use.

use apollo_parser::cst;

use super::build::{arg, name};
use super::{Arg, DocumentError};
use crate::connection::EditKind;

/// The names of the directives this module reads, which the server never sees.
pub(crate) const CLIENT_DIRECTIVES: [&str; 6] = [
    "appendEdge",
    "prependEdge",
    "appendNode",
    "prependNode",
    "deleteEdge",
    "deleteRecord",
];

/// A directive's edit, with its arguments unresolved.
#[derive(Debug, Clone)]
pub(crate) struct ListEdit {
    pub(crate) kind: EditKind,
    /// `connections:` (every kind but `DeleteRecord`).
    pub(crate) connections: Option<Arg>,
    /// `edgeTypeName:` of a node edit; `typename:` of `@deleteRecord` (the type of an id that
    /// is not a key).
    pub(crate) typename: Option<String>,
}

/// The edit a field's directives ask for, if any; at most one per field.
pub(crate) fn list_edit(
    directives: Option<cst::Directives>,
) -> Result<Option<ListEdit>, DocumentError> {
    let mut found: Option<ListEdit> = None;
    for directive in directives.iter().flat_map(|d| d.directives()) {
        let directive_name = name(directive.name(), "a directive's name")?;
        let kind = match directive_name.as_str() {
            "appendEdge" => EditKind::AppendEdge,
            "prependEdge" => EditKind::PrependEdge,
            "appendNode" => EditKind::AppendNode,
            "prependNode" => EditKind::PrependNode,
            "deleteEdge" => EditKind::DeleteEdge,
            "deleteRecord" => EditKind::DeleteRecord,
            _ => continue,
        };
        if found.is_some() {
            return Err(DocumentError::DirectiveArgument {
                name: directive_name,
                message: "a field takes one list directive".into(),
            });
        }
        let mut connections = None;
        let mut typename = None;
        for argument in directive.arguments().iter().flat_map(|a| a.arguments()) {
            let argument_name = name(argument.name(), "an argument's name")?;
            let Some(value) = argument.value() else {
                continue;
            };
            match argument_name.as_str() {
                "connections" => connections = Some(arg(value, 0)?),
                "edgeTypeName" | "typename" => match arg(value, 0)? {
                    Arg::Const(serde_json::Value::String(text)) => typename = Some(text),
                    _ => {
                        return Err(DocumentError::DirectiveArgument {
                            name: directive_name,
                            message: format!("`{argument_name}` must be a string literal"),
                        });
                    }
                },
                _ => {}
            }
        }
        let needs = match kind {
            EditKind::DeleteRecord => None,
            _ if connections.is_none() => Some("a `connections` argument"),
            EditKind::AppendNode | EditKind::PrependNode if typename.is_none() => {
                Some("an `edgeTypeName` argument")
            }
            _ => None,
        };
        if let Some(needs) = needs {
            return Err(DocumentError::DirectiveArgument {
                name: directive_name,
                message: format!("needs {needs}"),
            });
        }
        found = Some(ListEdit {
            kind,
            connections,
            typename,
        });
    }
    Ok(found)
}
