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

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::rc::Rc;

use serde_json::{Map, Number, Value as Json};
use smallvec::SmallVec;

use crate::document::{Document, DocumentError, Selection, SelectionSet, Variables};
use crate::key::{Key, KeyError, ROOT_MUTATION, ROOT_QUERY, ROOT_SUBSCRIPTION};
use crate::op::Op;
use crate::patch::{Hasher, KeyOps, OpsByKey, Patch};
use crate::policy::{KeyFields, Policies, TYPENAME};
use crate::value::{Entity, FieldName, List, Value};

/// Normalizes a payload without a document: every field of every object is written under its
/// plain name, and the payload's top-level fields go to `root`.
///
/// An object with a string `__typename` and an identity (see [`KeyFields`]; by default its `id`,
/// else its `_id`) becomes the entity `Type:id` and is replaced by a reference; an object without
/// one stays embedded; a list keeps its shape, with references in place of entities. An entity
/// reached twice is merged. The root entity gets `__typename` from its key (`Query` for
/// `ROOT_QUERY`, `Todo` for `Todo:1`) unless the payload has its own.
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
pub fn normalize(policies: &Policies, root: &Key, payload: &Json) -> Result<Patch, NormalizeError> {
    let data = root_object(payload)?;
    let mut writer = Writer::new(policies);
    writer.root(root, data, None).map_err(|error| *error)?;
    Ok(writer.finish())
}

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
pub fn normalize_query(
    policies: &Policies,
    doc: &Document,
    variables: &Json,
    data: &Json,
) -> Result<Patch, NormalizeError> {
    let operation = doc.operation()?;
    let variables = doc.variables(variables)?;
    let data = root_object(data)?;
    let plan = Compiler::new(&variables).compile(&operation.selection);
    let mut writer = Writer::new(policies);
    writer
        .root(&operation.kind.root_key(), data, Some(&plan))
        .map_err(|error| *error)?;
    Ok(writer.finish())
}

/// Normalizes `data` as the entity `id` through one fragment of `doc`: the one named
/// `fragment`, or the document's only fragment when `None`.
///
/// The fragment's own type condition is not checked (writing it is the caller's assertion);
/// fragments nested in it follow the rules of [`normalize_query`]. A `__typename` in `data` must
/// agree with the typename of `id`; when `data` has none, the entity gets the one of `id`.
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
pub fn normalize_fragment(
    policies: &Policies,
    doc: &Document,
    fragment: Option<&str>,
    id: &Key,
    variables: &Json,
    data: &Json,
) -> Result<Patch, NormalizeError> {
    let fragment = doc.fragment(fragment)?;
    let variables = doc.variables(variables)?;
    let data = root_object(data)?;
    let plan = Compiler::new(&variables).compile(&fragment.selection);
    let mut writer = Writer::new(policies);
    writer.root(id, data, Some(&plan)).map_err(|error| *error)?;
    Ok(writer.finish())
}

fn root_object(payload: &Json) -> Result<&Map<String, Json>, NormalizeError> {
    match payload {
        Json::Object(map) => Ok(map),
        other => Err(NormalizeError::NotAnObject { found: kind(other) }),
    }
}

// ----- the document, resolved for one call -----

/// A selection set with its variables applied: excluded selections dropped, store names
/// computed once per call (not once per object), and nested sets shared as they are in the
/// document, so a plan is as small as the document however many objects the data has.
struct Plan<'d> {
    items: Vec<Item<'d>>,
    /// The response key of an aliased `__typename` (`kind: __typename`), where the typename
    /// is found when the data has no `__typename` of its own.
    typename_alias: Option<&'d str>,
    /// Fields only, with distinct store names, in name order: an object's fields come out
    /// sorted and need no [`freeze`].
    sorted: bool,
}

enum Item<'d> {
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

enum Shape<'d> {
    /// `__typename`; `implicit` when the cache added it rather than the document.
    Typename {
        implicit: bool,
    },
    Leaf,
    Object(Rc<Plan<'d>>),
}

struct Compiler<'d> {
    variables: &'d Variables,
    /// Sets already compiled, by address: a fragment spread in many places compiles once.
    done: HashMap<*const SelectionSet, Rc<Plan<'d>>, Hasher>,
}

