//! A serde `Deserializer` over a tree of [`Value`]s (a shared read's result): what a typed
//! [`Query::read_as`](crate::Query::read_as) turns into the caller's types.
//!
//! It reads the tree as its JSON ([`Value::to_json`]) would read: objects are maps of their
//! fields, lists sequences, references `{"__ref": key}`, strings borrowed from the tree. Enums
//! arrive as strings (GraphQL enums: unit variants by name) or, in serde's default form, as an
//! object of one field, `{"Variant": content}` (a JSON scalar or REST data of a Rust type). A
//! [`Shared`](crate::Shared) part is offered the node it stands on (`reuse.rs`), so an unchanged
//! subtree gives back the value it gave last time.

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{
    self, Deserialize, DeserializeSeed, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};

use super::ReadError;
use super::de::{Path, RefAccess, visit_number};
use super::reuse;
use crate::entity::Entity;
use crate::field::FieldName;
use crate::value::Value;

/// A `Deserializer` standing on one node of a tree; `path` is where, for errors.
pub(super) struct TreeDe<'x, 'v> {
    pub(super) value: &'v Value,
    pub(super) path: &'x Path<'x>,
}

impl<'v> de::Deserializer<'v> for TreeDe<'_, 'v> {
    type Error = ReadError;

    fn deserialize_any<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, ReadError> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => visit_number(n, visitor),
            Value::String(s) => visitor.visit_borrowed_str(s.as_str()),
            Value::Ref(key) => visitor.visit_map(RefAccess { key: Some(key) }),
            Value::List(items) => visitor.visit_seq(Items {
                items: items.iter(),
                path: self.path,
                index: 0,
            }),
            Value::Object(entity) => visitor.visit_map(Fields::of(entity, self.path)),
        }
    }

    fn deserialize_option<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, ReadError> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_enum<V: Visitor<'v>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ReadError> {
        match self.value {
            // GraphQL enums arrive as strings: unit variants by name.
            Value::String(text) => visitor.visit_enum(BorrowedStrDeserializer::new(text.as_str())),
            // serde's default form: `{"Variant": content}`.
            Value::Object(entity) if entity.len() == 1 => match entity.fields().next() {
                Some((variant, content)) => visitor.visit_enum(Tagged {
                    variant: variant.as_str(),
                    content,
                    path: self.path,
                }),
                None => self.deserialize_any(visitor),
            },
            // Internally tagged and untagged enums read the object as a map.
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'v>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ReadError> {
        // A `Shared` part is offered the node, which identifies the subtree.
        let _offer = (name == reuse::SHARED_NAME)
            .then(|| reuse::offer(self.value))
            .flatten();
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, ReadError> {
        // The tree is whole already: nothing to walk for what the type skips.
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        <W: Visitor<'v>>
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

/// An object's fields, by name.
struct Fields<'x, 'v> {
    fields: crate::entity::Fields<'v>,
    pending: Option<(&'v FieldName, &'v Value)>,
    path: &'x Path<'x>,
}

impl<'x, 'v> Fields<'x, 'v> {
    fn of(entity: &'v Entity, path: &'x Path<'x>) -> Fields<'x, 'v> {
        Fields {
            fields: entity.fields(),
            pending: None,
            path,
        }
    }
}

impl<'v> MapAccess<'v> for Fields<'_, 'v> {
    type Error = ReadError;

    fn next_key_seed<K: DeserializeSeed<'v>>(
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

    fn next_value_seed<V: DeserializeSeed<'v>>(&mut self, seed: V) -> Result<V::Value, ReadError> {
        let Some((name, value)) = self.pending.take() else {
            return Err(de::Error::custom("a value was asked for before its key"));
        };
        let path = Path::Key(self.path, name.as_str());
        seed.deserialize(TreeDe { value, path: &path })
            .map_err(|error| error.at(&path))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.fields.len())
    }
}

/// A list's items.
struct Items<'x, 'v> {
    items: imbl::vector::Iter<'v, Value, imbl::shared_ptr::DefaultSharedPtr>,
    path: &'x Path<'x>,
    index: usize,
}

impl<'v> SeqAccess<'v> for Items<'_, 'v> {
    type Error = ReadError;

    fn next_element_seed<T: DeserializeSeed<'v>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ReadError> {
        let Some(value) = self.items.next() else {
            return Ok(None);
        };
        let path = Path::Index(self.path, self.index);
        self.index += 1;
        seed.deserialize(TreeDe { value, path: &path })
            .map(Some)
            .map_err(|error| error.at(&path))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// An enum in serde's default form, `{"Variant": content}`: the variant's name, then its
/// content read as the variant's kind asks.
struct Tagged<'x, 'v> {
    variant: &'v str,
    content: &'v Value,
    path: &'x Path<'x>,
}

impl<'v> Tagged<'_, 'v> {
    /// Reads the content with `read`, errors placed under the variant's name.
    fn content<T>(
        self,
        read: impl for<'p> FnOnce(TreeDe<'p, 'v>) -> Result<T, ReadError>,
    ) -> Result<T, ReadError> {
        let path = Path::Key(self.path, self.variant);
        read(TreeDe {
            value: self.content,
            path: &path,
        })
        .map_err(|error| error.at(&path))
    }
}

impl<'x, 'v> EnumAccess<'v> for Tagged<'x, 'v> {
    type Error = ReadError;
    type Variant = Tagged<'x, 'v>;

    fn variant_seed<S: DeserializeSeed<'v>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Tagged<'x, 'v>), ReadError> {
        let name = seed.deserialize(BorrowedStrDeserializer::<ReadError>::new(self.variant))?;
        Ok((name, self))
    }
}

impl<'v> VariantAccess<'v> for Tagged<'_, 'v> {
    type Error = ReadError;

    fn unit_variant(self) -> Result<(), ReadError> {
        // `{"Variant": null}`, as `serde_json` reads it.
        self.content(|de| <()>::deserialize(de))
    }

    fn newtype_variant_seed<S: DeserializeSeed<'v>>(self, seed: S) -> Result<S::Value, ReadError> {
        self.content(|de| seed.deserialize(de))
    }

    fn tuple_variant<V: Visitor<'v>>(self, _len: usize, visitor: V) -> Result<V::Value, ReadError> {
        self.content(|de| de::Deserializer::deserialize_seq(de, visitor))
    }

    fn struct_variant<V: Visitor<'v>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ReadError> {
        self.content(|de| de::Deserializer::deserialize_map(de, visitor))
    }
}
