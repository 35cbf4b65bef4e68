//! The streaming walk: a payload's text turned into the patch the tree walk (`walk.rs`) makes of
//! the same text parsed, straight from the bytes, with no `serde_json::Value` built.
//!
//! A serde visitor reads the text once. An object's fields are written as they come (a
//! document's unselected fields skipped unread), and at the object's end, its typename and id
//! known, it is identified, stored and replaced by a reference, as the tree walk does.
//!
//! Fields collected through type conditions need the object's typename, which servers often
//! send last (Apollo adds `__typename` at the end of every selection set): until it comes, such
//! fields are kept as text (`RawValue`, a borrowed slice) and read when the object ends, so
//! only they are read twice.
//!
//! What one pass cannot decide, the stream hands over: an error of any kind; a key function, a
//! type function or declared key fields (they read the object as a tree); escaped names or
//! typenames; a key repeated in one object; an entity met twice with different values for one
//! field (which wins depends on the order the tree walk meets them in); nesting deeper than
//! [`STREAM_DEPTH`]. It then returns
//! `None`, and the caller parses the text and runs the tree walk, which gives the patch, or the
//! error with its path. So the stream is right whenever it answers, and the tests hold it to
//! the tree walk on every payload they generate.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::rc::Rc;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::de::{Read, SliceRead, StrRead};
use serde_json::value::RawValue;
use serde_json::{Map, Number};
use smallvec::{SmallVec, smallvec};

use super::collect::{Collected, Kind, collect};
use super::fields::{Fields, freeze, merge_fields};
use super::key::write_js_number;
use super::payload::Text;
use super::plan::Plan;
use super::walk::{CollectKey, Expect, Site, TypeInfo, root_typename};
use crate::entity::Entity;
use crate::field::FieldName;
use crate::key::Key;
use crate::op::Op;
use crate::patch::{Hasher, OpsByKey, Patch};
use crate::policy::{KeyFields, Policies, TYPENAME};
use crate::value::{List, Value};

/// The deepest the stream goes before handing over: below serde_json's own recursion limit
/// (128), so a payload the stream writes is one the tree walk's parse accepts.
pub(super) const STREAM_DEPTH: usize = 100;

/// The stream's state for one call: the writes and the per-call caches of the tree walk.
pub(super) struct Stream<'a> {
    policies: &'a Policies,
    limit: usize,
    entities: OpsByKey,
    names: HashMap<&'a str, FieldName, Hasher>,
    types: HashMap<&'a str, TypeInfo<'a>, Hasher>,
    /// The fields collected for a list of plans (by address) and a typename; `None` when they
    /// depend on the object's data (a type condition met with no typename).
    collected: HashMap<CollectKey<'a>, Option<Rc<Indexed<'a>>>, Hasher>,
    typename_field: FieldName,
    key_text: String,
    /// Whether any field type is declared: only then does a field's site depend on its
    /// object's typename.
    field_types: bool,
}

/// Collected fields with the index the stream finds them by: the data's keys come in the
/// server's order, not the store names'.
struct Indexed<'a> {
    collected: Collected<'a>,
    /// Response key to its group; `None` when several groups share it.
    by_key: HashMap<&'a str, Option<usize>, Hasher>,
    /// The response keys that select `id` and `_id` under another name.
    id_aliases: [Option<&'a str>; 2],
}

