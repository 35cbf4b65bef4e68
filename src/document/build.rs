//! Building the resolved tree from apollo-parser's syntax tree: fragments resolved (memoised,
//! cycles reported, depth checked through every spread), directives turned into conditions,
//! argument values converted with a depth limit.
//!
//! It stands apart from the tree it builds so that the types a reader or writer follows are not
//! mixed with the syntax they came from. The syntax tree of a document without errors still
//! answers `None` where a part is absent; every such place is a [`DocumentError::Parse`] here,
//! never an `unwrap`.

use std::collections::HashMap;
use std::sync::Arc;

use apollo_parser::SyntaxKind;
use apollo_parser::cst::{self, CstNode};

use super::edits::list_edit;
use super::strings::{block_string, string};
use super::{Arg, Condition, Conditions, DocumentError, Field, Fragment, Selection, SelectionSet};
use crate::policy::{DEFAULT_MAX_DEPTH, TYPENAME};

/// A part the syntax tree lacks although the parser reported no error.
pub(super) fn missing(what: &str) -> DocumentError {
    DocumentError::Parse {
        message: format!("{what} is missing"),
    }
}

pub(super) fn too_deep() -> DocumentError {
    DocumentError::TooDeep {
        limit: DEFAULT_MAX_DEPTH,
    }
}

/// The text of a name.
pub(super) fn name(name: Option<cst::Name>, what: &str) -> Result<String, DocumentError> {
    Ok(name
        .ok_or_else(|| missing(what))?
        .text()
        .as_str()
        .to_owned())
}

/// Resolves fragments (memoised, with cycle detection) and converts selection sets.
pub(super) struct Builder {
    pub(super) raw: HashMap<String, cst::FragmentDefinition>,
    pub(super) resolved: HashMap<String, Fragment>,
    /// Fragments being resolved, outermost first, to report cycles.
    pub(super) visiting: Vec<String>,
}

/// A built selection set and its height: how many levels of sets it nests, itself included.
type Built = (Arc<SelectionSet>, usize);

impl Builder {
    /// The fragment `name`, spread from a set at `depth`. A memoised fragment is not walked
    /// again, but its height is checked against the depth it is spread at, so a document's
    /// total nesting stays within the limit whatever order its fragments come in.
    pub(super) fn fragment(
        &mut self,
        name: &str,
        depth: usize,
    ) -> Result<(String, Built), DocumentError> {
        if let Some(done) = self.resolved.get(name) {
            if depth + done.height > DEFAULT_MAX_DEPTH {
                return Err(too_deep());
            }
            return Ok((
                done.type_condition.clone(),
                (done.selection.clone(), done.height),
            ));
        }
        if self.visiting.iter().any(|visiting| visiting == name) {
            return Err(DocumentError::FragmentCycle {
                name: name.to_owned(),
            });
        }
        let raw = self
            .raw
            .get(name)
            .cloned()
            .ok_or_else(|| DocumentError::UnknownFragment {
                name: name.to_owned(),
            })?;
        let type_condition = type_condition(raw.type_condition())?
            .ok_or_else(|| missing("a fragment's type condition"))?;
        let set = raw
            .selection_set()
            .ok_or_else(|| missing("a fragment's selection set"))?;
        self.visiting.push(name.to_owned());
        let built = self.selection_set(&set, depth + 1);
        self.visiting.pop();
        let (selection, height) = built?;
        self.resolved.insert(
            name.to_owned(),
            Fragment {
                type_condition: type_condition.clone(),
                selection: selection.clone(),
                height,
            },
        );
        Ok((type_condition, (selection, height)))
    }

