//! Deserializing values and entities straight from a serde `Deserializer`, without building a
//! `serde_json::Value` first: a saved store's text becomes entities in one pass.
//!
//! The rules are [`Value::from_json`]'s, applied as each object closes: an object whose only
//! field is `"__ref"` with a valid key is a reference; one whose only field is `"__object"`
//! with an object is that object, as written (the escape of an embedded object that would
//! read as a reference); repeated names keep the last value. Nesting is bounded by the limit
//! the seed carries. Field names are shared through a cache kept for the whole
//! deserialization, so a saved store of a hundred thousand entities of one shape loads with
//! one allocation per distinct name, not one per field; a reference is decided on its one field
//! as read (no entity built for it), and references to one key share a recent key's allocation.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::hash::BuildHasher;

use serde::de::{DeserializeSeed, Error, MapAccess, SeqAccess, Visitor};

use super::json::OBJECT_ESCAPE;
use super::{List, Value};
use crate::entity::Entity;
use crate::field::FieldName;
use crate::key::Key;
use crate::patch::Hasher;

/// Field names met so far in one deserialization, and recent reference keys.
#[derive(Default)]
pub(crate) struct Names {
    names: RefCell<HashMap<Box<str>, FieldName, Hasher>>,
    /// Keys of references too long to be held inline, direct mapped by a hash of their text
    /// (empty until the first such reference): the many references of a store to a few
    /// entities (100,000 items naming 50 owners by UUID) share one allocation per key. A key
    /// that lost its slot is allocated again, which costs memory, never correctness.
    keys: RefCell<Vec<Option<Key>>>,
}

/// Slots of [`Names`]' reference keys.
const KEY_SLOTS: usize = 256;

impl Names {
    fn get(&self, name: &str) -> FieldName {
        let mut names = self.names.borrow_mut();
        if let Some(found) = names.get(name) {
            return found.clone();
        }
        let field = FieldName::new(name);
        names.insert(name.into(), field.clone());
        field
    }

    /// The key `text` names, if it is one: a recent equal key, shared.
    fn key(&self, text: &str) -> Option<Key> {
        if crate::key::fits_inline(text) {
            return Key::new(text).ok();
        }
        let mut keys = self.keys.borrow_mut();
        if keys.is_empty() {
            keys.resize(KEY_SLOTS, None);
        }
        let hash = foldhash::fast::FixedState::with_seed(0x4e7).hash_one(text);
        // The remainder is below KEY_SLOTS: the cast cannot truncate.
        let slot = keys.get_mut((hash % KEY_SLOTS as u64) as usize)?;
        if let Some(found) = slot.as_ref().filter(|found| found.as_str() == text) {
            return Some(found.clone());
        }
        let key = Key::new(text).ok()?;
        *slot = Some(key.clone());
        Some(key)
    }
}

fn too_deep<E: Error>() -> E {
    E::custom(format_args!(
        "value nests deeper than {} levels",
        crate::policy::DEFAULT_MAX_DEPTH
    ))
}

/// A value, at most `limit` levels deep.
#[derive(Clone, Copy)]
pub(crate) struct ValueSeed<'n> {
    pub(crate) names: &'n Names,
    pub(crate) limit: usize,
}

/// What one JSON value became: a value, or, for an object, its fields as written too (the
/// inside of an `"__object"` escape is taken as written, not read as a reference again).
enum Node {
    Value(Value),
    Object {
        fields: Entity,
        shaped: Value,
    },
    /// An object of one `"__ref"` field holding a key: no entity is built for its fields
    /// unless it turns out to be the inside of an escape.
    Ref {
        written: Fields,
        key: Key,
    },
}

impl Node {
    fn into_value(self) -> Value {
        match self {
            Node::Value(value) | Node::Object { shaped: value, .. } => value,
            Node::Ref { key, .. } => Value::Ref(key),
        }
    }
}

/// An object's fields as read, in order, repeated names included.
type Fields = Vec<(FieldName, Value)>;