impl<'a> Indexed<'a> {
    fn new(collected: Collected<'a>) -> Indexed<'a> {
        let mut by_key =
            HashMap::with_capacity_and_hasher(collected.groups.len(), Hasher::default());
        for (at, group) in collected.groups.iter().enumerate() {
            by_key
                .entry(group.response_key)
                .and_modify(|found| *found = None)
                .or_insert(Some(at));
        }
        let id_aliases = [collected.alias_of("id"), collected.alias_of("_id")];
        Indexed {
            collected,
            by_key,
            id_aliases,
        }
    }

    /// Whether a response key may hold an identity: `id`, `_id`, or an alias of either.
    fn holds_id(&self, key: &str) -> bool {
        is_id(key) || self.id_aliases.contains(&Some(key))
    }
}

fn is_id(key: &str) -> bool {
    key == "id" || key == "_id"
}

/// A name a guessed typename decided a site for: a schemaless key, or a collected group.
#[derive(Clone, Copy)]
enum Guessed<'a> {
    Key(&'a str),
    Group(usize),
}

/// One object as the stream reads it.
struct Obj<'x, 'a> {
    sels: Option<&'x [Rc<Plan<'a>>]>,
    /// The response key of an aliased `__typename` the plans select.
    alias_key: Option<&'a str>,
    /// The data's `__typename`, and the typename under `alias_key`.
    declared: Option<&'a str>,
    alias: Option<&'a str>,
    /// The typename when the data gives none: the policies' (an entity), or the key's (a root).
    fallback: Option<&'a str>,
    collected: Option<Rc<Indexed<'a>>>,
    /// With a document: each collected field's value, by group, once the data gives it.
    slots: SmallVec<[Option<Value>; 8]>,
    /// Without one: the fields, in the data's order.
    fields: Fields,
    /// The values under response keys that may identify the object.
    ids: SmallVec<[(&'a str, Value); 2]>,
    /// Sites decided before the typename was known, with the typename they assumed.
    guesses: SmallVec<[(Guessed<'a>, Option<&'a str>); 2]>,
    /// Fields met before the typename their collection needs, as text.
    deferred: Vec<(&'a str, &'a RawValue)>,
    depth: usize,
    site: Site<'a>,
}

impl<'x, 'a> Obj<'x, 'a> {
    fn new(
        sels: Option<&'x [Rc<Plan<'a>>]>,
        fallback: Option<&'a str>,
        depth: usize,
        site: Site<'a>,
    ) -> Obj<'x, 'a> {
        Obj {
            sels,
            alias_key: sels.and_then(|sels| sels.iter().find_map(|plan| plan.typename_alias)),
            declared: None,
            alias: None,
            fallback,
            collected: None,
            slots: SmallVec::new(),
            fields: Fields::new(),
            ids: SmallVec::new(),
            guesses: SmallVec::new(),
            deferred: Vec::new(),
            depth,
            site,
        }
    }

    /// The typename, once the whole object is read: the data's wins over every policy.
    fn typename(&self) -> Option<&'a str> {
        self.declared.or(self.alias).or(self.fallback)
    }

    fn note_id(&mut self, key: &'a str, value: &Value) -> Option<()> {
        if self.ids.iter().any(|(known, _)| *known == key) {
            return None;
        }
        self.ids.push((key, value.clone()));
        Some(())
    }

    /// What the tree walk finds by `lookup(name)` for the key: the data's `name`, else the
    /// field the document selects as `name` under another response key.
    fn id_value(&self, name: &str, slot: usize) -> Option<&Value> {
        let find = |key: &str| {
            self.ids
                .iter()
                .find(|(known, _)| *known == key)
                .map(|(_, value)| value)
        };
        find(name).or_else(|| {
            let alias = self.collected.as_ref()?.id_aliases[slot]?;
            find(alias)
        })
    }
}

/// The stream's way out: a serde error whose text nobody reads, since the tree walk then
/// decides.
fn hand_over<E: de::Error>() -> E {
    E::custom("handed over to the tree walk")
}