    /// Converts a selection set at `depth` (the operation's is at 0).
    pub(super) fn selection_set(
        &mut self,
        set: &cst::SelectionSet,
        depth: usize,
    ) -> Result<Built, DocumentError> {
        if depth > DEFAULT_MAX_DEPTH {
            return Err(too_deep());
        }
        let mut items = Vec::new();
        let mut has_typename = false;
        let mut below = 0;
        for selection in set.selections() {
            match selection {
                cst::Selection::Field(field) => {
                    let field_name = name(field.name(), "a field's name")?;
                    let alias = match field.alias() {
                        Some(alias) => Some(name(alias.name(), "an alias")?),
                        None => None,
                    };
                    let mut arguments = Vec::new();
                    for argument in field.arguments().iter().flat_map(|a| a.arguments()) {
                        let value = argument
                            .value()
                            .ok_or_else(|| missing("an argument's value"))?;
                        arguments
                            .push((name(argument.name(), "an argument's name")?, arg(value, 0)?));
                    }
                    let selection = match field.selection_set() {
                        Some(children) if children.selections().next().is_some() => {
                            let (set, height) = self.selection_set(&children, depth + 1)?;
                            below = below.max(height);
                            Some(set)
                        }
                        _ => None,
                    };
                    has_typename |= field_name == TYPENAME && alias.is_none();
                    items.push(Selection::Field(Field {
                        response_key: alias.unwrap_or_else(|| field_name.clone()),
                        name: field_name,
                        arguments,
                        selection,
                        conditions: conditions(field.directives())?,
                        edit: list_edit(field.directives())?,
                        implicit: false,
                    }));
                }
                cst::Selection::InlineFragment(fragment) => {
                    let children = fragment
                        .selection_set()
                        .ok_or_else(|| missing("an inline fragment's selection set"))?;
                    let (selection, height) = self.selection_set(&children, depth + 1)?;
                    below = below.max(height);
                    items.push(Selection::Fragment {
                        type_condition: type_condition(fragment.type_condition())?,
                        selection,
                        conditions: conditions(fragment.directives())?,
                    });
                }
                cst::Selection::FragmentSpread(spread) => {
                    let fragment_name = name(
                        spread.fragment_name().and_then(|name| name.name()),
                        "a fragment spread's name",
                    )?;
                    let (type_condition, (selection, height)) =
                        self.fragment(&fragment_name, depth)?;
                    below = below.max(height);
                    items.push(Selection::Fragment {
                        type_condition: Some(type_condition),
                        selection,
                        conditions: conditions(spread.directives())?,
                    });
                }
            }
        }
        if !has_typename {
            items.push(Selection::Field(Field {
                response_key: TYPENAME.to_owned(),
                name: TYPENAME.to_owned(),
                arguments: Vec::new(),
                selection: None,
                conditions: Conditions::default(),
                edit: None,
                implicit: true,
            }));
        }
        Ok((Arc::new(SelectionSet { items }), below + 1))
    }
}

fn type_condition(condition: Option<cst::TypeCondition>) -> Result<Option<String>, DocumentError> {
    match condition {
        None => Ok(None),
        Some(condition) => Ok(Some(name(
            condition.named_type().and_then(|named| named.name()),
            "a type condition's name",
        )?)),
    }
}

fn conditions(directives: Option<cst::Directives>) -> Result<Conditions, DocumentError> {
    let mut out = Vec::new();
    for directive in directives.iter().flat_map(|d| d.directives()) {
        let directive_name = name(directive.name(), "a directive's name")?;
        let include = match directive_name.as_str() {
            "include" => true,
            "skip" => false,
            _ => continue,
        };
        let value = directive
            .arguments()
            .iter()
            .flat_map(|arguments| arguments.arguments())
            .find(|argument| argument.name().is_some_and(|name| name.text() == "if"))
            .and_then(|argument| argument.value());
        let Some(value) = value else {
            return Err(DocumentError::BadDirective {
                name: directive_name,
            });
        };
        out.push(Condition {
            include,
            value: arg(value, 0)?,
        });
    }
    Ok(Conditions(out))
}

