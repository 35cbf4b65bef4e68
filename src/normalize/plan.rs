//! The document, resolved for one call: a selection set with its variables applied.
//!
//! Compiling before the walk means `@skip` / `@include` are decided and store field names (with
//! their arguments) built once per call, not once per object. It stands apart from the walk so
//! that the walk sees only a plan, never the document or the variables.

use std::collections::HashMap;
use std::rc::Rc;

use serde_json::{Map, Value as Json};

use crate::document::{Selection, SelectionSet, Variables};
use crate::field::FieldName;
use crate::patch::Hasher;
use crate::policy::TYPENAME;

#[cfg(doc)]
use super::fields::freeze;

/// A selection set with its variables applied: excluded selections dropped, store names
/// computed once per call (not once per object), and nested sets shared as they are in the
/// document, so a plan is as small as the document however many objects the data has.
pub(super) struct Plan<'d> {
    pub(super) items: Vec<Item<'d>>,
    /// The response key of an aliased `__typename` (`kind: __typename`), where the typename
    /// is found when the data has no `__typename` of its own.
    pub(super) typename_alias: Option<&'d str>,
    /// Fields only, with distinct store names, in name order: an object's fields come out
    /// sorted and need no [`freeze`].
    pub(super) sorted: bool,
}

pub(super) enum Item<'d> {
    Field {
        response_key: &'d str,
        name: FieldName,
        shape: Shape<'d>,
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

pub(super) struct Compiler<'d> {
    variables: &'d Variables,
    /// Sets already compiled, by address: a fragment spread in many places compiles once.
    done: HashMap<*const SelectionSet, Rc<Plan<'d>>, Hasher>,
}

impl<'d> Compiler<'d> {
    pub(super) fn new(variables: &'d Variables) -> Compiler<'d> {
        Compiler {
            variables,
            done: HashMap::default(),
        }
    }

    /// Recursion is bounded by the document's depth, which parsing limits.
    pub(super) fn compile(&mut self, set: &'d SelectionSet) -> Rc<Plan<'d>> {
        if let Some(plan) = self.done.get(&(set as *const SelectionSet)) {
            return plan.clone();
        }
        let mut items = Vec::with_capacity(set.items.len());
        let mut typename_alias = None;
        for selection in &set.items {
            match selection {
                Selection::Field(field) => {
                    if !field.conditions.included(self.variables) {
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
                            Some(set) => Shape::Object(self.compile(set)),
                            None => Shape::Leaf,
                        }
                    };
                    items.push(Item::Field {
                        response_key: &field.response_key,
                        name: field.store_name(self.variables),
                        shape,
                    });
                }
                Selection::Fragment {
                    type_condition,
                    selection,
                    conditions,
                } => {
                    if conditions.included(self.variables) {
                        items.push(Item::Fragment {
                            condition: type_condition.as_deref(),
                            plan: self.compile(selection),
                        });
                    }
                }
            }
        }
        // Fields in store-name order (fragments after them) make an object's fields come out
        // sorted, as entities keep them. The sort is stable, so of two fields with one name the
        // later still wins; which of several missing fields is reported first is all it changes.
        items.sort_by(|a, b| match (a, b) {
            (Item::Field { name: a, .. }, Item::Field { name: b, .. }) => a.cmp(b),
            (Item::Field { .. }, Item::Fragment { .. }) => std::cmp::Ordering::Less,
            (Item::Fragment { .. }, Item::Field { .. }) => std::cmp::Ordering::Greater,
            (Item::Fragment { .. }, Item::Fragment { .. }) => std::cmp::Ordering::Equal,
        });
        let sorted = items.windows(2).all(|pair| match pair {
            [Item::Field { name: a, .. }, Item::Field { name: b, .. }] => a < b,
            _ => false,
        }) && items.iter().all(|item| matches!(item, Item::Field { .. }));
        let plan = Rc::new(Plan {
            items,
            typename_alias,
            sorted,
        });
        self.done.insert(set, plan.clone());
        plan
    }
}

impl<'d> Plan<'d> {
    /// The response key under which this plan selects the plain field `name` with an alias
    /// (`uid: id`), so identity can be found in aliased data. Rarely needed: only when the
    /// data has no field `name`.
    pub(super) fn alias_of(&self, name: &str, seen: &mut Vec<*const Plan<'d>>) -> Option<&'d str> {
        if seen.contains(&(self as *const Plan<'d>)) {
            return None;
        }
        seen.push(self);
        self.items.iter().find_map(|item| match item {
            Item::Field {
                response_key,
                name: store,
                ..
            } => (store.as_str() == name && *response_key != name).then_some(*response_key),
            Item::Fragment { plan, .. } => plan.alias_of(name, seen),
        })
    }

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