impl<'a> Stream<'a> {
    fn new(policies: &'a Policies) -> Stream<'a> {
        Stream {
            policies,
            limit: policies.depth_limit(),
            entities: OpsByKey::default(),
            names: HashMap::default(),
            types: HashMap::default(),
            collected: HashMap::default(),
            typename_field: FieldName::new(TYPENAME),
            key_text: String::new(),
            field_types: policies.has_field_types(),
        }
    }

    /// Whether the stream can serve these policies at all: a type function reads objects as
    /// trees.
    fn serves(policies: &Policies) -> bool {
        policies.type_fn().is_none() && policies.depth_limit() > 0
    }

    fn type_info(&mut self, typename: &'a str) -> &TypeInfo<'a> {
        let policies = self.policies;
        self.types
            .entry(typename)
            .or_insert_with(|| TypeInfo::new(policies, typename))
    }

    fn name(&mut self, name: &'a str) -> FieldName {
        self.names
            .entry(name)
            .or_insert_with(|| FieldName::new(name))
            .clone()
    }

    /// The fields `sels` collect on an object of type `typename`, or `None` if they depend on
    /// its data or one merges (the object is handed over). Memoised as the tree walk memoises
    /// them.
    fn collected(
        &mut self,
        sels: &[Rc<Plan<'a>>],
        typename: Option<&'a str>,
    ) -> Option<Rc<Indexed<'a>>> {
        let key = (
            sels.iter().map(|plan| Rc::as_ptr(plan) as usize).collect(),
            typename,
        );
        if let Some(found) = self.collected.get(&key) {
            return found.clone();
        }
        // Without a typename a type condition reads the data, and says so; the map is not read
        // otherwise.
        let (collected, data_dependent) = collect(sels, typename, &Map::new(), self.policies);
        // A field whose policy merges is written by the tree walk, which knows whether its
        // object is an entity before it writes its fields.
        // So are the fields of a list directive, whose ops it gathers.
        let merges =
            (collected.groups.iter()).any(|group| group.merge.is_some() || group.edit.is_some());
        let found = (!data_dependent && !merges).then(|| Rc::new(Indexed::new(collected)));
        self.collected.insert(key, found.clone());
        found
    }

    /// The object's collected fields, found at its first field that needs them: for the data's
    /// typename if it came first, else for none, which serves only when no type condition is
    /// reached (the fields are then the same for every typename).
    fn ensure_collected(&mut self, o: &mut Obj<'_, 'a>) -> Option<Rc<Indexed<'a>>> {
        if let Some(found) = &o.collected {
            return Some(found.clone());
        }
        // Field policies name fields by the object's type: without its typename yet, only a
        // root (whose type its key gives) can be collected; another object is handed over.
        let typename = match o.declared {
            None if self.policies.field_policies().any() => {
                Some(o.fallback.filter(|_| o.depth == 1)?)
            }
            declared => declared,
        };
        let found = self.collected(o.sels?, typename)?;
        o.slots = smallvec![None; found.collected.groups.len()];
        o.collected = Some(found.clone());
        Some(found)
    }

    /// The site of a field, noting the typename it assumed when the data's is not known yet.
    fn site_of(
        &self,
        o: &mut Obj<'_, 'a>,
        site: Site<'a>,
        name: &str,
        guessed: Guessed<'a>,
    ) -> Site<'a> {
        if self.field_types && o.declared.is_none() {
            let guess = o.alias.or(o.fallback);
            o.guesses.push((guessed, guess));
            return site.child(self.policies, guess, name);
        }
        site.child(self.policies, o.declared.or(o.alias).or(o.fallback), name)
    }