impl<'d> Compiler<'d> {
    fn new(variables: &'d Variables) -> Compiler<'d> {
        Compiler {
            variables,
            done: HashMap::default(),
        }
    }

    /// Recursion is bounded by the document's depth, which parsing limits.
    fn compile(&mut self, set: &'d SelectionSet) -> Rc<Plan<'d>> {
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
    fn alias_of(&self, name: &str, seen: &mut Vec<*const Plan<'d>>) -> Option<&'d str> {
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
    fn fits(&self, data: &Map<String, Json>) -> bool {
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

// ----- the walk -----

/// Where the walk is, as a chain of stack frames: free to extend, rendered only for an error.
#[derive(Clone, Copy)]
struct Path<'s> {
    parent: Option<&'s Path<'s>>,
    step: Step<'s>,
}

#[derive(Clone, Copy)]
enum Step<'s> {
    Root,
    Field(&'s str),
    Index(usize),
}

impl<'s> Path<'s> {
    const ROOT: Path<'static> = Path {
        parent: None,
        step: Step::Root,
    };

    fn field(&'s self, name: &'s str) -> Path<'s> {
        Path {
            parent: Some(self),
            step: Step::Field(name),
        }
    }

    fn index(&'s self, index: usize) -> Path<'s> {
        Path {
            parent: Some(self),
            step: Step::Index(index),
        }
    }

    /// `items.3.owner`; the root is the empty string.
    fn render(&self) -> String {
        let mut steps = Vec::new();
        let mut at = Some(self);
        while let Some(path) = at {
            steps.push(path.step);
            at = path.parent;
        }
        let mut out = String::new();
        for step in steps.iter().rev() {
            let text = match step {
                Step::Root => continue,
                Step::Field(name) => (*name).to_owned(),
                Step::Index(index) => index.to_string(),
            };
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&text);
        }
        out
    }
}

/// What the walk expects of a value.
#[derive(Clone, Copy)]
enum Expect<'x, 'd> {
    /// Schemaless: objects are normalized.
    Any,
    /// A leaf of the document: an object here is a custom scalar, stored as it is.
    Scalar,
    /// A field with a selection set: objects (or lists of them) only.
    Select(&'x Plan<'d>),
}

/// Per-typename facts, looked up once per typename and call.
struct TypeInfo<'p> {
    name: Value,
    key_fields: &'p KeyFields,
}

struct Writer<'p> {
    policies: &'p Policies,
    limit: usize,
    /// One write op per entity, merged when an entity is reached again.
    entities: OpsByKey,
    /// Schemaless field names, shared by every object that has the field.
    names: HashMap<&'p str, FieldName, Hasher>,
    types: HashMap<&'p str, TypeInfo<'p>, Hasher>,
    /// `type_matches(condition, typename)`, memoised: it walks the subtype graph.
    matches: HashMap<(&'p str, &'p str), bool, Hasher>,
    typename_field: FieldName,
    /// Scratch space for key text.
    key_text: String,
}

type Fields = Vec<(FieldName, Value)>;

/// The fields an object's key was made of, by name, with their values in the data.
type KeyObject<'p> = SmallVec<[(&'p str, &'p Json); 2]>;

impl<'p> Writer<'p> {
    fn new(policies: &'p Policies) -> Writer<'p> {
        Writer {
            policies,
            limit: policies.depth_limit(),
            entities: OpsByKey::default(),
            names: HashMap::default(),
            types: HashMap::default(),
            matches: HashMap::default(),
            typename_field: FieldName::new(TYPENAME),
            key_text: String::new(),
        }
    }

    fn finish(self) -> Patch {
        Patch::from_ops(self.entities)
    }

    fn too_deep(&self, path: &Path<'_>) -> Fail {
        too_deep(path, self.limit)
    }

    fn type_info(&mut self, typename: &'p str) -> &TypeInfo<'p> {
        let policies = self.policies;
        self.types.entry(typename).or_insert_with(|| TypeInfo {
            name: Value::from(typename),
            key_fields: policies.key_fields_of(typename),
        })
    }

    /// Writes the top-level object as the entity `key`. A root key's typename (`Query`, ...)
    /// yields to the data's, as Apollo lets a schema name its root types; an entity key's
    /// typename must agree with the data's.
    fn root<'d: 'p>(
        &mut self,
        key: &Key,
        data: &'p Map<String, Json>,
        plan: Option<&Plan<'d>>,
    ) -> Result<(), Fail> {
        let path = Path::ROOT;
        if self.limit == 0 {
            return Err(self.too_deep(&path));
        }
        let declared = typename_of(data, plan, &path)?;
        let implied = key.typename().or_else(|| root_typename(key));
        if let (Some(declared), Some(of_key)) = (declared, key.typename())
            && declared != of_key
        {
            return Err(Box::new(NormalizeError::TypenameConflict {
                path: String::new(),
                typename: declared.to_owned(),
                key: key.to_string(),
            }));
        }
        let mut fields = Fields::with_capacity(data.len() + 1);
        if let Some(implied) = implied {
            fields.push((self.typename_field.clone(), Value::from(implied)));
        }
        self.fields(plan, data, declared.or(implied), &path, 1, &mut fields)?;
        self.store(key.clone(), freeze(fields));
        Ok(())
    }

    fn object<'d: 'p>(
        &mut self,
        plan: Option<&Plan<'d>>,
        data: &'p Map<String, Json>,
        path: &Path<'_>,
        depth: usize,
    ) -> Result<Value, Fail> {
        if depth > self.limit {
            return Err(self.too_deep(path));
        }
        let typename = typename_of(data, plan, path)?;
        let identity = match typename {
            Some(typename) => self.identify(typename, data, plan, path, depth)?,
            None => None,
        };
        let mut fields = Fields::with_capacity(plan.map_or(data.len(), |plan| plan.items.len()));
        self.fields(plan, data, typename, path, depth, &mut fields)?;
        if !plan.is_some_and(|plan| plan.sorted) {
            fields = freeze(fields);
        }
        let Some((key, key_object)) = identity else {
            return Ok(Value::Object(Entity::from_sorted(fields)));
        };
        // As Apollo does, the fields that gave the object its identity are stored with it even
        // when the document does not select them, so the entity can be identified again.
        for (name, json) in key_object {
            if let Err(at) = fields.binary_search_by(|(field, _)| field.as_str().cmp(name)) {
                let value = self.value(Expect::Scalar, json, &path.field(name), depth + 1)?;
                fields.insert(at, (self.name(name), value));
            }
        }
        self.store(key.clone(), fields);
        Ok(Value::Ref(key))
    }

    fn name(&mut self, name: &'p str) -> FieldName {
        self.names
            .entry(name)
            .or_insert_with(|| FieldName::new(name))
            .clone()
    }

    /// The fields of an object, through `plan` or (schemaless) all of them. Dispatches here
    /// rather than in a function of its own, to keep one frame per level off the stack.
    #[inline(always)]
    fn fields<'d: 'p>(
        &mut self,
        plan: Option<&Plan<'d>>,
        data: &'p Map<String, Json>,
        typename: Option<&str>,
        path: &Path<'_>,
        depth: usize,
        out: &mut Fields,
    ) -> Result<(), Fail> {
        match plan {
            Some(plan) => self.apply(plan, data, typename, path, depth, out, &mut SmallVec::new()),
            None => self.plain_fields(data, path, depth, out),
        }
    }

    fn plain_fields(
        &mut self,
        data: &'p Map<String, Json>,
        path: &Path<'_>,
        depth: usize,
        out: &mut Fields,
    ) -> Result<(), Fail> {
        for (name, json) in data {
            let value = match json {
                // Checked to be a string by `typename_of`.
                Json::String(typename) if name == TYPENAME => self.type_info(typename).name.clone(),
                _ => self.value(Expect::Any, json, &path.field(name), depth + 1)?,
            };
            out.push((self.name(name), value));
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)] // reason: the walk's state, threaded through one recursion
    fn apply<'d: 'p>(
        &mut self,
        plan: &Plan<'d>,
        data: &'p Map<String, Json>,
        typename: Option<&str>,
        path: &Path<'_>,
        depth: usize,
        out: &mut Fields,
        applied: &mut SmallVec<[*const Plan<'d>; 4]>,
    ) -> Result<(), Fail> {
        for item in &plan.items {
            match item {
                Item::Field {
                    response_key,
                    name,
                    shape,
                } => {
                    let json = match (data.get(*response_key), shape) {
                        (Some(json), _) => json,
                        (None, Shape::Typename { implicit: true }) => continue,
                        (None, _) => {
                            return Err(missing_field(path, response_key));
                        }
                    };
                    let here = path.field(response_key);
                    let (name, value) = match shape {
                        Shape::Typename { .. } => match json {
                            Json::String(typename) => (
                                self.typename_field.clone(),
                                self.type_info(typename).name.clone(),
                            ),
                            other => {
                                return Err(not_a_string(&here, other));
                            }
                        },
                        Shape::Leaf => (
                            name.clone(),
                            self.value(Expect::Scalar, json, &here, depth + 1)?,
                        ),
                        Shape::Object(child) => (
                            name.clone(),
                            self.value(Expect::Select(child), json, &here, depth + 1)?,
                        ),
                    };
                    out.push((name, value));
                }
                Item::Fragment { condition, plan } => {
                    // Applying one set twice to one object changes nothing; skipping it keeps
                    // diamond-shaped spreads linear.
                    let id = Rc::as_ptr(plan);
                    if applied.contains(&id)
                        || !self.fragment_applies(*condition, plan, typename, data)
                    {
                        continue;
                    }
                    applied.push(id);
                    self.apply(plan, data, typename, path, depth, out, applied)?;
                }
            }
        }
        Ok(())
    }

    fn fragment_applies<'d: 'p>(
        &mut self,
        condition: Option<&'d str>,
        plan: &Plan<'d>,
        typename: Option<&str>,
        data: &Map<String, Json>,
    ) -> bool {
        match (condition, typename) {
            (None, _) => true,
            (Some(condition), Some(typename)) if condition == typename => true,
            (Some(condition), Some(typename)) => {
                let policies = self.policies;
                match self.types.get_key_value(typename) {
                    // Memoise only with the typename borrowed from the data, which outlives us.
                    Some((&typename, _)) => *self
                        .matches
                        .entry((condition, typename))
                        .or_insert_with(|| policies.type_matches(condition, typename)),
                    None => policies.type_matches(condition, typename),
                }
            }
            (Some(_), None) => plan.fits(data),
        }
    }

    fn value<'d: 'p>(
        &mut self,
        expect: Expect<'_, 'd>,
        json: &'p Json,
        path: &Path<'_>,
        depth: usize,
    ) -> Result<Value, Fail> {
        Ok(match json {
            Json::Null => Value::Null,
            Json::Array(items) => {
                if depth > self.limit {
                    return Err(self.too_deep(path));
                }
                if let (Some(Json::Object(_)), Expect::Any | Expect::Select(_)) =
                    (items.first(), expect)
                {
                    // Likely a list of entities.
                    self.entities.reserve(items.len());
                }
                let mut list = Vec::with_capacity(items.len());
                for (index, item) in items.iter().enumerate() {
                    list.push(self.value(expect, item, &path.index(index), depth + 1)?);
                }
                Value::List(list.into_iter().collect::<List>())
            }
            Json::Object(map) => match expect {
                Expect::Any => self.object(None, map, path, depth)?,
                Expect::Select(plan) => self.object(Some(plan), map, path, depth)?,
                Expect::Scalar => {
                    if depth > self.limit {
                        return Err(self.too_deep(path));
                    }
                    let mut fields = Fields::with_capacity(map.len());
                    for (name, item) in map {
                        let value =
                            self.value(Expect::Scalar, item, &path.field(name), depth + 1)?;
                        fields.push((FieldName::new(name), value));
                    }
                    Value::Object(Entity::from_fields(fields))
                }
            },
            scalar => {
                if let Expect::Select(_) = expect {
                    return Err(expected_object(path, scalar));
                }
                match scalar {
                    Json::Bool(b) => Value::Bool(*b),
                    Json::Number(n) => Value::Number(n.clone()),
                    Json::String(s) => Value::from(s.as_str()),
                    _ => Value::Null,
                }
            }
        })
    }

    /// The key of an object of type `typename` with the fields that made it (none for a key
    /// function), or `None` if the object has no identity. Identity is read from the data as it
    /// is, selected or not, as Apollo does.
    fn identify<'d: 'p>(
        &mut self,
        typename: &'p str,
        data: &'p Map<String, Json>,
        plan: Option<&Plan<'d>>,
        path: &Path<'_>,
        depth: usize,
    ) -> Result<Option<(Key, KeyObject<'p>)>, Fail> {
        let invalid = |error: KeyError| {
            Box::new(NormalizeError::InvalidKey {
                path: path.render(),
                error,
            })
        };
        let key_fields: &'p KeyFields = self.type_info(typename).key_fields;
        let fields = match key_fields {
            KeyFields::Embedded => return Ok(None),
            KeyFields::Custom(key_fn) => {
                let Some(text) = key_fn(typename, data) else {
                    return Ok(None);
                };
                let key = Key::new(&text).map_err(invalid)?;
                if key.typename() != Some(typename) {
                    return Err(Box::new(NormalizeError::TypenameConflict {
                        path: path.render(),
                        typename: typename.to_owned(),
                        key: text,
                    }));
                }
                return Ok(Some((key, KeyObject::new())));
            }
            KeyFields::Default => None,
            KeyFields::Fields(names) => Some(names.as_slice()),
        };
        let mut key_object = KeyObject::new();
        // The key is written into a buffer kept across objects and looked up before a `Key`
        // is allocated: an entity met again (an owner shared by many items) costs no allocation.
        let mut text = std::mem::take(&mut self.key_text);
        text.clear();
        text.push_str(typename);
        text.push(':');
        let budget = self.limit.saturating_sub(depth);
        let key = match key_text(&mut text, &mut key_object, fields, data, plan, budget) {
            Ok(true) => match self.entities.get_key_value(text.as_str()) {
                Some((key, _)) => Ok(Some(key.clone())),
                // `Key::new` would read `A:B:1` as the type `A`; `Key::entity` rejects it.
                None if typename.contains(':') => {
                    Key::entity(typename, &text[typename.len() + 1..]).map(Some)
                }
                None => Key::new(&text).map(Some),
            },
            Ok(false) => Ok(None),
            Err(problem) => {
                self.key_text = text;
                return Err(match problem {
                    KeyProblem::UnsupportedId { field, found } => {
                        Box::new(NormalizeError::UnsupportedId {
                            path: path.render(),
                            typename: typename.to_owned(),
                            field: field.to_owned(),
                            found: kind(found),
                        })
                    }
                    KeyProblem::Missing(field) => Box::new(NormalizeError::MissingKeyField {
                        path: path.render(),
                        typename: typename.to_owned(),
                        field: field.to_owned(),
                    }),
                    KeyProblem::TooDeep => self.too_deep(path),
                });
            }
        };
        self.key_text = text;
        Ok(key.map_err(invalid)?.map(|key| (key, key_object)))
    }

    /// Adds the (frozen) fields of one occurrence of an entity to the patch, merging with
    /// earlier ones.
    fn store(&mut self, key: Key, fields: Fields) {
        match self.entities.entry(key) {
            Entry::Vacant(slot) => {
                let mut ops = KeyOps::new();
                ops.push(Op::Write(Entity::from_sorted(fields)));
                slot.insert(ops);
            }
            Entry::Occupied(mut slot) => {
                if let Some(Op::Write(existing)) = slot.get_mut().first_mut() {
                    // An entity shared by many objects usually comes with the same fields.
                    if fields
                        .iter()
                        .all(|(name, value)| existing.get(name) == Some(value))
                    {
                        return;
                    }
                    let mut merged = existing.to_vec();
                    merge_fields(&mut merged, fields);
                    *existing = Entity::from_sorted(merged);
                }
            }
        }
    }
}

/// The typename of an object: its `__typename` (or an alias of it the document selects).
fn typename_of<'p>(
    data: &'p Map<String, Json>,
    plan: Option<&Plan<'_>>,
    path: &Path<'_>,
) -> Result<Option<&'p str>, Fail> {
    let found = match data.get_key_value(TYPENAME) {
        Some(entry) => Some(entry),
        None => plan
            .and_then(|plan| plan.typename_alias)
            .and_then(|alias| data.get_key_value(alias)),
    };
    match found {
        None => Ok(None),
        Some((_, Json::String(typename))) => Ok(Some(typename)),
        Some((field, other)) => Err(not_a_string(&path.field(field), other)),
    }
}

// Errors on the recursive path are built out of line and boxed: in a debug build every
// temporary of a frame gets its own stack slot, and a large error type inline in each of the
// walk's frames would halve the depth it can reach on a 2 MiB stack.

/// An error on its way out of the walk.
type Fail = Box<NormalizeError>;

#[cold]
#[inline(never)]
fn too_deep(path: &Path<'_>, limit: usize) -> Fail {
    Box::new(NormalizeError::TooDeep {
        path: path.render(),
        limit,
    })
}

#[cold]
#[inline(never)]
fn missing_field(path: &Path<'_>, field: &str) -> Fail {
    Box::new(NormalizeError::MissingField {
        path: path.field(field).render(),
        field: field.to_owned(),
    })
}

#[cold]
#[inline(never)]
fn not_a_string(path: &Path<'_>, found: &Json) -> Fail {
    Box::new(NormalizeError::TypenameNotAString {
        path: path.render(),
        found: kind(found),
    })
}

#[cold]
#[inline(never)]
fn expected_object(path: &Path<'_>, found: &Json) -> Fail {
    Box::new(NormalizeError::ExpectedObject {
        path: path.render(),
        found: kind(found),
    })
}

/// Why an object's key fields cannot make a key.
enum KeyProblem<'p> {
    UnsupportedId { field: &'p str, found: &'p Json },
    Missing(&'p str),
    TooDeep,
}

/// Appends an object's id to `text` (`Type:` already in it): by `fields` ([`KeyFields::Fields`])
/// or, when `None`, by `id` / `_id`. `Ok(false)` if the object has no identity.
fn key_text<'p>(
    text: &mut String,
    key_object: &mut KeyObject<'p>,
    fields: Option<&'p [String]>,
    data: &'p Map<String, Json>,
    plan: Option<&Plan<'_>>,
    budget: usize,
) -> Result<bool, KeyProblem<'p>> {
    let lookup = |name: &str| {
        data.get(name).or_else(|| {
            let alias = plan?.alias_of(name, &mut Vec::new())?;
            data.get(alias)
        })
    };
    let Some(names) = fields else {
        let present = |name: &'static str| {
            lookup(name)
                .filter(|value| !value.is_null())
                .map(|value| (name, value))
        };
        let Some((field, id)) = present("id").or_else(|| present("_id")) else {
            return Ok(false);
        };
        key_object.push((field, id));
        match id {
            Json::String(id) => text.push_str(id),
            Json::Number(id) => write_js_number(text, id),
            found => return Err(KeyProblem::UnsupportedId { field, found }),
        }
        return Ok(true);
    };
    text.push('{');
    for (i, name) in names.iter().enumerate() {
        let value = lookup(name).ok_or(KeyProblem::Missing(name))?;
        if value.is_null() {
            return Ok(false);
        }
        key_object.push((name, value));
        if i > 0 {
            text.push(',');
        }
        push_json_string(text, name);
        text.push(':');
        if !write_json(text, value, budget) {
            return Err(KeyProblem::TooDeep);
        }
    }
    text.push('}');
    Ok(true)
}