/// A value; `escapable`: the value of an `"__object"` field of an object here is read with
/// the object's own limit, since the inside of an escape counts at the object's level, not one
/// below (false for that value itself, so that the allowance never repeats down a chain).
#[derive(Clone, Copy)]
struct NodeSeed<'n> {
    seed: ValueSeed<'n>,
    escapable: bool,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        let node = NodeSeed {
            seed: self,
            escapable: true,
        };
        node.deserialize(deserializer).map(Node::into_value)
    }
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_> {
    type Value = Node;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NodeSeed<'_> {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: Error>(self) -> Result<Node, E> {
        Ok(Node::Value(Value::Null))
    }

    fn visit_none<E: Error>(self) -> Result<Node, E> {
        Ok(Node::Value(Value::Null))
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_bool<E: Error>(self, b: bool) -> Result<Node, E> {
        Ok(Node::Value(Value::Bool(b)))
    }

    fn visit_i64<E: Error>(self, n: i64) -> Result<Node, E> {
        Ok(Node::Value(Value::Number(n.into())))
    }

    fn visit_u64<E: Error>(self, n: u64) -> Result<Node, E> {
        Ok(Node::Value(Value::Number(n.into())))
    }

    fn visit_f64<E: Error>(self, n: f64) -> Result<Node, E> {
        // A number JSON cannot write is null, as `serde_json::Value` has it.
        Ok(Node::Value(
            serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number),
        ))
    }

    fn visit_str<E: Error>(self, s: &str) -> Result<Node, E> {
        Ok(Node::Value(Value::from(s)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let limit = self.seed.limit.checked_sub(1).ok_or_else(too_deep)?;
        let item = ValueSeed { limit, ..self.seed };
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(value) = seq.next_element_seed(item)? {
            items.push(value);
        }
        Ok(Node::Value(Value::List(
            items.into_iter().collect::<List>(),
        )))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Node, A::Error> {
        let limit = self.seed.limit.checked_sub(1).ok_or_else(too_deep)?;
        // The inside of an escape counts at this object's level, as `Serialize` writes it.
        let escape = self.escapable.then_some(self.seed);
        let (written, escaped) = fields(map, ValueSeed { limit, ..self.seed }, escape)?;
        // The common case, a reference, decided on the fields as read.
        if let [(name, Value::String(text))] = written.as_slice()
            && name.as_str() == "__ref"
            && let Some(key) = self.seed.names.key(text)
        {
            return Ok(Node::Ref { written, key });
        }
        let fields = Entity::from_fields(written);
        let lone = fields.iter().next().filter(|_| fields.len() == 1);
        let shaped = match lone {
            Some((name, Value::String(text))) if name.as_str() == "__ref" => {
                self.seed.names.key(text).map(Value::Ref)
            }
            Some((name, _)) if name.as_str() == OBJECT_ESCAPE => escaped.map(Value::Object),
            _ => None,
        }
        .unwrap_or_else(|| Value::Object(fields.clone()));
        Ok(Node::Object { fields, shaped })
    }
}

/// Reads an object's fields, each value with `seed`; with them, where the object may be an
/// escape (`escape`: the seed its inside is read with), the fields of the last `"__object"`
/// field's value as written, if that value was an object.
fn fields<'de, A: MapAccess<'de>>(
    mut map: A,
    seed: ValueSeed<'_>,
    escape: Option<ValueSeed<'_>>,
) -> Result<(Fields, Option<Entity>), A::Error> {
    // Without a hint (JSON gives none), room for an entity of a few fields at once.
    let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(8).min(256));
    let mut escaped = None;
    while let Some(name) = map.next_key_seed(NameSeed(seed.names))? {
        let is_escape = name.as_str() == OBJECT_ESCAPE;
        let inside = escape.filter(|_| is_escape);
        let node = map.next_value_seed(NodeSeed {
            seed: inside.unwrap_or(seed),
            escapable: inside.is_none(),
        })?;
        let value = if is_escape {
            match node {
                Node::Object { fields, shaped } => {
                    escaped = Some(fields);
                    shaped
                }
                Node::Ref { written, key } => {
                    escaped = Some(Entity::from_fields(written));
                    Value::Ref(key)
                }
                Node::Value(value) => {
                    escaped = None;
                    value
                }
            }
        } else {
            node.into_value()
        };
        fields.push((name, value));
    }
    Ok((fields, escaped))
}

/// An entity's fields: a JSON object, each value at most `limit` levels deep. Its own shape is
/// not looked at (an entity is never a reference).
pub(crate) struct EntitySeed<'n> {
    pub(crate) names: &'n Names,
    pub(crate) limit: usize,
}

impl<'de> DeserializeSeed<'de> for EntitySeed<'_> {
    type Value = Entity;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Entity, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EntitySeed<'_> {
    type Value = Entity;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of fields")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Entity, A::Error> {
        let seed = ValueSeed {
            names: self.names,
            limit: self.limit,
        };
        fields(map, seed, None).map(|(fields, _)| Entity::from_fields(fields))
    }
}

/// A field name, shared through the cache.
struct NameSeed<'n>(&'n Names);

