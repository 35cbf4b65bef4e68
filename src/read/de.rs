//! The cursor: a serde `Deserializer` that walks a compiled selection and the store together.
//!
//! A [`Cursor`] stands on one node (a stored value, an entity, or a synthesised string) with the
//! selection sets that apply to it. Objects become maps of response keys, lists become
//! sequences, references are followed with one lookup. Paths are a linked list of stack frames,
//! rendered to text only when an error or a missing field needs them, so a read allocates
//! nothing of its own beyond what the caller's type builds.

use std::cell::RefCell;
use std::rc::Rc;

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Number;

use super::plan::{Collected, Group, Item, Plan, PlanField};
use super::{ReadError, Source, root_typename, typename_of};
use crate::entity::Entity;
use crate::field::FieldName;
use crate::field_policy::{FieldAt, args_of};
use crate::field_read::{FieldRead, Lookup, ReadFn};
use crate::policy::Policies;
use crate::value::Value;

/// What stays the same for a whole read.
pub(super) struct Ctx<'p, S: ?Sized> {
    pub(super) source: &'p S,
    pub(super) policies: &'p Policies,
    pub(super) plan: &'p Plan<'p>,
    pub(super) limit: usize,
    /// Where a partial read records missing fields; `None` makes them errors.
    pub(super) missing: Option<&'p RefCell<Vec<String>>>,
    /// Fields collected for non-flat objects, by selection and typename.
    pub(super) collected: &'p RefCell<Collected<'p>>,
    /// Nodes the read may still produce ([`Policies::node_limit`] at the start).
    pub(super) budget: &'p std::cell::Cell<usize>,
    /// The values read functions gave, kept for the whole read: read as stored ones are.
    pub(super) arena: &'p typed_arena::Arena<Value>,
}

impl<'p, S: Source + ?Sized> Ctx<'p, S> {
    /// Calls `field`'s read function on `entity` (the entity `key`, if it is one), given what
    /// is stored; `selected` if the field has a selection. Returns the value to read (`None`:
    /// missing) and the keys the function looked up. A reference to an absent entity under a
    /// selection is missing: a cache redirect to what is not cached goes to the network.
    pub(super) fn call_read(
        &self,
        read: &ReadFn,
        field: &PlanField<'_>,
        entity: &Entity,
        key: Option<&str>,
        existing: Option<&Value>,
        selected: bool,
    ) -> (Option<Value>, Vec<crate::key::Key>) {
        let lookup = Looking(self.source);
        let call = FieldRead {
            policies: self.policies,
            lookup: &lookup,
            entity,
            key,
            typename: typename_of(entity, key),
            field: crate::field::bare_name(field.store_name.as_str()),
            args: args_of(field.store_name.as_str()).unwrap_or_default(),
            looked_up: RefCell::default(),
            nesting: 0,
        };
        let value = match read(existing, &call) {
            Some(Value::Ref(target)) if selected => {
                call.looked_up.borrow_mut().push(target.clone());
                self.source
                    .entity(&target)
                    .is_some()
                    .then_some(Value::Ref(target))
            }
            value => value,
        };
        (value, call.looked_up.into_inner())
    }
}

/// A read's source as a read function's [`Lookup`].
struct Looking<'p, S: ?Sized>(&'p S);

impl<S: Source + ?Sized> Lookup for Looking<'_, S> {
    fn entity(&self, key: &str) -> Option<&Entity> {
        self.0.entity(key)
    }

    fn field(&self, key: &str, field: &str) {
        self.0.field(key, field, false);
    }
}