    /// Reads an object's fields.
    fn fields<A: MapAccess<'a>>(
        &mut self,
        o: &mut Obj<'_, 'a>,
        map: &mut A,
        depth: usize,
        site: Site<'a>,
    ) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(NameSeed)? {
            if key == TYPENAME || Some(key) == o.alias_key {
                let typename = map.next_value_seed(NameSeed)?;
                let slot = if key == TYPENAME {
                    &mut o.declared
                } else {
                    &mut o.alias
                };
                if slot.replace(typename).is_some() {
                    return Err(hand_over());
                }
                if o.sels.is_none() {
                    let name = self.type_info(typename).name.clone();
                    o.fields.push((self.typename_field.clone(), name));
                    continue;
                }
                let indexed = self.ensure_collected(o).ok_or_else(hand_over)?;
                let Some(&found) = indexed.by_key.get(key) else {
                    continue;
                };
                let at = found.ok_or_else(hand_over)?;
                let group = &indexed.collected.groups[at];
                let value = match group.kind {
                    Kind::Typename { .. } => self.type_info(typename).name.clone(),
                    Kind::Leaf => Value::from(typename),
                    Kind::Object => return Err(hand_over()),
                };
                self.group_value(o, &indexed, at, key, value)?;
                continue;
            }
            let Some(_) = o.sels else {
                let name = self.name(key);
                let site = self.site_of(o, site, key, Guessed::Key(key));
                let value = map.next_value_seed(ValueSeed {
                    w: self,
                    expect: Expect::Any,
                    depth: depth + 1,
                    site,
                })?;
                if is_id(key) {
                    o.note_id(key, &value).ok_or_else(hand_over)?;
                }
                o.fields.push((name, value));
                continue;
            };
            match self.ensure_collected(o) {
                Some(indexed) => self.field(o, &indexed, key, &mut *map, depth, site)?,
                // The fields depend on a typename the data has not given yet: kept as text,
                // and read once the object is.
                None => o.deferred.push((key, map.next_value()?)),
            }
        }
        Ok(())
    }

    /// Reads one field of an object with a document, from the text or from a deferred value.
    fn field<S: Source<'a>>(
        &mut self,
        o: &mut Obj<'_, 'a>,
        indexed: &Indexed<'a>,
        key: &'a str,
        source: S,
        depth: usize,
        site: Site<'a>,
    ) -> Result<(), S::Error> {
        let Some(&found) = indexed.by_key.get(key) else {
            if is_id(key) {
                // Identity is read from the data whatever the document selects.
                let value = source.value(ValueSeed {
                    w: self,
                    expect: Expect::Scalar,
                    depth: depth + 1,
                    site: Site::default(),
                })?;
                o.note_id(key, &value).ok_or_else(hand_over)?;
            } else {
                source.skip()?;
            }
            return Ok(());
        };
        let at = found.ok_or_else(hand_over)?;
        let group = &indexed.collected.groups[at];
        let value = match group.kind {
            Kind::Typename { .. } => {
                let typename = source.name()?;
                self.type_info(typename).name.clone()
            }
            Kind::Leaf => source.value(ValueSeed {
                w: self,
                expect: Expect::Scalar,
                depth: depth + 1,
                site: Site::default(),
            })?,
            Kind::Object => {
                let site = self.site_of(o, site, group.name.name(), Guessed::Group(at));
                source.value(ValueSeed {
                    w: self,
                    expect: Expect::Select(&group.children),
                    depth: depth + 1,
                    site,
                })?
            }
        };
        self.group_value(o, indexed, at, key, value)
    }

    /// Records the value of a collected field (once: a repeated key hands over).
    fn group_value<E: de::Error>(
        &mut self,
        o: &mut Obj<'_, 'a>,
        indexed: &Indexed<'a>,
        at: usize,
        key: &'a str,
        value: Value,
    ) -> Result<(), E> {
        if indexed.holds_id(key) {
            o.note_id(key, &value).ok_or_else(hand_over)?;
        }
        if o.slots[at].replace(value).is_some() {
            return Err(hand_over());
        }
        Ok(())
    }

    /// An object's fields in the order the tree walk writes them (not yet frozen), once every
    /// field is read and the typename final; `None` to hand over.
    fn ordered(&mut self, o: &mut Obj<'_, 'a>, typename: Option<&'a str>) -> Option<Fields> {
        if let Some(sels) = o.sels
            && o.collected.is_none()
        {
            // No field needed them, or every field waited for the typename: collect for the
            // final one.
            let found = self.collected(sels, typename)?;
            o.slots = smallvec![None; found.collected.groups.len()];
            o.collected = Some(found);
        }
        if !o.deferred.is_empty() {
            let indexed = o.collected.clone()?;
            for (key, raw) in std::mem::take(&mut o.deferred) {
                self.field(o, &indexed, key, raw, o.depth, o.site).ok()?;
            }
        }
        for &(guessed, guess) in &o.guesses {
            let name = match guessed {
                Guessed::Key(key) => key,
                Guessed::Group(at) => o.collected.as_ref()?.collected.groups[at].name.name(),
            };
            let of = |typename: Option<&str>| {
                typename.and_then(|typename| self.policies.field_type_of(typename, name))
            };
            if of(guess) != of(typename) {
                return None;
            }
        }
        if o.sels.is_none() {
            // The tree walk reads a parsed object in key order, so sorted, each key once.
            let mut fields = std::mem::take(&mut o.fields);
            fields.sort_by(|a, b| a.0.cmp(&b.0));
            if fields.windows(2).any(|pair| pair[0].0 == pair[1].0) {
                return None;
            }
            return Some(fields);
        }
        let indexed = o.collected.as_ref()?;
        // Group order is the tree walk's: store names, stably sorted.
        let mut fields = Fields::with_capacity(o.slots.len() + 1);
        for (group, slot) in indexed.collected.groups.iter().zip(&mut o.slots) {
            match slot.take() {
                Some(value) => fields.push((group.name.clone(), value)),
                None if group.kind == (Kind::Typename { implicit: true }) => {}
                None => return None,
            }
        }
        Some(fields)
    }

    /// Ends a nested object as the tree walk's `object` does: identified, stored and replaced
    /// by a reference, or embedded.
    fn finish_object(&mut self, o: &mut Obj<'_, 'a>) -> Option<Value> {
        let declared = o.declared.or(o.alias);
        let typename = o.typename();
        let inferred = declared.is_none() && o.fallback.is_some();
        let mut fields = self.ordered(o, typename)?;
        if o.sels.is_some() && !o.collected.as_ref()?.collected.sorted {
            fields = freeze(fields);
        }
        let Some(typename) = typename else {
            // The tree walk decides whether an id without a type is an error.
            if o.sels.is_some() {
                return None;
            }
            return Some(Value::Object(Entity::from_sorted(fields)));
        };
        match self.type_info(typename).key_fields {
            KeyFields::Default => {}
            KeyFields::Embedded => return Some(Value::Object(Entity::from_sorted(fields))),
            KeyFields::Fields(_) | KeyFields::Custom(_) => return None,
        }
        let present = |name: &'static str, slot| {
            o.id_value(name, slot)
                .filter(|value| !value.is_null())
                .map(|value| (name, value))
        };
        let Some((field, id)) = present("id", 0).or_else(|| present("_id", 1)) else {
            if inferred {
                return None;
            }
            return Some(Value::Object(Entity::from_sorted(fields)));
        };
        let key = self.key(typename, id)?;
        if inferred
            && let Err(at) = fields.binary_search_by(|(name, _)| name.as_str().cmp(TYPENAME))
        {
            let name = self.type_info(typename).name.clone();
            fields.insert(at, (self.typename_field.clone(), name));
        }
        if let Err(at) = fields.binary_search_by(|(name, _)| name.as_str().cmp(field)) {
            let id = id.clone();
            fields.insert(at, (self.name(field), id));
        }
        self.store(key.clone(), fields)?;
        Some(Value::Ref(key))
    }

    /// Stores an occurrence of an entity, unless an earlier one gave a field another value:
    /// which one wins depends on the order the occurrences are met, and the tree walk meets
    /// them in the parsed object's key order, not the text's. Without such a conflict the
    /// merge only adds fields, whatever the order.
    fn store(&mut self, key: Key, fields: Fields) -> Option<()> {
        match self.entities.entry(key) {
            Entry::Occupied(mut slot) => {
                let Some(Op::Write(existing)) = slot.get_mut().first_mut() else {
                    return None;
                };
                // An entity shared by many objects usually comes with the same fields.
                let mut adds = false;
                for (name, value) in &fields {
                    match existing.get(name.as_str()) {
                        Some(known) if known == value => {}
                        Some(_) => return None,
                        None => adds = true,
                    }
                }
                if adds {
                    let mut merged = existing.to_vec();
                    merge_fields(&mut merged, fields);
                    *existing = Entity::from_sorted(merged);
                }
            }
            Entry::Vacant(slot) => {
                slot.insert(smallvec![Op::Write(Entity::from_sorted(fields))]);
            }
        }
        Some(())
    }

    /// The key `Type:id`, shared with an entity already written.
    fn key(&mut self, typename: &str, id: &Value) -> Option<Key> {
        let mut text = std::mem::take(&mut self.key_text);
        text.clear();
        text.push_str(typename);
        text.push(':');
        let key = match id {
            Value::String(id) => {
                text.push_str(id.as_str());
                Some(())
            }
            Value::Number(id) => {
                write_js_number(&mut text, id);
                Some(())
            }
            _ => None,
        }
        .and_then(|()| match self.entities.get_key_value(text.as_str()) {
            Some((key, _)) => Some(key.clone()),
            None if typename.contains(':') => {
                Key::entity(typename, &text[typename.len() + 1..]).ok()
            }
            None => Key::new(&text).ok(),
        });
        self.key_text = text;
        key
    }

    /// Ends the top-level object as the tree walk's `root` does.
    fn finish_root(&mut self, key: &Key, o: &mut Obj<'_, 'a>) -> Option<()> {
        let declared = o.declared.or(o.alias);
        if let (Some(declared), Some(of_key)) = (declared, key.typename())
            && declared != of_key
        {
            return None;
        }
        let typename = o.typename();
        let data = self.ordered(o, typename)?;
        let mut fields = Fields::with_capacity(data.len() + 1);
        if let Some(implied) = o.fallback {
            fields.push((self.typename_field.clone(), Value::from(implied)));
        }
        fields.extend(data);
        self.store(key.clone(), freeze(fields))
    }
}

