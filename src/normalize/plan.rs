//! The document, resolved for one call: a selection set with its variables applied.
//!
//! Compiling before the walk means `@skip` / `@include` are decided and store field names (with
//! their arguments) built once per call, not once per object. It stands apart from the walk so
//! that the walk sees only a plan, never the document or the variables.

//!
//! Without the `graphql` feature there are no documents, so nothing builds a plan: the walk's
//! selection path stays compiled (one walk for both kinds of payload) but is never taken.
#![cfg_attr(not(feature = "graphql"), allow(dead_code))]

#[cfg(feature = "graphql")]
use std::collections::HashMap;
use std::rc::Rc;

use serde_json::{Map, Value as Json};

use super::edits::Edit;
#[cfg(feature = "graphql")]
use crate::document::{DocumentError, Selection, SelectionSet, Variables};
use crate::field::FieldName;
#[cfg(feature = "graphql")]
use crate::patch::Hasher;
#[cfg(feature = "graphql")]
use crate::policy::TYPENAME;

/// A selection set with its variables applied: excluded selections dropped, store names
/// computed once per call (not once per object), and nested sets shared as they are in the
/// document, so a plan is as small as the document however many objects the data has.
pub(super) struct Plan<'d> {
    /// In document order.
    pub(super) items: Vec<Item<'d>>,
    /// The response key of an aliased `__typename` (`kind: __typename`), where the typename
    /// is found when the data has no `__typename` of its own.
    pub(super) typename_alias: Option<&'d str>,
}

pub(super) enum Item<'d> {
    Field {
        response_key: &'d str,
        name: FieldName,
        shape: Shape<'d>,
        /// What a list directive on the field asks of its value.
        edit: Option<Rc<Edit>>,
    },
    Fragment {
        condition: Option<&'d str>,
        plan: Rc<Plan<'d>>,
    },
}

pub(super) enum Shape<'d> {
    /// `__typename`; `implicit` when the cache added it rather than the document.
    Typename {
        implicit: bool,
    },
    Leaf,
    Object(Rc<Plan<'d>>),
}

#[cfg(feature = "graphql")]
pub(super) struct Compiler<'d> {
    variables: Variables<'d>,
    /// Sets already compiled, by address: a fragment spread in many places compiles once.
    done: HashMap<*const SelectionSet, Rc<Plan<'d>>, Hasher>,
}

#[cfg(feature = "graphql")]
impl<'d> Compiler<'d> {
    pub(super) fn new(variables: Variables<'d>) -> Compiler<'d> {
        Compiler {
            variables,
            done: HashMap::default(),
        }
    }

    /// Recursion is bounded by the document's depth, which parsing limits. O(document): each
    /// set compiles once. Fails only on a variable too deep to be an argument.
    pub(super) fn compile(&mut self, set: &'d SelectionSet) -> Result<Rc<Plan<'d>>, DocumentError> {
        if let Some(plan) = self.done.get(&(set as *const SelectionSet)) {
            return Ok(plan.clone());
        }
        let mut items = Vec::with_capacity(set.items.len());
        let mut typename_alias = None;
        for selection in &set.items {
            match selection {
                Selection::Field(field) => {
                    if !field.conditions.included(&self.variables) {
                        continue;
                    }
                    let shape = if field.is_typename() {
                        if field.response_key != TYPENAME {
                            typename_alias.get_or_insert(field.response_key.as_str());
                        }
                        Shape::Typename {
                            implicit: field.implicit,
                        }
                    } else {
                        match &field.selection {
                            Some(set) => Shape::Object(self.compile(set)?),
                            None => Shape::Leaf,
                        }
                    };
                    let edit = match &field.edit {
                        Some(edit) => Some(Rc::new(Edit::resolve(edit, &self.variables)?)),
                        None => None,
                    };
                    items.push(Item::Field {
                        response_key: &field.response_key,
                        name: field.store_name(&self.variables)?,
                        shape,
                        edit,
                    });
                }
                Selection::Fragment {
                    type_condition,
                    selection,
                    conditions,
                } => {
                    if conditions.included(&self.variables) {
                        items.push(Item::Fragment {
                            condition: type_condition.as_deref(),
                            plan: self.compile(selection)?,
                        });
                    }
                }
            }
        }
        let plan = Rc::new(Plan {
            items,
            typename_alias,
        });
        self.done.insert(set, plan.clone());
        Ok(plan)
    }
}

impl<'d> Plan<'d> {
    /// The rule for a fragment with a type condition on an object without a typename: it
    /// applies when the data has every field the fragment selects directly.
    pub(super) fn fits(&self, data: &Map<String, Json>) -> bool {
        self.items.iter().all(|item| match item {
            Item::Field {
                shape: Shape::Typename { implicit: true },
                ..
            }
            | Item::Fragment { .. } => true,
            Item::Field { response_key, .. } => data.contains_key(*response_key),
        })
    }
}