impl<'p, S: ?Sized> Ctx<'p, S> {
    /// How `field` is read on `entity` (the entity `key`, if it is one) when its field policy
    /// says other than the plan: `None` for nearly every field, at the cost of one check when
    /// no field has a policy.
    pub(super) fn at(
        &self,
        field: &PlanField<'_>,
        entity: &Entity,
        key: Option<&str>,
    ) -> Option<FieldAt<'p>> {
        if !self.policies.field_policies().any() {
            return None;
        }
        self.policies
            .field_at(typename_of(entity, key), field.store_name.as_str())
    }

    /// Counts one node of the result against the budget, before it is built.
    pub(super) fn node(&self) -> Result<(), ReadError> {
        match self.budget.get().checked_sub(1) {
            Some(left) => {
                self.budget.set(left);
                Ok(())
            }
            None => Err(ReadError::TooLarge {
                limit: self.policies.node_limit(),
            }),
        }
    }

    /// The fields of an object of type `typename` under the selection sets `sel`.
    pub(super) fn groups(&self, sel: &[usize], typename: Option<&str>) -> Rc<[Group<'p>]> {
        self.collected
            .borrow_mut()
            .get(self.plan, self.policies, sel, typename)
    }
}

/// What a cursor stands on.
#[derive(Clone, Copy)]
pub(super) enum Node<'p> {
    /// A stored value.
    Value(&'p Value),
    /// An entity (with its key) or an embedded object (without).
    Object(&'p Entity, Option<&'p str>),
    /// A string that is not stored: a root's typename.
    Text(&'p str),
}

/// Where a cursor is in the result: response keys and list indices, innermost last.
#[derive(Clone, Copy)]
pub(super) enum Path<'x> {
    Root,
    Key(&'x Path<'x>, &'x str),
    Index(&'x Path<'x>, usize),
}

impl Path<'_> {
    /// The path as text, such as `todos.2.owner.name`.
    pub(super) fn render(&self) -> String {
        let mut segments = Vec::new();
        let mut at = self;
        loop {
            match at {
                Path::Root => break,
                Path::Key(parent, key) => {
                    segments.push(Segment::Key(key));
                    at = parent;
                }
                Path::Index(parent, index) => {
                    segments.push(Segment::Index(*index));
                    at = parent;
                }
            }
        }
        let mut text = String::new();
        for (i, segment) in segments.iter().rev().enumerate() {
            if i > 0 {
                text.push('.');
            }
            match segment {
                Segment::Key(key) => text.push_str(key),
                Segment::Index(index) => text.push_str(&index.to_string()),
            }
        }
        text
    }
}

enum Segment<'x> {
    Key(&'x str),
    Index(usize),
}

/// A serde `Deserializer` over one node of the store and the selection sets applied to it
/// (empty: the node is read as stored, references as `{"__ref": key}`).
pub(super) struct Cursor<'x, 'p, S: ?Sized> {
    pub(super) ctx: &'p Ctx<'p, S>,
    pub(super) node: Node<'p>,
    pub(super) sel: &'x [usize],
    pub(super) path: &'x Path<'x>,
    pub(super) depth: usize,
}

impl<'x, 'p, S: Source + ?Sized> Cursor<'x, 'p, S> {
    /// Checks the depth and counts the node this cursor stands on.
    fn check_depth(&self) -> Result<(), ReadError> {
        self.ctx.node()?;
        if self.depth > self.ctx.limit {
            return Err(ReadError::TooDeep {
                path: self.path.render(),
                limit: self.ctx.limit,
            });
        }
        Ok(())
    }

    fn object<V: Visitor<'p>>(
        self,
        entity: &'p Entity,
        key: Option<&'p str>,
        visitor: V,
    ) -> Result<V::Value, ReadError> {
        if self.sel.is_empty() {
            return visitor.visit_map(RawAccess {
                ctx: self.ctx,
                fields: entity.iter(),
                pending: None,
                path: self.path,
                depth: self.depth,
            });
        }
        let plan = self.ctx.plan;
        let fields = match self.sel {
            [one] if plan.sets.get(*one).is_some_and(|set| set.flat) => {
                Fields::Flat(plan.sets[*one].items.iter())
            }
            _ => Fields::Grouped {
                groups: self.ctx.groups(self.sel, typename_of(entity, key)),
                next: 0,
            },
        };
        visitor.visit_map(ObjectAccess {
            ctx: self.ctx,
            entity,
            key,
            fields,
            pending: None,
            path: self.path,
            depth: self.depth,
        })
    }

    fn wrong_shape(&self, value: &Value) -> ReadError {
        let found = match value {
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            _ => "string",
        };
        ReadError::WrongShape {
            path: self.path.render(),
            found,
        }
    }
}