/// The typename Apollo gives the root entities.
fn root_typename(key: &Key) -> Option<&'static str> {
    match key.as_str() {
        ROOT_QUERY => Some("Query"),
        ROOT_MUTATION => Some("Mutation"),
        ROOT_SUBSCRIPTION => Some("Subscription"),
        _ => None,
    }
}

/// Sorts fields by name; a name given twice (through fragments) keeps both, deep-merged.
fn freeze(mut fields: Fields) -> Fields {
    // Plans list their fields in name order, and so does a JSON object, so this is the usual
    // case; strictly increasing also means no name repeats.
    if fields.is_sorted_by(|a, b| a.0 < b.0) {
        return fields;
    }
    fields.sort_by(|a, b| a.0.cmp(&b.0));
    fields.dedup_by(|later, earlier| {
        if later.0 != earlier.0 {
            return false;
        }
        let old = std::mem::take(&mut earlier.1);
        earlier.1 = merge(old, std::mem::take(&mut later.1));
        true
    });
    fields
}

/// Merges `incoming` into sorted fields, deep-merging a field both have.
fn merge_fields(into: &mut Fields, incoming: Fields) {
    for (name, value) in incoming {
        match into.binary_search_by(|(n, _)| n.cmp(&name)) {
            Ok(at) => {
                let old = std::mem::take(&mut into[at].1);
                into[at].1 = merge(old, value);
            }
            Err(at) => into.insert(at, (name, value)),
        }
    }
}

