//! The walk: a payload (through a plan, or schemaless) turned into one write per entity.
//!
//! [`Writer`] recurses over the JSON, bounded by [`Policies::depth_limit`], identifying each
//! object with a typename, replacing entities by references and merging an entity reached
//! twice. It holds the per-call caches (field names, per-typename facts, the fields collected for
//! each list of plans and typename) and is the only stateful piece of normalization. With a
//! document, each object's fields are collected once per (plans, typename) (`collect.rs`) and
//! each field's value walked once, so the cost is linear in document size times data size.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::rc::Rc;

use serde_json::{Map, Value as Json};
use smallvec::SmallVec;

use super::collect::{Collected, Kind, collect};

use super::diagnostic::Diagnostic;
use super::error::{
    Fail, NormalizeError, expected_object, kind, missing_field, not_a_string, too_deep,
};
use super::fields::{Fields, freeze, merge_fields};
use super::key::{KeyObject, KeyProblem, key_text};
use super::path::Path;
use super::plan::Plan;
use crate::entity::Entity;
use crate::field::FieldName;
use crate::field_policy::merge_op;
use crate::key::{Key, KeyError};
use crate::op::Op;
use crate::patch::{Hasher, KeyOps, OpsByKey, Patch};
use crate::policy::{KeyFields, PathTypes, Policies, TYPENAME};
use crate::value::{List, Value};

/// What the walk expects of a value.
#[derive(Clone, Copy)]
pub(super) enum Expect<'x, 'd> {
    /// Schemaless: objects are normalized.
    Any,
    /// A leaf of the document: an object here is a custom scalar, stored as it is.
    Scalar,
    /// A field with selection sets: objects (or lists of them) only.
    Select(&'x [Rc<Plan<'d>>]),
}

/// What the policies say of the objects at one place of the payload, found as the walk
/// descends: the path node of [`Policies::type_at`] and the type [`Policies::field_type`] gives
/// the field the value is in.
#[derive(Clone, Copy, Default)]
pub(super) struct Site<'p> {
    pub(super) path: Option<&'p PathTypes>,
    pub(super) by_field: Option<&'p str>,
}

impl<'p> Site<'p> {
    /// Path types apply from the top of a payload written to a root entity only.
    pub(super) fn root(policies: &'p Policies, key: &Key) -> Site<'p> {
        Site {
            path: key.is_root().then(|| policies.path_types()),
            by_field: None,
        }
    }

    /// The site of field `name` of an object of type `typename` here.
    pub(super) fn child(
        self,
        policies: &'p Policies,
        typename: Option<&str>,
        name: &str,
    ) -> Site<'p> {
        Site {
            path: self.path.and_then(|node| node.child(name)),
            by_field: typename.and_then(|typename| policies.field_type_of(typename, name)),
        }
    }

    /// The type the policies give an object here without a `__typename`, before the type
    /// function: its path's, then its field's.
    pub(super) fn typename(self) -> Option<&'p str> {
        self.path.and_then(PathTypes::typename).or(self.by_field)
    }
}

/// The plans of a value (by address) and an object's typename: what its fields depend on.
pub(super) type CollectKey<'p> = (SmallVec<[usize; 2]>, Option<&'p str>);

/// The fields of an entity whose policy merges: where each is stored, its name with every
/// argument, and the value written.
type Merges = Vec<(FieldName, FieldName, Value)>;

/// Per-typename facts, looked up once per typename and call.
pub(super) struct TypeInfo<'p> {
    /// The typename as a value, shared by every entity of the type.
    pub(super) name: Value,
    pub(super) key_fields: &'p KeyFields,
}

impl<'p> TypeInfo<'p> {
    pub(super) fn new(policies: &'p Policies, typename: &str) -> TypeInfo<'p> {
        TypeInfo {
            name: Value::from(typename),
            key_fields: policies.key_fields_of(typename),
        }
    }
}

pub(super) struct Writer<'p> {
    policies: &'p Policies,
    limit: usize,
    /// One write op per entity, merged when an entity is reached again.
    entities: OpsByKey,
    /// Schemaless field names, shared by every object that has the field.
    names: HashMap<&'p str, FieldName, Hasher>,
    types: HashMap<&'p str, TypeInfo<'p>, Hasher>,
    /// The fields collected for a list of plans (by address) on objects of a typename.
    collected: HashMap<CollectKey<'p>, Rc<Collected<'p>>, Hasher>,
    typename_field: FieldName,
    /// Scratch space for key text.
    key_text: String,
    /// The ops of list directives, applied after every write (see `edits.rs`).
    edits: Vec<(Key, Op)>,
    /// What the walk noticed but wrote anyway.
    diagnostics: Vec<Diagnostic>,
}