impl<'x, 'p, S: Source + ?Sized> de::Deserializer<'p> for Cursor<'x, 'p, S> {
    type Error = ReadError;

    fn deserialize_any<V: Visitor<'p>>(self, visitor: V) -> Result<V::Value, ReadError> {
        self.check_depth()?;
        let value = match self.node {
            Node::Text(text) => return visitor.visit_borrowed_str(text),
            Node::Object(entity, key) => return self.object(entity, key, visitor),
            Node::Value(value) => value,
        };
        let selected = !self.sel.is_empty();
        match value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(_) | Value::Number(_) | Value::String(_) if selected => {
                Err(self.wrong_shape(value))
            }
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => visit_number(n, visitor),
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Ref(key) if !selected => visitor.visit_map(RefAccess { key: Some(key) }),
            // A reference to an absent entity reads as null.
            Value::Ref(key) => match self.ctx.source.entity(key) {
                Some(entity) => self.object(entity, Some(key), visitor),
                None => visitor.visit_unit(),
            },
            Value::List(items) => visitor.visit_seq(ListAccess {
                ctx: self.ctx,
                items: items.iter(),
                sel: self.sel,
                path: self.path,
                depth: self.depth,
                index: 0,
            }),
            Value::Object(entity) => self.object(entity, None, visitor),
        }
    }

    fn deserialize_option<V: Visitor<'p>>(self, visitor: V) -> Result<V::Value, ReadError> {
        match self.node {
            Node::Value(Value::Null) => visitor.visit_none(),
            Node::Value(Value::Ref(key)) if !self.sel.is_empty() => {
                match self.ctx.source.entity(key) {
                    Some(entity) => visitor.visit_some(Cursor {
                        node: Node::Object(entity, Some(key)),
                        ..self
                    }),
                    None => visitor.visit_none(),
                }
            }
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_enum<V: Visitor<'p>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ReadError> {
        // GraphQL enums arrive as strings: unit variants by name.
        match self.node {
            Node::Value(Value::String(text)) if self.sel.is_empty() => {
                visitor.visit_enum(BorrowedStrDeserializer::new(text))
            }
            Node::Text(text) => visitor.visit_enum(BorrowedStrDeserializer::new(text)),
            // serde's default form, `{"Variant": content}`, in a value read as stored.
            Node::Value(value @ Value::Object(_)) if self.sel.is_empty() => {
                self.check_depth()?;
                let tree = super::value_de::TreeDe {
                    value,
                    path: self.path,
                };
                de::Deserializer::deserialize_enum(tree, name, variants, visitor)
            }
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'p>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ReadError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'p>>(self, visitor: V) -> Result<V::Value, ReadError> {
        // Still walked: a typed read fails where the JSON read would (missing data), whatever
        // the type keeps.
        self.deserialize_any(IgnoredAny)?;
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        <W: Visitor<'p>>
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

pub(super) fn visit_number<'p, V: Visitor<'p>>(
    n: &Number,
    visitor: V,
) -> Result<V::Value, ReadError> {
    if let Some(u) = n.as_u64() {
        visitor.visit_u64(u)
    } else if let Some(i) = n.as_i64() {
        visitor.visit_i64(i)
    } else {
        match n.as_f64() {
            Some(f) => visitor.visit_f64(f),
            None => Err(de::Error::custom(format_args!("unreadable number {n}"))),
        }
    }
}

enum Fields<'p> {
    /// A flat set's fields, as they are.
    Flat(std::slice::Iter<'p, Item<'p>>),
    /// Fields collected through fragments, or from several sets.
    Grouped {
        groups: Rc<[Group<'p>]>,
        next: usize,
    },
}

/// The entry between `next_key_seed` and `next_value_seed`.
struct Pending<'p> {
    node: Node<'p>,
    key: &'p str,
    /// A flat field's sub-selection; for a group, see `group`.
    children: &'p [usize],
    group: Option<usize>,
}

/// An object read through a selection: its fields by response key.
struct ObjectAccess<'x, 'p, S: ?Sized> {
    ctx: &'p Ctx<'p, S>,
    entity: &'p Entity,
    key: Option<&'p str>,
    fields: Fields<'p>,
    pending: Option<Pending<'p>>,
    path: &'x Path<'x>,
    depth: usize,
}

impl<'p, S: ?Sized> ObjectAccess<'_, 'p, S> {
    /// The next field to read: the plan field, its flat sub-selection, its group.
    fn next_field(&mut self) -> Option<(&'p PlanField<'p>, &'p [usize], Option<usize>, bool)> {
        match &mut self.fields {
            Fields::Flat(items) => items.find_map(|item| match item {
                Item::Field(field) => Some((field, field.child.as_slice(), None, field.optional)),
                Item::Fragment { .. } => None,
            }),
            Fields::Grouped { groups, next } => {
                let group = groups.get(*next)?;
                *next += 1;
                Some((group.field, &[][..], Some(*next - 1), group.optional))
            }
        }
    }
}

impl<'x, 'p, S: Source + ?Sized> MapAccess<'p> for ObjectAccess<'x, 'p, S> {
    type Error = ReadError;

    fn next_key_seed<K: DeserializeSeed<'p>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ReadError> {
        while let Some((field, children, group, optional)) = self.next_field() {
            let at = self.ctx.at(field, self.entity, self.key);
            let stored = match &at {
                Some(FieldAt {
                    stored: Some(name), ..
                }) => name.as_str(),
                _ => field.store_name.as_str(),
            };
            if let Some(key) = self.key {
                self.ctx.source.field(key, stored, optional);
            }
            let existing = self.entity.get(stored);
            let found = match at.as_ref().and_then(|at| at.read) {
                Some(read) => {
                    let selected = match (&self.fields, group) {
                        (Fields::Grouped { groups, .. }, Some(group)) => groups
                            .get(group)
                            .is_some_and(|group| !group.children.is_empty()),
                        _ => !children.is_empty(),
                    };
                    let (value, _) =
                        self.ctx
                            .call_read(read, field, self.entity, self.key, existing, selected);
                    value.map(|value| Node::Value(self.ctx.arena.alloc(value)))
                }
                None => match existing {
                    Some(value) => Some(Node::Value(value)),
                    None if field.typename => self.key.and_then(root_typename).map(Node::Text),
                    None => None,
                },
            };
            if let Some(node) = found {
                self.pending = Some(Pending {
                    node,
                    key: field.response_key,
                    children,
                    group,
                });
                return seed
                    .deserialize(BorrowedStrDeserializer::new(field.response_key))
                    .map(Some);
            }
            if optional {
                continue;
            }
            let path = Path::Key(self.path, field.response_key).render();
            match self.ctx.missing {
                Some(missing) => {
                    self.ctx.node()?;
                    missing.borrow_mut().push(path);
                }
                None => return Err(ReadError::MissingField { path }),
            }
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'p>>(&mut self, seed: V) -> Result<V::Value, ReadError> {
        let Some(pending) = self.pending.take() else {
            return Err(de::Error::custom("a value was asked for before its key"));
        };
        let sel: &[usize] = match (&self.fields, pending.group) {
            (Fields::Grouped { groups, .. }, Some(group)) => {
                groups.get(group).map_or(&[][..], |group| &group.children)
            }
            _ => pending.children,
        };
        let path = Path::Key(self.path, pending.key);
        let cursor = Cursor {
            ctx: self.ctx,
            node: pending.node,
            sel,
            path: &path,
            depth: self.depth + 1,
        };
        seed.deserialize(cursor).map_err(|error| error.at(&path))
    }

    fn size_hint(&self) -> Option<usize> {
        match &self.fields {
            Fields::Flat(items) => Some(items.len()),
            Fields::Grouped { groups, next } => Some(groups.len().saturating_sub(*next)),
        }
    }
}

