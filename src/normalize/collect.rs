//! Field collection (GraphQL's `CollectFields`): the fields that a list of plans selects on one
//! object, through the fragments that apply to it, merged.
//!
//! Fields with one response key and one store name are one field: it is written once, and
//! every sub-selection they have applies to its value together. So a document that selects the
//! same field twice at every level (`a { ...F } a { ...F }`) walks the data once, not
//! 2^depth times, and a fragment spread twice is collected once. The result depends only on
//! the plans and the object's typename (unless a type condition meets an object without a
//! typename, decided by its data), so the walk memoises it per typename: a list of a thousand
//! items through four thousand fragments collects once. Nothing here reads the data otherwise.

// Without the `graphql` feature nothing builds a plan to collect (see `plan.rs`).
#![cfg_attr(not(feature = "graphql"), allow(dead_code))]

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use serde_json::{Map, Value as Json};
use smallvec::SmallVec;

use super::edits::Edit;
use super::plan::{Item, Plan, Shape};
use crate::field::FieldName;
use crate::patch::Hasher;
use crate::policy::Policies;

/// The plans that apply to one value, in the order they were met.
pub(super) type Sels<'d> = SmallVec<[Rc<Plan<'d>>; 1]>;

/// What a collected field holds.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// `__typename`; `implicit` when every selection of it is the one the cache adds.
    Typename {
        implicit: bool,
    },
    Leaf,
    /// A field with a selection set.
    Object,
}

/// One field of an object: every selection with its response key and store name, merged.
pub(super) struct Group<'d> {
    pub(super) response_key: &'d str,
    /// Where it is stored (its field policy's key arguments).
    pub(super) name: FieldName,
    /// Its name with every argument, when its field policy merges: it is written as the
    /// merge's op (on an entity or a root; as it comes on an embedded object).
    pub(super) merge: Option<FieldName>,
    pub(super) kind: Kind,
    /// The sub-selections, without repeats.
    pub(super) children: Sels<'d>,
    /// What a list directive on the field asks of its value (the first one met).
    pub(super) edit: Option<Rc<Edit>>,
}

/// The fields of an object, in store-name order.
pub(super) struct Collected<'d> {
    pub(super) groups: Vec<Group<'d>>,
    /// Store names strictly increasing: the written fields come out sorted with no repeats.
    pub(super) sorted: bool,
}

impl<'d> Collected<'d> {
    /// The response key of a field selected under another name (`uid: id`), to find identity
    /// in aliased data.
    pub(super) fn alias_of(&self, name: &str) -> Option<&'d str> {
        self.groups
            .iter()
            .find(|group| group.name.as_str() == name && group.response_key != name)
            .map(|group| group.response_key)
    }
}

/// Collects the fields of `sels` on an object of type `typename` with fields `data`, and
/// whether the result depended on `data` (and so must not be memoised). O(size of the plans
/// reached): each plan is visited once.
pub(super) fn collect<'d>(
    sels: &[Rc<Plan<'d>>],
    typename: Option<&str>,
    data: &Map<String, Json>,
    policies: &Policies,
) -> (Collected<'d>, bool) {
    let mut collector = Collector {
        policies,
        typename,
        data,
        groups: Vec::new(),
        index: HashMap::default(),
        visited: HashSet::default(),
        data_dependent: false,
    };
    for plan in sels {
        collector.plan(plan);
    }
    let mut groups = collector.groups;
    // Stable: of two fields with one store name, the earlier stays first.
    groups.sort_by(|a, b| a.name.cmp(&b.name));
    let sorted = groups.windows(2).all(|pair| pair[0].name < pair[1].name);
    (Collected { groups, sorted }, collector.data_dependent)
}

struct Collector<'a, 'd> {
    policies: &'a Policies,
    typename: Option<&'a str>,
    data: &'a Map<String, Json>,
    groups: Vec<Group<'d>>,
    /// (response key, store name) to its group.
    index: HashMap<(&'d str, FieldName), usize, Hasher>,
    visited: HashSet<*const Plan<'d>, Hasher>,
    data_dependent: bool,
}

impl<'d> Collector<'_, 'd> {
    /// Recursion is bounded by the document's depth, which parsing limits.
    fn plan(&mut self, plan: &Rc<Plan<'d>>) {
        if !self.visited.insert(Rc::as_ptr(plan)) {
            return;
        }
        for item in &plan.items {
            match item {
                Item::Field {
                    response_key,
                    name,
                    shape,
                    edit,
                } => self.field(response_key, name, shape, edit.as_ref()),
                Item::Fragment { condition, plan } => {
                    let applies = match (condition, self.typename) {
                        (None, _) => true,
                        (Some(condition), Some(typename)) => {
                            *condition == typename
                                || self.policies.type_matches(condition, typename)
                        }
                        (Some(_), None) => {
                            self.data_dependent = true;
                            plan.fits(self.data)
                        }
                    };
                    if applies {
                        self.plan(plan);
                    }
                }
            }
        }
    }

    fn field(
        &mut self,
        response_key: &'d str,
        name: &FieldName,
        shape: &Shape<'d>,
        edit: Option<&Rc<Edit>>,
    ) {
        // Where the field is stored on an object of this type (its field policy's key
        // arguments).
        let keyed = self.policies.keyed_name(self.typename, name.as_str());
        let merge = (self.policies.field_policies())
            .merges(self.typename, name.name())
            .then(|| name.clone());
        let name = keyed.as_ref().unwrap_or(name);
        let (kind, child) = match shape {
            Shape::Typename { implicit } => (
                Kind::Typename {
                    implicit: *implicit,
                },
                None,
            ),
            Shape::Leaf => (Kind::Leaf, None),
            Shape::Object(child) => (Kind::Object, Some(child)),
        };
        let at = *self
            .index
            .entry((response_key, name.clone()))
            .or_insert_with(|| {
                self.groups.push(Group {
                    response_key,
                    name: name.clone(),
                    merge,
                    kind,
                    children: SmallVec::new(),
                    edit: None,
                });
                self.groups.len() - 1
            });
        let group = &mut self.groups[at];
        if group.edit.is_none() {
            group.edit = edit.cloned();
        }
        group.kind = match (group.kind, kind) {
            (Kind::Typename { implicit: a }, Kind::Typename { implicit: b }) => {
                Kind::Typename { implicit: a && b }
            }
            (_, Kind::Object) | (Kind::Object, _) => Kind::Object,
            (current, _) => current,
        };
        if let Some(child) = child
            && !group.children.iter().any(|known| Rc::ptr_eq(known, child))
        {
            group.children.push(child.clone());
        }
    }
}