/// Normalizes the object in `text` into `key` (through `plan` with a document), as the tree
/// walk's `root`; `None` hands over to it.
pub(super) fn root<'a>(
    policies: &'a Policies,
    key: &'a Key,
    text: Text<'a>,
    plan: Option<&'a Rc<Plan<'a>>>,
) -> Option<Patch> {
    match text {
        Text::Str(text) => root_from(policies, key, StrRead::new(text), plan),
        Text::Bytes(text) => root_from(policies, key, SliceRead::new(text), plan),
    }
}

fn root_from<'a, R: Read<'a>>(
    policies: &'a Policies,
    key: &'a Key,
    read: R,
    plan: Option<&'a Rc<Plan<'a>>>,
) -> Option<Patch> {
    if !Stream::serves(policies) {
        return None;
    }
    let mut stream = Stream::new(policies);
    let mut de = serde_json::Deserializer::new(read);
    RootSeed {
        w: &mut stream,
        key,
        sels: plan.map(std::slice::from_ref),
    }
    .deserialize(&mut de)
    .ok()?;
    de.end().ok()?;
    Some(Patch::from_ops(stream.entities))
}

/// Normalizes the value in `text` as the field `field` of `key`, as the tree walk's
/// `root_field`; `None` hands over to it.
pub(super) fn root_field<'a>(
    policies: &'a Policies,
    key: &Key,
    field: &'a str,
    text: Text<'a>,
) -> Option<Patch> {
    match text {
        Text::Str(text) => root_field_from(policies, key, field, StrRead::new(text)),
        Text::Bytes(text) => root_field_from(policies, key, field, SliceRead::new(text)),
    }
}