/// Apollo's merge of two writes of one field within one payload: embedded objects field by
/// field, lists of one length item by item, anything else the later value. Recursion is bounded
/// by the depth of values the walk built.
fn merge(old: Value, new: Value) -> Value {
    match (old, new) {
        (Value::Object(old), Value::Object(new)) => {
            let mut fields = old.to_vec();
            merge_fields(&mut fields, new.to_vec());
            Value::Object(Entity::from_sorted(fields))
        }
        (Value::List(old), Value::List(new)) if old.len() == new.len() => Value::List(
            old.iter()
                .zip(new.iter())
                .map(|(a, b)| merge(a.clone(), b.clone()))
                .collect(),
        ),
        (_, new) => new,
    }
}

/// Writes a number as JavaScript prints it, which is how Apollo writes it into a key: an
/// integral float without its `.0`.
fn write_js_number(out: &mut String, n: &Number) {
    use std::fmt::Write;
    // Writing to a `String` cannot fail.
    if n.is_f64()
        && let Some(f) = n.as_f64()
        && f.fract() == 0.0
        && f.abs() < 1e21
    {
        // Exact: |f| < 1e21 fits in i128, and an integral float converts without rounding.
        let _ = write!(out, "{}", f as i128);
    } else {
        let _ = write!(out, "{n}");
    }
}