/// An object read without a selection: every stored field, by store field name.
struct RawAccess<'x, 'p, S: ?Sized, I> {
    ctx: &'p Ctx<'p, S>,
    fields: I,
    pending: Option<(&'p FieldName, &'p Value)>,
    path: &'x Path<'x>,
    depth: usize,
}

impl<'x, 'p, S, I> MapAccess<'p> for RawAccess<'x, 'p, S, I>
where
    S: Source + ?Sized,
    I: ExactSizeIterator<Item = (&'p FieldName, &'p Value)>,
{
    type Error = ReadError;

    fn next_key_seed<K: DeserializeSeed<'p>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ReadError> {
        let Some((name, value)) = self.fields.next() else {
            return Ok(None);
        };
        self.pending = Some((name, value));
        seed.deserialize(BorrowedStrDeserializer::new(name.as_str()))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'p>>(&mut self, seed: V) -> Result<V::Value, ReadError> {
        let Some((name, value)) = self.pending.take() else {
            return Err(de::Error::custom("a value was asked for before its key"));
        };
        let path = Path::Key(self.path, name.as_str());
        let cursor = Cursor {
            ctx: self.ctx,
            node: Node::Value(value),
            sel: &[],
            path: &path,
            depth: self.depth + 1,
        };
        seed.deserialize(cursor).map_err(|error| error.at(&path))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.fields.len())
    }
}