fn root_field_from<'a, R: Read<'a>>(
    policies: &'a Policies,
    key: &Key,
    field: &'a str,
    read: R,
) -> Option<Patch> {
    if !Stream::serves(policies) {
        return None;
    }
    let mut stream = Stream::new(policies);
    let typename = key.typename().or_else(|| root_typename(key));
    // A store field name: its paths are its name's, whatever its arguments.
    let bare = crate::field::bare_name(field);
    let site = Site::root(policies, key).child(policies, typename, bare);
    let mut de = serde_json::Deserializer::new(read);
    let value = ValueSeed {
        w: &mut stream,
        expect: Expect::Any,
        depth: 2,
        site,
    }
    .deserialize(&mut de)
    .ok()?;
    de.end().ok()?;
    let mut fields = Fields::with_capacity(2);
    if let Some(typename) = typename {
        fields.push((stream.typename_field.clone(), Value::from(typename)));
    }
    fields.push((stream.name(field), value));
    stream.store(key.clone(), freeze(fields))?;
    Some(Patch::from_ops(stream.entities))
}

/// Where a field's value is read from: the text, in order, or a value deferred as text.
trait Source<'a> {
    type Error: de::Error;
    fn value(self, seed: ValueSeed<'_, '_, 'a>) -> Result<Value, Self::Error>;
    fn name(self) -> Result<&'a str, Self::Error>;
    fn skip(self) -> Result<(), Self::Error>;
}

impl<'a, A: MapAccess<'a>> Source<'a> for &mut A {
    type Error = A::Error;

    fn value(self, seed: ValueSeed<'_, '_, 'a>) -> Result<Value, A::Error> {
        self.next_value_seed(seed)
    }

    fn name(self) -> Result<&'a str, A::Error> {
        self.next_value_seed(NameSeed)
    }

    fn skip(self) -> Result<(), A::Error> {
        self.next_value::<IgnoredAny>().map(|_| ())
    }
}

impl<'a> Source<'a> for &'a RawValue {
    type Error = serde_json::Error;

    fn value(self, seed: ValueSeed<'_, '_, 'a>) -> Result<Value, serde_json::Error> {
        seed.deserialize(&mut serde_json::Deserializer::from_str(self.get()))
    }

    fn name(self) -> Result<&'a str, serde_json::Error> {
        NameSeed.deserialize(&mut serde_json::Deserializer::from_str(self.get()))
    }

    fn skip(self) -> Result<(), serde_json::Error> {
        Ok(())
    }
}

/// A name (a key, a typename) borrowed from the text; an escaped one hands over.
struct NameSeed;

impl<'a> DeserializeSeed<'a> for NameSeed {
    type Value = &'a str;