fn push_json_string(out: &mut String, text: &str) {
    // Serializing a string cannot fail.
    out.push_str(&serde_json::to_string(text).unwrap_or_default());
}

/// Writes `value` as JSON (numbers as JavaScript prints them) for a composite key; `false` if it
/// nests deeper than `budget` levels.
fn write_json(out: &mut String, value: &Json, budget: usize) -> bool {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => write_js_number(out, n),
        Json::String(s) => push_json_string(out, s),
        Json::Array(items) => {
            if budget == 0 {
                return false;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !write_json(out, item, budget - 1) {
                    return false;
                }
            }
            out.push(']');
        }
        Json::Object(map) => {
            if budget == 0 {
                return false;
            }
            out.push('{');
            for (i, (name, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json_string(out, name);
                out.push(':');
                if !write_json(out, item, budget - 1) {
                    return false;
                }
            }
            out.push('}');
        }
    }
    true
}

fn kind(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// Why a payload could not be normalized. Nothing is produced when normalization fails, so a
/// failed write writes nothing.
///
/// Every variant about the data carries the path of the problem in the payload, as response
/// keys and list indices joined by `.` (`items.3.owner`; the empty string for the top level),
/// also given by [`NormalizeError::path`].
///
/// ```
/// use optimist::{Key, NormalizeError, Policies, normalize};
/// use serde_json::json;
///
/// let payload = json!({"items": [{"__typename": "Item", "id": true}]});
/// let err = normalize(&Policies::new(), &Key::root_query(), &payload).unwrap_err();
/// assert!(matches!(err, NormalizeError::UnsupportedId { .. }));
/// assert_eq!(err.path(), "items.0");
/// assert_eq!(err.to_string(), "`Item` at `items.0` has a boolean as its `id`; an id must be a string or a number");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NormalizeError {
    /// The payload (a response's `data`, a fragment's data) is not a JSON object.
    NotAnObject {
        /// What it is instead (`an array`, `null`, ...).
        found: &'static str,
    },
    /// Objects and lists nest deeper than [`Policies::depth_limit`].
    TooDeep {
        /// Where the limit was crossed.
        path: String,
        /// The limit.
        limit: usize,
    },
    /// An object's `__typename` is present but not a string.
    TypenameNotAString {
        /// The path of the `__typename` field.
        path: String,
        /// What it is instead.
        found: &'static str,
    },
    /// An `id` (or `_id`) is neither a string nor a number, so it cannot identify the object.
    UnsupportedId {
        /// The object's path.
        path: String,
        /// The object's typename.
        typename: String,
        /// `id` or `_id`.
        field: String,
        /// What the id is instead.
        found: &'static str,
    },
    /// An object lacks one of the key fields its type declares ([`KeyFields::Fields`]).
    MissingKeyField {
        /// The object's path.
        path: String,
        /// The object's typename.
        typename: String,
        /// The missing key field.
        field: String,
    },
    /// The key computed for an object (by its id, its key fields or a key function) is not a
    /// valid [`Key`], for example an empty id.
    InvalidKey {
        /// The object's path.
        path: String,
        /// Why the key is invalid.
        error: KeyError,
    },
    /// An object's `__typename` disagrees with its key: a key function returned another type's
    /// key, or a fragment's data names another type than the entity it is written to.
    TypenameConflict {
        /// The object's path.
        path: String,
        /// The object's `__typename`.
        typename: String,
        /// The key.
        key: String,
    },
    /// A field the document selects is missing from the data (Apollo's "Missing field").
    MissingField {
        /// The field's path.
        path: String,
        /// The field's response key (its alias, or its name).
        field: String,
    },
    /// The document selects fields of a field whose data is a scalar, not an object.
    ExpectedObject {
        /// The field's path (with the list index, inside a list).
        path: String,
        /// What the data is instead.
        found: &'static str,
    },
    /// The document cannot be used: it has no operation (or no such fragment), or a non-null
    /// variable is missing. The problem is the document's, so there is no path.
    Document(DocumentError),
}