impl<'p> Writer<'p> {
    pub(super) fn new(policies: &'p Policies) -> Writer<'p> {
        Writer {
            policies,
            limit: policies.depth_limit(),
            entities: OpsByKey::default(),
            names: HashMap::default(),
            types: HashMap::default(),
            collected: HashMap::default(),
            typename_field: FieldName::new(TYPENAME),
            key_text: String::new(),
            edits: Vec::new(),
            diagnostics: Vec::new(),
        }
    }

    pub(super) fn finish(mut self) -> Patch {
        for (key, op) in self.edits {
            self.entities.entry(key).or_default().push(op);
        }
        Patch::from_ops(self.entities).with_diagnostics(self.diagnostics)
    }

    fn too_deep(&self, path: &Path<'_>) -> Fail {
        too_deep(path, self.limit)
    }

    fn type_info(&mut self, typename: &'p str) -> &TypeInfo<'p> {
        let policies = self.policies;
        self.types
            .entry(typename)
            .or_insert_with(|| TypeInfo::new(policies, typename))
    }

    /// Writes the top-level object as the entity `key`. A root key's typename (`Query`, ...)
    /// yields to the data's, as Apollo lets a schema name its root types; an entity key's
    /// typename must agree with the data's.
    pub(super) fn root(
        &mut self,
        key: &Key,
        data: &'p Map<String, Json>,
        plan: Option<&Rc<Plan<'p>>>,
    ) -> Result<(), Fail> {
        let path = Path::ROOT;
        if self.limit == 0 {
            return Err(self.too_deep(&path));
        }
        let sels = plan.map(std::slice::from_ref);
        let declared = typename_of(data, sels, &path)?;
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
        let mut merges = Merges::new();
        if let Some(implied) = implied {
            fields.push((self.typename_field.clone(), Value::from(implied)));
        }
        let typename = declared.or(implied);
        let site = self.root_site(key);
        match sels {
            Some(sels) => {
                let (collected, _) = collect(sels, typename, data, self.policies);
                let merges = Some(&mut merges);
                let at = (&path, 1, typename, site);
                self.groups(&collected, data, at, &mut fields, merges)?;
            }
            None => self.plain_fields(data, &path, 1, &mut fields, typename, site)?,
        }
        self.store(key.clone(), freeze(fields));
        self.merge(key, typename, merges);
        Ok(())
    }

    /// Adds the merges of the fields `merges` of the entity `key` (of type `typename`) to the
    /// patch, after its write.
    fn merge(&mut self, key: &Key, typename: Option<&str>, merges: Merges) {
        let Some(typename) = typename else { return };
        for (stored, full, incoming) in merges {
            let op = merge_op(typename, &stored, &full, incoming);
            self.entities.entry(key.clone()).or_default().push(op);
        }
    }

    /// Writes `json` as the one field `field` of the entity `key` ([`super::normalize_at`]):
    /// as [`Writer::root`] with a top level of that one field, without building it.
    pub(super) fn root_field(
        &mut self,
        key: &Key,
        field: &'p str,
        json: &'p Json,
    ) -> Result<(), Fail> {
        let path = Path::ROOT;
        if self.limit == 0 {
            return Err(self.too_deep(&path));
        }
        let typename = key.typename().or_else(|| root_typename(key));
        let mut fields = Fields::with_capacity(2);
        if let Some(typename) = typename {
            fields.push((self.typename_field.clone(), Value::from(typename)));
        }
        // A store field name: its paths are its name's, whatever its arguments.
        let bare = crate::field::bare_name(field);
        let site = self.child_site(self.root_site(key), typename, bare);
        let value = self.value(Expect::Any, json, &path.field(field), 2, site)?;
        fields.push((self.name(field), value));
        self.store(key.clone(), freeze(fields));
        Ok(())
    }

    fn root_site(&self, key: &Key) -> Site<'p> {
        Site::root(self.policies, key)
    }

    fn child_site(&self, site: Site<'p>, typename: Option<&str>, name: &str) -> Site<'p> {
        site.child(self.policies, typename, name)
    }

    /// The type the policies give an object without a `__typename`, in order of precedence.
    fn inferred_type(
        &self,
        site: Site<'p>,
        data: &Map<String, Json>,
        path: &Path<'_>,
    ) -> Option<&'p str> {
        let policies = self.policies;
        site.typename().or_else(|| {
            policies
                .type_fn()
                .and_then(|type_fn| type_fn(&path.fields(), data))
        })
    }

    fn object(
        &mut self,
        sels: Option<&[Rc<Plan<'p>>]>,
        data: &'p Map<String, Json>,
        path: &Path<'_>,
        depth: usize,
        site: Site<'p>,
    ) -> Result<Value, Fail> {
        if depth > self.limit {
            return Err(self.too_deep(path));
        }
        // The payload's own `__typename` wins over every policy.
        let mut inferred = false;
        let typename = match typename_of(data, sels, path)? {
            Some(typename) => Some(typename),
            None => {
                let found = self.inferred_type(site, data, path);
                inferred = found.is_some();
                found
            }
        };
        // An object a document selects that has an id but no type is embedded and its entity
        // never written: the answer to a document sent as written, not as its request text.
        // Stored as Apollo stores it, and reported, not silently.
        if typename.is_none()
            && sels.is_some()
            && ["id", "_id"]
                .iter()
                .any(|name| data.get(*name).is_some_and(|id| !id.is_null()))
        {
            self.diagnostics.push(Diagnostic::MissingTypename {
                path: path.render(),
            });
        }
        let collected = sels.map(|sels| self.collected(sels, typename, data));
        let identity = match typename {
            Some(typename) => {
                self.identify(typename, data, collected.as_deref(), path, depth, inferred)?
            }
            None => None,
        };
        let mut fields;
        // Fields whose policy merges are merged on an entity, written as they come on an
        // embedded object (which has no key to merge on).
        let mut merges = Merges::new();
        match &collected {
            Some(collected) => {
                fields = Fields::with_capacity(collected.groups.len() + 1);
                let merging = identity.is_some().then_some(&mut merges);
                let at = (path, depth, typename, site);
                self.groups(collected, data, at, &mut fields, merging)?;
                if !collected.sorted {
                    fields = freeze(fields);
                }
            }
            None => {
                fields = Fields::with_capacity(data.len() + 1);
                self.plain_fields(data, path, depth, &mut fields, typename, site)?;
                fields = freeze(fields);
            }
        }
        let Some((key, key_object)) = identity else {
            return Ok(Value::Object(Entity::from_sorted(fields)));
        };
        // An entity typed by a policy says its type, as one typed by its payload does.
        if let (true, Some(typename)) = (inferred, typename)
            && let Err(at) = fields.binary_search_by(|(field, _)| field.as_str().cmp(TYPENAME))
        {
            let name = self.type_info(typename).name.clone();
            fields.insert(at, (self.typename_field.clone(), name));
        }
        // As Apollo does, the fields that gave the object its identity are stored with it even
        // when the document does not select them, so the entity can be identified again.
        for (name, json) in key_object {
            if let Err(at) = fields.binary_search_by(|(field, _)| field.as_str().cmp(name)) {
                let value = self.value(Expect::Scalar, json, &path.field(name), depth + 1, site)?;
                fields.insert(at, (self.name(name), value));
            }
        }
        self.store(key.clone(), fields);
        self.merge(&key, typename, merges);
        Ok(Value::Ref(key))
    }

    /// The fields `sels` select on an object of type `typename`, memoised unless they depend on
    /// the object's data.
    fn collected(
        &mut self,
        sels: &[Rc<Plan<'p>>],
        typename: Option<&'p str>,
        data: &Map<String, Json>,
    ) -> Rc<Collected<'p>> {
        let key = (
            sels.iter().map(|plan| Rc::as_ptr(plan) as usize).collect(),
            typename,
        );
        if let Some(found) = self.collected.get(&key) {
            return found.clone();
        }
        let (collected, data_dependent) = collect(sels, typename, data, self.policies);
        let collected = Rc::new(collected);
        if !data_dependent {
            self.collected.insert(key, collected.clone());
        }
        collected
    }

    fn name(&mut self, name: &'p str) -> FieldName {
        self.names
            .entry(name)
            .or_insert_with(|| FieldName::new(name))
            .clone()
    }

    #[allow(clippy::too_many_arguments)] // the walk's state, passed down: no struct to build per call
    fn plain_fields(
        &mut self,
        data: &'p Map<String, Json>,
        path: &Path<'_>,
        depth: usize,
        out: &mut Fields,
        typename: Option<&str>,
        site: Site<'p>,
    ) -> Result<(), Fail> {
        for (name, json) in data {
            let value = match json {
                // Checked to be a string by `typename_of`.
                Json::String(typename) if name == TYPENAME => self.type_info(typename).name.clone(),
                Json::Object(_) | Json::Array(_) => {
                    let site = self.child_site(site, typename, name);
                    self.value(Expect::Any, json, &path.field(name), depth + 1, site)?
                }
                _ => self.value(
                    Expect::Any,
                    json,
                    &path.field(name),
                    depth + 1,
                    Site::default(),
                )?,
            };
            out.push((self.name(name), value));
        }
        Ok(())
    }

    /// Writes the collected fields of an object (at `path` and `depth`, of type `typename`,
    /// at `site`): each field's value walked once, with every sub-selection it has. A field
    /// whose policy merges goes to `merges` when there are (the object is an entity).
    fn groups(
        &mut self,
        collected: &Collected<'p>,
        data: &'p Map<String, Json>,
        (path, depth, typename, site): (&Path<'_>, usize, Option<&str>, Site<'p>),
        out: &mut Fields,
        mut merges: Option<&mut Merges>,
    ) -> Result<(), Fail> {
        for group in &collected.groups {
            let json = match (data.get(group.response_key), group.kind) {
                (Some(json), _) => json,
                (None, Kind::Typename { implicit: true }) => continue,
                (None, _) => return Err(missing_field(path, group.response_key)),
            };
            let here = path.field(group.response_key);
            let value = match group.kind {
                Kind::Typename { .. } => match json {
                    Json::String(typename) => self.type_info(typename).name.clone(),
                    other => return Err(not_a_string(&here, other)),
                },
                Kind::Leaf => {
                    self.value(Expect::Scalar, json, &here, depth + 1, Site::default())?
                }
                Kind::Object => {
                    let site = self.child_site(site, typename, group.name.name());
                    self.value(
                        Expect::Select(&group.children),
                        json,
                        &here,
                        depth + 1,
                        site,
                    )?
                }
            };
            if let Some(edit) = &group.edit {
                edit.ops(self.policies, &value, &here, &mut self.edits)?;
            }
            match (&group.merge, merges.as_deref_mut()) {
                (Some(full), Some(merges)) => {
                    merges.push((group.name.clone(), full.clone(), value))
                }
                _ => out.push((group.name.clone(), value)),
            }
        }
        Ok(())
    }

    fn value(
        &mut self,
        expect: Expect<'_, 'p>,
        json: &'p Json,
        path: &Path<'_>,
        depth: usize,
        site: Site<'p>,
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
                    list.push(self.value(expect, item, &path.index(index), depth + 1, site)?);
                }
                Value::List(list.into_iter().collect::<List>())
            }
            Json::Object(map) => match expect {
                Expect::Any => self.object(None, map, path, depth, site)?,
                Expect::Select(sels) => self.object(Some(sels), map, path, depth, site)?,
                Expect::Scalar => {
                    if depth > self.limit {
                        return Err(self.too_deep(path));
                    }
                    let mut fields = Fields::with_capacity(map.len());
                    for (name, item) in map {
                        let value =
                            self.value(Expect::Scalar, item, &path.field(name), depth + 1, site)?;
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
    /// is, selected or not, as Apollo does. An object whose type a policy gave (`inferred`) and
    /// whose type has key fields must have them: [`NormalizeError::MissingId`].
    pub(super) fn identify(
        &mut self,
        typename: &'p str,
        data: &'p Map<String, Json>,
        aliases: Option<&Collected<'p>>,
        path: &Path<'_>,
        depth: usize,
        inferred: bool,
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
        let key = match key_text(&mut text, &mut key_object, fields, data, aliases, budget) {
            Ok(true) => match self.entities.get_key_value(text.as_str()) {
                Some((key, _)) => Ok(Some(key.clone())),
                // `Key::new` would read `A:B:1` as the type `A`; `Key::entity` rejects it.
                None if typename.contains(':') => {
                    Key::entity(typename, &text[typename.len() + 1..]).map(Some)
                }
                None => Key::new(&text).map(Some),
            },
            Ok(false) if inferred => {
                self.key_text = text;
                return Err(Box::new(NormalizeError::MissingId {
                    path: path.render(),
                    typename: typename.to_owned(),
                }));
            }
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

    fn store(&mut self, key: Key, fields: Fields) {
        store(&mut self.entities, key, fields);
    }
}

/// Adds the (frozen) fields of one occurrence of an entity to the patch, merging with earlier
/// ones.
fn store(entities: &mut OpsByKey, key: Key, fields: Fields) {
    match entities.entry(key) {
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

/// The typename of an object: its `__typename` (or an alias of it the document selects).
fn typename_of<'p>(
    data: &'p Map<String, Json>,
    sels: Option<&[Rc<Plan<'_>>]>,
    path: &Path<'_>,
) -> Result<Option<&'p str>, Fail> {
    let found = match data.get_key_value(TYPENAME) {
        Some(entry) => Some(entry),
        None => sels
            .and_then(|sels| sels.iter().find_map(|plan| plan.typename_alias))
            .and_then(|alias| data.get_key_value(alias)),
    };
    match found {
        None => Ok(None),
        Some((_, Json::String(typename))) => Ok(Some(typename)),
        Some((field, other)) => Err(not_a_string(&path.field(field), other)),
    }
}

/// The typename Apollo gives the root entities.
pub(super) fn root_typename(key: &Key) -> Option<&'static str> {
    crate::key::root_typename(key.as_str())
}