/// An argument value; `depth` counts the lists and objects around it.
pub(super) fn arg(value: cst::Value, depth: usize) -> Result<Arg, DocumentError> {
    if depth > DEFAULT_MAX_DEPTH {
        return Err(too_deep());
    }
    Ok(match value {
        cst::Value::Variable(variable) => {
            Arg::Variable(name(variable.name(), "a variable's name")?)
        }
        cst::Value::ListValue(list) => Arg::List(
            list.values()
                .map(|item| arg(item, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        cst::Value::ObjectValue(object) => Arg::Object(
            object
                .object_fields()
                .map(|field| {
                    let value = field
                        .value()
                        .ok_or_else(|| missing("an object field's value"))?;
                    Ok((
                        name(field.name(), "an object field's name")?,
                        arg(value, depth + 1)?,
                    ))
                })
                .collect::<Result<_, DocumentError>>()?,
        ),
        scalar => Arg::Const(scalar_json(scalar)?),
    })
}

/// A constant value (a variable's default); variables are not allowed in it.
pub(super) fn const_json(
    value: cst::Value,
    depth: usize,
) -> Result<serde_json::Value, DocumentError> {
    if depth > DEFAULT_MAX_DEPTH {
        return Err(too_deep());
    }
    Ok(match value {
        cst::Value::Variable(_) => {
            return Err(DocumentError::Parse {
                message: "a default value cannot use a variable".to_owned(),
            });
        }
        cst::Value::ListValue(list) => serde_json::Value::Array(
            list.values()
                .map(|item| const_json(item, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        cst::Value::ObjectValue(object) => serde_json::Value::Object(
            object
                .object_fields()
                .map(|field| {
                    let value = field
                        .value()
                        .ok_or_else(|| missing("an object field's value"))?;
                    Ok((
                        name(field.name(), "an object field's name")?,
                        const_json(value, depth + 1)?,
                    ))
                })
                .collect::<Result<_, DocumentError>>()?,
        ),
        scalar => scalar_json(scalar)?,
    })
}

/// A scalar literal as JSON. Integers become what `serde_json` makes of the same digits (an
/// `i64`, else a `u64`, else a float), so a literal and a variable with that value agree.
fn scalar_json(value: cst::Value) -> Result<serde_json::Value, DocumentError> {
    let token_text = |node: &cst::SyntaxNode| {
        node.children_with_tokens()
            .filter_map(|element| element.into_token())
            .find(|token| {
                !matches!(
                    token.kind(),
                    SyntaxKind::WHITESPACE | SyntaxKind::COMMENT | SyntaxKind::COMMA
                )
            })
            .map(|token| token.text().to_owned())
            .ok_or_else(|| missing("a literal's text"))
    };
    Ok(match value {
        cst::Value::IntValue(int) => {
            let text = token_text(int.syntax())?;
            if let Ok(n) = text.parse::<i64>() {
                n.into()
            } else if let Ok(n) = text.parse::<u64>() {
                n.into()
            } else {
                float(&text)?
            }
        }
        cst::Value::FloatValue(value) => float(&token_text(value.syntax())?)?,
        cst::Value::StringValue(value) => {
            let text = token_text(value.syntax())?;
            let unescaped = match text
                .strip_prefix("\"\"\"")
                .and_then(|t| t.strip_suffix("\"\"\""))
            {
                Some(raw) => Some(block_string(raw)),
                None => text
                    .strip_prefix('"')
                    .and_then(|t| t.strip_suffix('"'))
                    .and_then(string),
            };
            serde_json::Value::String(unescaped.ok_or_else(|| DocumentError::Parse {
                message: format!("invalid string literal {text}"),
            })?)
        }
        cst::Value::BooleanValue(value) => serde_json::Value::Bool(value.true_token().is_some()),
        cst::Value::NullValue(_) => serde_json::Value::Null,
        cst::Value::EnumValue(value) => {
            serde_json::Value::String(name(value.name(), "an enum value's name")?)
        }
        cst::Value::Variable(_) | cst::Value::ListValue(_) | cst::Value::ObjectValue(_) => {
            return Err(missing("a scalar"));
        }
    })
}

fn float(text: &str) -> Result<serde_json::Value, DocumentError> {
    text.parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map(serde_json::Value::Number)
        .ok_or_else(|| DocumentError::Parse {
            message: format!("number out of range: {text}"),
        })
}