impl NormalizeError {
    /// Where in the payload the problem is: response keys and list indices joined by `.`; the
    /// empty string for the payload as a whole and for document errors.
    ///
    /// ```
    /// use optimist::{Document, Policies, normalize_query};
    /// use serde_json::json;
    ///
    /// let doc = Document::parse("{ items { owner { name } } }")?;
    /// let data = json!({"items": [{"owner": {"name": "a"}}, {"owner": "b"}]});
    /// let err = normalize_query(&Policies::new(), &doc, &json!(null), &data).unwrap_err();
    /// assert_eq!(err.path(), "items.1.owner");
    /// # Ok::<(), optimist::DocumentError>(())
    /// ```
    pub fn path(&self) -> &str {
        match self {
            NormalizeError::NotAnObject { .. } | NormalizeError::Document(_) => "",
            NormalizeError::TooDeep { path, .. }
            | NormalizeError::TypenameNotAString { path, .. }
            | NormalizeError::UnsupportedId { path, .. }
            | NormalizeError::MissingKeyField { path, .. }
            | NormalizeError::InvalidKey { path, .. }
            | NormalizeError::TypenameConflict { path, .. }
            | NormalizeError::MissingField { path, .. }
            | NormalizeError::ExpectedObject { path, .. } => path,
        }
    }
}

