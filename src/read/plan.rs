//! A document compiled for one read, and the fields it selects on an object of a given type.
//!
//! Compiling once per read resolves what the variables decide (`@skip` / `@include`, store field
//! names with arguments) before the walk, so the walk does no string building per object.
//! Collecting fields through fragments depends on the object's type, so it is memoised per
//! selection and type: a list of items read through a fragment collects once.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use smallvec::SmallVec;

use crate::document::{DocumentError, Selection, SelectionSet, Variables};
use crate::field::FieldName;
use crate::policy::{Policies, TYPENAME};

/// A document compiled for one read's variables: selection sets in an arena, each compiled once
/// however many times fragments share it (so a document whose fragments spread each other
/// twice at every level does not blow up).
#[derive(Default)]
pub(super) struct Plan<'d> {
    pub(super) sets: Vec<PlanSet<'d>>,
    /// A selection set's address (and whether it is the operation's root) to its compiled set.
    memo: HashMap<(usize, bool), usize>,
}

pub(super) struct PlanSet<'d> {
    /// Included selections, in document order.
    pub(super) items: Vec<Item<'d>>,
    /// No fragments and no repeated response key: the fields are the object's, as they are.
    pub(super) flat: bool,
}

pub(super) enum Item<'d> {
    Field(PlanField<'d>),
    Fragment {
        condition: Option<&'d str>,
        set: usize,
    },
}

pub(super) struct PlanField<'d> {
    pub(super) response_key: &'d str,
    pub(super) store_name: StoreName<'d>,
    /// The compiled sub-selection, if the field has one.
    pub(super) child: Option<usize>,
    /// `__typename` (read from the root's typename when not stored).
    pub(super) typename: bool,
    /// Read when stored, never required (the `__typename` the cache adds).
    pub(super) optional: bool,
}

pub(super) enum StoreName<'d> {
    Plain(&'d str),
    Args(FieldName),
}

impl StoreName<'_> {
    pub(super) fn as_str(&self) -> &str {
        match self {
            StoreName::Plain(name) => name,
            StoreName::Args(name) => name.as_str(),
        }
    }
}

/// The `__typename` of an object that a fragment's type condition is matched against: required,
/// so an entity without one reads as incomplete (it is missing), as in Apollo, whose documents
/// select it everywhere, rather than as an object the fragment silently does not apply to.
static REQUIRED_TYPENAME: PlanField<'static> = PlanField {
    response_key: TYPENAME,
    store_name: StoreName::Plain(TYPENAME),
    child: None,
    typename: true,
    optional: false,
};

impl PlanField<'static> {
    pub(super) fn implicit_typename() -> PlanField<'static> {
        PlanField {
            response_key: TYPENAME,
            store_name: StoreName::Plain(TYPENAME),
            child: None,
            typename: true,
            optional: true,
        }
    }
}

impl<'d> Plan<'d> {
    /// Compiles `set` (memoised). At the operation's root the `__typename` the cache adds is
    /// left out, as Apollo leaves it out of results.
    pub(super) fn compile(
        &mut self,
        set: &'d SelectionSet,
        variables: &Variables<'_>,
        root: bool,
    ) -> Result<usize, DocumentError> {
        let memo_key = (std::ptr::from_ref(set) as usize, root);
        if let Some(&id) = self.memo.get(&memo_key) {
            return Ok(id);
        }
        let mut items = Vec::with_capacity(set.items.len());
        for selection in &set.items {
            match selection {
                Selection::Field(field) => {
                    if !field.conditions.included(variables) || (root && field.implicit) {
                        continue;
                    }
                    let child = match field.selection.as_deref() {
                        Some(child) => Some(self.compile(child, variables, false)?),
                        None => None,
                    };
                    let store_name = if field.arguments.is_empty() {
                        StoreName::Plain(&field.name)
                    } else {
                        StoreName::Args(field.store_name(variables)?)
                    };
                    items.push(Item::Field(PlanField {
                        response_key: &field.response_key,
                        store_name,
                        child,
                        typename: field.is_typename(),
                        optional: field.implicit,
                    }));
                }
                Selection::Fragment {
                    type_condition,
                    selection,
                    conditions,
                } => {
                    if conditions.included(variables) {
                        let set = self.compile(selection, variables, false)?;
                        items.push(Item::Fragment {
                            condition: type_condition.as_deref(),
                            set,
                        });
                    }
                }
            }
        }
        let id = self.push(items);
        self.memo.insert(memo_key, id);
        Ok(id)
    }