impl<'de> DeserializeSeed<'de> for NameSeed<'_> {
    type Value = FieldName;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<FieldName, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for NameSeed<'_> {
    type Value = FieldName;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: Error>(self, name: &str) -> Result<FieldName, E> {
        Ok(self.0.get(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `text` read as one value at most `limit` levels deep, names through `names`.
    fn read(names: &Names, text: &str, limit: usize) -> Result<Value, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(text);
        ValueSeed { names, limit }.deserialize(&mut de)
    }

    /// The one-pass reading agrees with the conversion from a JSON tree.
    #[test]
    fn reads_as_from_json_does() {
        let cases = [
            json!(null),
            json!([1, -2, 2.5, "s", true, [], {}]),
            json!({"__ref": "Todo:1"}),
            json!({"__ref": "no key"}),
            json!({"__ref": "Todo:1", "x": 1}),
            json!({"__ref": 5}),
            json!({"__object": {"__ref": "Todo:1"}}),
            json!({"__object": {"__object": {"x": 1}}}),
            json!({"__object": 3}),
            json!({"a": {"__ref": "A:1"}, "b": [{"__object": {"__ref": "A:2"}}]}),
            json!(u64::MAX),
            json!(i64::MIN),
        ];
        for case in cases {
            let names = Names::default();
            let text = case.to_string();
            let read = read(&names, &text, 10).unwrap();
            assert_eq!(read, Value::from_json(case.clone()), "{case}");
        }
    }

    #[test]
    fn repeated_names_keep_the_last_and_names_are_shared() {
        let names = Names::default();
        let text = r#"[{"a": 1, "a": {"__ref": "A:1"}}, {"a": 2}]"#;
        let read = read(&names, text, 10).unwrap();
        let list = read.as_list().unwrap();
        let Value::Object(first) = &list[0] else {
            panic!("an object: {read:?}");
        };
        assert_eq!(first.get("a"), Some(&Value::Ref(Key::new("A:1").unwrap())));
        assert_eq!(
            names.names.borrow().len(),
            2,
            "`a`, met three times, and `__ref`"
        );
    }

    #[test]
    fn references_to_one_long_key_share_it() {
        let names = Names::default();
        // Keys of more than 15 bytes are allocated; shorter ones are inline in the value.
        let text = r#"[{"__ref": "User:0123456789-1"}, {"__ref": "User:0123456789-2"},
            {"__ref": "User:0123456789-1"}, {"__ref": ":1"}]"#;
        let read = read(&names, text, 10).unwrap();
        let list = read.as_list().unwrap();
        let key = |at: usize| match &list[at] {
            Value::Ref(key) => key.as_str().as_ptr(),
            other => panic!("a reference: {other:?}"),
        };
        assert_eq!(key(0), key(2), "one allocation for User:0123456789-1");
        assert_ne!(key(0), key(1));
        assert!(
            matches!(&list[3], Value::Object(fields) if fields.get("__ref").is_some()),
            "not a key: an object, as written"
        );
    }

    #[test]
    fn nesting_past_the_limit_is_an_error() {
        let names = Names::default();
        for (text, ok) in [
            ("[[1]]", true),
            ("[[[1]]]", false),
            (r#"{"a":{"b":1}}"#, true),
        ] {
            let read = read(&names, text, 2);
            assert_eq!(read.is_ok(), ok, "{text}");
        }
    }

    /// What `Serialize` writes within a depth, this reads back within it: an escape counts
    /// no level on either side.
    #[test]
    fn the_depth_serialising_allows_is_the_depth_reading_allows() {
        let lookalike = Value::Object(Entity::new().with("__ref", "A:1"));
        let nested = |mut value: Value, levels: usize, list: bool| {
            for _ in 0..levels {
                value = if list {
                    Value::List(std::iter::once(value).collect())
                } else {
                    Value::Object(Entity::new().with("x", value).with("__object", 1))
                };
            }
            value
        };
        let values = [
            lookalike.clone(),
            nested(lookalike.clone(), 2, true),
            nested(lookalike.clone(), 2, false),
            Value::Object(Entity::new().with("__object", lookalike.clone())),
            nested(Value::from(1), 3, true),
        ];
        for value in &values {
            for depth in 0..6 {
                let written = serde_json::to_string(&crate::value::Bounded { value, depth });
                let names = Names::default();
                let read = written.as_ref().map(|text| read(&names, text, depth));
                match (written.is_ok(), read) {
                    (true, Ok(Ok(back))) => assert_eq!(&back, value),
                    (false, _) => {}
                    (true, other) => panic!("{value:?} written at depth {depth}, read {other:?}"),
                }
            }
        }
    }

    /// Any JSON, with names drawn so that `__ref` and `__object` lookalikes, escapes and
    /// repeated names are common.
    fn json() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            (-1e6f64..1e6).prop_map(serde_json::Value::from),
            prop::sample::select(vec!["A:1", "Todo:tmp~1", "no key", ":", ""])
                .prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(5, 48, 4, |inner| {
            let name = prop::sample::select(vec!["__ref", "__object", "a", "b"]);
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                prop::collection::vec((name, inner), 0..3).prop_map(|fields| {
                    serde_json::Value::Object(
                        fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
                    )
                }),
            ]
        })
    }

    proptest::proptest! {
        /// The one-pass reading of any JSON text is `Value::from_json` of its tree (the
        /// reference), and a value read back from what it serialises to is itself.
        #[test]
        fn one_pass_reading_is_the_tree_conversion(json in json()) {
            let text = json.to_string();
            let names = Names::default();
            let read = read(&names, &text, 64).unwrap();
            // The tree of the same text: numbers parse alike on both sides.
            let tree: serde_json::Value = serde_json::from_str(&text).unwrap();
            let expected = Value::from_json(tree);
            proptest::prop_assert_eq!(&read, &expected);
            let again: Value = serde_json::from_str(&serde_json::to_string(&read).unwrap()).unwrap();
            proptest::prop_assert_eq!(again, read);
        }
    }
}