/// Displays a path in backquotes, or "the top level" for the root.
struct At<'a>(&'a str);

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("the top level")
        } else {
            write!(f, "`{}`", self.0)
        }
    }
}

impl fmt::Display for NormalizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NormalizeError::NotAnObject { found } => {
                write!(f, "the payload must be a JSON object, not {found}")
            }
            NormalizeError::TooDeep { path, limit } => {
                write!(
                    f,
                    "{} nests deeper than the limit of {limit} levels",
                    At(path)
                )
            }
            NormalizeError::TypenameNotAString { path, found } => {
                write!(
                    f,
                    "{} is {found}, but a `__typename` must be a string",
                    At(path)
                )
            }
            NormalizeError::UnsupportedId {
                path,
                typename,
                field,
                found,
            } => write!(
                f,
                "`{typename}` at {} has {found} as its `{field}`; an id must be a string or a number",
                At(path)
            ),
            NormalizeError::MissingKeyField {
                path,
                typename,
                field,
            } => write!(
                f,
                "`{typename}` at {} lacks its key field `{field}`",
                At(path)
            ),
            NormalizeError::InvalidKey { path, error } => {
                write!(f, "the object at {} gets an invalid key: {error}", At(path))
            }
            NormalizeError::TypenameConflict {
                path,
                typename,
                key,
            } => write!(
                f,
                "the object at {} has typename `{typename}` but key `{key}`",
                At(path)
            ),
            NormalizeError::MissingField { path, field } => write!(
                f,
                "missing field `{field}` at {}: the document selects it but the data lacks it",
                At(path)
            ),
            NormalizeError::ExpectedObject { path, found } => write!(
                f,
                "the document selects fields of {}, but its data is {found}",
                At(path)
            ),
            NormalizeError::Document(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for NormalizeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            NormalizeError::InvalidKey { error, .. } => Some(error),
            NormalizeError::Document(error) => Some(error),
            _ => None,
        }
    }
}

