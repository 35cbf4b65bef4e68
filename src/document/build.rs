//! Building the resolved tree from cynic-parser's AST: fragments resolved (memoised, cycles
//! reported), directives turned into conditions, argument values converted with a depth limit.
//!
//! It stands apart from the tree it builds so that the types a reader or writer follows are not
//! mixed with the AST they came from.

use std::collections::HashMap;
use std::sync::Arc;

use cynic_parser::executable::{Iter, Selection as AstSelection};
use cynic_parser::values::{ConstValue, Value as AstValue};

use super::{Arg, Condition, Conditions, DocumentError, Field, Fragment, Selection, SelectionSet};
use crate::policy::{DEFAULT_MAX_DEPTH, TYPENAME};

/// Resolves fragments (memoised, with cycle detection) and converts selection sets.
pub(super) struct Builder<'a> {
    pub(super) raw: &'a HashMap<String, cynic_parser::executable::FragmentDefinition<'a>>,
    pub(super) resolved: HashMap<String, Fragment>,
    /// Fragments being resolved, outermost first, to report cycles.
    pub(super) visiting: Vec<String>,
}

impl Builder<'_> {
    pub(super) fn fragment(
        &mut self,
        name: &str,
        depth: usize,
    ) -> Result<(String, Arc<SelectionSet>), DocumentError> {
        if let Some(done) = self.resolved.get(name) {
            return Ok((done.type_condition.clone(), done.selection.clone()));
        }
        if self.visiting.iter().any(|visiting| visiting == name) {
            return Err(DocumentError::FragmentCycle {
                name: name.to_owned(),
            });
        }
        let raw = *self
            .raw
            .get(name)
            .ok_or_else(|| DocumentError::UnknownFragment {
                name: name.to_owned(),
            })?;
        self.visiting.push(name.to_owned());
        let selection = self.selection_set(raw.selection_set(), depth + 1);
        self.visiting.pop();
        let selection = selection?;
        let type_condition = raw.type_condition().to_owned();
        self.resolved.insert(
            name.to_owned(),
            Fragment {
                type_condition: type_condition.clone(),
                selection: selection.clone(),
            },
        );
        Ok((type_condition, selection))
    }

    pub(super) fn selection_set<'s>(
        &mut self,
        selections: Iter<'s, AstSelection<'s>>,
        depth: usize,
    ) -> Result<Arc<SelectionSet>, DocumentError> {
        if depth > DEFAULT_MAX_DEPTH {
            return Err(DocumentError::TooDeep {
                limit: DEFAULT_MAX_DEPTH,
            });
        }
        let mut items = Vec::new();
        let mut has_typename = false;
        for selection in selections {
            match selection {
                AstSelection::Field(field) => {
                    let mut arguments = Vec::new();
                    for argument in field.arguments() {
                        arguments.push((argument.name().to_owned(), arg(argument.value(), depth)?));
                    }
                    let children = field.selection_set();
                    let selection = if children.len() == 0 {
                        None
                    } else {
                        Some(self.selection_set(children, depth + 1)?)
                    };
                    has_typename |= field.name() == TYPENAME && field.alias().is_none();
                    items.push(Selection::Field(Field {
                        response_key: field.alias().unwrap_or(field.name()).to_owned(),
                        name: field.name().to_owned(),
                        arguments,
                        selection,
                        conditions: conditions(field.directives(), depth)?,
                        implicit: false,
                    }));
                }
                AstSelection::InlineFragment(fragment) => {
                    items.push(Selection::Fragment {
                        type_condition: fragment.type_condition().map(str::to_owned),
                        selection: self.selection_set(fragment.selection_set(), depth + 1)?,
                        conditions: conditions(fragment.directives(), depth)?,
                    });
                }
                AstSelection::FragmentSpread(spread) => {
                    let (type_condition, selection) =
                        self.fragment(spread.fragment_name(), depth)?;
                    items.push(Selection::Fragment {
                        type_condition: Some(type_condition),
                        selection,
                        conditions: conditions(spread.directives(), depth)?,
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
                implicit: true,
            }));
        }
        Ok(Arc::new(SelectionSet { items }))
    }
}

fn conditions<'s>(
    directives: Iter<'s, cynic_parser::executable::Directive<'s>>,
    depth: usize,
) -> Result<Conditions, DocumentError> {
    let mut out = Vec::new();
    for directive in directives {
        let include = match directive.name() {
            "include" => true,
            "skip" => false,
            _ => continue,
        };
        let Some(argument) = directive
            .arguments()
            .find(|argument| argument.name() == "if")
        else {
            return Err(DocumentError::BadDirective {
                name: directive.name().to_owned(),
            });
        };
        out.push(Condition {
            include,
            value: arg(argument.value(), depth)?,
        });
    }
    Ok(Conditions(out))
}

fn arg(value: AstValue<'_>, depth: usize) -> Result<Arg, DocumentError> {
    if depth > DEFAULT_MAX_DEPTH {
        return Err(DocumentError::TooDeep {
            limit: DEFAULT_MAX_DEPTH,
        });
    }
    Ok(match value {
        AstValue::Variable(variable) => Arg::Variable(variable.name().to_owned()),
        AstValue::Int(int) => Arg::Const(int.as_i64().into()),
        AstValue::Float(float) => Arg::Const(float_json(float.as_f64())),
        AstValue::String(string) => Arg::Const(string.as_str().into()),
        AstValue::Boolean(boolean) => Arg::Const(boolean.as_bool().into()),
        AstValue::Null(_) => Arg::Const(serde_json::Value::Null),
        AstValue::Enum(value) => Arg::Const(value.name().into()),
        AstValue::List(list) => Arg::List(
            list.items()
                .map(|item| arg(item, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        AstValue::Object(object) => Arg::Object(
            object
                .fields()
                .map(|field| Ok((field.name().to_owned(), arg(field.value(), depth + 1)?)))
                .collect::<Result<_, DocumentError>>()?,
        ),
    })
}

pub(super) fn const_to_json(
    value: ConstValue<'_>,
    depth: usize,
) -> Result<serde_json::Value, DocumentError> {
    if depth > DEFAULT_MAX_DEPTH {
        return Err(DocumentError::TooDeep {
            limit: DEFAULT_MAX_DEPTH,
        });
    }
    Ok(match value {
        ConstValue::Int(int) => int.as_i64().into(),
        ConstValue::Float(float) => float_json(float.as_f64()),
        ConstValue::String(string) => string.as_str().into(),
        ConstValue::Boolean(boolean) => boolean.as_bool().into(),
        ConstValue::Null(_) => serde_json::Value::Null,
        ConstValue::Enum(value) => value.name().into(),
        ConstValue::List(list) => serde_json::Value::Array(
            list.items()
                .map(|item| const_to_json(item, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        ConstValue::Object(object) => serde_json::Value::Object(
            object
                .fields()
                .map(|field| {
                    Ok((
                        field.name().to_owned(),
                        const_to_json(field.value(), depth + 1)?,
                    ))
                })
                .collect::<Result<_, DocumentError>>()?,
        ),
    })
}

fn float_json(value: f64) -> serde_json::Value {
    serde_json::Number::from_f64(value).map_or(serde_json::Value::Null, serde_json::Value::Number)
}