/// A reference read without a selection: `{"__ref": key}`, Apollo's format.
pub(super) struct RefAccess<'p> {
    /// Taken by the key; the value follows.
    pub(super) key: Option<&'p crate::key::Key>,
}

impl<'p> MapAccess<'p> for RefAccess<'p> {
    type Error = ReadError;

    fn next_key_seed<K: DeserializeSeed<'p>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ReadError> {
        if self.key.is_none() {
            return Ok(None);
        }
        seed.deserialize(BorrowedStrDeserializer::new("__ref"))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'p>>(&mut self, seed: V) -> Result<V::Value, ReadError> {
        match self.key.take() {
            Some(key) => seed.deserialize(BorrowedStrDeserializer::new(key.as_str())),
            None => Err(de::Error::custom("a value was asked for before its key")),
        }
    }
}

/// A list: its items with the same selection; under a selection, references to absent entities
/// are dropped (indices in paths count the items kept).
struct ListAccess<'x, 'p, S: ?Sized> {
    ctx: &'p Ctx<'p, S>,
    items: imbl::vector::Iter<'p, Value, imbl::shared_ptr::DefaultSharedPtr>,
    sel: &'x [usize],
    path: &'x Path<'x>,
    depth: usize,
    index: usize,
}

impl<'x, 'p, S: Source + ?Sized> SeqAccess<'p> for ListAccess<'x, 'p, S> {
    type Error = ReadError;

    fn next_element_seed<T: DeserializeSeed<'p>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ReadError> {
        for item in self.items.by_ref() {
            let node = match item {
                Value::Ref(key) if !self.sel.is_empty() => match self.ctx.source.entity(key) {
                    Some(entity) => Node::Object(entity, Some(key)),
                    None => continue,
                },
                _ => Node::Value(item),
            };
            let path = Path::Index(self.path, self.index);
            self.index += 1;
            let cursor = Cursor {
                ctx: self.ctx,
                node,
                sel: self.sel,
                path: &path,
                depth: self.depth + 1,
            };
            return seed
                .deserialize(cursor)
                .map(Some)
                .map_err(|error| error.at(&path));
        }
        Ok(None)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_keys_and_indices() {
        let root = Path::Root;
        let todos = Path::Key(&root, "todos");
        let two = Path::Index(&todos, 2);
        let name = Path::Key(&two, "name");
        assert_eq!(name.render(), "todos.2.name");
        assert_eq!(root.render(), "");
    }
}