impl From<DocumentError> for NormalizeError {
    fn from(error: DocumentError) -> NormalizeError {
        NormalizeError::Document(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_in_keys_print_as_javascript_does() {
        let number = |json: Json| match json {
            Json::Number(n) => {
                let mut out = String::new();
                write_js_number(&mut out, &n);
                out
            }
            _ => unreachable!(),
        };
        assert_eq!(number(json!(1)), "1");
        assert_eq!(number(json!(-7)), "-7");
        assert_eq!(number(json!(2.5)), "2.5");
        assert_eq!(number(json!(1.0)), "1");
        assert_eq!(number(json!(u64::MAX)), u64::MAX.to_string());
    }

    #[test]
    fn key_json_is_bounded_and_keeps_javascript_numbers() {
        let mut out = String::new();
        assert!(write_json(
            &mut out,
            &json!({"b": [1.0, "x\"y"], "a": null}),
            2
        ));
        assert_eq!(out, r#"{"a":null,"b":[1,"x\"y"]}"#);
        assert!(!write_json(&mut String::new(), &json!([[[1]]]), 2));
    }

    #[test]
    fn paths_render_as_dotted_response_keys() {
        let root = Path::ROOT;
        let items = root.field("items");
        let third = items.index(3);
        let owner = third.field("owner");
        assert_eq!(owner.render(), "items.3.owner");
        assert_eq!(Path::ROOT.render(), "");
    }

    #[test]
    fn merging_is_deep_for_objects_and_same_length_lists() {
        let a = Value::from_json(json!({"x": 1, "o": {"p": 1}, "l": [{"a": 1}]}));
        let b = Value::from_json(json!({"y": 2, "o": {"q": 2}, "l": [{"b": 2}]}));
        assert_eq!(
            merge(a, b).to_json(),
            json!({"x": 1, "y": 2, "o": {"p": 1, "q": 2}, "l": [{"a": 1, "b": 2}]})
        );
        let short = Value::from_json(json!([1, 2]));
        let long = Value::from_json(json!([3]));
        assert_eq!(merge(short, long.clone()), long);
    }

    #[test]
    fn freeze_sorts_and_merges_repeated_names() {
        let fields = vec![
            (FieldName::new("b"), Value::from_json(json!({"x": 1}))),
            (FieldName::new("a"), Value::from(1)),
            (FieldName::new("b"), Value::from_json(json!({"y": 2}))),
        ];
        let frozen = freeze(fields);
        assert_eq!(frozen.len(), 2);
        assert_eq!(frozen[1].1.to_json(), json!({"x": 1, "y": 2}));
    }
}