    fn deserialize<D: Deserializer<'a>>(self, de: D) -> Result<&'a str, D::Error> {
        de.deserialize_str(self)
    }
}

impl<'a> Visitor<'a> for NameSeed {
    type Value = &'a str;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string without escapes")
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'a str) -> Result<&'a str, E> {
        Ok(text)
    }
}

/// The top-level object.
struct RootSeed<'s, 'x, 'a> {
    w: &'s mut Stream<'a>,
    key: &'a Key,
    sels: Option<&'x [Rc<Plan<'a>>]>,
}

impl<'a> DeserializeSeed<'a> for RootSeed<'_, '_, 'a> {
    type Value = ();

    fn deserialize<D: Deserializer<'a>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_map(self)
    }
}

impl<'a> Visitor<'a> for RootSeed<'_, '_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'a>>(self, mut map: A) -> Result<(), A::Error> {
        let RootSeed { w, key, sels } = self;
        let implied = key.typename().or_else(|| root_typename(key));
        let site = Site::root(w.policies, key);
        let mut o = Obj::new(sels, implied, 1, site);
        w.fields(&mut o, &mut map, 1, site)?;
        w.finish_root(key, &mut o).ok_or_else(hand_over)
    }
}

/// One value, read as the tree walk's `value` reads it.
struct ValueSeed<'s, 'x, 'a> {
    w: &'s mut Stream<'a>,
    expect: Expect<'x, 'a>,
    depth: usize,
    site: Site<'a>,
}

impl<'a> DeserializeSeed<'a> for ValueSeed<'_, '_, 'a> {
    type Value = Value;

    fn deserialize<D: Deserializer<'a>>(self, de: D) -> Result<Value, D::Error> {
        de.deserialize_any(self)
    }
}

impl ValueSeed<'_, '_, '_> {
    /// A scalar, which a field with a selection set cannot be.
    fn scalar<E: de::Error>(&self, value: Value) -> Result<Value, E> {
        match self.expect {
            Expect::Select(_) => Err(hand_over()),
            Expect::Any | Expect::Scalar => Ok(value),
        }
    }

    fn nest<E: de::Error>(&self) -> Result<(), E> {
        if self.depth > self.w.limit || self.depth > STREAM_DEPTH {
            return Err(hand_over());
        }
        Ok(())
    }
}

impl<'a> Visitor<'a> for ValueSeed<'_, '_, 'a> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        self.scalar(Value::Bool(b))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Value, E> {
        self.scalar(Value::Number(Number::from(n)))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Value, E> {
        self.scalar(Value::Number(Number::from(n)))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Value, E> {
        // As serde_json's own tree: a float that is no JSON number is null.
        self.scalar(Number::from_f64(n).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Value, E> {
        self.scalar(Value::from(text))
    }

    fn visit_seq<A: SeqAccess<'a>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.nest()?;
        let ValueSeed {
            w,
            expect,
            depth,
            site,
        } = self;
        let mut list = Vec::new();
        while let Some(item) = seq.next_element_seed(ValueSeed {
            w: &mut *w,
            expect,
            depth: depth + 1,
            site,
        })? {
            list.push(item);
        }
        Ok(Value::List(list.into_iter().collect::<List>()))
    }

    fn visit_map<A: MapAccess<'a>>(self, mut map: A) -> Result<Value, A::Error> {
        self.nest()?;
        let ValueSeed {
            w,
            expect,
            depth,
            site,
        } = self;
        let sels = match expect {
            Expect::Scalar => {
                // A custom scalar, stored as it is; a repeated key's last value wins, as in a
                // parsed object.
                let mut fields = Vec::new();
                while let Some(name) = map.next_key_seed(NameSeed)? {
                    let value = map.next_value_seed(ValueSeed {
                        w: &mut *w,
                        expect: Expect::Scalar,
                        depth: depth + 1,
                        site,
                    })?;
                    fields.push((FieldName::new(name), value));
                }
                return Ok(Value::Object(Entity::from_fields(fields)));
            }
            Expect::Any => None,
            Expect::Select(sels) => Some(sels),
        };
        let mut o = Obj::new(sels, site.typename(), depth, site);
        w.fields(&mut o, &mut map, depth, site)?;
        w.finish_object(&mut o).ok_or_else(hand_over)
    }
}