    pub(super) fn push(&mut self, items: Vec<Item<'d>>) -> usize {
        let mut keys = HashSet::with_capacity(items.len());
        let flat = items.iter().all(|item| match item {
            Item::Field(field) => keys.insert(field.response_key),
            Item::Fragment { .. } => false,
        });
        self.sets.push(PlanSet { items, flat });
        self.sets.len() - 1
    }
}

/// Collected fields, memoised: every object of one type under one selection gets the same
/// fields, so a list of items read through fragments collects once, not once per item.
#[derive(Default)]
pub(super) struct Collected<'p> {
    entries: Vec<CollectedEntry<'p>>,
}

struct CollectedEntry<'p> {
    sel: SmallVec<[usize; 2]>,
    typename: Option<Box<str>>,
    groups: Rc<[Group<'p>]>,
}

/// Past this many (selection, typename) pairs, fields are collected afresh for each object
/// rather than searched for in an ever longer list.
const COLLECTED_LIMIT: usize = 64;

impl<'p> Collected<'p> {
    /// The fields of an object of type `typename` under the selection sets `sel`.
    pub(super) fn get(
        &mut self,
        plan: &'p Plan<'p>,
        policies: &'p Policies,
        sel: &[usize],
        typename: Option<&str>,
    ) -> Rc<[Group<'p>]> {
        if let Some(entry) = self
            .entries
            .iter()
            .find(|entry| entry.sel.as_slice() == sel && entry.typename.as_deref() == typename)
        {
            return entry.groups.clone();
        }
        let mut builder = Collector {
            plan,
            policies,
            typename,
            groups: Vec::new(),
            index: HashMap::new(),
            visited: SmallVec::new(),
            unmatched: false,
        };
        for &set in sel {
            builder.collect(set);
        }
        if builder.unmatched {
            builder.require_typename();
        }
        let groups: Rc<[Group<'p>]> = builder.groups.into();
        if self.entries.len() < COLLECTED_LIMIT {
            self.entries.push(CollectedEntry {
                sel: sel.iter().copied().collect(),
                typename: typename.map(Box::from),
                groups: groups.clone(),
            });
        }
        groups
    }
}

/// A field of a non-flat object: the fields with one response key, merged (GraphQL's field
/// collection). The first decides the stored field; their sub-selections all apply.
pub(super) struct Group<'p> {
    pub(super) field: &'p PlanField<'p>,
    pub(super) children: SmallVec<[usize; 2]>,
    /// Whether every field of the group may be absent.
    pub(super) optional: bool,
}

/// Collects the fields that apply to an object of one type, grouped by response key in
/// document order.
struct Collector<'p, 't> {
    plan: &'p Plan<'p>,
    policies: &'p Policies,
    typename: Option<&'t str>,
    groups: Vec<Group<'p>>,
    /// Response key to its group.
    index: HashMap<&'p str, usize>,
    /// Sets already collected: a set spread twice adds nothing the second time (and a document
    /// that spreads fragments twice at every level would otherwise cost 2^depth).
    visited: SmallVec<[usize; 8]>,
    /// Whether a fragment's type condition met an object without a typename.
    unmatched: bool,
}

impl<'p> Collector<'p, '_> {
    /// Makes the object's `__typename` a required field: selected (or added by the cache, and
    /// optional) already, or added.
    fn require_typename(&mut self) {
        match self.index.get(TYPENAME) {
            Some(&at) => self.groups[at].optional = false,
            None => {
                self.index.insert(TYPENAME, self.groups.len());
                self.groups.push(Group {
                    field: &REQUIRED_TYPENAME,
                    children: SmallVec::new(),
                    optional: false,
                });
            }
        }
    }

    fn collect(&mut self, set: usize) {
        if self.visited.contains(&set) {
            return;
        }
        self.visited.push(set);
        let Some(set) = self.plan.sets.get(set) else {
            return;
        };
        for item in &set.items {
            match item {
                Item::Field(field) => match self.index.get(field.response_key) {
                    Some(&at) => {
                        let group = &mut self.groups[at];
                        group.optional &= field.optional;
                        if let Some(child) = field.child
                            && !group.children.contains(&child)
                        {
                            group.children.push(child);
                        }
                    }
                    None => {
                        self.index.insert(field.response_key, self.groups.len());
                        self.groups.push(Group {
                            field,
                            children: field.child.into_iter().collect(),
                            optional: field.optional,
                        });
                    }
                },
                Item::Fragment { condition, set } => {
                    let applies = match (condition, self.typename) {
                        (None, _) => true,
                        (Some(condition), Some(typename)) => {
                            self.policies.type_matches(condition, typename)
                        }
                        (Some(_), None) => {
                            self.unmatched = true;
                            false
                        }
                    };
                    if applies {
                        self.collect(*set);
                    }
                }
            }
        }
    }
}
